"""The backtest's figures: the paper's, and the paired comparison.

The paper's figure: error against attempts per problem, one line per estimator. The paired
comparison: each estimator's log error ratio against a baseline, with its bootstrap interval.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from monkeypower.presentation.style import (
    SERIES_COLOURS,
    finish_axes,
    new_axes,
    publication_style,
    width_inches,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from monkeypower.evaluation.backtest.result import BacktestResult

__all__ = ["METRICS", "METRIC_LABELS", "plot_backtest", "plot_paired"]

METRICS = ("squared_log_error", "relative_error", "relative_error_vs_truth")
"""Error columns :meth:`BacktestResult.plot` can draw."""

METRIC_LABELS = {
    "squared_log_error": r"squared log error of $-\log\,\mathrm{pass}_D@K$",
    "relative_error": "relative error of the exponent",
    "relative_error_vs_truth": "relative error of the exponent vs the truth",
}
"""The y-axis label of each metric."""


def _check(result: BacktestResult, metric: str, band: tuple[float, float]) -> tuple[float, float]:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric not in result.table.columns:
        raise ValueError(f"metric {metric!r} needs a backtest with a known truth (truth=...)")
    lo_q, hi_q = (float(q) for q in band)
    if not 0.0 <= lo_q <= hi_q <= 1.0:
        raise ValueError(f"band must be quantiles 0 <= lo <= hi <= 1, got {band!r}")
    return lo_q, hi_q


def _median_and_band(group: Any, metric: str, lo_q: float, hi_q: float) -> tuple[Any, ...]:
    """The n' grid, and the median and band quantiles over seeds of ``metric`` at each n'."""
    values = group.pivot_table(index="n_attempts", columns="seed", values=metric,
                               aggfunc="first", dropna=False)
    x = values.index.to_numpy(dtype=np.float64)
    data = values.to_numpy(dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points: not drawn
        median = np.nanmedian(data, axis=1)
        lower = np.nanquantile(data, lo_q, axis=1)
        upper = np.nanquantile(data, hi_q, axis=1)
    return x, median, lower, upper


def plot_backtest(
    result: BacktestResult,
    ax: Any = None,
    metric: str = "squared_log_error",
    *,
    band: tuple[float, float] = (0.25, 0.75),
    width: str | float = "single",
) -> Figure:
    """Draw the paper's figure of a backtest (see :meth:`BacktestResult.plot`)."""
    lo_q, hi_q = _check(result, metric, band)
    table = result.table
    several_m = table["n_problems"].nunique() > 1
    with publication_style(width) as rc:
        fig, ax, own = new_axes(ax, width, aspect=0.8)
        handles: list[Any] = []
        labels: list[str] = []
        groups = table.groupby(["estimator", "n_problems"], sort=False, observed=True)
        for index, ((estimator, m), group) in enumerate(groups):
            x, median, lower, upper = _median_and_band(group, metric, lo_q, hi_q)
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            label = f"{estimator} (M' = {int(m):,})" if several_m else str(estimator)
            (line,) = ax.plot(x, median, marker="o", color=colour, label=label)
            ax.fill_between(x, lower, upper, color=colour, alpha=0.2, linewidth=0)
            handles.append(line)
            labels.append(label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = np.sort(table["n_attempts"].unique())
        ax.set_xticks(ticks, [f"{int(t):,}" for t in ticks])
        ax.set_xticks([], minor=True)
        ax.set_xlabel("attempts per problem in the subsample, n'")
        ax.set_ylabel(METRIC_LABELS[metric])
        title = f"median and {100 * lo_q:g}–{100 * hi_q:g}% band over seeds"
        if metric == "squared_log_error":
            title = f"K = {result.horizon:,}; {title}"
        ax.set_title(title)
        ncols = 2 if width_inches(width) >= 5 and len(handles) > 3 else 1
        return finish_axes(fig, ax, rc, handles, labels, own, ncols=ncols)


def plot_paired(paired: pd.DataFrame, ax: Any = None, *, width: str | float = "single") -> Figure:
    """Draw a paired-comparison table (:meth:`BacktestResult.paired`) against :math:`n'`.

    One series per estimator (and :math:`M'` when there are several): the median log ratio
    of its error to the baseline's at every :math:`n'`, with the bootstrap interval as error
    bars; series are dodged sideways on the log x axis so their bars do not overlap. A line
    at 0 marks no difference; below it the estimator's error is smaller.
    """
    if paired.empty:
        raise ValueError("the paired table is empty: no estimator besides the baseline")
    baseline = str(paired["baseline"].iloc[0])
    metric = str(paired["metric"].iloc[0])
    several_m = paired["n_problems"].nunique() > 1
    groups = list(paired.groupby(["estimator", "n_problems"], sort=False))
    with publication_style(width) as rc:
        fig, ax, own = new_axes(ax, width, aspect=0.8)
        handles: list[Any] = []
        labels: list[str] = []
        ax.axhline(0.0, color="0.5", linewidth=0.8, linestyle="--")
        for index, ((estimator, m), group) in enumerate(groups):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            dodge = 1.06 ** (index - (len(groups) - 1) / 2)
            x = group["n_attempts"].to_numpy(dtype=np.float64) * dodge
            y = group["median_log_ratio"].to_numpy(dtype=np.float64)
            below = np.clip(y - group["lower"].to_numpy(dtype=np.float64), 0, None)
            above = np.clip(group["upper"].to_numpy(dtype=np.float64) - y, 0, None)
            label = f"{estimator} (M' = {int(m):,})" if several_m else str(estimator)
            container = ax.errorbar(x, y, yerr=np.vstack([below, above]), marker="o",
                                    color=colour, capsize=2, linestyle="-", label=label)
            handles.append(container)
            labels.append(label)
        ax.set_xscale("log")
        ticks = np.sort(paired["n_attempts"].unique())
        ax.set_xticks(ticks, [f"{int(t):,}" for t in ticks])
        ax.set_xticks([], minor=True)
        ax.set_xlabel("attempts per problem in the subsample, n'")
        ax.set_ylabel(f"log({metric} / {baseline}'s)", fontsize="small")
        interval = paired.attrs.get("interval", {})
        prob = interval.get("prob")
        band = f"{100 * prob:g}% bootstrap interval" if prob else "bootstrap interval"
        ax.set_title(f"median over cases, {band}")
        ncols = 2 if width_inches(width) >= 5 and len(handles) > 3 else 1
        return finish_axes(fig, ax, rc, handles, labels, own, ncols=ncols)
