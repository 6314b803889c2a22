r"""Side-by-side diagnostics: baseline estimators next to the Bayesian fit, estimand by estimand.

Each baseline (:mod:`monkeypower.baselines`) estimates one named estimand; this module puts the
posterior of *the same* estimand beside it, so no row compares, say, a finite-window slope with
an asymptotic exponent:

* least squares → ``effective_exponent`` over its window ↔ :meth:`Fit.effective_exponent` on the
  population curve (what a new benchmark would show) and on the forecast curve (this benchmark,
  the closer analogue of the empirical curve the regression is fitted to);
* discretized Beta, Beta-Binomial MLE → ``asymptotic_exponent`` ↔ :meth:`Fit.asymptotic_exponent`;
* every estimator that implies a curve → ``forecast_pass_at_k`` (as :math:`-\log
  \text{pass}_D@K`) at a horizon K ↔ :meth:`Fit.forecast_pass_at_k`.

The figures that go with these tables (:func:`~monkeypower.figures.plot_scaling`,
:func:`~monkeypower.figures.plot_population`, ...) live in :mod:`monkeypower.figures`; the two
names are re-exported here for code that imported them from this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from monkeypower.baselines import BaselineResult, beta_binomial_mle, discretized_beta, least_squares
from monkeypower.figures import plot_population, plot_scaling
from monkeypower.intervals import IntervalConvention, resolve_interval

if TYPE_CHECKING:  # pragma: no cover
    from monkeypower.fitting import Fit
    from monkeypower.outcomes import Outcomes

__all__ = ["side_by_side", "plot_scaling", "plot_population"]

COLUMNS = ("estimator", "estimand", "detail", "estimate", "lower", "upper")
FORECAST_ESTIMAND = "forecast_pass_at_k"


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


def _run_baseline(name: str, outcomes: Outcomes, window: tuple[int, int], bootstrap: int,
                  seed: Any, convention: IntervalConvention) -> BaselineResult:
    if name == "least_squares":
        return least_squares(outcomes, window=window, bootstrap=bootstrap, seed=seed,
                             interval=convention)
    if name == "discretized_beta":
        return discretized_beta(outcomes)
    if name == "beta_binomial_mle":
        return beta_binomial_mle(outcomes, window=window)
    raise ValueError(
        f"unknown estimator {name!r}; choose from least_squares, discretized_beta, "
        "beta_binomial_mle"
    )


def side_by_side(
    outcomes: Outcomes,
    fit: Fit,
    *,
    window: tuple[int, int] | None = None,
    horizon: int | None = None,
    interval: IntervalConvention | float | None = None,
    estimators: Sequence[str] = ("least_squares", "discretized_beta", "beta_binomial_mle"),
    bootstrap: int = 0,
    seed: Any = None,
    max_draws: int | None = None,
) -> pd.DataFrame:
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
        Forecast horizon K for ``-log pass_D@K``. Default ``10 × max n``.
    interval : IntervalConvention or float, optional
        Interval convention for the Bayesian rows (and the least-squares bootstrap); default
        the convention in force.
    estimators : sequence of str
        Baselines to include.
    bootstrap : int, default 0
        Bootstrap replicates for a least-squares interval (needs ``seed``); 0 for none.
    seed : int or numpy.random.Generator, optional
        Seed for the bootstrap.
    max_draws : int, optional
        Thin posterior draws per chain for the curve-based estimands (speed).

    Returns
    -------
    pandas.DataFrame
        Columns ``estimator, estimand, detail, estimate, lower, upper`` and ``pair`` (rows of
        one comparison share it). Each baseline row is followed by the Bayesian row(s) of the
        same ``estimand``; ``estimate`` is the posterior median for Bayesian rows. ``lower`` /
        ``upper`` are bounds under ``attrs["interval"]`` (the convention's ``to_dict()``);
        baseline rows have NaN bounds unless they carry an interval (least squares with
        ``bootstrap > 0``). ``attrs["horizon"]`` and ``attrs["window"]`` record K and the window.
    """
    convention = resolve_interval(interval)
    n_min, n_max = int(outcomes.n.min()), int(outcomes.max_attempts)
    win = (1, n_min) if window is None else (int(window[0]), int(window[1]))
    K = int(10 * n_max if horizon is None else horizon)
    if K <= 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")

    results = [_run_baseline(name, outcomes, win, bootstrap, seed, convention)
               for name in estimators]

    rows: list[dict[str, Any]] = []
    pair = 0
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
                cache[key] = fit.forecast_pass_at_k(K, neg_log=True, max_draws=max_draws)
        return cache[key]

    # 1. the estimand each baseline reports
    for res in results:
        pair += 1
        rows.append({**_baseline_row(res), "pair": pair})
        if res.estimand == "effective_exponent":
            for key in ("effective_population", "effective_forecast"):
                d = bayes(key)
                rows.append({**_bayes_row(fit, d, convention, d.detail), "pair": pair})
        elif res.estimand == "asymptotic_exponent":
            d = bayes("asymptotic_exponent")
            rows.append({**_bayes_row(fit, d, convention, d.detail), "pair": pair})
        else:  # pragma: no cover - every current baseline reports one of the two
            raise ValueError(f"no Bayesian counterpart for estimand {res.estimand!r}")

    # 2. the forecast at K, for every estimator that implies a curve
    fc = bayes("forecast")
    for res in results:
        if not res.curves:
            continue
        pair += 1
        value = float(res.forecast_neg_log_pass(K))
        rows.append({**_baseline_row(res, estimand=FORECAST_ESTIMAND,
                                     detail=f"-log pass_D@K, K = {K:,}, {res.default_curve} "
                                            f"curve of {res.estimator}",
                                     estimate=value, with_interval=False), "pair": pair})
        rows.append({**_bayes_row(fit, fc, convention,
                                  f"-log pass_D@K, K = {K:,}, posterior in-sample forecast",
                                  index=0), "pair": pair})

    table = pd.DataFrame(rows, columns=[*COLUMNS, "pair"])
    table.attrs["interval"] = convention.to_dict()
    table.attrs["interval_label"] = convention.label
    table.attrs["horizon"] = K
    table.attrs["window"] = win
    return table
