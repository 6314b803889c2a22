"""Named estimands: the curves behind them, their registry, and their posterior draws.

- :mod:`~monkeypower.estimands.curves`: population, forecast and predictive curves per draw,
  log-log OLS, effective exponent, attempts for a target (pure functions of a family's
  parameter draws and the data);
- :mod:`~monkeypower.estimands.registry`: :data:`ESTIMANDS`, the one list of named estimands;
- :mod:`~monkeypower.estimands.draws`: :class:`EstimandDraws`, the draws of one estimand.
"""

from monkeypower.estimands.curves import (
    Curve,
    attempts_for_target,
    effective_exponent,
    forecast_log_fail,
    loglog_ols,
    measured_neg_log_pass,
    neg_log_pass,
    population_log_fail,
)
from monkeypower.estimands.draws import EstimandDraws
from monkeypower.estimands.registry import ESTIMANDS, STACKABLE, Estimand, PosteriorDraws, compute

__all__ = [
    "Curve", "ESTIMANDS", "STACKABLE", "Estimand", "EstimandDraws", "PosteriorDraws",
    "attempts_for_target", "compute", "effective_exponent", "forecast_log_fail", "loglog_ols",
    "measured_neg_log_pass", "neg_log_pass", "population_log_fail",
]
