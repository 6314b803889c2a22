"""The backtest's tidy table: its columns, an empty row, and the assembled, scored frame."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from monkeypower.evaluation.backtest.plan import BacktestPlan
from monkeypower.evaluation.backtest.score import relative_error, squared_log_error

__all__ = ["COLUMNS", "assemble_table", "empty_row"]

COLUMNS = [
    "estimator", "estimand", "n_problems", "n_attempts", "seed", "estimate", "target",
    "target_kind", "relative_error", "relative_error_vs_truth", "forecast", "forecast_target",
    "forecast_target_same_problems", "squared_log_error", "interval_lower", "interval_upper",
    "forecast_lower", "forecast_upper", "covered_expected", "predictive_lower",
    "predictive_upper", "covered", "exponent_covered", "sampler_ok", "refitted", "fit_seed",
    "seconds", "warning", "error", "failure",
]
"""The columns of :attr:`BacktestResult.table`, in order (the truth columns only with a truth)."""

RowKey = tuple[str, int, int, int]
"""A row of the table: (estimator, M', n', seed)."""


def empty_row(estimator: str, m: int, n: int, seed: int) -> dict[str, Any]:
    """A row with nothing computed yet: NaN numbers, NA flags, empty texts."""
    return {
        "estimator": estimator, "estimand": "", "n_problems": m, "n_attempts": n, "seed": seed,
        "estimate": np.nan, "target": np.nan, "target_kind": "", "relative_error": np.nan,
        "relative_error_vs_truth": np.nan, "forecast": np.nan, "forecast_target": np.nan,
        "squared_log_error": np.nan, "interval_lower": np.nan, "interval_upper": np.nan,
        "forecast_lower": np.nan, "forecast_upper": np.nan, "covered_expected": pd.NA,
        "predictive_lower": np.nan, "predictive_upper": np.nan, "covered": pd.NA,
        "forecast_target_same_problems": np.nan, "exponent_covered": pd.NA,
        "sampler_ok": pd.NA, "refitted": pd.NA, "fit_seed": pd.NA, "seconds": np.nan,
        "warning": "", "error": "", "failure": "",
    }


def assemble_table(
    plan: BacktestPlan,
    rows: dict[RowKey, dict[str, Any]],
    same_problems: dict[tuple[int, int], float],
) -> pd.DataFrame:
    """Order the rows (estimator, M', n', seed), score them, set dtypes and ``attrs``."""
    forecast_target, truth = plan.forecast_target, plan.truth
    ordered = [rows[(name, m, n, s)] for name in plan.estimators for m in plan.problems
               for n in plan.attempts for s in plan.seeds]
    table = pd.DataFrame(ordered, columns=COLUMNS)
    table["forecast_target"] = forecast_target
    table["forecast_target_same_problems"] = [
        same_problems[(s, m)] for s, m in zip(table["seed"], table["n_problems"], strict=True)
    ]
    table["relative_error"] = [relative_error(e, t) for e, t in
                               zip(table["estimate"], table["target"], strict=True)]
    table["squared_log_error"] = [squared_log_error(f, forecast_target)
                                  for f in table["forecast"]]
    if truth is not None:
        table["relative_error_vs_truth"] = [relative_error(e, truth) for e in table["estimate"]]
    else:
        table = table.drop(columns=["relative_error_vs_truth", "exponent_covered"])
    unlabelled = (table["error"] != "") & (table["failure"] == "")
    table.loc[unlabelled, "failure"] = "error"
    for column in ("covered", "covered_expected", "exponent_covered", "sampler_ok", "refitted"):
        if column in table:
            table[column] = table[column].astype("boolean")
    table["fit_seed"] = table["fit_seed"].astype("UInt64")
    for column in ("n_problems", "n_attempts", "seed"):
        table[column] = table[column].astype(np.int64)
    table.attrs = {
        "horizon": plan.horizon,
        "forecast_target": forecast_target,
        "truth": truth,
        "interval": plan.interval.to_dict(),
        **plan.settings(),
    }
    return table
