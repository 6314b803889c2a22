"""Checks on a drawn figure's artist layout: text inside the canvas, legends clear of the data.

Used by the figure tests (tests/test_figures.py, tests/test_backtest.py,
tests/test_model_comparison.py, tests/test_pooled.py for the pooled figures);
``layout_problems`` returns what is wrong, in words.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

TOLERANCE = 1.0  # pixels


def _inside(inner: Bbox, outer: Bbox) -> bool:
    return (inner.x0 >= outer.x0 - TOLERANCE and inner.y0 >= outer.y0 - TOLERANCE
            and inner.x1 <= outer.x1 + TOLERANCE and inner.y1 <= outer.y1 + TOLERANCE)


def _data_points(ax) -> np.ndarray:
    """Display coordinates of every drawn data point of the axes (lines and markers)."""
    points = []
    for artist in ax.get_children():
        if not artist.get_visible():
            continue
        if isinstance(artist, Line2D):
            xy = artist.get_xydata()
            if xy.size and not (np.ptp(xy[:, 0]) == 0 or np.ptp(xy[:, 1]) == 0):
                points.append(artist.get_transform().transform(xy))
        elif isinstance(artist, Collection) and len(artist.get_offsets()):
            points.append(artist.get_offset_transform().transform(artist.get_offsets()))
    if not points:
        return np.empty((0, 2))
    out = np.concatenate(points)
    return out[np.all(np.isfinite(out), axis=1)]


def layout_problems(fig, max_legend_share: float = 0.45) -> list[str]:
    """What is wrong with the drawn layout of ``fig`` (empty when nothing is)."""
    canvas_agg = FigureCanvasAgg(fig)  # what save_figure draws with (PNG)
    canvas_agg.draw()
    renderer = canvas_agg.get_renderer()
    canvas = fig.bbox
    problems = []
    # tick labels outside the view limits exist but are not drawn: each axes' tight box holds
    # the drawn ones
    ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
             for t in axis.get_ticklabels(which="both")}
    for ax in fig.axes:
        if not _inside(ax.get_tightbbox(renderer), canvas):
            problems.append("an axes' tick labels or axis labels run off the canvas")
    for text in fig.findobj(Text):
        if id(text) in ticks or not text.get_visible() or not text.get_text().strip():
            continue
        if not _inside(text.get_window_extent(renderer), canvas):
            problems.append(f"text {text.get_text()!r} runs off the canvas")
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        if not _inside(box, canvas):
            problems.append("the legend runs off the canvas")
        if box.height > max_legend_share * canvas.height:
            problems.append(f"the legend takes {box.height / canvas.height:.0%} of the height")
        for ax in fig.axes:
            if box.overlaps(ax.get_window_extent(renderer)):
                problems.append("a figure legend overlaps the axes")
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        if not _inside(box, ax.get_window_extent(renderer)):
            problems.append("an axes legend sticks out of its axes")
        points = _data_points(ax)
        hit = ((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0)
               & (points[:, 1] <= box.y1))
        if hit.any():
            problems.append(f"the legend covers {int(hit.sum())} data points")
    return problems


def legend_labels(fig) -> list[str]:
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text().replace("\n  ", " ") for leg in legends for t in leg.get_texts()]
