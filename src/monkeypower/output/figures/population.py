r"""The population figure: observed :math:`\hat p = c/n` beside the fitted population of p."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from monkeypower.data.outcomes import Outcomes
from monkeypower.output.figures._common import name_group
from monkeypower.presentation.style import OKABE_ITO, finish_axes, new_axes, publication_style
from monkeypower.presentation.tables import plural

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit

__all__ = ["plot_population"]


def plot_population(
    data: Outcomes | Fit,
    fit: Fit | None = None,
    *,
    ax: Axes | None = None,
    bins: int = 30,
    max_draws: int = 200,
    samples_per_draw: int = 2000,
    seed: int = 0,
    width: str | float = "single",
) -> Figure:
    r"""Histogram of :math:`\hat p = c/n` (c > 0, log x-axis) with the fitted population of p.

    Bars: the fraction of problems whose :math:`\hat p` falls in each log-spaced bin; a separate
    bar at the left gives the fraction with c = 0. Line: the posterior median (over up to
    ``max_draws`` posterior draws) of the fraction of the population's p in each bin, estimated
    by Monte Carlo with ``fit.family.sample_p``; the marker on the c = 0 bar is the posterior
    median of the expected fraction of problems with no success, :math:`\frac1M\sum_i
    \mathbb{E}[(1-p)^{n_i}]`.

    Parameters
    ----------
    data : Outcomes or Fit
        The data (or the fit alone: it holds its data).
    fit : Fit, optional
        The fit, when ``data`` is the data.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    bins : int, default 30
        Log-spaced bins of :math:`\hat p`.
    max_draws : int, default 200
        Posterior draws used (evenly spaced over all chains).
    samples_per_draw : int, default 2000
        Monte Carlo samples of p per draw.
    seed : int, default 0
        Seed of the Monte Carlo samples.
    width : {"single", "double"} or float, default "single"
        Figure width.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (a new one when ``ax`` is None).
    """
    if fit is None:
        data, fit = data.outcomes, data
    outcomes = data
    n = np.asarray(outcomes.n, dtype=np.float64)
    c = np.asarray(outcomes.c, dtype=np.float64)
    m = n.size
    solved = c > 0
    n_zero = int((~solved).sum())
    edges = np.logspace(np.log10(0.1 / float(n.max())), 0.0, bins + 1)
    counts, _ = np.histogram(c[solved] / n[solved], bins=edges)
    # the c = 0 bar sits left of the first bin
    step = edges[1] / edges[0]
    left, right = edges[0] / step**3, edges[0] / step**1.5
    frac, fail = _fitted_population(fit, n, edges, max_draws, samples_per_draw, seed)

    with publication_style(width) as rc:
        fig, ax, own = new_axes(ax, width, aspect=0.8)
        bars = ax.bar(edges[:-1], counts / m, width=np.diff(edges), align="edge",
                      color=OKABE_ITO["sky_blue"], alpha=0.7, edgecolor="white", linewidth=0.3)
        zero = ax.bar([left], [n_zero / m], width=[right - left], align="edge",
                      color=OKABE_ITO["vermillion"], alpha=0.5)
        median = np.median(frac, axis=0)
        step_line = ax.step(edges, np.r_[median, median[-1]], where="post",
                            color=OKABE_ITO["blue"])[0]
        marker = ax.plot([np.sqrt(left * right)], [float(np.median(fail))], "D", ms=3.5,
                         color=OKABE_ITO["blue"])[0]
        ax.set_xscale("log")
        ax.set_xlabel(r"success probability $p$ (observed: $\hat p = c/n$)")
        ax.set_ylabel("fraction of problems per bin")
        name_group(ax, fit)
        handles = [bars, zero, step_line, marker]
        labels = [r"observed $\hat p = c/n$ (c > 0)", f"c = 0 ({plural(n_zero, 'problem')})",
                  f"fitted {fit.family.name} population (posterior median)",
                  "fitted: expected fraction with c = 0"]
        return finish_axes(fig, ax, rc, handles, labels, own)


def _fitted_population(fit: Fit, n: np.ndarray, edges: np.ndarray, max_draws: int,
                       samples_per_draw: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Per posterior draw: the population's fraction of p per bin, and of problems with c = 0.

    Returns ``frac`` (draws × bins), Monte Carlo with ``fit.family.sample_p``, and ``fail``
    (draws), the expected fraction with no success :math:`\frac1M\sum_i E[(1-p)^{n_i}]`.
    """
    rng = np.random.default_rng(seed)
    flat = {name: np.asarray(v).reshape(-1) for name, v in fit.params().items()}
    total = next(iter(flat.values())).size
    idx = np.linspace(0, total - 1, min(max_draws, total)).round().astype(int)
    sub = {k: v[idx][:, None] for k, v in flat.items()}
    p = fit.family.sample_p(sub, (idx.size, samples_per_draw), rng)
    frac = np.stack([np.histogram(row, bins=edges)[0] for row in p]) / samples_per_draw
    # expected fraction with c = 0 under the population, per draw: mean_i E[(1-p)^{n_i}]
    uniq, inverse = np.unique(n, return_inverse=True)
    pz = fit.population_pass_at_k(uniq, max_draws=max_draws)  # pass = 1 - E[(1-p)^n]
    fail = 1.0 - pz.draws.reshape(-1, uniq.size)[:, inverse].mean(axis=1)
    return frac, fail
