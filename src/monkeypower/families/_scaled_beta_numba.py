r"""Numba fast path for the scaled-Beta log mixed moment and its gradient.

Same quantity as :func:`~monkeypower.families.scaled_beta.scaled_beta_log_moment`,

.. math::

    L(c, f) = c\log s - \log B(\alpha,\beta) + \log \sum_{J=0}^{f} T(J), \qquad
    T(J) = \binom{f}{J} s^J (1-s)^{f-J}\, B(\alpha+c, \beta+J),

but summed *exactly* over the integers with the term ratio

.. math::

    \rho(J) = \frac{T(J+1)}{T(J)} = \frac{f-J}{J+1}\,\frac{s}{1-s}\,\frac{\beta+J}{A+J},
    \qquad A = \alpha+\beta+c,

a few flops per term and no special function per term.  ``log T`` itself is
evaluated (cancellation-free, Loader's binomial pmf and the stable
``betaln``) only at the one or two anchor points; all other terms are
products of ratios relative to their anchor, so nothing overflows.

Shape of the summand (exact)
----------------------------
:math:`\rho(J) > 1 \iff q(J) > 0` with the downward parabola

.. math:: q(J) = -J^2 + \big[s(f-\beta) - (1-s)(A+1)\big] J + \big[sf\beta - (1-s)A\big]

(multiply out :math:`\rho > 1`; the ``J^2`` coefficients add to 1).  So
over the integers ``T`` first falls (``J <= J-``), then rises up to
:math:`m = \lceil J_+\rceil`, then falls, with :math:`J_\pm` the roots of
``q``.  There are at most two local maxima: the interior mode ``m`` and, when
:math:`q(0) < 0` and ``m > 0``, a *head* at ``J = 0`` (only possible for
:math:`\beta<1`, where :math:`\Gamma(\beta+J)/\Gamma(J+1)\sim J^{\beta-1}` is
log-convex).  The sum is done in up to three monotone sweeps: up from ``m``,
down from ``m`` to the valley :math:`\lceil J_-\rceil`, and up from ``0``
towards the valley.  A sweep stops once a *rigorous* bound on the rest of its
(monotone) segment is below ``1e-17`` of the running total: the term times the
number of remaining terms, or the geometric bound :math:`t\rho/(1-\rho)` where
the ratio is known to be monotone (always for :math:`\beta\ge1`, where ``T`` is
log-concave; for :math:`\beta<1` beyond
:math:`J \ge \sqrt{(1-\beta)(f+A)/4}`, where
:math:`\partial_J\log\rho = -\frac1{f-J} - \frac1{A+J} + \frac{1-\beta}{(\beta+J)(J+1)} < 0`).

Long series (cost flat in ``n``)
--------------------------------
The series has about :math:`18\sigma` terms for a peak of width :math:`\sigma \sim
\sqrt{f s(1-s)}` (36,000 at ``f = 4e6``, ``s = 1/2``).  By default (``method="auto"``) the
kernel replaces it, where it would be long, by a fixed number of summands:

* a wide interior peak (:math:`\sigma \ge 16`, its :math:`\pm 12\sigma` window inside
  ``[jmin, f]``) by a Laplace-placed Gauss-Hermite rule of 10 to 16 nodes
  (:mod:`._scaled_beta_quadrature_numba`);
* terms piled against ``J = 0`` over a window reaching past ``J = 2000`` (data at the ceiling,
  or a peak too near 0 or the head for that rule) by the mapped trapezoid rule of the
  fixed-node scheme, 129 nodes (:mod:`._scaled_beta_boundary_numba`).

Both are as accurate as the series against mpmath (better for ``f`` in the millions, where the
series' running products lose 1e-8 and more in the gradients), and agree with it
across the switches (``tests/test_scaled_beta_numba.py``).  A wide peak against ``J = f``
(``s`` near 1 with a wide Beta) still takes the series.

Gradients are weighted averages of :math:`\partial_\theta \log T(J)`
(:math:`-\psi(A+J)` for :math:`\alpha`, :math:`\psi(\beta+J) - \psi(A+J)` for
:math:`\beta`, :math:`(J - fs)/(s(1-s))` for ``s``) with the digammas carried
along each sweep by :math:`\psi(x+1) = \psi(x) + 1/x`.

Tiny :math:`\alpha`, :math:`\beta` (down to 1e-300): every ``b + J - 1`` is formed as
``b + (J - 1)`` (``J - 1`` exact), since ``b + J - 1`` rounds to 0 at ``J = 1`` for
``b < 1.1e-16`` and raised ``ZeroDivisionError`` inside a sampler.

Special cases: ``f == 0`` (closed form), ``s == 1`` (only ``J = f``: the Beta
family; :math:`\partial_s L` is then the exact *left* derivative
:math:`c - f(\alpha+c)/(\beta+f-1)`, i.e. including the ``J = f-1`` term whose
derivative does not vanish at ``s = 1``).  Invalid input (``alpha <= 0``,
``beta <= 0``, ``s`` outside ``(0, 1]``, negative or non-integer ``f``,
negative ``c``, NaN) gives NaN.

Public API
----------
:func:`log_moment_numba`
    NumPy broadcasting entry (parallel over elements), optionally with gradients.
:func:`digamma_numba`
    Re-exported from :mod:`._special_numba`.

The PyTensor ``Op`` that runs this kernel in a graph is :mod:`._scaled_beta_op`.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from ._numba_cache import njit_cached
from ._scaled_beta_boundary_numba import BOUNDARY_MIN_REACH, lower_boundary_sums
from ._scaled_beta_quadrature_numba import (
    SIGMA_SWITCH,
    WINDOW_SIGMAS,
    interior_quadrature,
    peak_width,
)
from ._special_numba import (
    digamma_numba,
    nb_betaln,
    nb_digamma,
    nb_log_binom_pmf,
)

__all__ = ["AUTO", "QUADRATURE", "SERIES", "digamma_numba", "log_moment_numba"]

#: Relative bound on the neglected remainder of each sweep.
_TOL = 1e-17
#: Terms summed between two stopping tests.
_BLOCK = 8.0
#: ``method`` codes of the kernel: the quadrature for wide peaks (the default), the exact
#: series always, or the quadrature wherever the peak's geometry allows it (tests).
AUTO, SERIES, QUADRATURE = 0, 1, 2
#: Narrowest peak the quadrature may take (its summands use Stirling's series from 10 up).
_SIGMA_MIN = 3.0

# ---------------------------------------------------------------------------
# The scalar kernel
# ---------------------------------------------------------------------------


@njit_cached
def _int_minus_product(m: float, f: float, s: float) -> float:  # pragma: no cover - compiled
    """``m - f s`` for integers ``m, f`` without the rounding of ``f s`` (exact for f < 2**27).

    ``s`` is split (Veltkamp) into 26 + 27 bits, so ``f * s_hi`` is exact and
    ``m - f * s_hi`` cancels exactly (Sterbenz) when ``m`` is near ``f s``: ``dL/ds`` divides
    this by ``s (1 - s)``, which would turn the ulp of ``f s`` (7e-9 at 3.6e7) into ~3e-7.
    """
    split = 134217729.0 * s  # 2**27 + 1
    s_hi = split - (split - s)
    return (m - f * s_hi) - f * (s - s_hi)


@njit_cached
def _kernel(
    c: float, f: float, a: float, b: float, s: float, want_grad: bool, method: int,
    param_terms: tuple[float, float, float, float],
) -> tuple[float, float, float, float]:  # pragma: no cover - compiled
    """``(L, dL/da, dL/db, dL/ds)``; the gradients are 0 when ``want_grad`` is False.

    ``param_terms`` is :func:`_param_terms` of ``(a, b)`` (shared by all elements of a call).

    ``method``: :data:`AUTO` (the interior peak by Gauss-Hermite quadrature when it is wide,
    see :mod:`._scaled_beta_quadrature_numba`), :data:`SERIES` or :data:`QUADRATURE`.
    """
    nan = math.nan
    if not (
        a > 0.0
        and b > 0.0
        and s > 0.0
        and s <= 1.0
        and c >= 0.0
        and f >= 0.0
        and math.isfinite(a)
        and math.isfinite(b)
        and math.isfinite(c)
        and math.isfinite(f)
        and f == math.floor(f)
    ):
        return nan, nan, nan, nan
    big_a = a + b + c
    lb_ab, psi_a, psi_b, psi_ab = param_terms

    if f == 0.0 or s == 1.0:
        # Only the J = f term: L = c log s + f log s + betaln(a+c, b+f) - betaln(a, b).
        lval = (c + f) * math.log(s) + nb_betaln(a + c, b + f) - lb_ab
        if not want_grad:
            return lval, 0.0, 0.0, 0.0
        psi_af = nb_digamma(big_a + f)
        da = nb_digamma(a + c) - psi_a + psi_ab - psi_af
        if f == 0.0:
            db = psi_ab - psi_af
            ds = c / s
        else:
            db = nb_digamma(b + f) - psi_b + psi_ab - psi_af
            # exact left derivative at s = 1: the J = f-1 term adds -f B(., b+f-1)/B(., b+f)
            ds = c - f * (a + c) / (b + (f - 1.0))
        return lval, da, db, ds

    # ---- general case: 0 < s < 1, f >= 1 -------------------------------------------
    r0 = s / (1.0 - s)
    bq = s * (f - b) - (1.0 - s) * (big_a + 1.0)
    cq = s * f * b - (1.0 - s) * big_a
    disc = bq * bq + 4.0 * cq
    if disc < 0.0:
        jplus = -1.0  # q < 0 everywhere: T decreasing, mode at 0
    else:
        sd = math.sqrt(disc)
        if bq >= 0.0:
            jplus = 0.5 * (bq + sd)
        else:
            jplus = 2.0 * cq / (sd - bq) if sd - bq > 0.0 else -1.0
    if jplus <= 0.0:
        m = 0.0
    else:
        m = min(math.ceil(jplus), f)
    # Head: T(1) < T(0) while an interior mode exists -> valley at ceil(J-), J- = -cq / J+.
    head = cq < 0.0 and m > 0.0
    if head:
        jmin = min(math.ceil(-cq / jplus), m)
    else:
        jmin = 0.0
    # Beyond this J the ratio is monotone (geometric tail bound valid).
    if b >= 1.0:
        jmono = 0.0
    else:
        jmono = math.sqrt((1.0 - b) * (f + big_a) * 0.25) + 1.0

    # ---- interior peak, anchored at m ----------------------------------------------
    log_tm = nb_log_binom_pmf(m, f, s) + nb_betaln(a + c, b + m)
    tot = 1.0  # sum of T(J)/T(m)
    s_j = 0.0  # sum t (J - m)
    s_pa = 0.0  # sum t (psi(A+J) - psi(A+m))
    s_pb = 0.0  # sum t (psi(b+J) - psi(b+m))

    # a wide peak far from 0, f and the head: Gauss-Hermite quadrature (fixed cost)
    quadrature = False
    near_zero = False  # a wide peak too near J = 0 (or the head's valley) for the rule
    if method != SERIES and jplus > 0.0:
        centre = jplus + 0.5  # the continuous mode: rho(J_c - 1/2) = 1
        sigma = peak_width(centre, f, b, big_a)
        reach = WINDOW_SIGMAS * sigma
        quadrature = (
            sigma >= (SIGMA_SWITCH if method == AUTO else _SIGMA_MIN)
            and centre - reach >= jmin
            and centre + reach <= f
            and b + m >= 10.0 + reach
        )
        near_zero = centre - reach < jmin
        if quadrature:
            tot, s_j, s_pa, s_pb = interior_quadrature(
                c, f, b, s, big_a, m, centre, sigma, want_grad
            )
    # terms piled against J = 0 over a long range (data at the ceiling, beta < 1): a map
    if method != SERIES and not quadrature and f >= BOUNDARY_MIN_REACH:
        applies, log_sum, e_j, e_psi_a, e_psi_b = lower_boundary_sums(
            c, f, a, b, s, want_grad, near_zero
        )
        if applies:
            lval = c * math.log(s) - lb_ab + log_sum
            if not want_grad:
                return lval, 0.0, 0.0, 0.0
            psi_ac = nb_digamma(a + c)
            da = psi_ac - psi_a + psi_ab - e_psi_a
            db = psi_ab - psi_b + e_psi_b - e_psi_a
            ds = c / s + (e_j - f * s) / (s * (1.0 - s))
            return lval, da, db, ds

    # The stopping test runs once per block of _BLOCK terms (cheaper than per term; a
    # block may add a few more, exact, terms).  The value-only and gradient paths
    # compute the same terms and stop at the same place, so their values agree exactly.

    # upward from m
    t = 1.0
    dpa = 0.0
    dpb = 0.0
    rho = 0.0
    j = f if quadrature else m
    while j < f:
        for _ in range(int(min(_BLOCK, f - j))):
            if j >= 1.0:
                # one division for rho, 1/(A+j) and 1/(b+j) (j >= 1: nothing under/overflows);
                # the value-only path takes the same rho, so both paths give the same value
                p_a = (j + 1.0) * (big_a + j)
                inv = 1.0 / (p_a * (b + j))
                rho = r0 * ((f - j) * (b + j)) * ((b + j) * inv)
                if want_grad:
                    dpa += (j + 1.0) * (b + j) * inv
                    dpb += p_a * inv
            else:
                rho = r0 * ((f - j) * (b + j)) / ((j + 1.0) * (big_a + j))
                if want_grad:
                    dpa += 1.0 / (big_a + j)
                    dpb += 1.0 / (b + j)
            t *= rho
            j += 1.0
            tot += t
            if want_grad:
                s_j += t * (j - m)
                s_pa += t * dpa
                s_pb += t * dpb
        # remaining terms (j+1 .. f) are each <= t (past the mode T decreases)
        lim = _TOL * tot
        if t * (f - j) <= lim:
            break
        if rho < 1.0 and j - 1.0 >= jmono and t * rho <= lim * (1.0 - rho):
            break

    # downward from m to jmin
    t = 1.0
    dpa = 0.0
    dpb = 0.0
    irho = 0.0
    j = jmin if quadrature else m
    geo_ok = b >= 1.0 or jmin >= jmono
    while j > jmin:
        for _ in range(int(min(_BLOCK, j - jmin))):
            # T(j-1)/T(j) = 1 / rho(j-1)
            # (j - 1) first: exact for integer j, while b + j - 1 rounds to 0 for b < 1.1e-16, j = 1
            if j >= 2.0:
                # one division for 1/rho(j-1), 1/(A+j-1) and 1/(b+j-1) (j-1 >= 1)
                p_b = r0 * ((f - j + 1.0) * (b + (j - 1.0)))
                inv = 1.0 / (p_b * (big_a + (j - 1.0)))
                irho = (j * (big_a + (j - 1.0))) * ((big_a + (j - 1.0)) * inv)
                if want_grad:
                    dpa -= (p_b * inv)
                    dpb -= r0 * (f - j + 1.0) * (big_a + (j - 1.0)) * inv
            else:
                irho = (j * (big_a + (j - 1.0))) / (r0 * ((f - j + 1.0) * (b + (j - 1.0))))
                if want_grad:
                    dpa -= 1.0 / (big_a + (j - 1.0))
                    dpb -= 1.0 / (b + (j - 1.0))
            t *= irho
            j -= 1.0
            tot += t
            if want_grad:
                s_j += t * (j - m)
                s_pa += t * dpa
                s_pb += t * dpb
        lim = _TOL * tot
        if t * (j - jmin) <= lim:
            break
        if geo_ok and irho < 1.0 and t * irho <= lim * (1.0 - irho):
            break

    # ---- head peak at 0 (beta < 1, data at the ceiling) ----------------------------
    h_tot = 0.0
    h_j = 0.0
    h_pa = 0.0
    h_pb = 0.0
    log_t0 = 0.0
    lr = -math.inf
    if head and jmin > 0.0:
        log_t0 = f * math.log1p(-s) + nb_betaln(a + c, b)
        lr = log_t0 - log_tm  # log T(0)/T(m)
        # skip if all jmin head terms (each <= T(0)) are negligible
        if lr > math.log(_TOL * tot / jmin):
            # work in units of T(0): interior part is tot * exp(-lr)
            base = tot * math.exp(-lr) if lr < 700.0 else 0.0
            t = 1.0
            h_tot = 1.0
            dpa = 0.0
            dpb = 0.0
            j = 0.0
            while j < jmin - 1.0:
                for _ in range(int(min(_BLOCK, jmin - 1.0 - j))):
                    rho = r0 * ((f - j) * (b + j)) / ((j + 1.0) * (big_a + j))
                    if want_grad:
                        dpa += 1.0 / (big_a + j)
                        dpb += 1.0 / (b + j)
                    t *= rho
                    j += 1.0
                    h_tot += t
                    if want_grad:
                        h_j += t * j
                        h_pa += t * dpa
                        h_pb += t * dpb
                if t * (jmin - 1.0 - j) <= _TOL * (base + h_tot):
                    break
        else:
            lr = -math.inf

    # ---- combine -------------------------------------------------------------------
    const = c * math.log(s) - lb_ab
    if lr <= 0.0:
        w_h = math.exp(lr)  # weight of head sums relative to interior units
        w_i = 1.0
        total = tot + w_h * h_tot
        lval = const + log_tm + math.log(total)
    else:
        w_h = 1.0
        w_i = math.exp(-lr)
        total = w_i * tot + h_tot
        lval = const + log_t0 + math.log(total)
    if not want_grad:
        return lval, 0.0, 0.0, 0.0

    pi = w_i / total  # interior share per unit
    ph = w_h / total
    psi_am = nb_digamma(big_a + m)
    psi_bm = nb_digamma(b + m)
    e_pa = pi * s_pa  # E[psi(A+J)] - psi(A+m) over the interior part ...
    e_pb = pi * s_pb
    e_dj = pi * s_j  # E[J] - m: kept apart from m, whose ulp (~1e-8 at 1e8) ds would amplify
    if h_tot > 0.0:
        # ... plus the head part, whose digammas are relative to J = 0
        psi_a0 = nb_digamma(big_a)
        psi_b0 = psi_b
        share_h = ph * h_tot
        e_pa += ph * h_pa + share_h * (psi_a0 - psi_am)
        e_pb += ph * h_pb + share_h * (psi_b0 - psi_bm)
        e_dj += ph * h_j - share_h * m
    da = nb_digamma(a + c) - psi_a + psi_ab - psi_am - e_pa
    db = psi_ab - psi_b + (psi_bm - psi_am) + (e_pb - e_pa)
    ds = c / s + (_int_minus_product(m, f, s) + e_dj) / (s * (1.0 - s))
    return lval, da, db, ds


# ---------------------------------------------------------------------------
# Vectorised drivers
# ---------------------------------------------------------------------------


@njit_cached
def _param_terms(a: float, b: float) -> tuple[float, float, float, float]:  # pragma: no cover
    """``(log B(a, b), psi(a), psi(b), psi(a + b))``: the terms that depend on ``(a, b)`` only.

    Computed once per call in the Op (all elements share the parameters), not per element.
    """
    if not (a > 0.0 and b > 0.0 and math.isfinite(a) and math.isfinite(b)):
        return math.nan, math.nan, math.nan, math.nan
    return nb_betaln(a, b), nb_digamma(a), nb_digamma(b), nb_digamma(a + b)


#: Elements per block of the parallel driver (each block reuses the parameter terms).
_PARALLEL_BLOCK = 256


@njit_cached
def _fill(c, f, a, b, s, want_grad, method, out, start, stop):  # pragma: no cover - compiled
    """Kernel over ``start:stop`` into ``out``, the parameter terms reused while unchanged."""
    last_a = math.nan
    last_b = math.nan
    terms = (math.nan, math.nan, math.nan, math.nan)
    for i in range(start, stop):
        if a[i] != last_a or b[i] != last_b:
            last_a = a[i]
            last_b = b[i]
            terms = _param_terms(last_a, last_b)
        r = _kernel(c[i], f[i], a[i], b[i], s[i], want_grad, method, terms)
        out[0, i] = r[0]
        out[1, i] = r[1]
        out[2, i] = r[2]
        out[3, i] = r[3]


@njit_cached(parallel=True)
def _vec_parallel(c, f, a, b, s, want_grad, method):  # pragma: no cover - compiled
    n = c.shape[0]
    out = np.empty((4, n))
    blocks = (n + _PARALLEL_BLOCK - 1) // _PARALLEL_BLOCK
    for block in numba.prange(blocks):
        start = block * _PARALLEL_BLOCK
        _fill(c, f, a, b, s, want_grad, method, out, start, min(start + _PARALLEL_BLOCK, n))
    return out


@njit_cached
def _vec_serial(c, f, a, b, s, want_grad, method):  # pragma: no cover - compiled
    n = c.shape[0]
    out = np.empty((4, n))
    _fill(c, f, a, b, s, want_grad, method, out, 0, n)
    return out


def log_moment_numba(
    c: Any, f: Any, a: Any, b: Any, s: Any, with_grad: bool = False, parallel: bool = True,
    method: str = "auto",
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Scaled-Beta :math:`L(c, f) = \log\mathbb{E}[p^c(1-p)^f]`, broadcasting NumPy-style.

    Parameters
    ----------
    c, f
        Success / failure counts (non-negative; ``f`` integer-valued).
    a, b, s
        :math:`\alpha > 0`, :math:`\beta > 0`, scale :math:`0 < s \le 1`.
    with_grad
        Also return :math:`\partial L/\partial\alpha`, :math:`\partial L/\partial\beta`,
        :math:`\partial L/\partial s` (at ``s == 1`` the left derivative).
    parallel
        Use numba's parallel loop over elements (default); ``False`` runs serially.
    method
        ``"auto"`` (default): the exact series, or for a wide interior peak
        (:math:`\sigma \ge` ``SIGMA_SWITCH``, far from the ends) its Gauss-Hermite quadrature;
        ``"series"``: the exact series always; ``"quadrature"``: the quadrature wherever the
        peak's geometry allows it, however narrow (to test the switch from both sides).

    Returns
    -------
    ndarray or tuple of ndarray
        ``L`` with the broadcast shape, or ``(L, dL_da, dL_db, dL_ds)``.
        Invalid inputs give NaN.
    """
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (c, f, a, b, s)))
    shape = arrays[0].shape
    # copies: a broadcast view is read-only with zero strides, which the kernels cannot take
    flat = [np.array(x, dtype=np.float64, order="C").reshape(-1) for x in arrays]
    codes = {"auto": AUTO, "series": SERIES, "quadrature": QUADRATURE}
    if method not in codes:
        raise ValueError(f"method must be one of {sorted(codes)}, got {method!r}")
    fn = _vec_parallel if parallel else _vec_serial
    out = fn(*flat, bool(with_grad), codes[method])
    if not with_grad:
        return out[0].reshape(shape)
    return tuple(out[k].reshape(shape) for k in range(4))  # type: ignore[return-value]
