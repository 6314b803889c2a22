"""The LOO comparison figure: ELPD ± SE per model and each difference to the best."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from monkeypower.evaluation.comparison.tails import TAIL_TEXT
from monkeypower.presentation.style import (
    finish_axes,
    new_figure,
    publication_style,
    width_inches,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from monkeypower.evaluation.comparison.compare import ModelComparison

__all__ = ["plot_compare"]


def plot_compare(comparison: ModelComparison, ax: Any = None,
                 width: str | float = "single") -> Figure:
    """ELPD of every model with its standard error, and each difference to the best with its SE.

    The layout of ArviZ's compare plot: open circles are the ELPD ± SE, filled diamonds the
    difference to the best model ± its (paired) SE, on the log-score scale (higher is better);
    each model is labelled with its tail kind; the legend sits below the axes, the title names
    the data's group when the fits share one. Drawn under
    :func:`monkeypower.presentation.style.publication_style` (``width`` "single" or "double"
    column); global matplotlib state is left alone.
    """
    table = comparison.table
    with publication_style(width) as rc:
        own = ax is None
        if own:
            w = width_inches(width)
            figure = new_figure(w, 0.7 + 0.45 * len(table))
            ax = figure.add_subplot()
        else:
            figure = ax.figure
        y = np.arange(len(table))[::-1].astype(float)
        best = table["elpd"].iloc[0]
        first = ax.errorbar(table["elpd"], y, xerr=table["se"], fmt="o", mfc="white",
                            color="0.2", capsize=3)
        others = table.index != table.index[0]
        second = ax.errorbar(best + table["elpd_diff"][others], y[others] - 0.25,
                             xerr=table["dse"][others], fmt="D", color="#0072B2", capsize=3,
                             ms=4)
        ax.axvline(best, color="0.7", lw=0.8, ls="--")
        ax.set_yticks(y, [f"{name}\n({TAIL_TEXT[t].split(' (')[0]})"
                          for name, t in zip(table.index, table["tail"], strict=True)])
        ax.set_ylim(y.min() - 0.6, y.max() + 0.4)
        ax.set_xlabel("ELPD, leave-one-problem-out\n(log score; higher is better)")
        names = {getattr(one.outcomes, "name", "") for one in comparison.fits.values()}
        if len(names) == 1 and next(iter(names)) and not ax.get_title():
            ax.set_title(next(iter(names)))
        # the legend goes below the axes, never over the top model's error bar
        return finish_axes(figure, ax, rc, [first, second],
                           ["ELPD ± SE", "difference to the best model ± SE"], own, ncols=2)
