"""The point estimators of a backtest (the baselines): one run per cell and its target.

The target of an estimate is the same estimand: the truth for the asymptotic exponent when it is
known, else the same estimator on the full data (for the effective exponent of least squares,
over the same window :math:`[1, n']`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from monkeypower.data.outcomes import Outcomes
from monkeypower.evaluation import baselines
from monkeypower.evaluation.backtest.capture import (
    error_text,
    failure_kind,
    join_messages,
    join_warnings,
    run_quietly,
)
from monkeypower.evaluation.backtest.plan import BacktestPlan, Cell
from monkeypower.evaluation.backtest.progress import Progress
from monkeypower.evaluation.backtest.subsamples import Subsamples
from monkeypower.evaluation.backtest.table import RowKey, empty_row

__all__ = ["FullDataTargets", "point_row", "run_point_estimators"]


class FullDataTargets:
    """Each estimator's estimate on the full data, computed once per estimator and window."""

    def __init__(self, outcomes: Outcomes):
        self.outcomes = outcomes
        self.cache: dict[tuple[str, int | None], tuple[float, str]] = {}

    def get(self, name: str, estimand: str, n: int) -> tuple[float, str]:
        """The same estimand on the full data: ``(value, error message)``."""
        window = (1, n) if estimand == "effective_exponent" and n > 1 else None
        key = (name, window[1] if window else None)
        if key not in self.cache:
            estimator = baselines.BASELINES[name]
            try:
                kwargs = {"window": window} if window is not None else {}
                result, _, _ = run_quietly(estimator, self.outcomes, **kwargs)
                self.cache[key] = (float(result.estimate), "")
            except Exception as err:  # noqa: BLE001 - reported in the table
                self.cache[key] = (float("nan"),
                                   "full-data target failed: " + error_text(err))
        return self.cache[key]


def point_row(
    name: str, cell: Cell, data: Outcomes, plan: BacktestPlan, targets: FullDataTargets
) -> dict[str, Any]:
    """Run the point estimator ``name`` on one subsample; its row (the error, if it failed)."""
    m, n, s = cell
    row = empty_row(name, m, n, s)
    try:
        result, caught, seconds = run_quietly(baselines.BASELINES[name], data)
    except Exception as err:  # noqa: BLE001 - an estimator failure is a result
        row["error"] = error_text(err)
        row["failure"] = failure_kind(err)
        return row
    row.update(estimand=result.estimand, estimate=float(result.estimate),
               seconds=seconds, warning=join_warnings(caught))
    if result.interval is not None:
        row["interval_lower"], row["interval_upper"] = (float(v) for v in result.interval)
    if plan.truth is not None and result.estimand == "asymptotic_exponent":
        row["target"], row["target_kind"] = plan.truth, "truth"
    else:
        value, err_text = targets.get(name, result.estimand, n)
        row["target"] = value
        row["target_kind"] = ("full_data, k in [1, n']"
                              if result.estimand == "effective_exponent" else "full_data")
        row["warning"] = join_messages([row["warning"], err_text])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            row["forecast"] = float(np.asarray(result.forecast_neg_log_pass(plan.horizon)))
    except Exception as err:  # noqa: BLE001
        row["error"] = join_messages([row["error"], "forecast: " + error_text(err)])
    return row


def run_point_estimators(
    plan: BacktestPlan, subsamples: Subsamples, bar: Progress
) -> dict[RowKey, dict[str, Any]]:
    """Every point estimator on every cell's subsample."""
    targets = FullDataTargets(plan.outcomes)
    rows: dict[RowKey, dict[str, Any]] = {}
    for cell in plan.cells:
        m, n, s = cell
        for name in plan.point_names:
            bar.show(f"{name}, M'={m}, n'={n}, seed {s}")
            row = point_row(name, cell, subsamples.data[cell], plan, targets)
            rows[(name, m, n, s)] = row
            failed = not row["estimand"]  # set once the estimator returned
            bar.step(f"{name}: failed" if failed else f"{name}, M'={m}, n'={n}, seed {s}")
    return rows
