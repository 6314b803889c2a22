r"""The one registry of named estimands: name, definition, and how each is computed.

Every number the package prints names one of these estimands. :class:`~monkeypower.Fit` exposes
each as a method of the same name, the stacked comparison
(:meth:`~monkeypower.ModelComparison.stacked`) accepts exactly the stackable ones, and the JSON
schema (``docs/json_schema.md``) lists them; all three read :data:`ESTIMANDS`. Adding an estimand
is one :class:`Estimand` entry here (plus a Fit method of the same name, and its test).

An estimand is computed from :class:`PosteriorDraws` — the family, its natural-parameter draws
and the compressed data — not from a Fit, so the same definition serves a fit, a stack of fits
and a prediction for a new group.

``asymptotic_exponent``
    :math:`b_\infty`, the :math:`k\to\infty` exponent of :math:`-\log \text{pass}_D@k \approx a
    k^{-b}`, a property of the population's left tail (α for Beta families).
``prefactor``
    :math:`a` in the same asymptotic law.
``effective_exponent``
    The slope of :math:`\log(-\log \text{pass}_D@k)` against :math:`\log k` over a window
    :math:`[k_1, k_2]`, computed on the model-implied curve exactly as log-log regression does on
    data (the reference grid, ordinary least squares). This is what naive regression measures,
    and it is **not** :math:`b_\infty`.
``population_pass_at_k``
    :math:`1 - E[(1-p)^k]` under the population: what a new benchmark of problems from the same
    population would show.
``forecast_pass_at_k``
    The in-sample forecast for *this* benchmark: :math:`1 - \frac1M\sum_i E[(1-p_i)^k \mid
    n_i, c_i]`, pooling what every problem says; the quantity a backtest checks.
``measured_pass_at_k``
    The posterior *predictive* of the pass_D@K this benchmark will *measure* once every problem
    has K attempts: the forecast's expected curve plus the binomial noise of the attempts still
    to run and of problems not yet seen.
``attempts_for_target``
    The smallest k at which a curve (forecast or population) reaches a target pass@k.
``population_pass_all_k``
    pass^k, the probability that *all* k attempts at a new problem succeed:
    :math:`E[p^k] = e^{L(k, 0)}` under the population (a reliability measure, the opposite
    end of pass@k; Yao et al. 2024 call it pass^k). It decreases in k, towards the share of
    problems with :math:`p = 1`.
``forecast_pass_all_k``
    The in-sample pass^k of *this* benchmark: :math:`\frac1M\sum_i E[p_i^k \mid n_i, c_i]`,
    with :math:`E[p^k\mid n, c] = e^{L(c+k, n-c) - L(c, n-c)}`.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.

S. Yao, N. Shinn, P. Razavi, K. Narasimhan, "τ-bench: A Benchmark for Tool-Agent-User
Interaction in Real-World Domains", 2024, arXiv:2406.12045 (pass^k).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from monkeypower import seeding
from monkeypower.arguments import whole_number
from monkeypower.estimands import curves
from monkeypower.estimands.curves import Curve
from monkeypower.estimands.draws import EstimandDraws
from monkeypower.families import NUMPY, Family

__all__ = ["Estimand", "ESTIMANDS", "PosteriorDraws", "compute", "STACKABLE"]


@dataclass(frozen=True)
class PosteriorDraws:
    """What every estimand is computed from: a family, its parameter draws and the data.

    Attributes
    ----------
    family : Family
        The population family.
    params : mapping of str to ndarray, each (chain, draw)
        Natural-parameter draws.
    n, c, weight : ndarray
        The compressed (n, c) pairs and how many problems share each.
    seed : int
        The fit's seed (predictive estimands derive their noise from it).
    """

    family: Family
    params: Mapping[str, np.ndarray]
    n: np.ndarray
    c: np.ndarray
    weight: np.ndarray
    seed: int

    @property
    def data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(n, c, weight)`` of the compressed pairs."""
        return self.n, self.c, self.weight

    @property
    def max_attempts(self) -> int:
        """The largest n in the data."""
        return int(np.max(self.n))

    @property
    def n_problems(self) -> int:
        """Problems in the data."""
        return int(np.sum(self.weight))

    @property
    def default_window(self) -> tuple[int, int]:
        """``(1, largest n)``: the window the data span."""
        return 1, self.max_attempts

    def flat(self, max_draws: int | None = None) -> tuple[dict[str, np.ndarray], tuple[int, int]]:
        """Draws flattened to (S,), thinned to ``max_draws`` per chain, and the (chain, draw)."""
        shape = next(iter(self.params.values())).shape
        if max_draws is not None:  # 0 divided by zero; 1.5 and True were taken as numbers
            max_draws = whole_number(max_draws, "max_draws", 1)
        if max_draws is not None and shape[1] > max_draws:
            step = int(np.ceil(shape[1] / max_draws))
            thinned = {k: v[:, ::step] for k, v in self.params.items()}
            shape = (shape[0], len(range(0, shape[1], step)))
            return {k: v.reshape(-1) for k, v in thinned.items()}, shape
        return {k: np.asarray(v).reshape(-1) for k, v in self.params.items()}, shape


def tail_detail(kind: str) -> str:
    """Row detail of the tail estimands: what the population's tail implies."""
    return {
        "power_law": "population tail: power law",
        "plateau": "population tail: plateau at 1 - pi0 (no power law)",
        "faster_than_power_law": "population tail: faster than any power law",
    }[kind]


def _asymptotic_exponent(post: PosteriorDraws) -> EstimandDraws:
    tail = post.family.tail(post.params, NUMPY)
    return EstimandDraws("asymptotic_exponent", tail_detail(tail.kind), np.asarray(tail.exponent))


def _prefactor(post: PosteriorDraws) -> EstimandDraws:
    tail = post.family.tail(post.params, NUMPY)
    return EstimandDraws("prefactor", tail_detail(tail.kind), np.asarray(tail.prefactor))


def _effective_exponent(
    post: PosteriorDraws, window: tuple[int, int] | None = None, curve: Curve = "population",
    max_draws: int | None = None,
) -> EstimandDraws:
    window = curves.checked_window(window or post.default_window)
    flat, shape = post.flat(max_draws)
    draws = curves.effective_exponent(post.family, flat, window, curve=curve, data=post.data)
    return EstimandDraws("effective_exponent",
                         f"k in [{window[0]:,}, {window[1]:,}], {curve} curve",
                         draws.reshape(shape))


def _checked_k(k: Any) -> np.ndarray:
    """The k values of a curve-valued estimand as floats.

    At least one, each finite and non-negative; else ValueError naming the positions.
    """
    k = np.atleast_1d(np.asarray(k, dtype=np.float64))
    if k.size == 0:
        raise ValueError("k must hold at least one number of attempts, got none")
    if not np.isfinite(k).all():
        raise ValueError(f"k must be finite numbers of attempts (for the limit, a large k such "
                         f"as 1e300), got {k[~np.isfinite(k)][:10].tolist()} at positions "
                         f"{np.flatnonzero(~np.isfinite(k)).tolist()[:10]}")
    if (k < 0).any():
        raise ValueError("k must be non-negative")
    return k


def _curve(name: str, post: PosteriorDraws, k: Any, neg_log: bool,
           max_draws: int | None) -> EstimandDraws:
    k = _checked_k(k)
    flat, shape = post.flat(max_draws)
    if name == "population_pass_at_k":
        log_fail = curves.population_log_fail(post.family, flat, k)
    else:
        log_fail = curves.forecast_log_fail(post.family, flat, k, *post.data)
    # a log-probability, exactly 0 at k = 0 (no attempt, no success); rounding of the sums can
    # leave it at +-1e-16 there and above 0 elsewhere
    log_fail = np.where(k == 0, 0.0, np.minimum(log_fail, 0.0))
    values = curves.neg_log_pass(log_fail) if neg_log else -np.expm1(log_fail)
    scale = "-log pass_D@k" if neg_log else "pass_D@k"
    return EstimandDraws(name, scale, values.reshape(*shape, len(k)), k)


def _population_pass_at_k(post: PosteriorDraws, k: Any, *, neg_log: bool = False,
                          max_draws: int | None = None) -> EstimandDraws:
    return _curve("population_pass_at_k", post, k, neg_log, max_draws)


def _forecast_pass_at_k(post: PosteriorDraws, k: Any, *, neg_log: bool = False,
                        max_draws: int | None = None) -> EstimandDraws:
    return _curve("forecast_pass_at_k", post, k, neg_log, max_draws)


def _measured_pass_at_k(
    post: PosteriorDraws, n_total: int, *, n_problems: int | None = None, neg_log: bool = False,
    seed: int | None = None, max_draws: int | None = None,
) -> EstimandDraws:
    n_total = whole_number(n_total, "n_total")
    flat, shape = post.flat(max_draws)
    rng = seeding.rng(seeding.seed_or(seed, post.seed, "predictive draws"), int(n_total))
    values = curves.measured_neg_log_pass(post.family, flat, int(n_total), *post.data,
                                          n_problems=n_problems, rng=rng)
    if not neg_log:
        values = np.exp(-values)
    scale = "-log pass_D@k" if neg_log else "pass_D@k"
    problems = n_problems or post.n_problems
    return EstimandDraws("measured_pass_at_k", f"{scale}, {problems:,} problems",
                         values.reshape(*shape, 1), np.array([float(n_total)]))


def _pass_all(name: str, post: PosteriorDraws, k: Any, max_draws: int | None) -> EstimandDraws:
    k = _checked_k(k)
    flat, shape = post.flat(max_draws)
    if name == "population_pass_all_k":
        log_pass = curves.population_log_pass_all(post.family, flat, k)
    else:
        log_pass = curves.forecast_log_pass_all(post.family, flat, k, *post.data)
    return EstimandDraws(name, "pass^k", np.exp(log_pass).reshape(*shape, len(k)), k)


def _population_pass_all_k(post: PosteriorDraws, k: Any, *,
                           max_draws: int | None = None) -> EstimandDraws:
    return _pass_all("population_pass_all_k", post, k, max_draws)


def _forecast_pass_all_k(post: PosteriorDraws, k: Any, *,
                         max_draws: int | None = None) -> EstimandDraws:
    return _pass_all("forecast_pass_all_k", post, k, max_draws)


def _attempts_for_target(post: PosteriorDraws, target: float, *, curve: Curve = "forecast",
                         max_draws: int | None = None) -> EstimandDraws:
    flat, shape = post.flat(max_draws)
    draws = curves.attempts_for_target(post.family, flat, float(target), curve=curve,
                                       data=post.data)
    return EstimandDraws("attempts_for_target", f"pass_D@k >= {target:g}, {curve} curve",
                         draws.reshape(shape))


@dataclass(frozen=True)
class Estimand:
    """One named estimand.

    Attributes
    ----------
    name : str
        The name used everywhere: summary rows, JSON keys, the Fit method.
    definition : str
        One sentence saying what it is (printed in the JSON and the docs).
    compute : callable
        ``compute(posterior: PosteriorDraws, *args, **kwargs) -> EstimandDraws``.
    stackable : bool
        Whether draws of several fits can be mixed by stacking weights (every estimand that
        is a function of one population's parameters and the same data).
    """

    name: str
    definition: str
    compute: Callable[..., EstimandDraws]
    stackable: bool = True


ESTIMANDS: dict[str, Estimand] = {e.name: e for e in [
    Estimand("asymptotic_exponent",
             "asymptotic exponent b∞ of -log pass_D@k (k → ∞, population tail)",
             _asymptotic_exponent),
    Estimand("prefactor", "prefactor a of the asymptotic law -log pass_D@k ≈ a·k^(-b∞)",
             _prefactor),
    Estimand("effective_exponent",
             "effective exponent: OLS slope of log(-log pass_D@k) on log k over a window "
             "(what log-log regression measures)", _effective_exponent),
    Estimand("population_pass_at_k",
             "population pass_D@k: expected pass@k of a new benchmark drawn from the population",
             _population_pass_at_k),
    Estimand("forecast_pass_at_k", "in-sample forecast of pass_D@k for this benchmark's problems",
             _forecast_pass_at_k),
    Estimand("attempts_for_target", "attempts k needed for pass_D@k to reach a target",
             _attempts_for_target),
    Estimand("measured_pass_at_k",
             "posterior predictive of the pass_D@K this benchmark will measure once every "
             "problem has K attempts (attempts already made included)", _measured_pass_at_k),
    Estimand("population_pass_all_k",
             "population pass^k: probability that all k attempts at a new problem succeed, "
             "E[p^k]", _population_pass_all_k),
    Estimand("forecast_pass_all_k",
             "in-sample pass^k of this benchmark: (1/M) Σ_i E[p_i^k] given each problem's data",
             _forecast_pass_all_k),
]}
"""Every named estimand, by name."""

STACKABLE: tuple[str, ...] = tuple(name for name, e in ESTIMANDS.items() if e.stackable)
"""Names of the estimands a stacked comparison can mix."""


def compute(name: str, posterior: PosteriorDraws, *args: Any, **kwargs: Any) -> EstimandDraws:
    """Compute the named estimand from posterior draws.

    Raises
    ------
    KeyError
        For a name not in :data:`ESTIMANDS` (the message lists the known names).
    """
    if name not in ESTIMANDS:
        raise KeyError(f"unknown estimand {name!r}; known: {', '.join(ESTIMANDS)}")
    return ESTIMANDS[name].compute(posterior, *args, **kwargs)
