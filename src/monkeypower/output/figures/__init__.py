"""Publication figures of fits: scaling, exponents, forecast, population.

Every function draws on a new :class:`matplotlib.figure.Figure` (never :mod:`matplotlib.pyplot`,
so nothing enters pyplot's figure registry) unless an ``ax`` is given, and returns the figure.

Publication defaults (:mod:`monkeypower.presentation.style`):

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

- :mod:`~monkeypower.output.figures.scaling`: :func:`plot_scaling`;
- :mod:`~monkeypower.output.figures.exponents`: :func:`plot_exponents`;
- :mod:`~monkeypower.output.figures.forecast`: :func:`plot_forecast`, :func:`default_target`,
  :func:`common_target`;
- :mod:`~monkeypower.output.figures.population`: :func:`plot_population`;
- :mod:`~monkeypower.output.figures.trend`: :func:`plot_exponent_trend` (a pooled fit's
  exponent against a group covariate);
- :mod:`~monkeypower.output.figures.forest`: :func:`plot_group_exponents` (a pooled fit's
  exponent per group, beside the groups' independent fits).
"""

from monkeypower.output.figures.exponents import plot_exponents
from monkeypower.output.figures.forecast import common_target, default_target, plot_forecast
from monkeypower.output.figures.forest import plot_group_exponents
from monkeypower.output.figures.population import plot_population
from monkeypower.output.figures.scaling import plot_scaling
from monkeypower.output.figures.trend import plot_exponent_trend
from monkeypower.presentation.style import (
    COLUMN_WIDTHS,
    FIGURE_FORMATS,
    OKABE_ITO,
    SERIES_COLOURS,
    publication_style,
    save_figure,
    style_rc,
)

__all__ = [
    "COLUMN_WIDTHS",
    "FIGURE_FORMATS",
    "OKABE_ITO",
    "SERIES_COLOURS",
    "common_target",
    "default_target",
    "plot_exponent_trend",
    "plot_exponents",
    "plot_forecast",
    "plot_group_exponents",
    "plot_population",
    "plot_scaling",
    "publication_style",
    "save_figure",
    "style_rc",
]
