r"""The exponents figure: posterior of the asymptotic and of the effective exponent.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from arviz_stats.base import array_stats

from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.output.figures._common import GREY, fit_items, name_group, readable
from monkeypower.presentation.style import OKABE_ITO, finish_axes, new_axes, publication_style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit, FitGroups

__all__ = ["plot_exponents"]

_COLOURS = {"asymptotic_exponent": OKABE_ITO["blue"],
            "effective_exponent": OKABE_ITO["vermillion"]}


def plot_exponents(
    fit: Fit | FitGroups | Mapping[Any, Fit],
    *,
    window: tuple[int, int] | None = None,
    curve: str = "population",
    truth: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    interval: IntervalConvention | float | None = None,
    max_draws: int | None = None,
    width: str | float = "single",
) -> Figure:
    r"""The posterior of the asymptotic exponent and of the effective exponent over a window.

    The two are different estimands (Schaeffer, Kazdan et al., ICML 2025, arXiv:2502.17578,
    report the second as if it were the first): ``asymptotic_exponent`` :math:`b_\infty` is the
    :math:`k\to\infty` slope set by the population's tail; ``effective_exponent`` is the
    log-log slope over ``window`` (what least squares on data measures). Each is labelled
    with its estimand name, detail, median and interval.

    For one fit: posterior densities (kernel density estimate from
    :func:`arviz_stats.base.array_stats.kde`), the interval shaded under each and the median
    marked. For several (a :class:`~monkeypower.fitting.FitGroups` or a mapping of fits): a
    forest plot, one row per fit, medians with interval bars.

    Parameters
    ----------
    fit : Fit, FitGroups or mapping of label to Fit
        The fit(s).
    window : (int, int), optional
        Window of the effective exponent; default each fit's ``(1, max n)``.
    curve : {"population", "forecast"}, default "population"
        The model curve the effective exponent is computed on.
    truth : mapping of estimand name to float, optional
        Known values (simulated data) drawn as vertical lines, e.g.
        ``{"asymptotic_exponent": 0.3}``.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    interval : IntervalConvention or float, optional
        Default the convention in force.
    max_draws : int, optional
        Thin draws per chain for the effective exponent (it evaluates a curve per draw);
        default every draw, so the numbers match :meth:`Fit.summary
        <monkeypower.fitting.Fit.summary>`.
    width : {"single", "double"} or float, default "single"
        Figure width.

    Returns
    -------
    matplotlib.figure.Figure
    """
    items = fit_items(fit)
    convention = resolve_interval(interval)
    estimands = [
        [one.asymptotic_exponent(),
         one.effective_exponent(window, curve=curve, max_draws=max_draws)]
        for _, _, one in items
    ]
    with publication_style(width) as rc:
        if len(items) == 1:
            fig, ax, own = new_axes(ax, width, aspect=0.7)
            handles, labels = _density_panel(ax, estimands[0], convention)
            ax.set_xlabel("exponent")
            ax.set_ylabel("posterior density")
            ax.set_ylim(bottom=0)
            name_group(ax, items[0][2])
        else:
            fig, ax, own = new_axes(ax, width, aspect=0.25 + 0.12 * len(items))
            handles, labels = _forest_panel(ax, [label for _, label, _ in items], estimands,
                                            convention)
            ax.set_xlabel(f"exponent (posterior median, {convention.label})")
        for name, value in (truth or {}).items():
            line = ax.axvline(float(value), color=_COLOURS.get(name, GREY), ls="--", lw=1.0)
            handles.append(line)
            symbol = f" {_symbol(name)}" if name in _COLOURS else ""
            labels.append(f"true {readable(name)}{symbol} = {float(value):.3g}")
        return finish_axes(fig, ax, rc, handles, labels, own)


def _symbol(name: str) -> str:
    return r"$b_\infty$" if name == "asymptotic_exponent" else r"$b_\mathrm{eff}$"


def _detail(detail: str) -> str:
    """An estimand's detail as a legend says it: ``k in [1, 300]`` → ``k from 1 to 300``."""
    return re.sub(r"k in \[([\d,]+), ([\d,]+)\]", r"k from \1 to \2", str(detail))


def _name(draws: Any) -> str:
    """Estimand in words with its symbol and detail, e.g. ``effective exponent b_eff (...)``."""
    return f"{readable(draws.name)} {_symbol(draws.name)} ({_detail(draws.detail)})"


def _exponent_label(draws: Any, convention: IntervalConvention) -> str:
    lo, hi = (float(v) for v in draws.interval(convention))
    return (f"{_name(draws)}: median {float(draws.median()):.3g}, {convention.label} "
            f"[{lo:.3g}, {hi:.3g}]")


def _density_panel(ax: Axes, estimands: list[Any],
                   convention: IntervalConvention) -> tuple[list[Any], list[str]]:
    """One density per estimand, interval shaded, median marked."""
    handles, labels = [], []
    for draws in estimands:
        colour = _COLOURS[draws.name]
        values = np.asarray(draws.draws, dtype=np.float64).reshape(-1)
        values = values[np.isfinite(values)]
        if values.size < 2 or np.ptp(values) == 0:
            continue
        pad = 0.5 * float(np.std(values))
        lims = (max(float(values.min()) - pad, 0.0), float(values.max()) + pad)
        grid, density, _ = array_stats.kde(values, custom_lims=lims, bound_correction=False)
        grid, density = np.asarray(grid), np.asarray(density)
        lo, hi = (float(v) for v in convention.bounds(values))
        median = float(np.median(values))
        line = ax.plot(grid, density, color=colour)[0]
        inside = (grid >= lo) & (grid <= hi)
        ax.fill_between(grid, 0, density, where=inside, color=colour, alpha=0.25, linewidth=0)
        ax.vlines(median, 0, np.interp(median, grid, density), color=colour, lw=1.0)
        handles.append(line)
        labels.append(_exponent_label(draws, convention))
    return handles, labels


def _forest_panel(ax: Axes, rows: list[str], estimands: list[list[Any]],
                  convention: IntervalConvention) -> tuple[list[Any], list[str]]:
    """One row per fit: each estimand's median and interval bar."""
    handles: dict[str, Any] = {}
    details: dict[str, set[str]] = {}
    for row, pair in enumerate(estimands):
        for offset, draws in zip((0.15, -0.15), pair, strict=True):
            colour = _COLOURS[draws.name]
            lo, hi = (float(v) for v in draws.interval(convention))
            y = -row + offset
            ax.hlines(y, lo, hi, color=colour, lw=1.2)
            handles[draws.name] = ax.plot(float(draws.median()), y, "o", ms=3.5,
                                          color=colour)[0]
            details.setdefault(draws.name, set()).add(draws.detail)
    ax.set_yticks([-row for row in range(len(rows))], rows)
    ax.set_ylim(-len(rows) + 0.5, 0.5)
    labels = []
    for name in handles:
        shown = details[name]
        detail = next(iter(shown)) if len(shown) == 1 else "per fit (see its summary)"
        labels.append(f"{readable(name)} {_symbol(name)} ({_detail(detail)})")
    return list(handles.values()), labels
