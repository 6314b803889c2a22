r"""The exponent against a group covariate: a pooled fit's trend, its band and the groups.

For a :class:`~monkeypower.fitting.pooled.PooledFit` with a covariate (e.g. ``log10_params``),
the line is the posterior median of the population-of-groups exponent
:math:`\exp(\mu + \gamma\,\tilde x)` along the covariate (other covariates at their mean), the
dark band its interval (the trend's uncertainty), the light band -- when a ``seed`` is given --
the interval of a *new* group's exponent (:meth:`PooledFit.predict_group`, between-group
variation included). Points are each group's pooled :math:`b_\infty` with interval bars; the
groups' independent fits, when given, sit beside them as open markers, so the shrinkage shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.style import OKABE_ITO, finish_axes, new_axes, publication_style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit
    from monkeypower.fitting.pooled import PooledFit

__all__ = ["plot_exponent_trend"]


def plot_exponent_trend(
    pooled: PooledFit,
    covariate: str,
    *,
    independent: Mapping[Any, Fit] | None = None,
    seed: int | None = None,
    ax: Axes | None = None,
    interval: IntervalConvention | float | None = None,
    points: int = 60,
    width: str | float = "single",
) -> Figure:
    r"""The asymptotic exponent :math:`b_\infty` of each group against a covariate, with the trend.

    Parameters
    ----------
    pooled : PooledFit
        A pooled fit with ``covariate`` among its covariates, of a family whose tail exponent is
        its ``alpha`` variable (beta, scaled beta, their zero-inflated forms, Kumaraswamy).
    covariate : str
        The covariate on the x axis (original units).
    independent : mapping of group key to Fit, optional
        The groups' independent fits (e.g. ``mp.fit(groups, ...)``), drawn beside the pooled
        points.
    seed : int, optional
        Draws the new-group band (between-group variation included) with this seed; without
        it only the trend's band is drawn.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    interval : IntervalConvention or float, optional
        Default the convention in force.
    points : int, default 60
        Grid points along the covariate.
    width : {"single", "double"} or float, default "single"
        Figure width.

    Returns
    -------
    matplotlib.figure.Figure
    """
    convention = resolve_interval(interval)
    cov = pooled.structure.covariates
    if covariate not in cov.columns:
        raise KeyError(f"no covariate {covariate!r}; the fit has {list(cov.columns)}")
    j = cov.columns.index(covariate)
    column = cov.values[:, j]
    span = np.ptp(column)
    grid = np.linspace(column.min() - 0.05 * span, column.max() + 0.05 * span, points)
    mean = pooled.posterior["alpha_pop_mean"].values.reshape(-1)
    coef = pooled.posterior["alpha_coef"].values[..., j].reshape(-1)
    trend = np.exp(mean[:, None] + coef[:, None] * (grid[None, :] - cov.center[j]) / cov.scale[j])
    lo, hi = convention.bounds(trend, axis=0)
    at_mean = dict(zip(cov.columns, cov.center, strict=True))
    with publication_style(width) as rc:
        fig, ax, own = new_axes(ax, width, aspect=0.75)
        handles, labels = [], []
        if seed is not None:
            bands = np.array([convention.bounds(np.ravel(pooled.predict_group(
                {**at_mean, covariate: x}, seed=seed).asymptotic_exponent().draws))
                for x in grid])
            handles.append(ax.fill_between(grid, bands[:, 0], bands[:, 1], color=OKABE_ITO["blue"],
                                           alpha=0.12, linewidth=0))
            labels.append(f"a new group's b∞ ({convention.label}, between-group variation "
                          "included)")
        handles.append(ax.fill_between(grid, lo, hi, color=OKABE_ITO["blue"], alpha=0.3,
                                       linewidth=0))
        labels.append(f"trend of the population-of-groups b∞ ({convention.label})")
        handles.append(ax.plot(grid, np.median(trend, axis=0), color=OKABE_ITO["blue"])[0])
        labels.append("trend, posterior median")
        offset = 0.012 * span if independent is not None else 0.0
        for key, x in zip(pooled.keys, column, strict=True):
            draws = pooled[key].asymptotic_exponent()
            low, high = (float(v) for v in draws.interval(convention))
            ax.vlines(x - offset, low, high, color=OKABE_ITO["vermillion"], lw=1.0)
            pooled_marker = ax.plot(x - offset, float(draws.median()), "o", ms=3.5,
                                    color=OKABE_ITO["vermillion"])[0]
            if independent is not None:
                alone = independent[key].asymptotic_exponent()
                low, high = (float(v) for v in alone.interval(convention))
                ax.vlines(x + offset, low, high, color=OKABE_ITO["black"], lw=0.8)
                alone_marker = ax.plot(x + offset, float(alone.median()), "o", ms=3.5,
                                       mfc="white", color=OKABE_ITO["black"])[0]
        handles.append(pooled_marker)
        labels.append(f"each group, pooled (median, {convention.label})")
        if independent is not None:
            handles.append(alone_marker)
            labels.append(f"each group, fitted alone (median, {convention.label})")
        ax.set_yscale("log")
        ax.set_xlabel(covariate)
        ax.set_ylabel(r"asymptotic exponent $b_\infty$")
        return finish_axes(fig, ax, rc, handles, labels, own)
