r"""Gauss-Hermite quadrature of the scaled-Beta series' interior peak, for long series.

The exact series of :mod:`._scaled_beta_numba` sums the terms

.. math::

    T(J) = \binom{f}{J} s^J (1-s)^{f-J}\, B(\alpha+c, \beta+J), \qquad 0 \le J \le f,

outward from their mode until the rest is below ``1e-17`` of the total: about
:math:`18\sigma` terms for a peak of width :math:`\sigma`, and :math:`\sigma` grows like
:math:`\sqrt{f s(1-s)}` (2,000 at ``f = 4e6, s = 1/2``).  When the peak is wide its terms are
samples of a smooth, nearly Gaussian function of a real :math:`J` (every factor continues
through :math:`\Gamma`), and

.. math::

    \sum_{J\in\mathbb{Z}} T(J) = \int T(J)\,dJ + O\!\left(e^{-2\pi^2\sigma^2}\right)
    \approx \sqrt2\,\sigma \sum_{i=1}^{N} w_i e^{x_i^2}\, T\!\left(J_c + \sqrt2\,\sigma x_i\right)

(Poisson summation, then an ``N``-point Gauss-Hermite rule placed at the continuous mode
:math:`J_c` with the peak's Laplace width :math:`\sigma`).  Its cost is fixed: ``N`` summands
instead of :math:`18\sigma`.  The kernel uses it only when the peak is wide
(:math:`\sigma \ge` :data:`SIGMA_SWITCH`) and far from anything that is not Gaussian: the window
:math:`J_c \pm` :data:`WINDOW_SIGMAS` :math:`\sigma` must lie inside ``[jmin, f]`` (``jmin``
being the valley before a head at ``J = 0``, or 0).

Summands without cancellation
-----------------------------
Each node needs :math:`\log T(J) - \log T(m)` (``m`` the integer mode, where the series anchors
:math:`\log T(m)`) to ~1e-15 absolute although both are ~1e7 for ``f`` in the millions.  With
:math:`\delta = J - m` it is a sum of four shifted log-Gammas,

.. math::

    \log\frac{T(J)}{T(m)} = \delta\log\tilde\rho
      - D(m+1, \delta) - D(f-m+1, -\delta) + D(\beta+m, \delta) - D(A+m, \delta),
    \qquad A = \alpha+\beta+c,

where :math:`\tilde\rho = \frac{(f-m+1)\,s\,(\beta+m)}{(m+1)(1-s)(A+m)}` collects the terms
linear in :math:`\delta` and, from Stirling's series,

.. math::

    D(x, \delta) = \log\Gamma(x+\delta) - \log\Gamma(x) - \delta\log x
      = \delta v + 2(x+\delta)v^3 Q(v^2) - \tfrac12\log(1+\delta/x) + S(x+\delta) - S(x),

with :math:`v = \delta/(2x+\delta)`, :math:`Q(z) = \sum_{k\ge1} z^{k-1}/(2k+1)`,
:math:`\log(1+\delta/x) = 2v(1 + v^2 Q(v^2))` (the ``atanh`` series, all of whose terms have one
sign, as in Loader's ``bd0``) and :math:`S` Stirling's remainder.  Nothing cancels: every term
is of the size of the result.  An error in :math:`\log\tilde\rho` only tilts the summand by
:math:`e^{\epsilon\delta}`, which moves :math:`L` by :math:`\epsilon\,\mathbb{E}[\delta]`, a few
ulps.

Gradients are the quadrature of the exact gradient sums: the weighted means of
:math:`\delta`, :math:`\psi(A+J)-\psi(A+m)` and :math:`\psi(\beta+J)-\psi(\beta+m)` over the
same nodes, with :math:`\psi(x+\delta)-\psi(x) = \log(1+\delta/x)
+ \frac{\delta}{2x(x+\delta)} - [R(x+\delta) - R(x)]`, :math:`R` the asymptotic series of
:math:`\log x - \frac1{2x} - \psi(x)`.  Node placement depends on the parameters, but the sum
does not (to the rule's accuracy), so the weighted means are its gradient.

Accuracy (``tests/test_scaled_beta_numba.py``): against the exact series and mpmath across the
switch and up to ``f = 1e8``, the same bound as the series (``ScaledBetaFamily.accuracy``).

The kernel of :mod:`._scaled_beta_numba` inlines this module; its numba cache is keyed by the
source of every module of ``families/`` (:func:`~._numba_cache.njit_cached`), and the PyTensor
Op's cache salt covers this file, so an edit here recompiles both.
"""

from __future__ import annotations

import math

import numpy as np

from ._numba_cache import njit_cached

__all__ = [
    "GH_NODES", "SIGMA_SWITCH", "WINDOW_SIGMAS", "atanh_terms", "gauss_hermite_sums",
    "interior_quadrature", "log_gamma_shift", "peak_width", "stirling_tail",
]

#: Gauss-Hermite nodes per element, by peak width: ``(sigma_from, nodes)``, widest first
#: (a wider peak is closer to a Gaussian and needs fewer nodes for the same accuracy).
#: Measured worst relative error against a 32-node rule over 3,000 random peaks
#: (``SIGMA_SWITCH`` and up): 16 nodes 3.7e-15 for sigma in [16, 32), 12 nodes 5.6e-15 in
#: [32, 64), 10 nodes 1.8e-15 in [128, 256) (and 2.5e-14 beyond, as for every rule: the
#: reference's own rounding).
GH_NODES = ((128.0, 10), (32.0, 12), (0.0, 16))
#: Peaks at least this wide (about 18 * SIGMA_SWITCH series terms) use the quadrature.
SIGMA_SWITCH = 16.0
#: The peak +- this many widths must lie inside [jmin, f] for the quadrature.
WINDOW_SIGMAS = 12.0



def _rule(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``sqrt(2) x_i`` and log-weights ``log(sqrt(2) w_i) + x_i**2``, increasing nodes."""
    x, w = np.polynomial.hermite.hermgauss(nodes)
    return (np.ascontiguousarray(x * math.sqrt(2.0)),
            np.ascontiguousarray(np.log(w) + x * x + 0.5 * math.log(2.0)))


_WIDE_X, _WIDE_LOGW = _rule(GH_NODES[0][1])
_MID_X, _MID_LOGW = _rule(GH_NODES[1][1])
_NARROW_X, _NARROW_LOGW = _rule(GH_NODES[2][1])


@njit_cached
def peak_width(j: float, f: float, b: float, big_a: float) -> float:  # pragma: no cover
    r"""Laplace width :math:`\sigma = \kappa^{-1/2}` of the summand's peak at ``J = j``.

    :math:`\kappa = -\partial_J \log\rho` from the term ratio (floored at half its always
    positive part, as :math:`\beta<1` makes the first two terms negative).
    """
    k_pos = 1.0 / (f - j + 1.0) + 1.0 / (big_a + j)
    kappa = max(1.0 / (j + 1.0) - 1.0 / (b + j) + k_pos, 0.5 * k_pos)
    return 1.0 / math.sqrt(kappa)


#: ``1/(2k+1)``, k = 1, 2, ...: the coefficients of ``Q``.
_INV_ODD = np.ascontiguousarray(1.0 / (2.0 * np.arange(1, 65) + 1.0))
#: Most terms of ``Q`` kept (``v**2 <= 0.56`` then still reaches 1e-17).
_Q_TERMS_MAX = 64


@njit_cached
def atanh_terms(v2_max: float) -> int:  # pragma: no cover - compiled
    """Terms of ``Q`` for ``v**2 <= v2_max``: the first left out is below ``1e-17 * Q``."""
    if v2_max <= 0.0:
        return 1
    return min(int(math.ceil(math.log(3e-17) / math.log(v2_max))) + 1, _Q_TERMS_MAX)


@njit_cached(inline="always")
def stirling_tail(iy: float) -> float:  # pragma: no cover - compiled
    """Stirling's remainder ``S(y)`` from ``iy = 1/y``, ``y >= 10`` (as ``nb_stirlerr``)."""
    z = iy * iy
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
    ) * iy


@njit_cached(inline="always")
def _psi_remainder(iy: float) -> float:  # pragma: no cover - compiled
    """``log y - 1/(2y) - psi(y)`` from ``iy = 1/y``, ``y >= 10`` (the series of ``nb_digamma``)."""
    z = iy * iy
    return z * (
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


@njit_cached(inline="always")
def log_gamma_shift(
    x: float, s_x: float, delta: float, q_terms: int
) -> tuple[float, float, float]:  # pragma: no cover - compiled
    """``(D(x, delta), log1p(delta/x), 1/(x + delta))``; ``s_x = S(x)``; ``x, x + delta >= 10``.

    One division: ``1/((2x + delta)(x + delta))`` gives both ``v`` and ``1/(x + delta)``.
    """
    y = x + delta
    w = 2.0 * x + delta
    inv = 1.0 / (w * y)
    v = delta * y * inv
    iy = w * inv
    v2 = v * v
    q = _INV_ODD[q_terms - 1]
    for k in range(q_terms - 2, -1, -1):
        q = q * v2 + _INV_ODD[k]
    log1p_t = 2.0 * v * (1.0 + v2 * q)
    d = delta * v + 2.0 * y * v * v2 * q - 0.5 * log1p_t + (stirling_tail(iy) - s_x)
    return d, log1p_t, iy


@njit_cached
def interior_quadrature(
    c: float, f: float, b: float, s: float, big_a: float, m: float, centre: float,
    sigma: float, want_grad: bool,
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """:func:`gauss_hermite_sums` with the rule :data:`GH_NODES` gives for ``sigma``."""
    if sigma >= GH_NODES[0][0]:
        return gauss_hermite_sums(c, f, b, s, big_a, m, centre, sigma, want_grad,
                                  _WIDE_X, _WIDE_LOGW)
    if sigma >= GH_NODES[1][0]:
        return gauss_hermite_sums(c, f, b, s, big_a, m, centre, sigma, want_grad,
                                  _MID_X, _MID_LOGW)
    return gauss_hermite_sums(c, f, b, s, big_a, m, centre, sigma, want_grad,
                              _NARROW_X, _NARROW_LOGW)


@njit_cached
def gauss_hermite_sums(
    c: float, f: float, b: float, s: float, big_a: float, m: float, centre: float,
    sigma: float, want_grad: bool, gh_x: np.ndarray, gh_logw: np.ndarray,
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    r"""Interior sums in units of :math:`T(m)`: ``sum T``, ``sum T delta``, ``sum T dpsi_A/b``.

    The same four sums the series accumulates (``tot``, ``s_j``, ``s_pa``, ``s_pb``), by the
    Gauss-Hermite rule ``(gh_x, gh_logw)`` centred at ``centre`` with width ``sigma``.  The
    caller guarantees ``m + 1``, ``f - m + 1``, ``beta + m``, ``A + m`` and every node's
    shifted arguments are at least 10 (the asymptotic branches).
    """
    x1 = m + 1.0
    x2 = f - m + 1.0
    x3 = b + m
    x4 = big_a + m
    s1 = stirling_tail(1.0 / x1)
    s2 = stirling_tail(1.0 / x2)
    s3 = stirling_tail(1.0 / x3)
    s4 = stirling_tail(1.0 / x4)
    lin = math.log((x2 * s * x3) / (x1 * (1.0 - s) * x4))
    r3 = _psi_remainder(1.0 / x3)
    r4 = _psi_remainder(1.0 / x4)
    log_scale = math.log(sigma)
    # offsets from m, not nodes: a node next to J ~ 1e7 would carry an ulp of ~1e-9, which
    # the slope of log T (~1/sigma) turns into ~1e-12 of L (measured); the common offset
    # centre - m is exact (Sterbenz) and shifts all nodes together, which the rule does not see
    offset = centre - m
    reach = abs(offset) + sigma * gh_x[-1]
    x_min = min(min(x1, x2), min(x3, x4))
    v_max = reach / (2.0 * x_min - reach)
    q_terms = atanh_terms(v_max * v_max)
    tot = 0.0
    s_j = 0.0
    s_pa = 0.0
    s_pb = 0.0
    for i in range(gh_x.shape[0]):
        delta = offset + sigma * gh_x[i]
        d1, _, _ = log_gamma_shift(x1, s1, delta, q_terms)
        d2, _, _ = log_gamma_shift(x2, s2, -delta, q_terms)
        d3, l3, iy3 = log_gamma_shift(x3, s3, delta, q_terms)
        d4, l4, iy4 = log_gamma_shift(x4, s4, delta, q_terms)
        log_t = delta * lin - d1 - d2 + d3 - d4
        t = math.exp(log_t + gh_logw[i] + log_scale)
        tot += t
        if want_grad:
            dpsi_b = l3 + 0.5 * delta * iy3 / x3 - (_psi_remainder(iy3) - r3)
            dpsi_a = l4 + 0.5 * delta * iy4 / x4 - (_psi_remainder(iy4) - r4)
            s_j += t * delta
            s_pa += t * dpsi_a
            s_pb += t * dpsi_b
    return tot, s_j, s_pa, s_pb
