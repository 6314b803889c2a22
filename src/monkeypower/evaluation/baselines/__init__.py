r"""The published point estimators of the pass@k power-law exponent (the baselines).

Three estimators from Schaeffer, Kazdan et al., "How Do Large Language Monkeys Get Their Power
(Laws)?" (ICML 2025, arXiv:2502.17578), reimplemented so that each result **names its
estimand** (:data:`monkeypower.estimands.ESTIMANDS`):

:func:`least_squares`
    Ordinary least squares of :math:`\log(-\log \text{pass}_D@k)` on :math:`\log k` over the
    empirical curve (unbiased estimator of Chen et al. 2021, arXiv:2107.03374). Estimand: the
    ``effective_exponent`` over the window of k used, *not* the asymptotic exponent
    :math:`b_\infty`, although the paper reports it as "the" exponent.
:func:`discretized_beta`
    The paper's "distributional estimator": a Beta on :math:`[0, \max \hat p]` fitted to a
    log-binned histogram of :math:`\hat p_i = c_i/n_i`. Estimand: ``asymptotic_exponent``
    (:math:`\alpha`).
:func:`beta_binomial_mle`
    The exact marginal (scaled) Beta-Binomial maximum-likelihood estimate, with the paper's
    plug-in scale. Estimand: ``asymptotic_exponent`` (:math:`\alpha`); also gives
    model-consistent forecasts and the effective exponent of the fitted curve.

Every function takes an :class:`~monkeypower.data.outcomes.Outcomes` and returns a
:class:`BaselineResult` (a :class:`~monkeypower.presentation.protocol.Result`: it prints and
renders as a table). :data:`BASELINES` maps names to functions; the backtest and the
side-by-side read it.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.

B. Brown et al., "Large Language Monkeys: Scaling Inference Compute with Repeated Sampling",
arXiv:2407.21787.

M. Chen et al., "Evaluating Large Language Models Trained on Code", arXiv:2107.03374.

J. Kazdan, R. Schaeffer, et al., "Efficient Prediction of Pass@k Scaling in Large Language
Models", arXiv:2510.05197.

Examples
--------
>>> import monkeypower as mp
>>> from monkeypower.evaluation.baselines import least_squares
>>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=256, n_attempts=1000, seed=1)
>>> res = least_squares(out)
>>> res.estimand
'effective_exponent'
>>> res.detail.startswith("k in [1, 1,000]")
True
"""

from __future__ import annotations

from collections.abc import Callable

from monkeypower.evaluation.baselines._grid import paper_k_grid
from monkeypower.evaluation.baselines.beta_binomial_mle import beta_binomial_mle
from monkeypower.evaluation.baselines.discretized_beta import discretized_beta
from monkeypower.evaluation.baselines.least_squares import least_squares
from monkeypower.evaluation.baselines.result import BaselineResult

__all__ = [
    "BASELINES",
    "BaselineResult",
    "beta_binomial_mle",
    "discretized_beta",
    "least_squares",
    "paper_k_grid",
]

BASELINES: dict[str, Callable[..., BaselineResult]] = {
    "least_squares": least_squares,
    "discretized_beta": discretized_beta,
    "beta_binomial_mle": beta_binomial_mle,
}
"""The baseline estimators by name: the one registry the backtest and the side-by-side read.

Each takes an :class:`~monkeypower.data.outcomes.Outcomes` (plus keyword options of its own)
and returns a :class:`BaselineResult`."""
