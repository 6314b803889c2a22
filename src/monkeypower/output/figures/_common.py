"""What the figures of fits share (private to the figures folder): series of fits, bands, labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.fitting import Fit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "CURVE_LABELS", "CURVE_MEANING", "GREY", "MARKERS", "PASS_K", "band", "fit_items", "fmt_k",
    "name_group", "positive", "readable", "series",
]

#: Neutral grey of reference lines and of legend keys shared by several series.
GREY = "#666666"
#: Legend name of each model curve.
CURVE_LABELS = {
    "forecast": "in-sample forecast",
    "population": "population curve",
}
#: What each model curve forecasts.
CURVE_MEANING = {
    "forecast": "this benchmark",
    "population": "a new benchmark from the population",
}


#: Markers of the groups' points, in group order, so groups differ by shape as well as colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: pass_D@k as the axis labels write it.
PASS_K = r"$\mathrm{pass}_D@k$"


def readable(name: str) -> str:
    """An estimand or column name as words (``effective_exponent`` → ``effective exponent``)."""
    return str(name).replace("_", " ")


def name_group(ax: Axes, fit: Any) -> None:
    """Title the axes with the group the fit is of (e.g. ``Pythia 12B``), unless titled."""
    label = getattr(getattr(fit, "outcomes", None), "name", "")
    if label and not ax.get_title():
        ax.set_title(label)


def positive(y: Any) -> np.ndarray:
    """``y`` as floats with non-positive values masked (NaN), for log axes."""
    y = np.asarray(y, dtype=np.float64)
    return np.where(y > 0, y, np.nan)


def fmt_k(value: float) -> str:
    """A number of attempts for a legend: thousands separators, or "not reached"."""
    if not np.isfinite(value):
        return "not reached"
    return f"{value:,.0f}" if value < 1e7 else f"{value:.2g}"


def _key_label(key: Any) -> str:
    if isinstance(key, tuple):
        return ", ".join(str(v) for v in key)
    return str(key)


def fit_items(fit: Any) -> list[tuple[Any, str, Fit]]:
    """``(key, label, fit)`` for a Fit, a FitGroups or a mapping of fits.

    Raises
    ------
    ValueError
        For an empty mapping.
    TypeError
        For anything else, or a mapping holding something other than fits.
    """
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


def series(data: Any, fit: Any) -> list[tuple[str, Outcomes, Fit]]:
    """Normalise the (data, fit) arguments of the plots to ``(label, outcomes, fit)``.

    ``fit`` None means ``data`` holds the fit(s), each with the data it was fitted to.
    """
    if fit is None:
        data, fit = None, data
    out = []
    for key, label, one in fit_items(fit):
        if data is None:
            outcomes = one.outcomes
        elif isinstance(data, Outcomes):
            outcomes = data
        elif isinstance(data, OutcomesGroups):
            outcomes = data[key]
        else:
            raise TypeError(f"data must be Outcomes or OutcomesGroups, got {type(data).__name__}")
        out.append((label, outcomes, one))
    return out


def band(ax: Axes, x: np.ndarray, lo: Any, hi: Any, colour: str) -> Any:
    """Shade an interval band between ``lo`` and ``hi`` (non-positive values masked)."""
    return ax.fill_between(x, positive(lo), positive(hi), color=colour, alpha=0.25,
                           linewidth=0)
