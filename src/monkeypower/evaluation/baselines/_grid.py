"""The k grids and windows the baselines share (private to the baselines folder).

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from monkeypower.data.passk import reference_k_grid
from monkeypower.estimands import checked_window

__all__ = ["check_window", "fmt_window", "log_neg_log", "paper_k_grid"]


def fmt_window(k1: int, k2: int) -> str:
    """``"k in [k1, k2]"`` with thousands separators: how a window reads in a detail."""
    return f"k in [{int(k1):,}, {int(k2):,}]"


def paper_k_grid(k1: int, k2: int, num: int = 20) -> np.ndarray:
    """Return the reference code's k grid for slopes of fitted curves (20 log-spaced points).

    Schaeffer, Kazdan et al. (ICML 2025, arXiv:2502.17578) compute the exponent of a *fitted*
    distribution by OLS on ``np.unique(np.logspace(0, 4, 20, dtype=int))`` (k in [1, 10^4]),
    coarser than the 100-point grid used for data
    (:func:`monkeypower.data.passk.reference_k_grid`). The two grids give effective exponents
    that differ by up to ~0.005 on the Pythia/MATH fits.

    Parameters
    ----------
    k1, k2 : int
        The window.
    num : int, default 20
        Log-spaced points before de-duplication.

    Returns
    -------
    numpy.ndarray
        The distinct integer k in ``[k1, k2]``.
    """
    return reference_k_grid(int(k2), num=num, k_min=int(k1))


def check_window(window: Any, n_min: int) -> tuple[int, int]:
    """Validate a window ``(k1, k2)`` of integers with ``1 <= k1 < k2 <= n_min``.

    Parameters
    ----------
    window : (int, int)
        The window asked for.
    n_min : int
        The smallest number of attempts in the data (the unbiased estimator's limit).

    Returns
    -------
    (int, int)
        The window.

    Raises
    ------
    ValueError
        If the window is not a pair of integers, not ordered, or reaches beyond ``n_min``.
    """
    k1, k2 = checked_window(window)
    if k2 > n_min:
        raise ValueError(
            f"window {window!r} reaches k2 = {k2}, beyond the smallest number of attempts in the "
            f"data ({n_min}); the unbiased pass@k estimator is undefined for k > n"
        )
    return k1, k2


def log_neg_log(pass_d: np.ndarray) -> np.ndarray:
    """``log(-log pass)`` with ±inf where pass is 0 or 1 (no warnings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(-np.log(pass_d))
