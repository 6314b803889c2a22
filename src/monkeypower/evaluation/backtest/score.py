r"""Scores of a backtest row: relative error, squared log error, interval coverage.

- relative error of the exponent, :math:`|\hat b - b| / |b|`;
- squared log error of the forecast, :math:`(\log \hat f - \log f)^2` with
  :math:`f = -\log \text{pass}_D@K`;
- for a Bayesian fit, whether its intervals cover the targets (:func:`score_bayes`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from monkeypower.data.outcomes import Outcomes
from monkeypower.data.passk import empirical_curve
from monkeypower.intervals import IntervalConvention

__all__ = ["empirical_target", "relative_error", "score_bayes", "squared_log_error"]


def empirical_target(outcomes: Outcomes, horizon: int) -> float:
    r"""The empirical :math:`-\log \text{pass}_D@K` of ``outcomes`` (unbiased estimator)."""
    return float(empirical_curve(outcomes, k=[horizon])["neg_log_pass_at_k"].to_numpy()[0])


def relative_error(estimate: float, target: float) -> float:
    r""":math:`|\hat b - b| / |b|`; NaN when either is not finite or the target is 0."""
    if not (np.isfinite(estimate) and np.isfinite(target)) or target == 0:
        return float("nan")
    return abs(estimate - target) / abs(target)


def squared_log_error(forecast: float, target: float) -> float:
    r""":math:`(\log \hat f - \log f)^2`; NaN unless both are finite and positive."""
    if not (np.isfinite(forecast) and np.isfinite(target)) or forecast <= 0 or target <= 0:
        return float("nan")
    return float((np.log(forecast) - np.log(target)) ** 2)


def _first(value: Any) -> float:
    return float(np.asarray(value).reshape(-1)[0])


def score_bayes(
    row: dict[str, Any],
    fit_obj: Any,
    horizon: int,
    forecast_target: float,
    convention: IntervalConvention,
    truth: float | None,
    full_value: float,
    n_problems_full: int | None,
) -> None:
    """Fill a Bayesian row: exponent, its interval, forecast and coverage.

    ``covered`` uses the posterior predictive of the measured value
    (:meth:`~monkeypower.Fit.measured_pass_at_k`, when ``n_problems_full`` is given: the horizon
    is every problem's full n); ``covered_expected`` the credible interval of the expected
    in-sample curve. ``fit_obj`` is a :class:`~monkeypower.Fit` or a stacked fit.
    """
    exponent = fit_obj.asymptotic_exponent()
    forecast = fit_obj.forecast_pass_at_k([horizon], neg_log=True)
    e_lo, e_hi = (_first(v) for v in exponent.interval(convention))
    f_lo, f_hi = (_first(v) for v in forecast.interval(convention))
    row.update(
        estimand=exponent.name,
        estimate=_first(exponent.median()),
        forecast=_first(forecast.median()),
        interval_lower=e_lo, interval_upper=e_hi, forecast_lower=f_lo, forecast_upper=f_hi,
        sampler_ok=bool(fit_obj.diagnostics.ok), fit_seed=int(fit_obj.seed),
    )
    if truth is not None:
        row["target"], row["target_kind"] = truth, "truth"
        row["exponent_covered"] = bool(e_lo <= truth <= e_hi)
    else:
        row["target"], row["target_kind"] = full_value, "full_data"
    if not np.isfinite(forecast_target):
        return
    if np.isfinite(f_lo) and np.isfinite(f_hi):
        row["covered_expected"] = bool(f_lo <= forecast_target <= f_hi)
    if n_problems_full is not None:
        measured = fit_obj.measured_pass_at_k(horizon, n_problems=n_problems_full,
                                              neg_log=True)
        p_lo, p_hi = (_first(v) for v in measured.interval(convention))
        row["predictive_lower"], row["predictive_upper"] = p_lo, p_hi
        row["covered"] = bool(p_lo <= forecast_target <= p_hi)
