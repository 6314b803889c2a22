r"""The backtest's health gate: an unhealthy fit is refitted once, then failed, never scored.

A fit fails the sampler-health checks of :mod:`monkeypower.fitting.diagnostics` when it has
divergent transitions, a rank-normalised split :math:`\hat R` above
:data:`~monkeypower.fitting.diagnostics.RHAT_MAX` (1.01), or a bulk or tail effective sample
size below :data:`~monkeypower.fitting.diagnostics.ESS_MIN_PER_CHAIN` (100) per chain
(Vehtari et al. 2021). Its posterior median and intervals are then not to be trusted, and
scoring them would mix sampler failures into an estimator's error. So every such fit of a
backtest is

1. **refitted once**, alone, with :func:`boosted_settings`: twice the draws and twice the
   tuning steps, and the NUTS target acceptance moved halfway to 1 (0.9 → 0.95, 0.99 → 0.995),
   with the seed ``child_seed(fit seed, REFIT_KEY)`` (:mod:`monkeypower.seeding`);
2. if the refit passes, scored (its row says ``refitted``); if it fails again, **recorded as a
   failure** (:class:`~monkeypower.errors.UnhealthyFitError`, ``failure = "unhealthy"``) with
   no numbers, and counted in the summary.

References
----------
A. Vehtari, A. Gelman, D. Simpson, B. Carpenter, P.-C. Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC", Bayesian
Analysis 16, 667–718, arXiv:1903.08008.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monkeypower.errors import UnhealthyFitError
from monkeypower.evaluation.backtest.capture import join_warnings, run_quietly
from monkeypower.evaluation.backtest.progress import Progress
from monkeypower.fitting.settings import spec_draws, spec_target_accept
from monkeypower.fitting.spec import resolve_model
from monkeypower.seeding import child_seed

__all__ = ["REFIT_KEY", "boosted_settings", "gate_health", "is_healthy"]

REFIT_KEY = 1
"""The key of a refit's seed: ``child_seed(seed of the failed fit, REFIT_KEY)``."""


def boosted_settings(model: str, fit_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The refit's sampler settings: draws and tune doubled, target acceptance halfway to 1.

    The starting draws and target acceptance are ``fit_kwargs``'s when given, else the model
    spec's ``[sampler]`` values, else the package defaults (1,000 draws, 0.9).
    """
    settings = dict(fit_kwargs)
    defaults = resolve_model(model, settings.get("priors")).spec.sampler_defaults
    current = settings.get("target_accept")
    if current is None:
        current = spec_target_accept(defaults)
    draws = settings.get("draws")
    settings["draws"] = 2 * int(spec_draws(defaults) if draws is None else draws)
    settings["tune"] = 2 * int(settings.get("tune", 1000))
    settings["target_accept"] = 1.0 - (1.0 - float(current)) / 2.0
    return settings


def is_healthy(outcome: Any) -> bool:
    """Whether a batch outcome is a fit that passed every health check (errors are not fits)."""
    return not isinstance(outcome, BaseException) and bool(outcome[0].diagnostics.ok)


def gate_health(
    model: str,
    fits: dict[Any, Any],
    data: dict[Any, Any],
    fit_kwargs: dict[str, Any],
    bar: Progress,
    name: str,
    fit: Callable[..., Any],
) -> dict[Any, Any]:
    """Refit every unhealthy fit of a batch once; fail the ones still unhealthy.

    Parameters
    ----------
    model : str
        The model of the batch.
    fits : dict
        The batch: key → ``(Fit, warnings)`` or the error the fit raised.
    data : dict
        key → the dataset of that fit.
    fit_kwargs : dict
        The batch's sampler settings (boosted for the refit by :func:`boosted_settings`).
    bar : Progress
        The progress display.
    name : str
        The estimator's name, for the display.
    fit : callable
        :func:`monkeypower.fit` (the batch's own, so a test can stand in for it).

    Returns
    -------
    dict
        key → ``(Fit, warnings, refitted)`` for a healthy fit (``refitted`` True when the refit
        was needed), or an error: the fit's own, or :class:`UnhealthyFitError` naming the checks
        that failed twice.
    """
    boosted = boosted_settings(model, fit_kwargs)
    gated: dict[Any, Any] = {}
    unhealthy = [key for key, outcome in fits.items()
                 if not isinstance(outcome, BaseException) and not is_healthy(outcome)]
    for key, outcome in fits.items():
        if isinstance(outcome, BaseException):
            gated[key] = outcome
        elif key not in unhealthy:
            gated[key] = (outcome[0], outcome[1], False)
    for index, key in enumerate(unhealthy):
        first = fits[key][0]
        bar.show(f"{name}: refit {index + 1}/{len(unhealthy)} (failed health checks)")
        try:
            again, caught, _ = run_quietly(fit, data[key], model,
                                           seed=child_seed(first.seed, REFIT_KEY), **boosted)
        except Exception as err:  # noqa: BLE001 - the refit's own failure is this fit's failure
            gated[key] = err
            continue
        if again.diagnostics.ok:
            gated[key] = (again, join_warnings(caught, skip_sampling=True), True)
        else:
            gated[key] = UnhealthyFitError(
                f"failed the sampler-health checks twice (draws {boosted['draws']}, tune "
                f"{boosted['tune']}, target_accept {boosted['target_accept']:.3g} on the refit): "
                + "; ".join(again.diagnostics.problems)
            )
    return {key: gated[key] for key in fits}
