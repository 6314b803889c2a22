"""Compare population families by PSIS-LOO, stack them, and say whether there is a power law.

- :mod:`~monkeypower.evaluation.comparison.compare`: :func:`compare`, :class:`ModelComparison`;
- :mod:`~monkeypower.evaluation.comparison.verdict`: :func:`power_law_verdict`;
- :mod:`~monkeypower.evaluation.comparison.figure`: :func:`plot_compare`.
"""

from monkeypower.evaluation.comparison.compare import ModelComparison, compare
from monkeypower.evaluation.comparison.figure import plot_compare
from monkeypower.evaluation.comparison.verdict import (
    VERDICT_MODELS,
    PowerLawVerdict,
    power_law_verdict,
)

__all__ = ["ModelComparison", "PowerLawVerdict", "VERDICT_MODELS", "compare", "plot_compare",
           "power_law_verdict"]
