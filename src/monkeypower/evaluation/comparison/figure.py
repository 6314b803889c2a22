"""The LOO comparison figure: ELPD ± SE per model and each difference to the best."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from monkeypower.evaluation.comparison.tails import TAIL_TEXT
from monkeypower.presentation.style import publication_style, width_inches

if TYPE_CHECKING:
    from monkeypower.evaluation.comparison.compare import ModelComparison

__all__ = ["plot_compare"]


def plot_compare(comparison: ModelComparison, ax: Any = None,
                 width: str | float = "single") -> Figure:
    """ELPD of every model with its standard error, and each difference to the best with its SE.

    The layout of ArviZ's compare plot: open circles are the ELPD ± SE, filled diamonds the
    difference to the best model ± its (paired) SE, on the log-score scale (higher is better);
    each model is labelled with its tail kind. Drawn under
    :func:`monkeypower.presentation.style.publication_style` (``width`` "single" or "double"
    column); global matplotlib state is left alone.
    """
    table = comparison.table
    with publication_style(width):
        if ax is None:
            w = width_inches(width)
            figure = Figure(figsize=(w, 0.9 + 0.45 * len(table)), layout="constrained")
            ax = figure.add_subplot()
        else:
            figure = ax.figure
        y = np.arange(len(table))[::-1].astype(float)
        best = table["elpd"].iloc[0]
        ax.errorbar(table["elpd"], y, xerr=table["se"], fmt="o", mfc="white", color="0.2",
                    capsize=3, label="ELPD ± SE")
        others = table.index != table.index[0]
        ax.errorbar(best + table["elpd_diff"][others], y[others] - 0.25,
                    xerr=table["dse"][others], fmt="D", color="#0072B2", capsize=3, ms=4,
                    label="difference to best ± SE")
        ax.axvline(best, color="0.7", lw=0.8, ls="--")
        ax.set_yticks(y, [f"{name}\n({TAIL_TEXT[t].split(' (')[0]})"
                          for name, t in zip(table.index, table["tail"], strict=True)])
        ax.set_xlabel("ELPD, leave-one-problem-out (log score)")
        ax.legend(fontsize="small", loc="best")
    return figure
