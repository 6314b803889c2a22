r"""The forecast figure: :math:`\text{pass}_D@k` ahead, with the attempts needed for a target.

References
----------
M. Chen et al., "Evaluating Large Language Models Trained on Code", arXiv:2107.03374.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from monkeypower.data.outcomes import Outcomes
from monkeypower.data.passk import empirical_curve
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.output.figures._common import (
    CURVE_LABELS,
    CURVE_MEANING,
    GREY,
    PASS_K,
    fmt_k,
    name_group,
)
from monkeypower.presentation.style import (
    SERIES_COLOURS,
    finish_axes,
    new_axes,
    publication_style,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit

__all__ = ["common_target", "default_target", "plot_forecast"]


def default_target(outcomes: Outcomes) -> float:
    """The next milestone above what the data reached: a default target pass_D@k.

    The smallest of 0.5, 0.8, 0.9, 0.95 and 0.99 that exceeds the observed fraction of problems
    with a success by more than 0.01 (else 0.999).

    Parameters
    ----------
    outcomes : Outcomes
        The data.

    Returns
    -------
    float
    """
    observed = float(np.mean(np.asarray(outcomes.c) > 0))
    for target in (0.5, 0.8, 0.9, 0.95, 0.99):
        if target > observed + 0.01:
            return target
    return 0.999


def common_target(outcomes: Sequence[Outcomes]) -> float:
    """One target pass_D@k for several groups: the largest of their :func:`default_target`.

    Forecast figures of groups drawn for one paper compare only when they read off the same
    target; this is the next milestone above what the *best* group reached (a weaker group may
    then need many more attempts, or never get there, which its figure says).

    Parameters
    ----------
    outcomes : sequence of Outcomes
        The groups' data.

    Returns
    -------
    float
    """
    outcomes = list(outcomes)
    if not outcomes:
        raise ValueError("common_target needs the data of at least one group")
    return max(default_target(o) for o in outcomes)


def plot_forecast(
    fit: Fit,
    target: float | None = None,
    *,
    curves: Sequence[str] = ("forecast",),
    k_max: float | None = None,
    ax: Axes | None = None,
    interval: IntervalConvention | float | None = None,
    n_grid: int = 50,
    max_draws: int = 250,
    width: str | float = "single",
) -> Figure:
    r"""Forecast :math:`\text{pass}_D@k` with the attempts needed to reach ``target``.

    Log-k axis, linear pass_D@k. For each curve: the posterior median and credible band; the
    horizontal line at ``target`` and, for each curve, the posterior of
    ``attempts_for_target`` read off as a vertical line (median) with a shaded span (its
    interval). Points: the empirical pass_D@k (unbiased estimator of Chen et al. 2021,
    arXiv:2107.03374; fixed designs).

    Parameters
    ----------
    fit : Fit
        The fit.
    target : float, optional
        Target pass_D@k in (0, 1); default :func:`default_target` of the data.
    curves : sequence of {"forecast", "population"}, default ("forecast",)
        ``"forecast"``: this benchmark (``forecast_pass_at_k``); ``"population"``: a new
        benchmark from the same population (``population_pass_at_k``). Both to compare.
    k_max : float, optional
        Right end; default the larger of ``100 × max n`` and twice the upper interval bound
        of the attempts needed (when finite).
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    interval : IntervalConvention or float, optional
        Default the convention in force.
    n_grid : int, default 50
        Points of the curves.
    max_draws : int, default 250
        Thin posterior draws per chain to at most this many for the curves. The read-off uses
        every draw, so its numbers are those of :meth:`Fit.attempts_for_target
        <monkeypower.fitting.Fit.attempts_for_target>`.
    width : {"single", "double"} or float, default "single"
        Figure width.

    Returns
    -------
    matplotlib.figure.Figure
    """
    curves = tuple(curves)
    for name in curves:
        if name not in CURVE_LABELS:
            raise ValueError(f"curves must be 'forecast' and/or 'population', got {name!r}")
    if not curves:
        raise ValueError("curves must name at least one curve")
    outcomes = fit.outcomes
    target = default_target(outcomes) if target is None else float(target)
    if not 0 < target < 1:
        raise ValueError(f"target must be in (0, 1), got {target!r}")
    convention = resolve_interval(interval)
    n_max = int(outcomes.max_attempts)
    # every draw for the read-off, so it equals fit.attempts_for_target(target, curve=...)
    needed = {name: fit.attempts_for_target(target, curve=name) for name in curves}
    bounds = {name: tuple(float(v) for v in d.interval(convention)) for name, d in needed.items()}
    if k_max is None:
        finite = [hi for _, hi in bounds.values() if np.isfinite(hi)]
        k_max = max([100.0 * n_max, *(2.0 * hi for hi in finite)])
    k_max = float(min(k_max, 1e15))
    k_line = np.unique(np.round(np.logspace(0, np.log10(k_max), n_grid)))

    with publication_style(width) as rc:
        fig, ax, own = new_axes(ax, width, aspect=0.8)
        handles: list[Any] = []
        labels: list[str] = []
        if not outcomes.design.is_sequential:
            emp = empirical_curve(outcomes)
            handles.append(ax.plot(emp["k"], emp["pass_at_k"], "o", ms=2.5, color="black",
                                   zorder=3)[0])
            labels.append("empirical (unbiased estimator)")
        drawn = []
        for index, name in enumerate(curves):
            colour = SERIES_COLOURS[index]
            draws = getattr(fit, f"{name}_pass_at_k")(k_line, max_draws=max_draws)
            lo, hi = draws.interval(convention)
            band = ax.fill_between(k_line, lo, hi, color=colour, alpha=0.25 / len(curves) ** 0.5,
                                   linewidth=0, zorder=1 + index)
            drawn.append((name, colour, band, draws.median()))
        for index, (name, colour, band, median) in enumerate(drawn):
            _draw_read_off(ax, index, name, colour, band, median, k_line, k_max, target,
                           needed[name], bounds[name], convention, handles, labels)
        handles.append(ax.axhline(target, color=GREY, lw=0.8, ls="--"))
        labels.append(f"target {PASS_K} = {target:g}")
        handles.append(ax.axvline(n_max, color=GREY, linestyle=":", lw=1.0))
        labels.append(f"largest observed k = {n_max:,}")
        ax.set_xscale("log")
        ax.set_xlim(1, k_max)
        ax.set_ylim(0, 1)
        ax.set_xlabel("k (attempts per problem)")
        ax.set_ylabel(PASS_K)
        name_group(ax, fit)
        return finish_axes(fig, ax, rc, handles, labels, own)


def _draw_read_off(ax: Axes, index: int, name: str, colour: str, band: Any, median: Any,
                   k_line: np.ndarray, k_max: float, target: float, needed: Any,
                   bounds: tuple[float, float], convention: IntervalConvention,
                   handles: list[Any], labels: list[str]) -> None:
    """One curve's median line and the attempts needed for ``target``: median and span."""
    line = ax.plot(k_line, median, color=colour, zorder=6 - index,
                   ls="-" if name == "forecast" else "--")[0]
    handles.append((band, line))
    labels.append(f"{CURVE_LABELS[name]} ({CURVE_MEANING[name]}), median and "
                  f"{convention.label}")
    k_lo, k_hi = bounds
    k_med = float(needed.median())
    if np.isfinite(k_med):
        ax.axvline(k_med, color=colour, lw=0.8, ls="-.", zorder=4)
    if np.isfinite(k_lo):
        span_hi = k_hi if np.isfinite(k_hi) else k_max
        span = ax.axvspan(max(k_lo, 1.0), span_hi, color=colour, alpha=0.08, lw=0, zorder=0)
        handles.append(span)
        labels.append(f"attempts for {PASS_K} ≥ {target:g} ({CURVE_LABELS[name]}): "
                      f"median {fmt_k(k_med)}, {convention.label} "
                      f"[{fmt_k(k_lo)}, {fmt_k(k_hi)}]")
