r"""Calibration of the inference itself: simulation-based calibration (SBC).

:func:`sbc` draws parameters from a model's prior, simulates benchmarks from its family, fits
each with :func:`monkeypower.fit` and ranks the truth among the posterior draws: over
simulations the ranks are uniform exactly when the whole pipeline (prior, likelihood, sampler,
estimand code) is right (Talts et al. 2018). The room, in the order SBC runs:

- :mod:`~monkeypower.evaluation.calibration.sbc`: :func:`sbc` (prior draws, simulation, fits);
- :mod:`~monkeypower.evaluation.calibration.ranks`: thinning, ranks, the :math:`\chi^2` test;
- :mod:`~monkeypower.evaluation.calibration.result`: :class:`SBCResult`;
- :mod:`~monkeypower.evaluation.calibration.figure`: the rank-ECDF figure with simultaneous
  bands (Säilynoja et al. 2022, via :mod:`arviz_stats`).

References
----------
S. Talts, M. Betancourt, D. Simpson, A. Vehtari, A. Gelman (2018), "Validating Bayesian
Inference Algorithms with Simulation-Based Calibration", arXiv:1804.06788.
"""

from monkeypower.evaluation.calibration.result import SBCResult
from monkeypower.evaluation.calibration.sbc import sbc

__all__ = ["SBCResult", "sbc"]
