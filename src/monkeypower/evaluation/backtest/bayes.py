"""The Bayesian estimators of a backtest: one batch of fits per model, then their rows.

All fits of one model (every cell's subsample, and the full data when there is no truth) run as
one grouped :func:`monkeypower.fit` on an :class:`~monkeypower.OutcomesGroups`, so the model is
compiled once. The batch seed is ``child_seed(text_key(model), *seeds)`` and the :math:`i`-th fit
gets ``child_seed(batch seed, i)`` (:mod:`monkeypower.seeding`, the rule of :func:`monkeypower.fit`
for groups); should the batch fail, every fit is rerun alone with that same seed, so one failing
subsample gives one error row. Every fit then passes the health gate
(:mod:`~monkeypower.evaluation.backtest.health`): a fit failing the sampler-health checks is
refitted once with more draws, and failed if it fails again. ``"bayes:<model>"`` rows score
the model's fits,
``"stack:a+b"`` rows the LOO-stacked mixture of the listed models' fits and ``"bma:a+b"`` rows
their pseudo-BMA+ mixture (:mod:`~monkeypower.evaluation.backtest.stacked`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.errors import UnhealthyFitError
from monkeypower.evaluation.backtest.capture import (
    error_text,
    failure_kind,
    join_messages,
    join_warnings,
    run_quietly,
)
from monkeypower.evaluation.backtest.health import gate_health
from monkeypower.evaluation.backtest.plan import (
    AVERAGE_METHODS,
    BAYES_PREFIX,
    BacktestPlan,
    average_components,
    average_prefix,
)
from monkeypower.evaluation.backtest.progress import Progress
from monkeypower.evaluation.backtest.score import score_bayes
from monkeypower.evaluation.backtest.stacked import stack_fits
from monkeypower.evaluation.backtest.subsamples import Subsamples
from monkeypower.evaluation.backtest.table import RowKey, empty_row
from monkeypower.fitting import fit
from monkeypower.seeding import child_seed, text_key

__all__ = ["FULL", "bayes_rows", "estimator_fits", "fit_batch", "fit_models", "full_data_target",
           "run_bayesian"]

FULL = "full"
"""Key of the full-data fit in a batch (fitted only without a truth: the target)."""

Fits = dict[Any, Any]
"""A batch's outcomes: cell (or :data:`FULL`) → ``(fit, warnings)`` or the error it raised;
after the health gate ``(fit, warnings, refitted)`` or an error."""


def fit_batch(
    model: str,
    batch: list[tuple[Any, Outcomes]],
    batch_seed: int,
    fit_kwargs: dict[str, Any],
    bar: Progress,
    name: str,
) -> tuple[Fits, float]:
    """Fit ``model`` to every dataset of ``batch``; values are ``(Fit, warnings)`` or an error.

    One grouped :func:`monkeypower.fit` (compiled once) first; if it raises, each dataset is
    refitted alone with the seed it had in the batch, so a failure stays with its subsample.
    The second value is the wall time per fit.
    """
    groups = OutcomesGroups(["backtest_fit"], {(i,): data for i, (_, data) in enumerate(batch)})
    start = time.perf_counter()
    results: Fits = {}
    try:
        fitted, caught, _ = run_quietly(fit, groups, model, seed=batch_seed, **fit_kwargs)
        shared = join_warnings(caught, skip_sampling=True)
        for i, (key, _) in enumerate(batch):
            results[key] = (fitted[(i,)], shared)
        bar.step(f"{name}: {len(batch)} fits done", advance=len(batch))
    except Exception:  # noqa: BLE001 - isolate the failure: one fit at a time
        for i, (key, data) in enumerate(batch):
            try:
                one, caught, _ = run_quietly(fit, data, model, seed=child_seed(batch_seed, i),
                                             **fit_kwargs)
                results[key] = (one, join_warnings(caught, skip_sampling=True))
            except Exception as err:  # noqa: BLE001
                results[key] = err
            bar.step(f"{name}: fit {i + 1}/{len(batch)}")
    seconds = (time.perf_counter() - start) / len(batch)
    return results, seconds


def fit_models(
    plan: BacktestPlan, subsamples: Subsamples, bar: Progress
) -> dict[str, tuple[Fits, float]]:
    """One batch per model a ``bayes:`` estimator or an average needs: its fits and seconds.

    With the plan's ``health_gate`` every fit then passes
    :func:`~monkeypower.evaluation.backtest.health.gate_health` (refitted once if unhealthy,
    failed if still unhealthy); the seconds per fit are those of the batch, refits not counted.
    """
    model_fits: dict[str, tuple[Fits, float]] = {}
    for model in plan.fitted_models:
        batch_seed = child_seed(text_key(model), *plan.seeds)
        batch: list[tuple[Any, Outcomes]] = [(cell, subsamples.data[cell])
                                             for cell in plan.cells]
        if plan.truth is None:
            batch.append((FULL, plan.outcomes))
        name = BAYES_PREFIX + model
        bar.show(f"{name}: {len(batch)} fits")
        fits, seconds = fit_batch(model, batch, batch_seed, plan.fit_kwargs, bar, name)
        if plan.health_gate:
            fits = gate_health(model, fits, dict(batch), plan.fit_kwargs, bar, name, fit)
        else:
            fits = {key: o if isinstance(o, BaseException) else (o[0], o[1], False)
                    for key, o in fits.items()}
        model_fits[model] = (fits, seconds)
    return model_fits


def estimator_fits(
    plan: BacktestPlan, model_fits: dict[str, tuple[Fits, float]]
) -> dict[str, tuple[Fits, float]]:
    """The fits behind every ``bayes:`` estimator and average, and their seconds per fit."""
    by_estimator = {name: model_fits[name[len(BAYES_PREFIX):]] for name in plan.bayes_names}
    for name in plan.average_names:
        parts = average_components(name)
        method = AVERAGE_METHODS[average_prefix(name)]
        stacked = {key: stack_fits({m: model_fits[m][0][key] for m in parts}, method=method)
                   for key in model_fits[parts[0]][0]}
        by_estimator[name] = (stacked, sum(model_fits[m][1] for m in parts))
    return by_estimator


def full_data_target(fits: Fits) -> tuple[float, str]:
    """Posterior median of the exponent fitted to the full data: ``(value, error message)``."""
    full_fit = fits[FULL]
    if isinstance(full_fit, BaseException):
        return float("nan"), "full-data target failed: " + error_text(full_fit)
    try:
        return float(np.asarray(full_fit[0].asymptotic_exponent().median())), ""
    except Exception as err:  # noqa: BLE001
        return float("nan"), "full-data target failed: " + error_text(err)


def bayes_rows(
    name: str, fits: Fits, seconds: float, plan: BacktestPlan
) -> dict[RowKey, dict[str, Any]]:
    """The rows of one Bayesian (or stacked) estimator, one per cell."""
    full_value, full_error = (float("nan"), "") if plan.truth is not None \
        else full_data_target(fits)
    n_problems_full = plan.m_full if plan.predictive_ok else None
    rows: dict[RowKey, dict[str, Any]] = {}
    for cell in plan.cells:
        m, n, s = cell
        row = empty_row(name, m, n, s)
        row["seconds"] = seconds
        rows[(name, m, n, s)] = row
        outcome = fits[cell]
        if isinstance(outcome, BaseException):
            row["error"] = error_text(outcome)
            row["failure"] = failure_kind(outcome)
            if isinstance(outcome, UnhealthyFitError):
                row["sampler_ok"], row["refitted"] = False, True
            continue
        fit_obj, warned, row["refitted"] = outcome
        try:
            score_bayes(row, fit_obj, plan.horizon, plan.forecast_target, plan.interval,
                        plan.truth, full_value, n_problems_full)
        except Exception as err:  # noqa: BLE001
            row["error"] = error_text(err)
        row["warning"] = join_messages([warned, *fit_obj.diagnostics.problems, full_error])
    return rows


def run_bayesian(
    plan: BacktestPlan, subsamples: Subsamples, bar: Progress
) -> dict[RowKey, dict[str, Any]]:
    """Every ``bayes:`` estimator and average (``stack:``, ``bma:``) on every cell's subsample."""
    rows: dict[RowKey, dict[str, Any]] = {}
    by_estimator = estimator_fits(plan, fit_models(plan, subsamples, bar))
    for name in [*plan.bayes_names, *plan.average_names]:
        rows.update(bayes_rows(name, *by_estimator[name], plan))
    return rows
