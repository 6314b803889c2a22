"""Scalar special functions in numba for the scaled-Beta series (:mod:`._scaled_beta_numba`).

Digamma, Stirling's error term, log-Gamma ratios, log B(x, y), Loader's deviance ``bd0`` and the
binomial log-pmf, for the kernel's sums (tested against SciPy and mpmath through
:func:`digamma_numba` and the kernel in ``tests/test_scaled_beta_numba.py``); and
:func:`betaln_numba`, the NumPy backend's elementwise ``log B`` (the cancellation-free form of
:func:`._backend.betaln` in one compiled loop instead of about twenty array passes).

References
----------
C. Loader (2000), "Fast and accurate computation of binomial probabilities" (``stirlerr``,
``bd0``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._numba_cache import njit_cached

__all__ = ["HALF_LOG_2PI", "betaln_numba", "digamma_numba", "nb_bd0", "nb_betaln",
           "nb_betaln_stable", "nb_digamma", "nb_log_binom_pmf", "nb_log_gamma_ratio",
           "nb_stirlerr"]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@njit_cached
def nb_digamma(x: float) -> float:  # pragma: no cover - compiled
    """Digamma for ``x > 0``: recurrence up to ``x >= 10``, then the asymptotic series."""
    if not x > 0.0:
        return math.nan
    acc = 0.0
    if x < 10.0:
        n = int(10.0 - x) + 1
        for k in range(n):
            acc -= 1.0 / (x + k)
        x = x + n
    z = 1.0 / (x * x)
    series = z * (
        1.0 / 12.0
        - z
        * (
            1.0 / 120.0
            - z
            * (
                1.0 / 252.0
                - z * (1.0 / 240.0 - z * (1.0 / 132.0 - z * (691.0 / 32760.0 - z / 12.0)))
            )
        )
    )
    return acc + math.log(x) - 0.5 / x - series


@njit_cached
def nb_stirlerr(x: float) -> float:  # pragma: no cover - compiled
    """Loader's Stirling remainder ``lgamma(x) - [(x-1/2)log x - x + log(2 pi)/2]``, ``x > 0``."""
    if x >= 10.0:
        z = 1.0 / (x * x)
        return (
            1.0 / 12.0
            - z
            * (
                1.0 / 360.0
                - z
                * (
                    1.0 / 1260.0
                    - z * (1.0 / 1680.0 - z * (1.0 / 1188.0 - z * (691.0 / 360360.0 - z / 156.0)))
                )
            )
        ) / x
    return math.lgamma(x) - (x - 0.5) * math.log(x) + x - HALF_LOG_2PI


@njit_cached
def nb_log_gamma_ratio(x: float, a: float) -> float:  # pragma: no cover - compiled
    """Stable ``lgamma(x + a) - lgamma(x)`` for ``x > 0``, ``x + a > 0``."""
    return (
        (x - 0.5) * math.log1p(a / x)
        + a * (math.log(x + a) - 1.0)
        + nb_stirlerr(x + a)
        - nb_stirlerr(x)
    )


@njit_cached
def nb_betaln(x: float, y: float) -> float:  # pragma: no cover - compiled
    """Stable ``log B(x, y)`` for ``x, y > 0``."""
    u = max(x, y)
    v = min(x, y)
    return math.lgamma(v) - nb_log_gamma_ratio(u, v)


@njit_cached(error_model="numpy")
def _stirlerr_clamped(x: float) -> float:  # pragma: no cover - compiled
    """:func:`nb_stirlerr`, its direct branch's argument clamped at 1e-300 (as in ``_backend``)."""
    if x >= 10.0:
        return nb_stirlerr(x)
    x = max(x, 1e-300)
    return math.lgamma(x) - (x - 0.5) * math.log(x) + x - HALF_LOG_2PI


@njit_cached(error_model="numpy")
def nb_betaln_stable(x: float, y: float) -> float:  # pragma: no cover - compiled
    r"""Cancellation-free ``log B(x, y)`` for ``x, y > 0``, the formula of ``_backend.betaln``.

    .. math:: \tfrac12\log 2\pi - (x-\tfrac12)\,\mathrm{log1p}(y/x)
              - (y-\tfrac12)\,\mathrm{log1p}(x/y) - \tfrac12\log(x+y)
              + \delta(x) + \delta(y) - \delta(x+y).
    """
    return (
        HALF_LOG_2PI
        - (x - 0.5) * math.log1p(y / x)
        - (y - 0.5) * math.log1p(x / y)
        - 0.5 * math.log(x + y)
        + _stirlerr_clamped(x)
        + _stirlerr_clamped(y)
        - _stirlerr_clamped(x + y)
    )


@njit_cached(error_model="numpy")
def _betaln_flat(x, y):  # pragma: no cover - compiled
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = nb_betaln_stable(x[i], y[i])
    return out


def betaln_numba(x: Any, y: Any) -> Any:
    """Elementwise :func:`nb_betaln_stable` of broadcast ``x`` and ``y`` (a scalar for scalars)."""
    xb, yb = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    flat = _betaln_flat(np.ascontiguousarray(xb).reshape(-1), np.ascontiguousarray(yb).reshape(-1))
    return flat.reshape(xb.shape) if xb.ndim else flat[0]


@njit_cached
def nb_bd0(x: float, m: float) -> float:  # pragma: no cover - compiled
    """Loader's deviance ``x log(x/m) + m - x`` (``x, m > 0``), cancellation-free."""
    d = x - m
    r = d / m
    if r > -0.5:
        return x * math.log1p(r) - d
    return x * math.log(x / m) - d


@njit_cached
def nb_log_binom_pmf(j: float, f: float, s: float) -> float:  # pragma: no cover - compiled
    """``log[C(f, j) s^j (1-s)^(f-j)]`` for integer ``0 <= j <= f``, ``0 < s < 1``."""
    if j <= 0.0:
        return f * math.log1p(-s)
    if j >= f:
        return f * math.log(s)
    k = f - j
    return (
        nb_stirlerr(f)
        - nb_stirlerr(j)
        - nb_stirlerr(k)
        - nb_bd0(j, f * s)
        - nb_bd0(k, f * (1.0 - s))
        + 0.5 * math.log(f / (j * k))
        - HALF_LOG_2PI
    )


@njit_cached
def nb_digamma_vec(x):  # pragma: no cover - compiled
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = nb_digamma(x[i])
    return out


def digamma_numba(x: Any) -> np.ndarray:
    """Digamma of ``x > 0`` (elementwise) with the compiled scalar routine (NaN elsewhere)."""
    arr = np.asarray(x, dtype=np.float64)
    return nb_digamma_vec(np.ascontiguousarray(arr).reshape(-1)).reshape(arr.shape)
