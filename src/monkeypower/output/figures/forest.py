r"""A forest of per-group exponents: each group's pooled :math:`b_\infty` beside its fit alone.

For a :class:`~monkeypower.fitting.pooled.PooledFit`, one row per group: the posterior median of
the group's asymptotic exponent :math:`b_\infty` under the pooled model (filled marker) with its
interval bar and, when the groups' independent fits are given, the same for the group fitted
alone (open marker, just below), so the shrinkage toward the population shows group by group.
A vertical band marks the typical group: :math:`b_\infty` at the population mean of every
prior variable on its unconstrained scale (for the Beta-type families, where
:math:`b_\infty = \alpha`, the band is :math:`\exp(\mu_\alpha)`, the median of the population of
groups' exponents), at the covariates' mean when the fit has covariates.

Rows run top to bottom by the pooled median, smallest first, or -- with ``covariate`` -- by the
group's value of that covariate, smallest first (e.g. model size, so the trend reads down the
figure); the y axis label says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from monkeypower.estimands import EstimandDraws
from monkeypower.fitting import Fit
from monkeypower.fitting.groups import group_label
from monkeypower.fitting.pooled_model import unconstrained_scale
from monkeypower.fitting.pooled_prediction import GroupPrediction
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.style import OKABE_ITO, finish_axes, new_axes, publication_style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting.pooled import PooledFit

__all__ = ["plot_group_exponents", "typical_group_exponent", "POOLED_COLOUR", "ALONE_COLOUR"]

POOLED_COLOUR = OKABE_ITO["vermillion"]
"""Colour of the pooled estimates (filled markers), as in the trend figure."""
ALONE_COLOUR = OKABE_ITO["black"]
"""Colour of the independent fits (open markers), as in the trend figure."""
_BAND_COLOUR = OKABE_ITO["blue"]
_OFFSET = 0.17
"""Vertical offset of the two estimates of a row, in rows."""


def typical_group_exponent(pooled: PooledFit) -> EstimandDraws:
    r"""Draws of :math:`b_\infty` of the typical group: every variable at its population mean.

    Each prior variable :math:`v` is set to :math:`T_v^{-1}(\mu_v)` (the population mean on its
    unconstrained scale, mapped back; at the covariates' mean when the fit has covariates), with
    no between-group effect; the family's asymptotic exponent follows. For the Beta-type
    families this is :math:`\exp(\mu_\alpha)`, the median of the population of groups'
    :math:`b_\infty`. It is the centre the groups are shrunk toward, not a new group's
    prediction (:meth:`PooledFit.predict_group` adds the between-group variation).

    Parameters
    ----------
    pooled : PooledFit
        The pooled fit.

    Returns
    -------
    EstimandDraws
        ``asymptotic_exponent`` draws, one per posterior draw.
    """
    variables = {}
    for v in pooled.family.prior_variables:
        scale = unconstrained_scale(pooled.spec.priors[v])[0]
        variables[v] = scale.inverse(pooled.posterior[f"{v}_pop_mean"].values)
    return GroupPrediction(pooled.family, variables, "the population mean",
                           pooled.seed).asymptotic_exponent()


def _independent_by_key(pooled: PooledFit, independent: Mapping[Any, Fit]) -> dict[tuple, Fit]:
    """The independent fits keyed like the pooled groups; unknown keys and non-fits refused."""
    if not isinstance(independent, Mapping):
        raise TypeError("independent must be a mapping of group key to Fit (e.g. mp.fit(groups, "
                        f"...)), got {type(independent).__name__}")
    if not independent:
        raise ValueError("independent holds no fits")
    known = set(pooled.keys)
    out, unknown = {}, []
    for key, one in independent.items():
        as_tuple = key if isinstance(key, tuple) else (key,)
        if as_tuple not in known:
            unknown.append(key)
            continue
        if not isinstance(one, Fit):
            raise TypeError(f"independent[{key!r}] is a {type(one).__name__}, not a Fit")
        out[as_tuple] = one
    if unknown:
        raise KeyError(f"independent: key(s) {unknown[:5]!r} match no group of the pooled fit; "
                       f"its groups are {pooled.keys[:8]!r}"
                       + (" ..." if len(pooled.keys) > 8 else ""))
    return out


def _bounds(draws: EstimandDraws, convention: IntervalConvention) -> tuple[float, float, float]:
    lo, hi = (float(v) for v in draws.interval(convention))
    return float(draws.median()), lo, hi


def plot_group_exponents(
    pooled: PooledFit,
    independent: Mapping[Any, Fit] | None = None,
    *,
    covariate: str | None = None,
    population: bool = True,
    interval: IntervalConvention | float | None = None,
    ax: Axes | None = None,
    width: str | float = "single",
) -> Figure:
    r"""A forest of each group's asymptotic exponent :math:`b_\infty`, pooled beside alone.

    One row per group: the pooled posterior median of :math:`b_\infty` (filled marker) and its
    interval (bar); with ``independent``, the group's fit alone just below it (open marker);
    with ``population``, the typical group's :math:`b_\infty`
    (:func:`typical_group_exponent`) as a vertical line and band. Every interval follows the
    package's convention (:func:`monkeypower.intervals.resolve_interval`), named in the axis
    label and the legend.

    Parameters
    ----------
    pooled : PooledFit
        The pooled fit (:func:`monkeypower.fit_pooled`).
    independent : mapping of group key to Fit, optional
        The groups fitted alone, e.g. the :class:`~monkeypower.FitGroups` that
        ``mp.fit(groups, ...)`` returns, or a dict keyed by tuples or bare values (``"m1"``
        for ``("m1",)``). It may hold a subset of the groups; a key that matches no group is
        refused.
    covariate : str, optional
        Order the rows by this covariate of the pooled fit (smallest first) instead of by the
        pooled median (smallest first).
    population : bool, default True
        Draw the typical group's :math:`b_\infty` as a vertical band (where it is finite: a
        light-tailed family's is not).
    interval : IntervalConvention or float, optional
        Default the convention in force.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    width : {"single", "double"} or float, default "single"
        Figure width.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        If ``independent`` has a key that matches no group, or ``covariate`` is not a covariate
        of the fit.
    TypeError
        If ``independent`` is not a mapping of fits.

    Examples
    --------
    >>> pooled = mp.fit_pooled(groups, "beta", seed=0)  # doctest: +SKIP
    >>> mp.plot_group_exponents(pooled, mp.fit(groups, "beta", seed=0))  # doctest: +SKIP
    """
    convention = resolve_interval(interval)
    alone = _independent_by_key(pooled, independent) if independent is not None else {}
    cov = pooled.structure.covariates
    if covariate is not None and covariate not in cov.columns:
        raise KeyError(f"no covariate {covariate!r}; the fit has {list(cov.columns)}")
    keys = pooled.keys
    estimates = {key: _bounds(pooled[key].asymptotic_exponent(), convention) for key in keys}
    if covariate is not None:
        column = cov.values[:, cov.columns.index(covariate)]
        order = [keys[i] for i in np.argsort(column, kind="stable")]
        ylabel = f"group (by {covariate})"
    else:
        order = sorted(keys, key=lambda key: estimates[key][0])
        ylabel = "group (by pooled median)"
    rows = np.arange(len(order), dtype=np.float64)
    shift = _OFFSET if alone else 0.0
    with publication_style(width) as rc:
        height = 0.25 + (0.11 if alone else 0.07) * len(order)
        fig, ax, own = new_axes(ax, width, aspect=height)
        handles, labels = [], []
        typical = typical_group_exponent(pooled) if population else None
        if typical is not None and np.isfinite(_bounds(typical, convention)).all():
            median, lo, hi = _bounds(typical, convention)
            handles.append(ax.axvspan(lo, hi, color=_BAND_COLOUR, alpha=0.15, linewidth=0))
            ax.axvline(median, color=_BAND_COLOUR, lw=1.0)
            at = ", covariates at their mean" if cov.columns else ""
            labels.append(f"typical group (population mean{at}): median {median:.3g}, "
                          f"{convention.label} [{lo:.3g}, {hi:.3g}]")
        pooled_values = np.array([estimates[key] for key in order])
        y = -rows + shift
        ax.hlines(y, pooled_values[:, 1], pooled_values[:, 2], color=POOLED_COLOUR, lw=1.2)
        handles.append(ax.plot(pooled_values[:, 0], y, "o", ms=3.5, color=POOLED_COLOUR,
                               linestyle="none")[0])
        labels.append(f"pooled fit: median and {convention.label}")
        if alone:
            shown = [i for i, key in enumerate(order) if key in alone]
            values = np.array([_bounds(alone[order[i]].asymptotic_exponent(), convention)
                               for i in shown])
            y = -rows[shown] - shift
            ax.hlines(y, values[:, 1], values[:, 2], color=ALONE_COLOUR, lw=0.8)
            handles.append(ax.plot(values[:, 0], y, "o", ms=3.5, mfc="white",
                                   color=ALONE_COLOUR, linestyle="none")[0])
            labels.append(f"each group fitted alone: median and {convention.label}")
        ax.set_yticks(-rows, [group_label(key) for key in order])
        ax.set_ylim(-len(order) + 0.5, 0.5)
        ax.set_ylabel(ylabel)
        ax.set_xlabel(rf"asymptotic exponent $b_\infty$ (median, {convention.label})")
        return finish_axes(fig, ax, rc, handles, labels, own)
