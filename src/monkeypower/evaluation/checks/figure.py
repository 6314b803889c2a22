"""The rootogram of a posterior predictive check, drawn by ArviZ in the package's style."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from monkeypower.intervals import resolve_interval
from monkeypower.presentation.style import finish_axes, new_axes, publication_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from monkeypower.evaluation.checks.predictive import PosteriorPredictiveCheck

__all__ = ["plot_rootogram", "count_bins", "RATE_BINS"]

RATE_BINS = 10
"""Bins of c/n in (0, 1) when the counts are too many to show one by one."""


def count_bins(c: np.ndarray, n: np.ndarray, max_bins: int) -> tuple[np.ndarray, str]:
    """The categories the rootogram counts, and the x-axis label.

    With at most ``max_bins`` possible counts (largest n below ``max_bins``) the categories are
    the counts c themselves. Otherwise: 0 for c = 0, then :data:`RATE_BINS` equal bins of c/n in
    (0, 1), then ``RATE_BINS + 1`` for c = n (so never and always solved problems stay apart).
    """
    c, n = np.asarray(c), np.asarray(n)
    if int(np.max(n)) < max_bins:
        return c.astype(np.int64), "successes c"
    rate = c / n
    inner = np.clip(np.ceil(rate * RATE_BINS), 1, RATE_BINS).astype(np.int64)
    bins = np.where(c == 0, 0, np.where(c == n, RATE_BINS + 1, inner))
    label = (f"c/n in bins of 1/{RATE_BINS} (0: c = 0, {RATE_BINS + 1}: c = n)")
    return bins, label


def plot_rootogram(check: PosteriorPredictiveCheck, ax: Any = None,
                   width: str | float = "single", *, max_bins: int = 40) -> Figure:
    """Rootogram: observed and replicated frequencies of each count, sqrt scale.

    Drawn by :func:`arviz_plots.plot_ppc_rootogram` (replicated frequencies with their interval
    at the probability of the package's convention, equal-tailed whatever its kind, as ArviZ
    computes it; observed frequencies as black points) on a figure made
    under :func:`~monkeypower.presentation.style.publication_style`; global matplotlib state is
    left alone.

    Parameters
    ----------
    check : PosteriorPredictiveCheck
        The check to draw.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    width : {"single", "double"} or float
        Figure width (new figures only).
    max_bins : int, default 40
        Above this many possible counts, c/n is binned (:func:`count_bins`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import arviz_plots as azp
    from matplotlib.lines import Line2D

    observed, label = count_bins(check.c, check.n, max_bins)
    replicated, _ = count_bins(check.c_rep, check.n_rep, max_bins)
    tree = xr.DataTree.from_dict({
        "posterior_predictive": xr.Dataset({"c": (("chain", "draw", "problem"), replicated)}),
        "observed_data": xr.Dataset({"c": ("problem", observed)}),
    })
    convention = resolve_interval(None)
    with publication_style(width) as rc:
        fig, ax, own = new_axes(ax, width, 0.75)
        viz = xr.DataTree(xr.Dataset({
            "figure": np.array(fig, dtype=object), "plot": np.array(ax, dtype=object),
            "row_index": np.array(0), "col_index": np.array(0),
        }))
        collection = azp.PlotCollection(tree["posterior_predictive"].to_dataset(), viz,
                                        backend="matplotlib")
        azp.plot_ppc_rootogram(tree, plot_collection=collection, ci_prob=convention.prob,
                               point_estimate="median")
        ax.set_xlabel(label)
        ax.set_ylabel("problems (sqrt scale)")
        ax.set_title("")
        handles = [Line2D([], [], color="0.0", marker="o", ls="", ms=3),
                   Line2D([], [], color="C0", marker="d", ls="-", lw=3, alpha=0.6)]
        labels = ["observed", f"replicated: median, {100 * convention.prob:g}% interval"]
        finish_axes(fig, ax, rc, handles, labels, own, ncols=2)
    return fig
