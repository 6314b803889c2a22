r"""The scaled-Beta series when its terms pile up against ``J = 0``: a mapped trapezoid rule.

For data at the ceiling (``c ~ n s``) with :math:`\beta < 1` the summand

.. math:: T(J) = \binom{f}{J} s^J (1-s)^{f-J} B(\alpha+c, \beta+J)

is largest at or near ``J = 0`` and decays over a width :math:`\sigma \sim \sqrt f`: neither a
Gaussian peak for :mod:`._scaled_beta_quadrature_numba` nor a short series (about
:math:`12\sigma` terms, 6e4 at ``f = 1e8``).  This is the *touching* case of the fixed-node
scheme of :func:`~monkeypower.families.scaled_beta.scaled_beta_log_moment` (its module
docstring derives and validates it: worst 7.5e-15 over 2,285 random ceiling-touching cases),
computed here per element in numba: :data:`N_MAP` nodes

.. math:: J(t) = t + (h-1)\Phi(t), \qquad w(t) = 1 + (h-1)\Phi'(t), \qquad t = 0, 1, \dots,

exact integers (weight 1) next to ``J = 0``, where the summand is not smooth, then a smooth
transition (:math:`\Phi' = \tfrac12\mathrm{erfc}((t_1-t)/\omega)`) to a step ``h`` that makes
the nodes reach :math:`J^* + 12\sigma + 10`.  Each node costs a binomial log-pmf, a
:math:`\log B` and, for the gradient, two digammas, so the element costs ~100 summands
whatever ``f`` is.  The gradient is the weighted mean of the summands' exact derivatives (node
placement carries no gradient, as the sum does not depend on it).

The kernel of :mod:`._scaled_beta_numba` inlines this module; its numba cache is keyed by the
source of every module of ``families/`` (:func:`~._numba_cache.njit_cached`), and the PyTensor
Op's cache salt covers this file, so an edit here recompiles both.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sps

from ._numba_cache import njit_cached
from ._scaled_beta_quadrature_numba import atanh_terms, log_gamma_shift, stirling_tail
from ._special_numba import nb_betaln, nb_digamma, nb_log_binom_pmf, nb_log_gamma_ratio

__all__ = ["BOUNDARY_MIN_REACH", "N_MAP", "lower_boundary_sums"]

#: Nodes of the map (as the fixed-node scheme: ``3 * 32 + 1``).
N_MAP = 129
#: Map transition centre and width (node-index units), as the fixed-node scheme.
MAP_T1 = 80.0
MAP_OMEGA = 8.0
#: The window ``J* +- (WINDOW_SIGMAS * sigma + WINDOW_PAD)`` and the touching test, as there.
WINDOW_SIGMAS = 12.0
WINDOW_PAD = 10.0
TOUCH_LOG_RATIO = 40.0
#: Use the map only when the window reaches this far (shorter series are cheaper).
BOUNDARY_MIN_REACH = 2000.0

_T = np.arange(N_MAP, dtype=np.float64)


def _map_psi(z: np.ndarray) -> np.ndarray:
    return z * sps.erfc(-z) + np.exp(-z * z) / math.sqrt(math.pi)


_PHI = np.ascontiguousarray(
    0.5 * MAP_OMEGA * (_map_psi((_T - MAP_T1) / MAP_OMEGA) - _map_psi(-MAP_T1 / MAP_OMEGA)))
_DPHI = np.ascontiguousarray(0.5 * sps.erfc((MAP_T1 - _T) / MAP_OMEGA))
_PHI_END = float(_PHI[-1])
_T_END = float(N_MAP - 1)


@njit_cached
def _log_summand(
    j: float, c: float, f: float, a: float, b: float, s: float
) -> float:  # pragma: no cover - compiled
    """``log T(J) + log B(a, b)`` at a real ``0 <= J <= f`` (``0 < s < 1``)."""
    return nb_log_binom_pmf(j, f, s) + nb_betaln(a + c, b + j)


@njit_cached
def lower_boundary_sums(
    c: float, f: float, a: float, b: float, s: float, want_grad: bool, near_zero: bool
) -> tuple[bool, float, float, float, float]:  # pragma: no cover - compiled
    r"""``(applies, log sum_J T(J) B(a,b), E[J], E[psi(A+J)], E[psi(b+J)])`` by the map.

    ``applies`` is False (and the rest 0) unless the window :math:`J^* \pm (12\sigma + 10)`
    reaches ``J = 0`` (or the caller found the peak too near 0 or a head there for the
    Gauss-Hermite rule: ``near_zero``) or the summand touches it (its value there within
    ``TOUCH_LOG_RATIO`` nats of its peak), and the window reaches at least
    :data:`BOUNDARY_MIN_REACH`; the caller then sums the series.  ``0 < s < 1``, ``f >= 1``.
    """
    big_a = a + b + c
    sf = s * f
    bq = sf - b - (1.0 - s) * (a + c)
    disc = math.sqrt(bq * bq + 4.0 * sf * b)
    if bq >= 0.0:
        jstar = 0.5 * (bq + disc)
    else:
        jstar = 2.0 * sf * b / max(disc - bq, 1e-300)
    jstar = min(max(jstar, 0.0), f)
    k_pos = 1.0 / (f - jstar + 1.0) + 1.0 / (big_a + jstar)
    kappa = max(1.0 / (jstar + 1.0) - 1.0 / (b + jstar) + k_pos, 0.5 * k_pos)
    sigma = max(1.0 / math.sqrt(kappa), 1.0)
    half_w = WINDOW_SIGMAS * sigma + WINDOW_PAD
    hi = min(jstar + half_w, f)
    if hi < BOUNDARY_MIN_REACH:
        return False, 0.0, 0.0, 0.0, 0.0
    l_0 = _log_summand(0.0, c, f, a, b, s)
    # the window reaches J = 0, or the summand there is within TOUCH_LOG_RATIO of its peak
    if (not near_zero and jstar - half_w > 0.0
            and not l_0 > _log_summand(jstar, c, f, a, b, s) - TOUCH_LOG_RATIO):
        return False, 0.0, 0.0, 0.0, 0.0
    # log T(J) - log T(0), cancellation-free (their absolute values, ~f, would leave the
    # node weights only ~eps * f accurate relative to each other: 2e-8 in dL/dbeta, measured):
    # J log((f+1) r0 / A) - D(f+1, -J) - D(A, J) + log Gamma(b+J) - log Gamma(J+1) + const
    x_f = f + 1.0
    if big_a < 10.0 + hi or x_f < 10.0 + 2.0 * hi:
        return False, 0.0, 0.0, 0.0, 0.0
    v_max = hi / (2.0 * min(x_f, big_a) - hi)
    q_terms = atanh_terms(v_max * v_max)
    s_f = stirling_tail(1.0 / x_f)
    s_a = stirling_tail(1.0 / big_a)
    lin = math.log((x_f * s) / ((1.0 - s) * big_a))
    step = 1.0 + max(hi - _T_END, 0.0) / _PHI_END
    log_terms = np.empty(N_MAP)
    nodes = np.empty(N_MAP)
    top = -math.inf
    used = 0
    for i in range(N_MAP):
        j = _T[i] + (step - 1.0) * _PHI[i]
        if j > f:
            break
        d_f, _, _ = log_gamma_shift(x_f, s_f, -j, q_terms)
        d_a, _, _ = log_gamma_shift(big_a, s_a, j, q_terms)
        # log Gamma(b+J) - log Gamma(J+1) as -[log Gamma(J+b+(1-b)) - log Gamma(J+b)]: ``b - 1``
        # would round to -1 for b < 1.1e-16 and put log Gamma(0) at J = 0
        lt = (j * lin - d_f - d_a - nb_log_gamma_ratio(j + b, 1.0 - b)
              + math.log(1.0 + (step - 1.0) * _DPHI[i]))
        log_terms[i] = lt
        nodes[i] = j
        top = max(top, lt)
        used += 1
    tot = 0.0
    e_j = 0.0
    e_pa = 0.0
    e_pb = 0.0
    for i in range(used):
        w = math.exp(log_terms[i] - top)
        tot += w
        if want_grad and w > 1e-18 * tot:
            j = nodes[i]
            e_j += w * j
            e_pa += w * nb_digamma(big_a + j)
            e_pb += w * nb_digamma(b + j)
    # the node J = 0 carries log Gamma(b): the constant is log T(0) - log Gamma(b)
    log_sum = l_0 - math.lgamma(b) + top + math.log(tot)
    if not want_grad:
        return True, log_sum, 0.0, 0.0, 0.0
    return True, log_sum, e_j / tot, e_pa / tot, e_pb / tot
