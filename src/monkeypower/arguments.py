"""Checks of the plain numbers a user passes: counts of problems, attempts, budgets, windows.

One rule everywhere (the data, the estimands, the planner): a whole number is an int or a float
with no fractional part (``1e5`` is fine), never a bool; ``1.5`` is refused by name rather than
truncated to 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["whole_number", "whole_numbers"]


def whole_number(value: Any, name: str, minimum: int | None = None) -> int:
    """``value`` as an int if it is a whole number (an int, or a float such as 1e5).

    At least ``minimum`` if given; else ValueError naming ``name`` (1.5 was truncated to 1
    without a word).
    """
    if isinstance(value, bool) or not isinstance(
            value, (int, float, np.integer, np.floating)) or not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


def whole_numbers(values: Any, name: str, minimum: int | None = None) -> np.ndarray:
    """:func:`whole_number` for a scalar or an array: an int64 array of the same shape.

    The first offending entry is named by its position.
    """
    array = np.asarray(values)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name} must be whole numbers, got {values!r}")
    flat = array.reshape(-1)
    # floats beyond 2**62 are not counts (and would wrap when cast to int64)
    bad = ~np.isfinite(flat) | (flat != np.round(flat)) | (np.abs(flat) > 2.0**62) \
        if array.dtype.kind == "f" else np.zeros(flat.shape, dtype=bool)
    if minimum is not None:
        bad |= flat < minimum
    if bad.any():
        where = int(np.flatnonzero(bad)[0])
        at = "" if array.ndim == 0 else f" (position {where})"
        least = "" if minimum is None else f" of at least {minimum}"
        raise ValueError(f"{name} must be whole numbers{least}, got {flat[where].item()!r}{at}")
    return array.astype(np.int64)
