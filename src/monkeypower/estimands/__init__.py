"""Named estimands: the curves behind them, their registry, and their posterior draws.

- :mod:`~monkeypower.estimands.curves`: population, forecast and predictive curves per draw,
  log-log OLS, effective exponent, attempts for a target (pure functions of a family's
  parameter draws and the data);
- :mod:`~monkeypower.estimands.registry`: :data:`ESTIMANDS`, the one list of named estimands;
- :mod:`~monkeypower.estimands.draws`: :class:`EstimandDraws`, the draws of one estimand;
- :mod:`~monkeypower.estimands.conditional`: draws of a problem's p given its counts;
- :mod:`~monkeypower.estimands.problems`: :class:`ProblemPosterior`, every problem's p_i.
"""

from monkeypower.estimands.conditional import ConditionalDraws, conditional_p_draws
from monkeypower.estimands.curves import (
    Curve,
    attempts_for_target,
    checked_window,
    effective_exponent,
    forecast_log_fail,
    forecast_log_pass_all,
    loglog_ols,
    measured_neg_log_pass,
    neg_log_pass,
    population_log_fail,
    population_log_pass_all,
)
from monkeypower.estimands.draws import EstimandDraws
from monkeypower.estimands.problems import (
    ConditionalSamplingWarning,
    ProblemPosterior,
    problem_posterior,
)
from monkeypower.estimands.registry import ESTIMANDS, STACKABLE, Estimand, PosteriorDraws, compute

__all__ = [
    "Curve", "ESTIMANDS", "STACKABLE", "ConditionalDraws", "ConditionalSamplingWarning",
    "Estimand", "EstimandDraws", "PosteriorDraws", "ProblemPosterior", "attempts_for_target",
    "checked_window", "compute", "conditional_p_draws", "effective_exponent", "forecast_log_fail",
    "forecast_log_pass_all", "loglog_ols", "measured_neg_log_pass", "neg_log_pass",
    "population_log_fail", "population_log_pass_all", "problem_posterior",
]
