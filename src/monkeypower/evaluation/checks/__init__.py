"""Check a fit against its data: posterior predictive checks of the count histogram.

- :mod:`~monkeypower.evaluation.checks.predictive`: :func:`posterior_predictive`,
  :class:`PosteriorPredictiveCheck` (test statistics and their posterior predictive p-values);
- :mod:`~monkeypower.evaluation.checks.figure`: :func:`plot_rootogram` (ArviZ's rootogram).
"""

from monkeypower.evaluation.checks.figure import count_bins, plot_rootogram
from monkeypower.evaluation.checks.predictive import (
    TEST_STATISTICS,
    PosteriorPredictiveCheck,
    posterior_predictive,
)

__all__ = ["PosteriorPredictiveCheck", "TEST_STATISTICS", "count_bins", "plot_rootogram",
           "posterior_predictive"]
