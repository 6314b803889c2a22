"""monkeypower: Bayesian analysis of repeated-sampling (pass@k) scaling in model evaluation.

Each problem's single-attempt success probability is a draw from a population distribution; the
hierarchical model fitted to per-problem (attempts, successes) counts gives a posterior over the
power-law exponent of aggregate pass@k (the asymptotic exponent and the effective slope over any
window of k) and forecasts of pass@k far beyond the attempts made.

The data layer (outcomes, pass@k, simulation) imports quickly; the modelling layer (PyMC,
ArviZ) is imported on first use of :func:`fit`, :func:`build_model` or :func:`load_fit`.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from monkeypower.design import Design
from monkeypower.errors import DesignError, OutcomesError, SpecError
from monkeypower.intervals import (
    IntervalConvention,
    get_interval,
    interval_convention,
    set_interval,
)
from monkeypower.outcomes import Outcomes, OutcomesGroups
from monkeypower.passk import empirical_curve, pass_at_k, reference_k_grid
from monkeypower.readers import (
    from_attempts,
    from_counts,
    from_llmonkeys,
    from_matrix,
    read_outcomes,
)
from monkeypower.simulate import simulate
from monkeypower.spec import ModelSpec, available_models, load_spec
from monkeypower.subsample import subsample
from monkeypower.sufficient import SufficientStats, compress

try:
    __version__ = version("monkeypower")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

_LAZY = {
    "build_model": "monkeypower.model",
    "fit": "monkeypower.fitting",
    "Fit": "monkeypower.fitting",
    "FitGroups": "monkeypower.fitting",
    "load_fit": "monkeypower.fitting",
    "FAMILIES": "monkeypower.families",
    "get_family": "monkeypower.families",
    "baselines": "monkeypower.baselines",
    "backtest": "monkeypower.backtesting",
    "side_by_side": "monkeypower.comparison",
    "compare": "monkeypower.model_comparison",
    "ModelComparison": "monkeypower.model_comparison",
    "power_law_verdict": "monkeypower.model_comparison",
    "plot_compare": "monkeypower.model_comparison",
    "plot_scaling": "monkeypower.figures",
    "plot_population": "monkeypower.figures",
    "plot_exponents": "monkeypower.figures",
    "plot_forecast": "monkeypower.figures",
    "save_figure": "monkeypower.figures",
    "write_report": "monkeypower.reporting",
}

__all__ = [
    "Design", "DesignError", "OutcomesError", "SpecError", "IntervalConvention", "get_interval",
    "interval_convention", "set_interval", "Outcomes", "OutcomesGroups", "empirical_curve",
    "pass_at_k", "reference_k_grid", "from_attempts", "from_counts", "from_llmonkeys",
    "from_matrix", "read_outcomes", "simulate", "ModelSpec", "available_models", "load_spec",
    "SufficientStats", "compress", "subsample", "__version__", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = import_module(_LAZY[name])
        return module if name in ("baselines",) else getattr(module, name)
    raise AttributeError(f"module 'monkeypower' has no attribute {name!r}")
