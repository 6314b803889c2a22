r"""Side-by-side diagnostics: baseline estimators next to the Bayesian fit, estimand by estimand.

Each baseline (:data:`monkeypower.evaluation.baselines.BASELINES`) estimates one named estimand;
this module puts the posterior of *the same* estimand beside it, so no row compares, say, a
finite-window slope with an asymptotic exponent:

* least squares → ``effective_exponent`` over its window ↔ :meth:`Fit.effective_exponent` on the
  population curve (what a new benchmark would show) and on the forecast curve (this benchmark,
  the closer analogue of the empirical curve the regression is fitted to);
* discretized Beta, Beta-Binomial MLE → ``asymptotic_exponent`` ↔ :meth:`Fit.asymptotic_exponent`;
* every estimator that implies a curve → ``forecast_pass_at_k`` (:math:`\text{pass}_D@K` itself)
  at a horizon K ↔ :meth:`Fit.forecast_pass_at_k`.

The figures that go with these tables (:func:`~monkeypower.output.figures.plot_scaling`,
:func:`~monkeypower.output.figures.plot_population`, ...) live in
:mod:`monkeypower.output.figures`.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from monkeypower.estimands import checked_window
from monkeypower.evaluation.baselines import BASELINES, BaselineResult
from monkeypower.fitting.fit import one_fit
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result

if TYPE_CHECKING:  # pragma: no cover
    from monkeypower.data.outcomes import Outcomes
    from monkeypower.fitting import Fit

__all__ = ["SideBySide", "side_by_side"]

COLUMNS = ("estimator", "estimand", "detail", "estimate", "lower", "upper")
FORECAST_ESTIMAND = "forecast_pass_at_k"


@dataclass(frozen=True, eq=False)
class SideBySide(Result):
    """Baseline estimates and the posterior of the same estimand, in adjacent rows.

    A :class:`~monkeypower.presentation.protocol.Result`: :meth:`summary` is the table, so
    ``str()`` is Markdown, a notebook shows an HTML table and ``to_latex`` / ``to_csv`` /
    ``to_json`` work as for every result. For code written when :func:`side_by_side` returned
    a DataFrame, the table's own API is passed through: ``result["estimate"]``,
    ``result.attrs``, ``result.groupby("pair")``, ``result.drop(columns="pair")``, ``len()``
    (the protocol's ``to_*`` methods take precedence over the DataFrame's).

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``estimator, estimand, detail, estimate, lower, upper, pair``; ``attrs``:
        ``title``, ``interval``, ``interval_label``, ``notes``, ``horizon``, ``window``.
    baselines : tuple of BaselineResult
        The baseline results the rows came from, in the order of ``estimators``.
    """

    table: pd.DataFrame
    baselines: tuple[BaselineResult, ...]

    @property
    def horizon(self) -> int:
        """The forecast horizon K."""
        return int(self.table.attrs["horizon"])

    @property
    def window(self) -> tuple[int, int]:
        """The window of the effective exponent."""
        return self.table.attrs["window"]

    def summary(self) -> pd.DataFrame:
        """The side-by-side table (a copy, with its ``attrs``)."""
        return self.table.copy()

    # ---- the DataFrame API, for callers of the former DataFrame return value
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "table":
            raise AttributeError(name)
        return getattr(self.table, name)

    def __getitem__(self, key: Any) -> Any:
        return self.table[key]

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.table)

    def __repr__(self) -> str:
        return repr(self.table)


def side_by_side(
    outcomes: Outcomes,
    fit: Fit,
    *,
    window: tuple[int, int] | None = None,
    horizon: int | None = None,
    interval: IntervalConvention | float | None = None,
    estimators: Sequence[str] = tuple(BASELINES),
    bootstrap: int = 0,
    seed: Any = None,
    max_draws: int | None = None,
) -> SideBySide:
    r"""Baseline estimates and the posterior of the same estimand, in adjacent rows.

    Parameters
    ----------
    outcomes : Outcomes
        The data (fixed design; the baselines need it).
    fit : Fit
        A fit of these outcomes.
    window : (int, int), optional
        Window of k for the effective exponent. Default ``(1, min n)``, which is the fit's
        ``default_window`` ``(1, max n)`` whenever every problem has the same n (the empirical
        curve, hence least squares, is only defined up to the smallest n).
    horizon : int, optional
        Forecast horizon K for ``forecast_pass_at_k``. Default ``10 × max n``.
    interval : IntervalConvention or float, optional
        Interval convention for the Bayesian rows (and the least-squares bootstrap); default
        the convention in force.
    estimators : sequence of str
        Baselines to include: names in :data:`~monkeypower.evaluation.baselines.BASELINES`
        (default all). Each gets the options among ``window``, ``bootstrap``, ``seed`` and
        ``interval`` that it accepts.
    bootstrap : int, default 0
        Bootstrap replicates for a least-squares interval (needs ``seed``); 0 for none.
    seed : int or numpy.random.Generator, optional
        Seed for the bootstrap.
    max_draws : int, optional
        Thin posterior draws per chain for the curve-based estimands (speed).

    Returns
    -------
    SideBySide
        Its table (:meth:`SideBySide.summary`, also reachable as if the result were the
        DataFrame) has columns ``estimator, estimand, detail, estimate, lower, upper`` and
        ``pair`` (rows of one comparison share it). Each baseline row is followed by the
        Bayesian row(s) of the same ``estimand``; ``estimate`` is the posterior median for
        Bayesian rows. ``forecast_pass_at_k`` rows hold :math:`\text{pass}_D@K` itself (the
        estimand's definition), as :meth:`Fit.forecast_pass_at_k` and
        :meth:`BaselineResult.forecast_pass_at_k` give it. ``lower`` / ``upper`` are bounds
        under ``attrs["interval"]`` (the convention's ``to_dict()``); baseline rows have NaN
        bounds unless they carry an interval (least squares with ``bootstrap > 0``).
        ``attrs["horizon"]`` and ``attrs["window"]`` record K and the window.

    Raises
    ------
    ValueError
        For an unknown estimator name or a non-positive horizon.
    """
    unknown = [name for name in estimators if name not in BASELINES]
    if unknown:
        raise ValueError(
            f"unknown estimator {unknown[0]!r}; choose from {', '.join(BASELINES)}"
        )
    fit = one_fit(fit, "side_by_side")
    if not outcomes.same_counts(fit.outcomes):
        raise ValueError("the fit was fitted to other data than these outcomes (problems or "
                         "counts differ); side by side compares estimators on the same data")
    convention = resolve_interval(interval)
    n_min, n_max = int(outcomes.n.min()), int(outcomes.max_attempts)
    win = (1, n_min) if window is None else checked_window(window)
    K = int(10 * n_max if horizon is None else horizon)
    if K <= 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")
    options = {"window": win, "bootstrap": bootstrap, "seed": seed, "interval": convention}
    results = tuple(_run_baseline(name, outcomes, options) for name in estimators)
    rows = _rows(results, fit, win, K, convention, max_draws)

    table = pd.DataFrame(rows, columns=[*COLUMNS, "pair"])
    table.attrs["title"] = (
        f"Baselines beside the posterior of the same estimand ({_bayes_label(fit)})"
    )
    table.attrs["interval"] = convention.to_dict()
    table.attrs["interval_label"] = convention.label
    table.attrs["notes"] = [
        "Bayesian rows: posterior median and interval bounds; baseline rows: point estimates, "
        "with bounds only for a bootstrapped least-squares fit",
        f"effective_exponent over k in [{win[0]:,}, {win[1]:,}]; forecast_pass_at_k is "
        f"pass_D@K at K = {K:,}",
    ]
    table.attrs["horizon"] = K
    table.attrs["window"] = win
    return SideBySide(table=table, baselines=results)


def _run_baseline(name: str, outcomes: Outcomes, options: dict[str, Any]) -> BaselineResult:
    """Run the registered baseline ``name`` with the options its signature accepts."""
    estimator = BASELINES[name]
    accepted = inspect.signature(estimator).parameters
    return estimator(outcomes, **{k: v for k, v in options.items() if k in accepted})


def _rows(results: Sequence[BaselineResult], fit: Fit, win: tuple[int, int], K: int,
          convention: IntervalConvention, max_draws: int | None) -> list[dict[str, Any]]:
    """The paired rows: each baseline's own estimand, then the forecast at K."""
    cache: dict[str, Any] = {}

    def bayes(key: str) -> Any:
        if key not in cache:
            if key == "asymptotic_exponent":
                cache[key] = fit.asymptotic_exponent()
            elif key == "effective_population":
                cache[key] = fit.effective_exponent(win, curve="population", max_draws=max_draws)
            elif key == "effective_forecast":
                cache[key] = fit.effective_exponent(win, curve="forecast", max_draws=max_draws)
            else:
                cache[key] = fit.forecast_pass_at_k(K, max_draws=max_draws)
        return cache[key]

    rows: list[dict[str, Any]] = []
    pair = 0
    # 1. the estimand each baseline reports
    for res in results:
        pair += 1
        rows.append({**_baseline_row(res), "pair": pair})
        if res.estimand == "effective_exponent":
            keys = ("effective_population", "effective_forecast")
        elif res.estimand == "asymptotic_exponent":
            keys = ("asymptotic_exponent",)
        else:  # pragma: no cover - every current baseline reports one of the two
            raise ValueError(f"no Bayesian counterpart for estimand {res.estimand!r}")
        for key in keys:
            d = bayes(key)
            rows.append({**_bayes_row(fit, d, convention, d.detail), "pair": pair})

    # 2. the forecast pass_D@K, for every estimator that implies a curve
    for res in results:
        if not res.curves:
            continue
        pair += 1
        rows.append({**_baseline_row(res, estimand=FORECAST_ESTIMAND,
                                     detail=f"pass_D@K, K = {K:,}, {res.default_curve} "
                                            f"curve of {res.estimator}",
                                     estimate=res.forecast_pass_at_k(K), with_interval=False),
                     "pair": pair})
        rows.append({**_bayes_row(fit, bayes("forecast"), convention,
                                  f"pass_D@K, K = {K:,}, posterior in-sample forecast",
                                  index=0), "pair": pair})
    return rows


def _bayes_label(fit: Fit) -> str:
    return f"bayesian ({fit.family.name})"


def _bayes_row(fit: Fit, draws: Any, convention: IntervalConvention, detail: str,
               index: int | None = None) -> dict[str, Any]:
    med = np.asarray(draws.median())
    lo, hi = (np.asarray(v) for v in draws.interval(convention))
    if index is not None:
        med, lo, hi = med[index], lo[index], hi[index]
    return {"estimator": _bayes_label(fit), "estimand": draws.name, "detail": detail,
            "estimate": float(med), "lower": float(lo), "upper": float(hi)}


def _baseline_row(res: BaselineResult, estimand: str | None = None, detail: str | None = None,
                  estimate: float | None = None, with_interval: bool = True) -> dict[str, Any]:
    lo, hi = (res.interval if (with_interval and res.interval is not None) else (np.nan, np.nan))
    return {"estimator": res.estimator, "estimand": estimand or res.estimand,
            "detail": res.detail if detail is None else detail,
            "estimate": float(res.estimate if estimate is None else estimate),
            "lower": float(lo), "upper": float(hi)}
