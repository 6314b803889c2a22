r"""The scaling figure: empirical :math:`-\log \text{pass}_D@k`, the least-squares line, the model.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.

M. Chen et al., "Evaluating Large Language Models Trained on Code", arXiv:2107.03374.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.passk import empirical_curve
from monkeypower.errors import DegenerateDataError, warn_caller
from monkeypower.evaluation.baselines import least_squares
from monkeypower.fitting.diagnostics import DataSupportWarning
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.output.figures._common import (
    CURVE_LABELS,
    GREY,
    MARKERS,
    band,
    name_group,
    positive,
    series,
)
from monkeypower.presentation.style import (
    OKABE_ITO,
    SERIES_COLOURS,
    finish_axes,
    new_axes,
    publication_style,
    width_inches,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit, FitGroups

__all__ = ["plot_scaling"]

_EMPIRICAL = "empirical (unbiased estimator)"


def plot_scaling(
    data: Outcomes | OutcomesGroups | Fit | Mapping[Any, Fit] | None = None,
    fit: Fit | FitGroups | Mapping[Any, Fit] | None = None,
    *,
    k_max: int | None = None,
    curve: str = "forecast",
    lsq: bool = True,
    ax: Axes | None = None,
    interval: IntervalConvention | float | None = None,
    n_grid: int = 40,
    max_draws: int = 250,
    width: str | float = "single",
) -> Figure:
    r"""Empirical :math:`-\log \text{pass}_D@k`, the least-squares line and the posterior curve.

    Log-log axes. Points: the empirical curve (unbiased estimator of Chen et al. 2021,
    arXiv:2107.03374; fixed designs only). Dashed: the least-squares power law of Schaeffer,
    Kazdan et al. (ICML 2025, arXiv:2502.17578), whose slope is the ``effective_exponent`` over
    the data's window. Solid line and band: the posterior median and credible band of the model
    curve on ``n_grid`` log-spaced k up to ``k_max``, extrapolated beyond the largest observed k
    (marked by a dotted vertical line). Several fits get one colour and one marker each; the
    legend names each group once and says once what the lines, bands and points are. A single
    fit of a group is titled with the group's name.

    Parameters
    ----------
    data : Outcomes or OutcomesGroups, optional
        The data. Optional: each fit holds the data it was fitted to, so
        ``plot_scaling(fit)`` works too.
    fit : Fit, FitGroups or mapping of label to Fit
        One fit, or several on one axis (one colour each): the groups of a
        :class:`~monkeypower.fitting.FitGroups`, or e.g. two models of the same data.
    k_max : int, optional
        Right end of the curve; default ``100 × max n``.
    curve : {"forecast", "population"}, default "forecast"
        ``"forecast"``: the in-sample forecast for this benchmark (``forecast_pass_at_k``);
        ``"population"``: the population curve for a new benchmark (``population_pass_at_k``).
    lsq : bool, default True
        Draw the least-squares power law (fixed designs only; left out, with a
        :class:`~monkeypower.fitting.diagnostics.DataSupportWarning`, for data it refuses:
        fewer than three problems with a success).
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    interval : IntervalConvention or float, optional
        Band convention; default the convention in force.
    n_grid : int, default 40
        Points of the posterior curve.
    max_draws : int, default 250
        Thin posterior draws per chain to at most this many.
    width : {"single", "double"} or float, default "single"
        Figure width (see :func:`~monkeypower.presentation.style.style_rc`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (a new one when ``ax`` is None).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if curve not in CURVE_LABELS:
        raise ValueError(f"curve must be 'forecast' or 'population', got {curve!r}")
    items = series(data, fit)
    convention = resolve_interval(interval)
    n_max = max(int(o.max_attempts) for _, o, _ in items)
    k_max = int(100 * n_max if k_max is None else k_max)
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1, got {k_max!r}")
    k_line = np.unique(np.round(np.logspace(0, np.log10(k_max), n_grid)))
    shared = all(o == items[0][1] for _, o, _ in items)
    single = len(items) == 1
    name = CURVE_LABELS[curve]

    with publication_style(width) as rc:
        fig, ax, own = new_axes(ax, width, aspect=0.8)
        handles: list[Any] = []
        labels: list[str] = []
        drawn: list[Outcomes] = []
        for index, (label, outcomes, one) in enumerate(items):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            marker = MARKERS[index % len(MARKERS)]
            if not outcomes.design.is_sequential and not any(outcomes == o for o in drawn):
                drawn.append(outcomes)
                _draw_data(ax, outcomes, k_line, lsq, colour, marker, single, shared, handles,
                           labels)
            draws = getattr(one, f"{curve}_pass_at_k")(k_line, neg_log=True, max_draws=max_draws)
            lo, hi = draws.interval(convention)
            shade = band(ax, k_line, lo, hi, colour)
            if not single:
                shade.set_alpha(0.18)
            median = ax.plot(k_line, positive(draws.median()), color=colour)[0]
            if single:
                handles += [median, shade]
                labels += [f"{name} (posterior median)", f"{name}, {convention.label}"]
            else:  # the group's name only; what line, band and points are is said once below
                key = Line2D([], [], color=colour, marker=marker if not shared else None, ms=3)
                handles.append((shade, key))
                labels.append(label)
        if not single:
            handles.append((Patch(color=GREY, alpha=0.25, linewidth=0),
                            Line2D([], [], color=GREY)))
            labels.append(f"{name}: median, {convention.label}")
            if not shared:
                handles += [Line2D([], [], ls="", marker="o", ms=2.5, color=GREY),
                            Line2D([], [], ls="--", lw=1.0, color=GREY)]
                labels += [_EMPIRICAL, "LSQ power law (effective exponent)"]
        handles.append(ax.axvline(n_max, color=GREY, linestyle=":", lw=1.0))
        labels.append(f"largest observed k = {n_max:,}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("k (attempts per problem)")
        ax.set_ylabel(r"$-\log\,\mathrm{pass}_D@k$")
        if single:
            name_group(ax, items[0][2])
        ncols = 1 if single else (4 if width_inches(width) >= 5 else 2)
        return finish_axes(fig, ax, rc, handles, labels, own, ncols=ncols)


def _thin(k: np.ndarray, most: int = 40) -> np.ndarray:
    """Indices of at most ``most`` log-spaced points of the k grid (dense grids blot)."""
    if k.size <= most:
        return np.arange(k.size)
    wanted = np.logspace(np.log10(k[0]), np.log10(k[-1]), most)
    return np.unique(np.searchsorted(k, wanted).clip(0, k.size - 1))


def _draw_data(ax: Axes, outcomes: Outcomes, k_line: np.ndarray, lsq: bool, colour: str,
               marker: str, single: bool, shared: bool, handles: list[Any],
               labels: list[str]) -> None:
    """Empirical points (at most 40, log-spaced) and (``lsq``) the least-squares line."""
    emp = empirical_curve(outcomes)
    k = np.asarray(emp["k"], dtype=np.float64)
    keep = _thin(k)
    points = ax.plot(k[keep], positive(np.asarray(emp["neg_log_pass_at_k"])[keep]),
                     "o" if single or shared else marker, ms=2.5,
                     color="black" if shared else colour, zorder=3)[0]
    if single or shared:
        handles.append(points)
        labels.append(_EMPIRICAL)
    if not lsq:
        return
    try:
        res = least_squares(outcomes)
    except DegenerateDataError as err:  # too few solved problems: no line, and say why
        warn_caller(f"no least-squares line for {outcomes.name or 'these data'}: {err}",
                    DataSupportWarning)
        return
    line_colour = OKABE_ITO["orange"] if single else "black" if shared else colour
    line = ax.plot(k_line, positive(res.forecast_neg_log_pass(k_line)), "--", lw=1.0,
                   color=line_colour)[0]
    if single or shared:
        handles.append(line)
        labels.append(f"LSQ power law (effective exponent b = {res.estimate:.3g})")
