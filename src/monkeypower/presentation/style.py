"""How every figure of the package looks: size, palette, fonts, and how it is saved.

* sizes for a two-column paper: ``width="single"`` (3.5 in, one column, the default) or
  ``"double"`` (7.2 in, full width), or a width in inches;
* the Okabe–Ito colour-blind-safe palette (:data:`OKABE_ITO`);
* vector output: :func:`save_figure` writes PDF with embedded TrueType fonts and 300 dpi PNG.

The style is applied by :func:`publication_style`, a :func:`matplotlib.rc_context` around the
drawing (and the saving) only, plus explicit per-axes tick settings, so **importing the package
or plotting never changes** :data:`matplotlib.rcParams`. Figures are drawn on a new
:class:`matplotlib.figure.Figure`, never through :mod:`matplotlib.pyplot`. Matplotlib
itself is imported by the functions that draw, not with this module, so a command that draws
no figure never pays its import (``benchmarks/cold_start.py``).
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cycler import cycler

from monkeypower.version import __version__

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO", "SERIES_COLOURS", "COLUMN_WIDTHS", "FIGURE_FORMATS", "publication_style",
    "style_rc", "save_figure", "width_inches", "new_figure", "new_axes", "finish_axes",
    "wrap_label",
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


def width_inches(width: str | float) -> float:
    """A figure width in inches: ``"single"`` (3.5), ``"double"`` (7.2) or a positive number."""
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
    base = 8.0 if width_inches(width) < 5 else 9.0
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


def new_figure(width: float, height: float) -> Figure:
    """A new constrained-layout figure of ``width`` × ``height`` inches, outside pyplot.

    The one place the figure modules get a :class:`matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def new_axes(ax: Axes | None, width: str | float, aspect: float) -> tuple[Figure, Axes, bool]:
    """A new styled figure and axes (``own=True``), or the caller's axes."""
    if ax is not None:
        return ax.figure, ax, False
    inches = width_inches(width)
    height = inches * aspect * (0.55 if inches >= 5 else 1.0)  # wide figures stay short
    fig = new_figure(inches, height)
    return fig, fig.add_subplot(), True


def wrap_label(label: str, fig: Figure, fontsize: float, ncols: int = 1) -> str:
    """Wrap a legend label to its column of the figure's width (about 0.55 em per character)."""
    chars = int(fig.get_figwidth() * 72 / (0.55 * fontsize) / max(ncols, 1)) - 6
    return "\n".join(textwrap.wrap(label, max(chars, 16), subsequent_indent="  "))


def finish_axes(fig: Figure, ax: Axes, rc: Mapping[str, Any], handles: Sequence[Any],
            labels: Sequence[str], own: bool, ncols: int = 1) -> Figure:
    """Freeze tick styling on the axes and place the legend (below the axes on own figures)."""
    for axis in ("x", "y"):
        ax.tick_params(axis=axis, which="both", labelsize=rc[f"{axis}tick.labelsize"],
                       width=rc[f"{axis}tick.major.width"])
    if handles:
        if own:
            size = rc["legend.fontsize"]
            legend = fig.legend(handles, [wrap_label(label, fig, size, ncols) for label in labels],
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
