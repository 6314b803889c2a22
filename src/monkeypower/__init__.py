"""monkeypower: Bayesian analysis of repeated-sampling (pass@k) scaling in model evaluation.

Each problem's single-attempt success probability is a draw from a population distribution; the
hierarchical model fitted to per-problem (attempts, successes) counts gives a posterior over the
power-law exponent of aggregate pass@k (the asymptotic exponent and the effective slope over any
window of k) and forecasts of pass@k far beyond the attempts made.

``import monkeypower`` loads only the errors, the interval convention and the version; every
other name is imported on first use (the data layer needs SciPy and PyTensor, the modelling
layer PyMC and ArviZ), so the command line's ``--help`` answers at once.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from monkeypower.errors import DegenerateDataError, DesignError, OutcomesError, SpecError
from monkeypower.intervals import (
    IntervalConvention,
    get_interval,
    interval_convention,
    set_interval,
)
from monkeypower.version import __version__

_LAZY = {
    "Design": "monkeypower.data.design",
    "Outcomes": "monkeypower.data.outcomes",
    "OutcomesGroups": "monkeypower.data.outcomes",
    "empirical_curve": "monkeypower.data.passk",
    "pass_at_k": "monkeypower.data.passk",
    "reference_k_grid": "monkeypower.data.passk",
    "from_attempts": "monkeypower.data.readers",
    "from_counts": "monkeypower.data.readers",
    "from_llmonkeys": "monkeypower.data.readers",
    "from_matrix": "monkeypower.data.readers",
    "read_outcomes": "monkeypower.data.readers",
    "simulate": "monkeypower.data.simulate",
    "subsample": "monkeypower.data.subsample",
    "stop_early": "monkeypower.data.subsample",
    "SufficientStats": "monkeypower.data.sufficient",
    "compress": "monkeypower.data.sufficient",
    "ModelSpec": "monkeypower.fitting.spec",
    "available_models": "monkeypower.fitting.spec",
    "load_spec": "monkeypower.fitting.spec",
    "build_model": "monkeypower.fitting.model",
    "fit": "monkeypower.fitting.sampling",
    "fit_many": "monkeypower.fitting.distributed",
    "fit_pooled": "monkeypower.fitting.pooled",
    "PooledFit": "monkeypower.fitting.pooled",
    "build_pooled_model": "monkeypower.fitting.pooled_model",
    "GroupPrediction": "monkeypower.fitting.pooled_prediction",
    "covariates_from_frame": "monkeypower.fitting.group_covariates",
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
    "sbc": "monkeypower.evaluation.calibration",
    "SBCResult": "monkeypower.evaluation.calibration",
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
    "plot_exponent_trend": "monkeypower.output.figures",
    "plot_group_exponents": "monkeypower.output.figures",
    "plot_forecast": "monkeypower.output.figures",
    "save_figure": "monkeypower.output.figures",
    "write_report": "monkeypower.output.report",
    "plan": "monkeypower.evaluation.planning",
    "PlanResult": "monkeypower.evaluation.planning",
    "simulate_campaign": "monkeypower.evaluation.planning",
    "CampaignResult": "monkeypower.evaluation.planning",
    "KnownPopulation": "monkeypower.evaluation.planning",
    "RecordedOutcomes": "monkeypower.evaluation.planning",
    "plot_campaigns": "monkeypower.evaluation.planning.figure",
}

__all__ = [
    "DegenerateDataError", "DesignError", "OutcomesError", "SpecError", "IntervalConvention",
    "get_interval", "interval_convention", "set_interval", "__version__", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = import_module(_LAZY[name])
        return module if name in ("baselines",) else getattr(module, name)
    raise AttributeError(f"module 'monkeypower' has no attribute {name!r}")
