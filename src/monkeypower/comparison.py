r"""Side-by-side diagnostics: baseline estimators next to the Bayesian fit, estimand by estimand.

Each baseline (:mod:`monkeypower.baselines`) estimates one named estimand; this module puts the
posterior of *the same* estimand beside it, so no row compares, say, a finite-window slope with
an asymptotic exponent:

* least squares → ``effective_exponent`` over its window ↔ :meth:`Fit.effective_exponent` on the
  population curve (what a new benchmark would show) and on the forecast curve (this benchmark,
  the closer analogue of the empirical curve the regression is fitted to);
* discretized Beta, Beta-Binomial MLE → ``asymptotic_exponent`` ↔ :meth:`Fit.asymptotic_exponent`;
* every estimator that implies a curve → ``forecast_pass_at_k`` (as :math:`-\log
  \text{pass}_D@K`) at a horizon K ↔ :meth:`Fit.forecast_pass_at_k`.

The plots (:func:`plot_scaling`, :func:`plot_population`) draw on a new
:class:`matplotlib.figure.Figure` (never pyplot's global state) unless an ``ax`` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from monkeypower.baselines import BaselineResult, beta_binomial_mle, discretized_beta, least_squares
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.passk import empirical_curve

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit
    from monkeypower.outcomes import Outcomes

__all__ = ["side_by_side", "plot_scaling", "plot_population"]

COLUMNS = ("estimator", "estimand", "detail", "estimate", "lower", "upper")
FORECAST_ESTIMAND = "forecast_pass_at_k"


def _bayes_label(fit: Fit) -> str:
    return f"bayesian ({fit.family.name})"


def _bayes_row(fit: Fit, draws: Any, convention: IntervalConvention, detail: str,
               index: int | None = None) -> dict[str, Any]:
    med = np.asarray(draws.median())
    lo, hi = (np.asarray(v) for v in draws.interval(convention))
    if index is not None:
        med, lo, hi = med[index], lo[index], hi[index]
    return {"estimator": _bayes_label(fit), "estimand": draws.name, "detail": detail,
            "estimate": float(med), "lower": float(lo), "upper": float(hi)}


def _baseline_row(res: BaselineResult, estimand: str | None = None, detail: str | None = None,
                  estimate: float | None = None, with_interval: bool = True) -> dict[str, Any]:
    lo, hi = (res.interval if (with_interval and res.interval is not None) else (np.nan, np.nan))
    return {"estimator": res.estimator, "estimand": estimand or res.estimand,
            "detail": res.detail if detail is None else detail,
            "estimate": float(res.estimate if estimate is None else estimate),
            "lower": float(lo), "upper": float(hi)}


def _run_baseline(name: str, outcomes: Outcomes, window: tuple[int, int], bootstrap: int,
                  seed: Any, convention: IntervalConvention) -> BaselineResult:
    if name == "least_squares":
        return least_squares(outcomes, window=window, bootstrap=bootstrap, seed=seed,
                             interval=convention)
    if name == "discretized_beta":
        return discretized_beta(outcomes)
    if name == "beta_binomial_mle":
        return beta_binomial_mle(outcomes, window=window)
    raise ValueError(
        f"unknown estimator {name!r}; choose from least_squares, discretized_beta, "
        "beta_binomial_mle"
    )


def side_by_side(
    outcomes: Outcomes,
    fit: Fit,
    *,
    window: tuple[int, int] | None = None,
    horizon: int | None = None,
    interval: IntervalConvention | float | None = None,
    estimators: Sequence[str] = ("least_squares", "discretized_beta", "beta_binomial_mle"),
    bootstrap: int = 0,
    seed: Any = None,
    max_draws: int | None = None,
) -> pd.DataFrame:
    r"""Baseline estimates and the posterior of the same estimand, in adjacent rows.

    Parameters
    ----------
    outcomes : Outcomes
        The data (fixed design; the baselines need it).
    fit : Fit
        A fit of these outcomes.
    window : (int, int), optional
        Window of k for the effective exponent. Default ``(1, min n)``, which is the fit's
        ``default_window`` ``(1, max n)`` whenever every problem has the same n (the empirical
        curve, hence least squares, is only defined up to the smallest n).
    horizon : int, optional
        Forecast horizon K for ``-log pass_D@K``. Default ``10 × max n``.
    interval : IntervalConvention or float, optional
        Interval convention for the Bayesian rows (and the least-squares bootstrap); default
        the convention in force.
    estimators : sequence of str
        Baselines to include.
    bootstrap : int, default 0
        Bootstrap replicates for a least-squares interval (needs ``seed``); 0 for none.
    seed : int or numpy.random.Generator, optional
        Seed for the bootstrap.
    max_draws : int, optional
        Thin posterior draws per chain for the curve-based estimands (speed).

    Returns
    -------
    pandas.DataFrame
        Columns ``estimator, estimand, detail, estimate, lower, upper`` and ``pair`` (rows of
        one comparison share it). Each baseline row is followed by the Bayesian row(s) of the
        same ``estimand``; ``estimate`` is the posterior median for Bayesian rows. ``lower`` /
        ``upper`` are bounds under ``attrs["interval"]`` (the convention's ``to_dict()``);
        baseline rows have NaN bounds unless they carry an interval (least squares with
        ``bootstrap > 0``). ``attrs["horizon"]`` and ``attrs["window"]`` record K and the window.
    """
    convention = resolve_interval(interval)
    n_min, n_max = int(outcomes.n.min()), int(outcomes.max_attempts)
    win = (1, n_min) if window is None else (int(window[0]), int(window[1]))
    K = int(10 * n_max if horizon is None else horizon)
    if K <= 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")

    results = [_run_baseline(name, outcomes, win, bootstrap, seed, convention)
               for name in estimators]

    rows: list[dict[str, Any]] = []
    pair = 0
    cache: dict[str, Any] = {}

    def bayes(key: str) -> Any:
        if key not in cache:
            if key == "asymptotic_exponent":
                cache[key] = fit.asymptotic_exponent()
            elif key == "effective_population":
                cache[key] = fit.effective_exponent(win, curve="population", max_draws=max_draws)
            elif key == "effective_forecast":
                cache[key] = fit.effective_exponent(win, curve="forecast", max_draws=max_draws)
            else:
                cache[key] = fit.forecast_pass_at_k(K, neg_log=True, max_draws=max_draws)
        return cache[key]

    # 1. the estimand each baseline reports
    for res in results:
        pair += 1
        rows.append({**_baseline_row(res), "pair": pair})
        if res.estimand == "effective_exponent":
            for key in ("effective_population", "effective_forecast"):
                d = bayes(key)
                rows.append({**_bayes_row(fit, d, convention, d.detail), "pair": pair})
        elif res.estimand == "asymptotic_exponent":
            d = bayes("asymptotic_exponent")
            rows.append({**_bayes_row(fit, d, convention, d.detail), "pair": pair})
        else:  # pragma: no cover - every current baseline reports one of the two
            raise ValueError(f"no Bayesian counterpart for estimand {res.estimand!r}")

    # 2. the forecast at K, for every estimator that implies a curve
    fc = bayes("forecast")
    for res in results:
        if not res.curves:
            continue
        pair += 1
        value = float(res.forecast_neg_log_pass(K))
        rows.append({**_baseline_row(res, estimand=FORECAST_ESTIMAND,
                                     detail=f"-log pass_D@K, K = {K:,}, {res.default_curve} "
                                            f"curve of {res.estimator}",
                                     estimate=value, with_interval=False), "pair": pair})
        rows.append({**_bayes_row(fit, fc, convention,
                                  f"-log pass_D@K, K = {K:,}, posterior in-sample forecast",
                                  index=0), "pair": pair})

    table = pd.DataFrame(rows, columns=[*COLUMNS, "pair"])
    table.attrs["interval"] = convention.to_dict()
    table.attrs["interval_label"] = convention.label
    table.attrs["horizon"] = K
    table.attrs["window"] = win
    return table


# ---------------------------------------------------------------------------------- plotting
def _new_axes(ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    return fig, fig.add_subplot()


def _positive(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    return np.where(y > 0, y, np.nan)


def plot_scaling(
    outcomes: Outcomes,
    fit: Fit,
    *,
    k_max: int | None = None,
    ax: Axes | None = None,
    interval: IntervalConvention | float | None = None,
    n_grid: int = 40,
    max_draws: int = 250,
) -> Figure:
    r"""Empirical :math:`-\log \text{pass}_D@k`, the least-squares line and the posterior forecast.

    Log-log axes. The posterior median in-sample forecast and its credible band (convention in
    force, or ``interval=``) run on ``n_grid`` log-spaced k up to ``k_max`` (default
    ``100 × max n``); a dotted vertical line marks the largest observed k (max n).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (a new one when ``ax`` is None).
    """
    fig, ax = _new_axes(ax)
    convention = resolve_interval(interval)
    n_max = int(outcomes.max_attempts)
    k_max = int(100 * n_max if k_max is None else k_max)
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1, got {k_max!r}")

    emp = empirical_curve(outcomes)
    ax.plot(emp["k"], _positive(emp["neg_log_pass_at_k"]), "o", ms=3.5, color="black",
            label="empirical (unbiased estimator)", zorder=3)

    k_line = np.unique(np.round(np.logspace(0, np.log10(k_max), n_grid)))
    lsq = least_squares(outcomes)
    ax.plot(k_line, _positive(lsq.forecast_neg_log_pass(k_line)), "--", color="tab:orange",
            label=f"LSQ power law (effective exponent b = {lsq.estimate:.3g})")

    fc = fit.forecast_pass_at_k(k_line, neg_log=True, max_draws=max_draws)
    lo, hi = fc.interval(convention)
    ax.fill_between(k_line, _positive(lo), _positive(hi), color="tab:blue", alpha=0.25,
                    linewidth=0, label=f"in-sample forecast, {convention.label}")
    ax.plot(k_line, _positive(fc.median()), color="tab:blue",
            label="in-sample forecast (posterior median)")

    ax.axvline(n_max, color="grey", linestyle=":",
               label=f"largest observed k = {n_max:,}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("k (attempts per problem)")
    ax.set_ylabel(r"$-\log\,\mathrm{pass}_D@k$")
    ax.set_title(f"Scaling: {fit.family.name} fit vs least squares")
    ax.legend(fontsize="small")
    return fig


def plot_population(
    outcomes: Outcomes,
    fit: Fit,
    *,
    ax: Axes | None = None,
    bins: int = 30,
    max_draws: int = 200,
    samples_per_draw: int = 2000,
    seed: int = 0,
) -> Figure:
    r"""Histogram of :math:`\hat p = c/n` (c > 0, log x-axis) with the fitted population of p.

    Bars: the fraction of problems whose :math:`\hat p` falls in each log-spaced bin; a separate
    bar at the left gives the fraction with c = 0. Line: the posterior median (over up to
    ``max_draws`` posterior draws) of the fraction of the population's p in each bin, estimated
    by Monte Carlo with ``fit.family.sample_p``; the marker on the c = 0 bar is the posterior
    median of the expected fraction of problems with no success, :math:`\frac1M\sum_i
    \mathbb{E}[(1-p)^{n_i}]`.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (a new one when ``ax`` is None).
    """
    fig, ax = _new_axes(ax)
    n = np.asarray(outcomes.n, dtype=np.float64)
    c = np.asarray(outcomes.c, dtype=np.float64)
    m = n.size
    solved = c > 0
    n_zero = int((~solved).sum())
    p_hat = c[solved] / n[solved]

    lo_edge = 0.1 / float(n.max())
    edges = np.logspace(np.log10(lo_edge), 0.0, bins + 1)
    counts, _ = np.histogram(p_hat, bins=edges)
    ax.bar(edges[:-1], counts / m, width=np.diff(edges), align="edge", color="tab:grey",
           alpha=0.6, edgecolor="white", label=r"observed $\hat p = c/n$ (c > 0)")

    # c = 0 bar, one decade-share to the left of the first bin
    step = edges[1] / edges[0]
    left, right = edges[0] / step**3, edges[0] / step**1.5
    ax.bar([left], [n_zero / m], width=[right - left], align="edge", color="tab:red", alpha=0.5,
           label=f"c = 0 ({n_zero} problems)")

    # posterior of the population density of p, binned
    rng = np.random.default_rng(seed)
    flat, _ = fit._flat_params(None)
    total = next(iter(flat.values())).size
    idx = np.linspace(0, total - 1, min(max_draws, total)).round().astype(int)
    sub = {k: np.asarray(v)[idx][:, None] for k, v in flat.items()}
    p = fit.family.sample_p(sub, (idx.size, samples_per_draw), rng)
    frac = np.stack([np.histogram(row, bins=edges)[0] for row in p]) / samples_per_draw
    ax.step(edges, np.r_[np.median(frac, axis=0), np.median(frac, axis=0)[-1]], where="post",
            color="tab:blue", label=f"fitted {fit.family.name} population (posterior median)")
    # expected fraction with c = 0 under the population, per draw: mean_i E[(1-p)^{n_i}]
    uniq, inverse = np.unique(n, return_inverse=True)
    pz = fit.population_pass_at_k(uniq, max_draws=max_draws)  # pass = 1 - E[(1-p)^n]
    fail = 1.0 - pz.draws.reshape(-1, uniq.size)[:, inverse].mean(axis=1)
    ax.plot([np.sqrt(left * right)], [float(np.median(fail))], "D", color="tab:blue",
            label="fitted: expected fraction with c = 0")

    ax.set_xscale("log")
    ax.set_xlabel(r"success probability $p$ (observed: $\hat p = c/n$)")
    ax.set_ylabel("fraction of problems per bin")
    ax.set_title("Per-problem success probabilities")
    ax.legend(fontsize="small")
    return fig
