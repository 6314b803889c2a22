r"""Publication figures of a fit: scaling, exponents, forecast, population.

Every function draws on a new :class:`matplotlib.figure.Figure` (never :mod:`matplotlib.pyplot`,
so nothing enters pyplot's figure registry) unless an ``ax`` is given, and returns the figure.

Publication defaults:

* sizes for a two-column paper: ``width="single"`` (3.5 in, one column, the default) or
  ``"double"`` (7.2 in, full width), or a width in inches;
* the Okabe–Ito colour-blind-safe palette (:data:`OKABE_ITO`);
* vector output: :func:`save_figure` writes PDF with embedded TrueType fonts and 300 dpi PNG.

The style is applied by :func:`publication_style`, a :func:`matplotlib.rc_context` around the
drawing (and the saving) only, plus explicit per-axes tick settings, so **importing the package
or plotting never changes** :data:`matplotlib.rcParams`.

Interval bands follow the package's interval convention
(:func:`monkeypower.intervals.resolve_interval`: the convention in force, 95% equal-tailed unless
changed, or the ``interval=`` argument), and each legend names the convention it drew.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.outcomes import Outcomes, OutcomesGroups

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit, FitGroups

__all__ = [
    "OKABE_ITO",
    "SERIES_COLOURS",
    "COLUMN_WIDTHS",
    "FIGURE_FORMATS",
    "publication_style",
    "style_rc",
    "save_figure",
    "default_target",
    "plot_scaling",
    "plot_exponents",
    "plot_forecast",
    "plot_population",
]

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The Okabe–Ito palette (Okabe & Ito 2008), distinguishable under the common colour-vision
deficiencies."""

SERIES_COLOURS: tuple[str, ...] = tuple(
    OKABE_ITO[name] for name in ("blue", "vermillion", "bluish_green", "orange",
                                 "reddish_purple", "sky_blue", "black", "yellow")
)
"""The order in which groups and fits get colours (yellow, the weakest on white, last)."""

COLUMN_WIDTHS: dict[str, float] = {"single": 3.5, "double": 7.2}
"""Figure widths in inches: one column and the full text width of a two-column paper."""

FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf")
"""What :func:`save_figure` writes when the path has no suffix."""

_GREY = "#666666"
_CURVE_LABELS = {
    "forecast": "in-sample forecast",
    "population": "population curve",
}
_CURVE_MEANING = {
    "forecast": "this benchmark",
    "population": "a new benchmark from the population",
}


# ------------------------------------------------------------------------------------- style
def _width_inches(width: str | float) -> float:
    if isinstance(width, str):
        if width not in COLUMN_WIDTHS:
            raise ValueError(f"width must be 'single', 'double' or inches, got {width!r}")
        return COLUMN_WIDTHS[width]
    value = float(width)
    if not value > 0:
        raise ValueError(f"width must be positive, got {width!r}")
    return value


def style_rc(width: str | float = "single") -> dict[str, Any]:
    """The rcParams of the publication style for a figure ``width`` wide.

    Parameters
    ----------
    width : {"single", "double"} or float, default "single"
        3.5 in, 7.2 in, or a width in inches; text is 8 pt below 5 in, 9 pt above.

    Returns
    -------
    dict
        rcParams to use inside :func:`matplotlib.rc_context` (never set globally here).
    """
    from cycler import cycler

    base = 8.0 if _width_inches(width) < 5 else 9.0
    return {
        "font.size": base,
        "axes.titlesize": base,
        "axes.labelsize": base,
        "legend.fontsize": base - 1,
        "xtick.labelsize": base - 1,
        "ytick.labelsize": base - 1,
        "axes.prop_cycle": cycler(color=list(SERIES_COLOURS)),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.6,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.minor.width": 0.4,
        "ytick.minor.width": 0.4,
        "lines.linewidth": 1.2,
        "lines.markersize": 3.0,
        "legend.frameon": False,
        "legend.handlelength": 1.6,
        "mathtext.fontset": "dejavusans",
        "figure.dpi": 150,
        "savefig.dpi": 300,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
    }


@contextlib.contextmanager
def publication_style(width: str | float = "single") -> Iterator[dict[str, Any]]:
    """Apply the publication style inside a ``with`` block only.

    A :func:`matplotlib.rc_context`: :data:`matplotlib.rcParams` are restored on exit, so the
    caller's (and the global) matplotlib state is unchanged afterwards.

    Parameters
    ----------
    width : {"single", "double"} or float, default "single"
        See :func:`style_rc`.

    Yields
    ------
    dict
        The rcParams in force inside the block.
    """
    import matplotlib

    rc = style_rc(width)
    with matplotlib.rc_context(rc):
        yield rc


def _new_axes(ax: Axes | None, width: str | float, aspect: float) -> tuple[Figure, Axes, bool]:
    """A new styled figure and axes (``own=True``), or the caller's axes."""
    if ax is not None:
        return ax.figure, ax, False
    from matplotlib.figure import Figure

    inches = _width_inches(width)
    height = inches * aspect * (0.55 if inches >= 5 else 1.0)  # wide figures stay short
    fig = Figure(figsize=(inches, height), layout="constrained")
    return fig, fig.add_subplot(), True


def _wrap(label: str, fig: Figure, fontsize: float) -> str:
    """Wrap a legend label to the figure's width (about 0.55 em per character)."""
    import textwrap

    chars = int(fig.get_figwidth() * 72 / (0.55 * fontsize)) - 6
    return "\n".join(textwrap.wrap(label, max(chars, 20), subsequent_indent="  "))


def _finish(fig: Figure, ax: Axes, rc: Mapping[str, Any], handles: Sequence[Any],
            labels: Sequence[str], own: bool, ncols: int = 1) -> Figure:
    """Freeze tick styling on the axes and place the legend (below the axes on own figures)."""
    for axis in ("x", "y"):
        ax.tick_params(axis=axis, which="both", labelsize=rc[f"{axis}tick.labelsize"],
                       width=rc[f"{axis}tick.major.width"])
    if handles:
        if own:
            size = rc["legend.fontsize"]
            legend = fig.legend(handles, [_wrap(label, fig, size) for label in labels],
                                loc="outside lower center", ncols=ncols, fontsize=size,
                                frameon=False)
            # grow the figure by the legend's height so the axes keep their size
            renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else None
            extent = legend.get_window_extent(renderer)
            fig.set_figheight(fig.get_figheight() + extent.height / fig.dpi)
        else:
            ax.legend(handles, labels, fontsize=rc["legend.fontsize"])
    return fig


def save_figure(
    fig: Figure,
    path: str | Path,
    *,
    formats: Sequence[str] | None = None,
    dpi: int = 300,
) -> list[Path]:
    """Save ``fig`` as vector PDF and/or PNG under the publication style.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or Path
        File name. Without a suffix, one file per entry of ``formats`` is written.
    formats : sequence of str, optional
        File formats (``"pdf"``, ``"png"``, ``"svg"``, ...); default the path's suffix, else
        :data:`FIGURE_FORMATS`.
    dpi : int, default 300
        Resolution of raster formats.

    Returns
    -------
    list of Path
        The files written. PDF and SVG are vector (PDF with TrueType fonts, editable text);
        PDF creation dates are left out so the same figure gives the same file. Missing
        folders are created.
    """
    import matplotlib

    from monkeypower import __version__

    path = Path(path)
    if formats is None:
        formats = (path.suffix.lstrip("."),) if path.suffix else FIGURE_FORMATS
    stem = path.with_suffix("") if path.suffix else path
    stem.parent.mkdir(parents=True, exist_ok=True)
    rc = {k: v for k, v in style_rc().items() if k.split(".")[0] in ("pdf", "ps", "svg")}
    written = []
    with matplotlib.rc_context(rc):
        for fmt in formats:
            target = stem.with_name(f"{stem.name}.{fmt}")
            metadata: dict[str, Any] | None = None
            if fmt == "pdf":
                metadata = {"Creator": f"monkeypower {__version__}", "CreationDate": None}
            elif fmt == "png":
                metadata = {"Software": f"monkeypower {__version__}"}
            fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata)
            written.append(target)
    return written


# ------------------------------------------------------------------------------------ helpers
def _positive(y: Any) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    return np.where(y > 0, y, np.nan)


def _fmt_k(value: float) -> str:
    if not np.isfinite(value):
        return "not reached"
    return f"{value:,.0f}" if value < 1e7 else f"{value:.2g}"


def _key_label(key: Any) -> str:
    if isinstance(key, tuple):
        return ", ".join(str(v) for v in key)
    return str(key)


def _fit_items(fit: Any) -> list[tuple[Any, str, Fit]]:
    """``(key, label, fit)`` for a Fit, a FitGroups or a mapping of fits."""
    from monkeypower.fitting import Fit

    if isinstance(fit, Fit):
        return [(None, "", fit)]
    if isinstance(fit, Mapping):
        items = [(key, _key_label(key), one) for key, one in fit.items()]
        if not items:
            raise ValueError("no fits to plot")
        for _, label, one in items:
            if not isinstance(one, Fit):
                raise TypeError(f"{label!r} is a {type(one).__name__}, not a Fit")
        return items
    raise TypeError(f"expected a Fit, a FitGroups or a mapping of fits, got {type(fit).__name__}")


def _series(data: Any, fit: Any) -> list[tuple[str, Outcomes, Fit]]:
    """Normalise the (data, fit) arguments of the plots to ``(label, outcomes, fit)``."""
    if fit is None:
        data, fit = None, data
    items = _fit_items(fit)
    series = []
    for key, label, one in items:
        if data is None:
            outcomes = one.outcomes
        elif isinstance(data, Outcomes):
            outcomes = data
        elif isinstance(data, OutcomesGroups):
            outcomes = data[key]
        else:
            raise TypeError(f"data must be Outcomes or OutcomesGroups, got {type(data).__name__}")
        series.append((label, outcomes, one))
    return series


def _band(ax: Axes, x: np.ndarray, lo: Any, hi: Any, colour: str) -> Any:
    return ax.fill_between(x, _positive(lo), _positive(hi), color=colour, alpha=0.25,
                           linewidth=0)


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


# ------------------------------------------------------------------------------------ scaling
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

    Log-log axes. Points: the empirical curve (unbiased estimator, fixed designs only). Dashed:
    the least-squares power law, whose slope is the ``effective_exponent`` over the data's
    window. Solid line and band: the posterior median and credible band of the model curve on
    ``n_grid`` log-spaced k up to ``k_max``, extrapolated beyond the largest observed k
    (marked by a dotted vertical line).

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
        Draw the least-squares power law (fixed designs only).
    ax : matplotlib.axes.Axes, optional
        Draw here instead of on a new figure.
    interval : IntervalConvention or float, optional
        Band convention; default the convention in force.
    n_grid : int, default 40
        Points of the posterior curve.
    max_draws : int, default 250
        Thin posterior draws per chain to at most this many.
    width : {"single", "double"} or float, default "single"
        Figure width (see :func:`style_rc`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (a new one when ``ax`` is None).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from monkeypower.baselines import least_squares
    from monkeypower.passk import empirical_curve

    if curve not in _CURVE_LABELS:
        raise ValueError(f"curve must be 'forecast' or 'population', got {curve!r}")
    series = _series(data, fit)
    convention = resolve_interval(interval)
    n_max = max(int(o.max_attempts) for _, o, _ in series)
    k_max = int(100 * n_max if k_max is None else k_max)
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1, got {k_max!r}")
    k_line = np.unique(np.round(np.logspace(0, np.log10(k_max), n_grid)))
    shared = all(o == series[0][1] for _, o, _ in series)
    single = len(series) == 1
    name = _CURVE_LABELS[curve]

    with publication_style(width) as rc:
        fig, ax, own = _new_axes(ax, width, aspect=0.8)
        handles: list[Any] = []
        labels: list[str] = []
        drawn: list[Outcomes] = []
        for index, (label, outcomes, one) in enumerate(series):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            data_colour = "black" if shared else colour
            if not outcomes.design.is_sequential and not any(outcomes == o for o in drawn):
                drawn.append(outcomes)
                emp = empirical_curve(outcomes)
                points = ax.plot(emp["k"], _positive(emp["neg_log_pass_at_k"]), "o", ms=2.5,
                                 color=data_colour, zorder=3)[0]
                if single or shared:
                    handles.append(points)
                    labels.append("empirical (unbiased estimator)")
                if lsq:
                    res = least_squares(outcomes)
                    line = ax.plot(k_line, _positive(res.forecast_neg_log_pass(k_line)), "--",
                                   lw=1.0, color=(OKABE_ITO["orange"] if single else
                                                  "black" if shared else colour))[0]
                    if single or shared:
                        handles.append(line)
                        labels.append(f"LSQ power law (effective exponent b = "
                                      f"{res.estimate:.3g})")
            draws = getattr(one, f"{curve}_pass_at_k")(k_line, neg_log=True, max_draws=max_draws)
            lo, hi = draws.interval(convention)
            band = _band(ax, k_line, lo, hi, colour)
            median = ax.plot(k_line, _positive(draws.median()), color=colour)[0]
            if single:
                handles += [median, band]
                labels += [f"{name} (posterior median)", f"{name}, {convention.label}"]
            else:
                handles.append((band, median))
                labels.append(f"{label}: {name}, median and {convention.label}")
        if not single and not shared:
            handles += [Line2D([], [], ls="", marker="o", ms=2.5, color=_GREY),
                        Line2D([], [], ls="--", lw=1.0, color=_GREY)]
            labels += ["empirical (unbiased estimator)", "LSQ power law (effective exponent)"]
            handles.append(Patch(color=_GREY, alpha=0.25, linewidth=0))
            labels.append(f"band: {convention.label}")
        vline = ax.axvline(n_max, color=_GREY, linestyle=":", lw=1.0)
        handles.append(vline)
        labels.append(f"largest observed k = {n_max:,}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("k (attempts per problem)")
        ax.set_ylabel(r"$-\log\,\mathrm{pass}_D@k$")
        return _finish(fig, ax, rc, handles, labels, own)


# ---------------------------------------------------------------------------------- exponents
def _flat_finite(draws: np.ndarray) -> np.ndarray:
    flat = np.asarray(draws, dtype=np.float64).reshape(-1)
    return flat[np.isfinite(flat)]


def _exponent_label(draws: Any, convention: IntervalConvention) -> str:
    lo, hi = (float(v) for v in draws.interval(convention))
    symbol = r"$b_\infty$" if draws.name == "asymptotic_exponent" else "$b_{eff}$"
    return (f"{draws.name} {symbol} [{draws.detail}]: {float(draws.median()):.3g} "
            f"({convention.label} {lo:.3g}–{hi:.3g})")


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

    The two are different estimands (BRIEF §4): ``asymptotic_exponent`` :math:`b_\infty` is the
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
    items = _fit_items(fit)
    convention = resolve_interval(interval)
    colours = {"asymptotic_exponent": OKABE_ITO["blue"],
               "effective_exponent": OKABE_ITO["vermillion"]}
    estimands = [
        [one.asymptotic_exponent(),
         one.effective_exponent(window, curve=curve, max_draws=max_draws)]
        for _, _, one in items
    ]
    with publication_style(width) as rc:
        if len(items) == 1:
            fig, ax, own = _new_axes(ax, width, aspect=0.7)
            handles, labels = _density_panel(ax, estimands[0], colours, convention)
            ax.set_xlabel("exponent")
            ax.set_ylabel("posterior density")
            ax.set_ylim(bottom=0)
        else:
            fig, ax, own = _new_axes(ax, width, aspect=0.25 + 0.12 * len(items))
            handles, labels = _forest_panel(ax, items, estimands, colours, convention)
            ax.set_xlabel(f"exponent (posterior median, {convention.label})")
        for name, value in (truth or {}).items():
            line = ax.axvline(float(value), color=colours.get(name, _GREY), ls="--", lw=1.0)
            handles.append(line)
            labels.append(f"truth: {name} = {float(value):.3g}")
        return _finish(fig, ax, rc, handles, labels, own)


def _density_panel(ax: Axes, estimands: list[Any], colours: Mapping[str, str],
                   convention: IntervalConvention) -> tuple[list[Any], list[str]]:
    from arviz_stats.base import array_stats

    handles, labels = [], []
    for draws in estimands:
        colour = colours[draws.name]
        values = _flat_finite(draws.draws)
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


def _forest_panel(ax: Axes, items: list[tuple[Any, str, Fit]], estimands: list[list[Any]],
                  colours: Mapping[str, str],
                  convention: IntervalConvention) -> tuple[list[Any], list[str]]:
    handles: dict[str, Any] = {}
    details: dict[str, set[str]] = {}
    for row, pair in enumerate(estimands):
        for offset, draws in zip((0.15, -0.15), pair, strict=True):
            colour = colours[draws.name]
            lo, hi = (float(v) for v in draws.interval(convention))
            y = -row + offset
            ax.hlines(y, lo, hi, color=colour, lw=1.2)
            handles[draws.name] = ax.plot(float(draws.median()), y, "o", ms=3.5,
                                          color=colour)[0]
            details.setdefault(draws.name, set()).add(draws.detail)
    ax.set_yticks([-row for row in range(len(items))], [label for _, label, _ in items])
    ax.set_ylim(-len(items) + 0.5, 0.5)
    labels = []
    for name in handles:
        shown = details[name]
        detail = next(iter(shown)) if len(shown) == 1 else "per fit (see its summary)"
        symbol = r"$b_\infty$" if name == "asymptotic_exponent" else "$b_{eff}$"
        labels.append(f"{name} {symbol} [{detail}]")
    return list(handles.values()), labels


# ----------------------------------------------------------------------------------- forecast
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
    interval). Points: the empirical pass_D@k (fixed designs).

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
    from monkeypower.passk import empirical_curve

    curves = tuple(curves)
    for name in curves:
        if name not in _CURVE_LABELS:
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
        fig, ax, own = _new_axes(ax, width, aspect=0.8)
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
            line = ax.plot(k_line, median, color=colour, zorder=6 - index,
                           ls="-" if name == "forecast" else "--")[0]
            handles.append((band, line))
            labels.append(f"{_CURVE_LABELS[name]} ({_CURVE_MEANING[name]}), median and "
                          f"{convention.label}")
            k_lo, k_hi = bounds[name]
            k_med = float(needed[name].median())
            if np.isfinite(k_med):
                ax.axvline(k_med, color=colour, lw=0.8, ls="-.", zorder=4)
            if np.isfinite(k_lo):
                span_hi = k_hi if np.isfinite(k_hi) else k_max
                span = ax.axvspan(max(k_lo, 1.0), span_hi, color=colour, alpha=0.08, lw=0,
                                  zorder=0)
                handles.append(span)
                labels.append(f"attempts for pass_D@k ≥ {target:g} ({_CURVE_LABELS[name]}): "
                              f"median {_fmt_k(k_med)}, {convention.label} "
                              f"[{_fmt_k(k_lo)}, {_fmt_k(k_hi)}]")
        handles.append(ax.axhline(target, color=_GREY, lw=0.8, ls="--"))
        labels.append(f"target pass_D@k = {target:g}")
        handles.append(ax.axvline(n_max, color=_GREY, linestyle=":", lw=1.0))
        labels.append(f"largest observed k = {n_max:,}")
        ax.set_xscale("log")
        ax.set_xlim(1, k_max)
        ax.set_ylim(0, 1)
        ax.set_xlabel("k (attempts per problem)")
        ax.set_ylabel(r"$\mathrm{pass}_D@k$")
        return _finish(fig, ax, rc, handles, labels, own)


# --------------------------------------------------------------------------------- population
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
    p_hat = c[solved] / n[solved]
    edges = np.logspace(np.log10(0.1 / float(n.max())), 0.0, bins + 1)
    counts, _ = np.histogram(p_hat, bins=edges)
    # the c = 0 bar sits left of the first bin
    step = edges[1] / edges[0]
    left, right = edges[0] / step**3, edges[0] / step**1.5

    # posterior of the population density of p, binned
    rng = np.random.default_rng(seed)
    flat, _ = fit._flat_params(None)
    total = next(iter(flat.values())).size
    idx = np.linspace(0, total - 1, min(max_draws, total)).round().astype(int)
    sub = {k: np.asarray(v)[idx][:, None] for k, v in flat.items()}
    p = fit.family.sample_p(sub, (idx.size, samples_per_draw), rng)
    frac = np.stack([np.histogram(row, bins=edges)[0] for row in p]) / samples_per_draw
    # expected fraction with c = 0 under the population, per draw: mean_i E[(1-p)^{n_i}]
    uniq, inverse = np.unique(n, return_inverse=True)
    pz = fit.population_pass_at_k(uniq, max_draws=max_draws)  # pass = 1 - E[(1-p)^n]
    fail = 1.0 - pz.draws.reshape(-1, uniq.size)[:, inverse].mean(axis=1)

    with publication_style(width) as rc:
        fig, ax, own = _new_axes(ax, width, aspect=0.8)
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
        handles = [bars, zero, step_line, marker]
        labels = [r"observed $\hat p = c/n$ (c > 0)", f"c = 0 ({n_zero} problems)",
                  f"fitted {fit.family.name} population (posterior median)",
                  "fitted: expected fraction with c = 0"]
        return _finish(fig, ax, rc, handles, labels, own)
