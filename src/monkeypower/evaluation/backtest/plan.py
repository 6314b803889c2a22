"""The backtest's plan: its arguments checked and resolved into cells, estimators and settings.

:func:`make_plan` turns the arguments of :func:`~monkeypower.evaluation.backtest.backtest` into
a :class:`BacktestPlan` (or raises the error a user should see), so the running code never
checks an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monkeypower.arguments import whole_number
from monkeypower.data.outcomes import Outcomes
from monkeypower.errors import SpecError
from monkeypower.evaluation import baselines
from monkeypower.evaluation.backtest.score import empirical_target
from monkeypower.fitting import available_models
from monkeypower.fitting.spec import resolve_model
from monkeypower.intervals import IntervalConvention, resolve_interval

__all__ = [
    "AVERAGE_METHODS", "BAYES_PREFIX", "BMA_PREFIX", "BacktestPlan", "DEFAULT_ESTIMATORS",
    "DEFAULT_FIT_KWARGS", "STACK_PREFIX", "average_prefix", "make_plan", "average_components",
]

DEFAULT_ESTIMATORS = (*baselines.BASELINES, "bayes:beta")
"""The estimators a backtest runs unless told otherwise: the three baselines and the Beta model."""

DEFAULT_FIT_KWARGS: dict[str, Any] = {"draws": 500, "tune": 500, "chains": 2,
                                      "progressbar": False}
"""Sampler settings of the Bayesian fits of a backtest (modest: there are many fits); any key of
:func:`monkeypower.fit` except ``seed`` can be overridden through ``fit_kwargs``."""

BAYES_PREFIX = "bayes:"
"""Prefix of a Bayesian estimator's name: ``"bayes:<model>"``."""

STACK_PREFIX = "stack:"
"""Prefix of a LOO-stacked estimator's name: ``"stack:<model>+<model>+..."``."""

BMA_PREFIX = "bma:"
"""Prefix of a pseudo-BMA estimator's name: ``"bma:<model>+<model>+..."``, the models' fits
averaged with Bayesian-bootstrap pseudo-BMA+ weights."""

AVERAGE_METHODS: dict[str, str] = {STACK_PREFIX: "stacking", BMA_PREFIX: "BB-pseudo-BMA"}
"""Model averages by prefix, and the weighting of :func:`monkeypower.compare` each uses.
Stacking (Yao et al. 2018) weighs models by how well their mixture predicts a left-out
problem, so two models that predict the observed problems alike get weights near 1 and 0 even
when they continue differently below the data; pseudo-BMA+ weighs each by its own ELPD with the
Bayesian-bootstrap uncertainty of it, so such models share the weight."""

Cell = tuple[int, int, int]
"""One subsample of the grid: (problems :math:`M'`, attempts :math:`n'`, backtest seed)."""


@dataclass(frozen=True, eq=False)
class BacktestPlan:
    r"""What a backtest runs: validated arguments and what follows from them.

    Attributes
    ----------
    outcomes : Outcomes
        The full data (fixed design).
    estimators : list of str
        Every estimator, in the order of the table.
    attempts, problems, seeds : list of int
        The grid: :math:`n'` and :math:`M'` (sorted, distinct) and the backtest seeds.
    horizon : int
        The forecast horizon :math:`K`.
    truth : float or None
        The known asymptotic exponent.
    interval : IntervalConvention
        Convention of the Bayesian intervals.
    fit_kwargs : dict
        Sampler settings of the Bayesian fits (no ``seed``).
    forecast_target : float
        The full data's empirical :math:`-\log \text{pass}_D@K`.
    health_gate : bool
        Whether unhealthy Bayesian fits are refitted once and then failed
        (:mod:`~monkeypower.evaluation.backtest.health`), rather than scored.
    """

    outcomes: Outcomes
    estimators: list[str]
    attempts: list[int]
    problems: list[int]
    seeds: list[int]
    horizon: int
    truth: float | None
    interval: IntervalConvention
    fit_kwargs: dict[str, Any]
    forecast_target: float
    health_gate: bool = True

    @property
    def n_min(self) -> int:
        """The smallest number of attempts per problem of the full data."""
        return int(self.outcomes.n.min())

    @property
    def m_full(self) -> int:
        """The number of problems of the full data."""
        return int(self.outcomes.n_problems)

    @property
    def point_names(self) -> list[str]:
        """The point estimators (baselines)."""
        return [n for n in self.estimators
                if not n.startswith((BAYES_PREFIX, *AVERAGE_METHODS))]

    @property
    def bayes_names(self) -> list[str]:
        """The ``"bayes:<model>"`` estimators."""
        return [n for n in self.estimators if n.startswith(BAYES_PREFIX)]

    @property
    def average_names(self) -> list[str]:
        """The model averages: ``"stack:a+b"`` and ``"bma:a+b"`` estimators."""
        return [n for n in self.estimators if average_prefix(n) is not None]

    @property
    def fitted_models(self) -> list[str]:
        """Every model a Bayesian row or an average needs, fitted once per cell."""
        return list(dict.fromkeys(
            [name[len(BAYES_PREFIX):] for name in self.bayes_names]
            + [m for name in self.average_names for m in average_components(name)]))

    @property
    def cells(self) -> list[Cell]:
        """Every subsample, seed-major: ``(M', n', seed)``."""
        return [(m, n, s) for s in self.seeds for m in self.problems for n in self.attempts]

    @property
    def predictive_ok(self) -> bool:
        """Whether the posterior predictive of the measured value is computed.

        At :math:`K = n` for every problem the target is the fraction solved at least once,
        whose posterior predictive is exact (:meth:`monkeypower.Fit.measured_pass_at_k`);
        below n it is not computed.
        """
        return bool((self.outcomes.n == self.horizon).all())

    @property
    def n_steps(self) -> int:
        """Steps of the progress display: every point-estimator run and every fit."""
        n_fits = len(self.cells) + (0 if self.truth is not None else 1)
        return len(self.cells) * len(self.point_names) + len(self.fitted_models) * n_fits

    def settings(self) -> dict[str, Any]:
        """The grid, estimators and sampler settings, as recorded with the result."""
        return {
            "estimators": self.estimators,
            "attempts": self.attempts,
            "problems": self.problems,
            "seeds": self.seeds,
            "fit_kwargs": self.fit_kwargs if self.bayes_names else {},
            "health_gate": self.health_gate,
            "n_problems_full": self.m_full,
            "n_attempts_full": self.n_min,
        }


def make_plan(
    outcomes: Outcomes,
    *,
    estimators: Sequence[str],
    attempts: Iterable[int],
    problems: Iterable[int] | None,
    seeds: Iterable[int],
    horizon: int | None,
    truth: float | None,
    interval: IntervalConvention | float | None,
    fit_kwargs: Mapping[str, Any] | None,
    health_gate: bool = True,
) -> BacktestPlan:
    """Check the backtest's arguments (in the order documented) and resolve them to a plan."""
    if not isinstance(outcomes, Outcomes):
        raise TypeError(
            f"backtest takes one Outcomes (one model on one benchmark), got "
            f"{type(outcomes).__name__}; backtest each group of an OutcomesGroups separately"
        )
    outcomes.require_fixed_design("the backtest (subsampling attempts)")
    names = check_estimators(estimators)
    n_min = int(outcomes.n.min())
    m_full = outcomes.n_problems
    attempt_list = int_list(attempts, "attempts", n_min,
                            "the smallest number of attempts per problem in the data")
    problem_list = ([m_full] if problems is None else
                    int_list(problems, "problems", m_full, "the number of problems in the data"))
    seed_list = check_seeds(seeds)
    horizon = check_horizon(horizon, n_min)
    truth = check_truth(truth)
    convention = resolve_interval(interval)
    fit_settings = dict(DEFAULT_FIT_KWARGS)
    if fit_kwargs:
        if "seed" in fit_kwargs:
            raise ValueError(
                "fit_kwargs must not hold 'seed': every fit's seed is derived from the "
                "backtest seeds"
            )
        fit_settings.update(fit_kwargs)
    return BacktestPlan(
        outcomes=outcomes, estimators=names, attempts=attempt_list, problems=problem_list,
        seeds=seed_list, horizon=horizon, truth=truth, interval=convention,
        fit_kwargs=fit_settings, forecast_target=empirical_target(outcomes, horizon),
        health_gate=bool(health_gate),
    )


def average_prefix(name: str) -> str | None:
    """The prefix of a model average's name (:data:`AVERAGE_METHODS`), or None."""
    return next((prefix for prefix in AVERAGE_METHODS if name.startswith(prefix)), None)


def average_components(name: str) -> list[str]:
    """The models of a ``"stack:a+b+..."`` or ``"bma:a+b+..."`` estimator."""
    prefix = average_prefix(name) or ""
    return [part.strip() for part in name[len(prefix):].split("+") if part.strip()]


def int_list(values: Any, name: str, upper: int, what: str) -> list[int]:
    """Sorted distinct integers in ``[1, upper]`` from an integer or an iterable of them."""
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of positive integers, got {values!r}") from None
    if not items:
        raise ValueError(f"{name} must not be empty")
    out = []
    for v in items:
        v = whole_number(v, f"each value of {name}")
        if not 1 <= v <= upper:
            raise ValueError(
                f"{name} value {int(v)} is outside [1, {upper}] ({what}); subsampling is "
                "without replacement"
            )
        out.append(int(v))
    return sorted(set(out))


def check_seeds(seeds: Any) -> list[int]:
    """The backtest seeds: an iterable of distinct non-negative integers (not a bare count)."""
    if isinstance(seeds, (int, np.integer)):
        raise TypeError(
            f"seeds must be an iterable of seeds, e.g. range({int(seeds)}) for {int(seeds)} "
            f"seeds; got the bare integer {seeds!r}"
        )
    try:
        items = list(seeds)
    except TypeError:
        raise TypeError(f"seeds must be an iterable of non-negative integers, got {seeds!r}") \
            from None
    if not items:
        raise ValueError("seeds must not be empty")
    for s in items:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 0:
            raise TypeError(f"seeds must be non-negative integers, got {s!r}")
    if len(set(items)) != len(items):
        raise ValueError(f"seeds must be distinct, got {items!r}")
    return [int(s) for s in items]


def check_horizon(horizon: Any, n_min: int) -> int:
    """The forecast horizon :math:`K` in ``[1, n_min]`` (default ``n_min``)."""
    if horizon is None:
        return n_min
    horizon = whole_number(horizon, "horizon")
    if not 1 <= horizon <= n_min:
        raise ValueError(
            f"horizon K = {horizon} is outside [1, {n_min}]: the forecast target is the full "
            f"data's empirical -log pass_D@K, defined only for K <= min n = {n_min}"
        )
    return horizon


def check_truth(truth: Any) -> float | None:
    """The known asymptotic exponent: None or a positive finite float."""
    if truth is None:
        return None
    truth = float(truth)
    if not (np.isfinite(truth) and truth > 0):
        raise ValueError(f"truth must be a positive exponent, got {truth!r}")
    return truth


def _model_problem(model: str) -> str | None:
    """Why :func:`monkeypower.fit` could not load ``model``, or None when it can.

    ``model`` is a built-in name or a spec file; the rule is
    :func:`~monkeypower.fitting.spec.resolve_model`'s, so the backtest takes what a fit takes.
    """
    try:
        resolve_model(model)
    except SpecError as err:
        return str(err)
    return None


def check_estimators(estimators: Any) -> list[str]:
    """Distinct estimator names: baselines, ``"bayes:<model>"``, ``"stack:a+b"``, ``"bma:a+b"``."""
    if isinstance(estimators, str):
        estimators = [estimators]
    names = list(estimators)
    if not names:
        raise ValueError("estimators must not be empty")
    if len(set(names)) != len(names):
        raise ValueError(f"estimators must be distinct, got {names!r}")
    models = available_models()
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"estimators are named by strings, got {name!r}")
        if name.startswith(BAYES_PREFIX):
            problem = _model_problem(name[len(BAYES_PREFIX):])
            if problem:
                raise ValueError(
                    f"unknown Bayesian model in {name!r}: expected a built-in model "
                    f"{[BAYES_PREFIX + m for m in models]} or the path of an existing model "
                    f"spec file ('bayes:path/to/model.toml'); {problem}"
                )
        elif average_prefix(name) is not None:
            parts = average_components(name)
            unknown = [m for m in parts if _model_problem(m)]
            if len(parts) < 2 or len(set(parts)) != len(parts) or unknown:
                raise ValueError(
                    f"{name!r}: a model average names two or more distinct models (built-in "
                    f"names or spec files) joined by '+', e.g. "
                    f"'{average_prefix(name)}beta+logit_normal'"
                    + (f"; unknown {unknown}, built-in models: {models}" if unknown else "")
                )
        elif name not in baselines.BASELINES:
            raise ValueError(
                f"unknown estimator {name!r}; known: {sorted(baselines.BASELINES)} and "
                f"{[BAYES_PREFIX + m for m in models]}"
            )
    return names
