"""The model averages ``"stack:a+b+..."`` and ``"bma:a+b+..."``: the models' fits, weighted.

On every subsample the listed models are fitted (the batches of
:mod:`~monkeypower.evaluation.backtest.bayes`), compared by leave-one-problem-out PSIS-LOO
(:func:`~monkeypower.evaluation.comparison.compare.compare`) and the estimands a row needs are
drawn from the mixture with stacking weights (``stack:``) or Bayesian-bootstrap pseudo-BMA+
weights (``bma:``; Yao et al. 2018, :data:`~monkeypower.evaluation.backtest.plan.AVERAGE_METHODS`),
so the average is refitted and re-weighted on every subsample.

References
----------
Y. Yao, A. Vehtari, D. Simpson, A. Gelman (2018), "Using stacking to average Bayesian predictive
distributions", Bayesian Analysis 13, 917–1007.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monkeypower.evaluation.backtest.capture import join_messages, join_warnings, run_quietly
from monkeypower.evaluation.backtest.plan import AVERAGE_METHODS, average_components, average_prefix
from monkeypower.evaluation.comparison.compare import compare
from monkeypower.fitting import Diagnostics
from monkeypower.seeding import child_seed

__all__ = ["StackedFit", "average_fits", "stack_fits"]


class StackedFit:
    """The estimands a backtest row needs, averaged over models with LOO stacking weights.

    Quacks like the part of :class:`~monkeypower.Fit` a row uses: ``seed`` (derived from the
    component fits' seeds), ``diagnostics`` (the worst of the components, their problems
    prefixed with the model's name), :meth:`asymptotic_exponent`, :meth:`forecast_pass_at_k`
    and :meth:`measured_pass_at_k`.
    """

    def __init__(self, comparison: Any):
        self.comparison = comparison
        fits = list(comparison.fits.values())
        self.seed = child_seed(*(f.seed for f in fits))
        problems = [f"{name}: {p}" for name, f in comparison.fits.items()
                    for p in f.diagnostics.problems]
        first = fits[0].diagnostics
        self.diagnostics = Diagnostics(
            sum(f.diagnostics.n_divergent for f in fits), first.n_draws, first.n_chains,
            max(f.diagnostics.max_rhat for f in fits),
            min(f.diagnostics.min_ess_bulk for f in fits),
            min(f.diagnostics.min_ess_tail for f in fits), problems)

    def asymptotic_exponent(self) -> Any:
        """Stacked draws of the asymptotic exponent."""
        return self.comparison.stacked("asymptotic_exponent")

    def forecast_pass_at_k(self, k: Any, **kwargs: Any) -> Any:
        """Stacked draws of the in-sample forecast (:meth:`monkeypower.Fit.forecast_pass_at_k`)."""
        return self.comparison.stacked("forecast_pass_at_k", k, **kwargs)

    def measured_pass_at_k(self, n_total: int, **kwargs: Any) -> Any:
        """Stacked posterior predictive (:meth:`monkeypower.Fit.measured_pass_at_k`)."""
        return self.comparison.stacked("measured_pass_at_k", n_total, **kwargs)


def average_fits(name: str, fits: Mapping[str, Any]) -> StackedFit:
    """The model average ``name`` (``"stack:a+b"``, ``"bma:a+b"``) of its components' fits.

    ``fits`` maps model names to :class:`~monkeypower.Fit` objects of one dataset and holds at
    least the average's components; weighted as :data:`AVERAGE_METHODS` says for its prefix.
    """
    prefix = average_prefix(name)
    if prefix is None:
        raise ValueError(f"{name!r} is not a model average ('stack:a+b' or 'bma:a+b')")
    parts = {m: fits[m] for m in average_components(name)}
    return StackedFit(compare(parts, warn=False, method=AVERAGE_METHODS[prefix]))


def stack_fits(outcomes: Mapping[str, Any], method: str = "stacking") -> Any:
    """``(StackedFit, warnings, refitted)`` from each model's ``(Fit, warnings, refitted)``.

    Weighted by ``method`` (of :func:`~monkeypower.evaluation.comparison.compare.compare`).
    The first component's error, if any, instead; ``refitted`` is True when any component
    needed the health gate's refit (:mod:`~monkeypower.evaluation.backtest.health`).
    """
    for outcome in outcomes.values():
        if isinstance(outcome, BaseException):
            return outcome
    try:
        comparison, caught, _ = run_quietly(compare, {m: o[0] for m, o in outcomes.items()},
                                            method=method)
    except Exception as err:  # noqa: BLE001 - a failed comparison is this row's error
        return err
    warned = join_messages([o[1] for o in outcomes.values()] + [join_warnings(caught)])
    refitted = any(len(o) > 2 and bool(o[2]) for o in outcomes.values())
    return StackedFit(comparison), warned, refitted
