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
from typing import Any

from monkeypower.data.design import Design
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.passk import empirical_curve, pass_at_k, reference_k_grid
from monkeypower.data.readers import (
    from_attempts,
    from_counts,
    from_llmonkeys,
    from_matrix,
    read_outcomes,
)
from monkeypower.data.simulate import simulate
from monkeypower.data.subsample import subsample
from monkeypower.data.sufficient import SufficientStats, compress
from monkeypower.errors import DesignError, OutcomesError, SpecError
from monkeypower.intervals import (
    IntervalConvention,
    get_interval,
    interval_convention,
    set_interval,
)
from monkeypower.version import __version__

_LAZY = {
    "ModelSpec": "monkeypower.fitting.spec",
    "available_models": "monkeypower.fitting.spec",
    "load_spec": "monkeypower.fitting.spec",
    "build_model": "monkeypower.fitting.model",
    "fit": "monkeypower.fitting.sampling",
    "fit_many": "monkeypower.fitting.distributed",
    "Fit": "monkeypower.fitting.fit",
    "FitGroups": "monkeypower.fitting.groups",
    "load_fit": "monkeypower.fitting.fit",
    "SamplingWarning": "monkeypower.fitting.diagnostics",
    "LOOWarning": "monkeypower.fitting.loo",
    "ESTIMANDS": "monkeypower.estimands.registry",
    "EstimandDraws": "monkeypower.estimands.draws",
    "FAMILIES": "monkeypower.families",
    "get_family": "monkeypower.families",
    "baselines": "monkeypower.evaluation.baselines",
    "backtest": "monkeypower.evaluation.backtest",
    "BacktestResult": "monkeypower.evaluation.backtest",
    "read_inspect_log": "monkeypower.data.eval_logs",
    "read_lm_eval_samples": "monkeypower.data.eval_logs",
    "count_attempts": "monkeypower.data.out_of_core",
    "read_attempt_counts": "monkeypower.data.out_of_core",
    "detect_design": "monkeypower.data.design_detection",
    "read_log": "monkeypower.data.eval_logs",
    "posterior_predictive": "monkeypower.evaluation.checks",
    "PosteriorPredictiveCheck": "monkeypower.evaluation.checks",
    "DesignWarning": "monkeypower.data.design_detection",
    "side_by_side": "monkeypower.evaluation.side_by_side",
    "compare": "monkeypower.evaluation.comparison.compare",
    "ModelComparison": "monkeypower.evaluation.comparison.compare",
    "power_law_verdict": "monkeypower.evaluation.comparison.verdict",
    "PowerLawVerdict": "monkeypower.evaluation.comparison.verdict",
    "plot_compare": "monkeypower.evaluation.comparison.figure",
    "plot_scaling": "monkeypower.output.figures",
    "plot_population": "monkeypower.output.figures",
    "plot_exponents": "monkeypower.output.figures",
    "plot_forecast": "monkeypower.output.figures",
    "save_figure": "monkeypower.output.figures",
    "write_report": "monkeypower.output.report",
}

__all__ = [
    "Design", "DesignError", "OutcomesError", "SpecError", "IntervalConvention", "get_interval",
    "interval_convention", "set_interval", "Outcomes", "OutcomesGroups", "empirical_curve",
    "pass_at_k", "reference_k_grid", "from_attempts", "from_counts", "from_llmonkeys",
    "from_matrix", "read_outcomes", "simulate",
    "SufficientStats", "compress", "subsample", "__version__", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = import_module(_LAZY[name])
        return module if name in ("baselines",) else getattr(module, name)
    raise AttributeError(f"module 'monkeypower' has no attribute {name!r}")
