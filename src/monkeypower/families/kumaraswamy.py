r"""Kumaraswamy population family.

:math:`p \sim \mathrm{Kumaraswamy}(a, b)` (Kumaraswamy 1980), density
:math:`a b\, p^{a-1}(1-p^a)^{b-1}` on :math:`(0, 1)`, CDF :math:`1-(1-p^a)^b`.
Equivalently :math:`u = p^a \sim \mathrm{Beta}(1, b)`, so

.. math::

    \mathbb{E}[p^c(1-p)^f] = \int_0^1 b(1-u)^{b-1}\,u^{c/a}\,(1-u^{1/a})^f\,du .

There is no closed form for :math:`f > 0` (expanding :math:`(1-u^{1/a})^f` gives an
alternating series that cancels catastrophically for :math:`f` in the millions; for
:math:`f = 0` it is :math:`b\,B(1+c/a, b)`).  The integral is taken in
:math:`y = \operatorname{logit} u` (so :math:`du = \sigma(y)\sigma(-y)\,dy`):

.. math::

    L(c, f) = \log\int_{-\infty}^{\infty} \exp\Big\{\log b + (1+\tfrac{c}{a})\log\sigma(y)
        + b\log\sigma(-y) + f\log\big(1-e^{\log\sigma(y)/a}\big)\Big\}\,dy ,

whose integrand decays like :math:`e^{(1+c/a)y}` to the left and :math:`e^{-(b+f/a)y}` to
the right.  The variable :math:`u = p^a` matters for small :math:`a`: in
:math:`\operatorname{logit} p` the left tail would decay only like :math:`e^{(a+c)x}`
(hundreds of units wide for :math:`a = 0.1`, :math:`c = 0`).  The integral is done by
Laplace-placed two-sided Gauss–Legendre quadrature (:mod:`._laplace`; on NumPy and PyTensor
the nodes are placed and the rule summed with its gradient in one numba pass,
:mod:`._laplace_integral`) with the mode bracketed by

.. math::

    y_{lo} = \min\Big(\log\frac{1+c/a}{3b},\ \operatorname{logit}\big(q^a\big)\Big),\quad
    q = \frac{r}{1+r},\ r = \frac{a+c}{3f}; \qquad
    y_{hi} = \log\frac{2(1+c/a)}{b},

where :math:`h'(y_{lo}) \ge \tfrac13(1+c/a)\sigma(-y_{lo}) > 0 > h'(y_{hi})`; the search
starts from the Beta-like guess :math:`p_0 = (a+c)/(a+b+c+f)`.  Nodes: :data:`N_SIDE` per side,
spread geometrically beyond ``LOG_MAP`` Laplace widths from the mode (for small :math:`a` the
peak is ~:math:`a` wide next to an exponential tail ~45 long).

Accuracy with :data:`N_SIDE` = 36 nodes per side (``benchmarks/quadrature_nodes.py``, table
in ``docs/benchmarks.md``; error :math:`|L-L_{\rm ref}|/\max(1,|L_{\rm ref}|)` against an mpmath
oracle in :math:`\log(-\log p^a)`): where fits live (288 cases: 48 parameter points from the
central 98% of the priors of ``models/kumaraswamy.toml``, :math:`n` from 1 to :math:`10^8`,
:math:`c/n` spread), worst 3.1e-14 (1.2e-12 with 32 nodes, 1.6e-9 with 24); at every corner of
the 0.1%-99.9% quantile box (:math:`a\in\{0.0137, 6.62\}`, median :math:`\in\{0.001, 0.999\}`,
i.e. :math:`b` from 0.062 to :math:`5\cdot10^{19}`; counts from 0 to :math:`10^6`), worst
6.9e-13 (at :math:`a = 0.0137`, where the peak is ~:math:`a` wide; 3.3e-12 with 32 nodes);
stated bound :attr:`KumaraswamyFamily.accuracy` = 1e-12 (``tests/test_family_contract.py``).
Against mpmath in :math:`\operatorname{logit} p` on :math:`a\in\{0.1,0.3,1,2\}`,
:math:`b\in\{0.5,3,50\}` with counts from :math:`(0,0)` to :math:`(0,10^6)`, :math:`(10^4,0)`
and :math:`(5\cdot10^5,5\cdot10^5)`: better than 1e-11 in the relative error of :math:`L` and
of :math:`E=e^L` (3.7e-13; 1.4e-11 with 32 nodes); exact closed forms (:math:`f=0`;
:math:`a=1` or :math:`b=1`, Beta) to 1e-10 or better (``tests/test_quadrature_families.py``).

Where :math:`E = e^L` is within ~1e-13 of 1 (e.g. :math:`c = 0`, small :math:`f` and
:math:`a = 0.01`, where :math:`\mathbb{E}[p]` is tiny), the quadrature gets :math:`E` to ~1 ulp, so
:math:`L` is right to ~3e-15 *absolute* but not relative (a relative error of 1e-6 in an
:math:`L` of -2e-9 is such a case); a rounding error that would make :math:`L` positive is
clamped to 0 (:meth:`Family.log_moment`).

Tail: near :math:`p = 0` the density is :math:`\approx a b\,p^{a-1}`, so
:math:`\mathbb{E}[(1-p)^k] \sim a b\,\Gamma(a)\,k^{-a} = b\,\Gamma(a+1)\,k^{-a}`: a power law
with exponent :math:`a` and prefactor :math:`b\,\Gamma(a+1)`.

References
----------
P. Kumaraswamy (1980), "A generalized probability density function for double-bounded random
processes", Journal of Hydrology 46(1–2), 79–88.

R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power
(Laws)?", ICML 2025, arXiv:2502.17578 (Kumaraswamy populations in the synthetic backtests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._backend import NUMPY, Array, ArrayBackend, get_backend
from ._laplace import (
    FUSED_CHUNK,
    frozen_broadcast,
    laplace_nodes,
    log1mexp,
    log_sigmoid,
    numpy_chunked,
    quadrature_log_integral,
    sigmoid,
)
from ._laplace_integral import laplace_log_integral, log_integral_flat
from ._laplace_numba import (
    NumbaIntegrand,
    nb_log1mexp,
    nb_log1mexp_ratio,
    nb_log_sigmoid,
    nb_sigmoid,
    place_flat,
)
from ._numba_cache import njit_cached
from .base import POSITIVE, Family, TailBehaviour

__all__ = ["NUMBA_INTEGRAND", "KumaraswamyFamily", "kumaraswamy_log_moment"]

_LOG2 = math.log(2.0)
#: Gauss–Legendre nodes on each side of the mode, spread geometrically beyond
#: ``LOG_MAP`` Laplace widths (a peak of width ~a next to an exponential tail of length ~45);
#: the accuracy they buy is in the module docstring.
N_SIDE = 36
LOG_MAP = 2.0


def _h(y: Array, c: Array, f: Array, a: Array, b: Array, xp: ArrayBackend) -> Array:
    lsp = log_sigmoid(y, xp)
    log_1mp = log1mexp(lsp / a, xp)  # log(1 - p), p = u^(1/a)
    return xp.log(b) + (1.0 + c / a) * lsp + b * log_sigmoid(-y, xp) + f * log_1mp


def _nodes_generic(
    c: Array, f: Array, a: Array, b: Array, xp: ArrayBackend, n_side: int = N_SIDE
) -> tuple[Array, Array]:
    """Node placement written against the backend (used for JAX; see :mod:`._laplace_numba`)."""
    c0, f0, a0, b0 = frozen_broadcast(xp, c, f, a, b)
    k_left = 1.0 + c0 / a0  # left decay rate of the integrand in y
    has_f = f0 > 0.0
    log_f_over_a = xp.log(xp.maximum(f0, 1.0)) - xp.log(a0)

    def h(y: Array) -> Array:
        return _h(y, c0, f0, a0, b0, xp)

    def dh(y: Array) -> tuple[Array, Array]:
        sp, sm = sigmoid(y, xp), sigmoid(-y, xp)
        lsp = log_sigmoid(y, xp)
        lp = lsp / a0  # log p
        l1mp = log1mexp(lp, xp)  # log(1 - p)
        lsm = log_sigmoid(-y, xp)
        # T = (f/a) sigma(-y) p / (1 - p): the failure pull
        t = xp.where(has_f, xp.exp(xp.minimum(log_f_over_a + lsm + lp - l1mp, 700.0)), 0.0)
        ratio = xp.exp(xp.minimum(lsm - l1mp, 700.0))  # sigma(-y) / (1 - p)
        d1 = k_left * sm - b0 * sp - t
        d2 = -(k_left + b0) * sp * sm - t * (ratio / a0 - sp)
        return d1, d2

    y_hi = xp.log(2.0 * k_left / b0)
    r = (a0 + c0) / (3.0 * xp.maximum(f0, 1.0))
    lu = a0 * (xp.log(r) - xp.log1p(r))  # log q^a
    y_f = xp.where(has_f, lu - log1mexp(lu, xp), y_hi)
    y_lo = xp.minimum(xp.log(k_left / (3.0 * b0)), y_f)
    # Beta-like guess for the mode in p, mapped to y = logit(p^a)
    lu0 = a0 * (xp.log(a0 + c0) - xp.log(a0 + b0 + c0 + f0))
    starts = [lu0 - log1mexp(lu0, xp), 0.5 * (y_lo + y_hi)]
    return laplace_nodes(h, dh, y_lo, y_hi, starts, xp, n_side=n_side, log_map=LOG_MAP)


# ---------------------------------------------------------------------------
# The same integrand and mode search as numba scalars, for the generic placer
# (:mod:`._laplace_numba`); they mirror ``_h`` and ``_nodes_generic`` line by line.
# ---------------------------------------------------------------------------


@njit_cached
def _h_nb(y, c, f, a, b):  # pragma: no cover - compiled
    lsp = nb_log_sigmoid(y)
    return math.log(b) + (1.0 + c / a) * lsp + b * nb_log_sigmoid(-y) + f * nb_log1mexp(lsp / a)


@njit_cached
def _dh_nb(y, c, f, a, b):  # pragma: no cover - compiled
    sp = nb_sigmoid(y)
    sm = nb_sigmoid(-y)
    k_left = 1.0 + c / a
    lp = nb_log_sigmoid(y) / a
    l1mp = nb_log1mexp(lp)
    lsm = nb_log_sigmoid(-y)
    t = 0.0
    if f > 0.0:
        t = math.exp(min(math.log(max(f, 1.0)) - math.log(a) + lsm + lp - l1mp, 700.0))
    ratio = math.exp(min(lsm - l1mp, 700.0))
    return k_left * sm - b * sp - t, -(k_left + b) * sp * sm - t * (ratio / a - sp)


@njit_cached
def _setup_nb(c, f, a, b, starts):  # pragma: no cover - compiled
    k_left = 1.0 + c / a
    y_hi = math.log(2.0 * k_left / b)
    y_f = y_hi
    if f > 0.0:
        r = (a + c) / (3.0 * max(f, 1.0))
        lu = a * (math.log(r) - math.log1p(r))
        y_f = lu - nb_log1mexp(lu)
    y_lo = min(math.log(k_left / (3.0 * b)), y_f)
    lu0 = a * (math.log(a + c) - math.log(a + b + c + f))
    starts[0] = lu0 - nb_log1mexp(lu0)
    starts[1] = 0.5 * (y_lo + y_hi)
    return y_lo, y_hi, 2


@njit_cached
def _place_nb(c, f, a, b, frac, log_w0, log_map):  # pragma: no cover - compiled
    return place_flat(_h_nb, _dh_nb, _setup_nb, c, f, a, b, frac, log_w0, log_map)


@njit_cached
def _prepare_nb(c, f, a, b):  # pragma: no cover - compiled
    """What :func:`_h_grad_nb` needs at every node of one element, computed once."""
    inv_a = 1.0 / a
    return 1.0 + c * inv_a, inv_a, b, f, c, math.log(b)


@njit_cached
def _h_grad_nb(y, pre, want_grad, g):  # pragma: no cover - compiled
    r""":math:`h(y)` as ``_h_nb``; with ``want_grad``, its gradient in :math:`(a, b)` into ``g``.

    With :math:`\ell_\pm = \log\sigma(\pm y)`, :math:`x = \ell_+/a` (:math:`\log p`) and
    :math:`r = e^{x}/(1-e^{x})`: :math:`\partial_a h = \ell_+ (f r - c)/a^2`,
    :math:`\partial_b h = 1/b + \ell_-` (no failure pull where :math:`x` is clipped, as the
    backend code's ``minimum`` gives).
    """
    k_left, inv_a, b, f, c, log_b = pre
    soft = math.log1p(math.exp(-abs(y)))
    lsp = min(y, 0.0) - soft
    lsm = min(-y, 0.0) - soft
    x_raw = lsp * inv_a
    l1, r = nb_log1mexp_ratio(x_raw)
    if want_grad:
        fr = f * r if x_raw <= -1e-300 else 0.0
        g[0] = lsp * (fr - c) * inv_a * inv_a
        g[1] = 1.0 / b + lsm
    return log_b + k_left * lsp + b * lsm + f * l1


@njit_cached
def _log_integral_nb(c, f, thetas, frac, log_w0, log_map, want_grad):  # pragma: no cover
    return log_integral_flat(_h_nb, _dh_nb, _setup_nb, _prepare_nb, _h_grad_nb, c, f, thetas,
                             frac, log_w0, log_map, want_grad)


#: The numba pieces handed to the generic node placer (:mod:`._laplace_numba`) and to the fused
#: quadrature sum (:mod:`._laplace_integral`).
NUMBA_INTEGRAND = NumbaIntegrand(
    "kumaraswamy", __name__, "NUMBA_INTEGRAND", _h_nb, _dh_nb, _setup_nb, _place_nb,
    log_integral=_log_integral_nb,
)


def kumaraswamy_log_moment(
    c: Array, f: Array, a: Array, b: Array, xp: ArrayBackend, numba_nodes: bool | None = None,
    n_side: int = N_SIDE,
) -> Array:
    r"""Backend-agnostic :math:`L(c, f)` of the Kumaraswamy(a, b) (see the module docstring).

    Parameters
    ----------
    c, f
        Success and failure counts (non-negative).
    a, b
        Shape parameters, both ``> 0``.
    xp
        Array backend.  All arguments broadcast together.
    numba_nodes
        Place the nodes and sum the rule in numba, value and gradient in one pass
        (:mod:`._laplace_integral`), instead of the backend-agnostic code.  Default: yes for
        NumPy and PyTensor, no for JAX.
    n_side
        Gauss–Legendre nodes on each side of the mode.
    """
    if numba_nodes is None:
        numba_nodes = xp.name in ("numpy", "pytensor")
    if numba_nodes:
        value = laplace_log_integral(NUMBA_INTEGRAND, c, f, (a, b), xp.name, n_side, LOG_MAP)
    else:
        nodes, log_w = _nodes_generic(c, f, a, b, xp, n_side)
        ex = xp.expand_last
        log_int = _h(nodes, ex(c), ex(f), ex(a), ex(b), xp)
        value = quadrature_log_integral(log_int, log_w, xp)
    return xp.where(c + f > 0.0, value, 0.0)  # E[p^0 (1-p)^0] = 1 exactly


def b_from_median(alpha: Array, median: Array, xp: ArrayBackend) -> Array:
    r""":math:`b = -\log 2 / \log(1 - m^a)`: the ``b`` whose population median is ``m``."""
    return -_LOG2 / log1mexp(alpha * xp.log(median), xp)


class KumaraswamyFamily(Family):
    r"""Kumaraswamy(:math:`a`, :math:`b`) population of success probabilities.

    Natural parameters ``a`` > 0 (the tail exponent) and ``b`` > 0.  Prior variables:
    ``alpha`` (:math:`= a`, named as in the Beta families) and the population ``median``
    :math:`m = (1 - 2^{-1/b})^{1/a}`.
    """

    name = "kumaraswamy"
    params = ("a", "b")
    param_ranges = {"a": POSITIVE, "b": POSITIVE}
    prior_variables = ("alpha", "median")
    accuracy = 1e-12  # measured worst over the prior support: 6.9e-13 (36 nodes per side)
    parallel_kernel = True  # the fused kernel runs on its own threads (_laplace_integral)
    numba_integrand = NUMBA_INTEGRAND
    nodes_per_side = N_SIDE

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        r"""``a = alpha`` and :math:`b = -\log 2/\log(1-\mathrm{median}^a)`."""
        xp = get_backend(backend)
        alpha, median = xp.asarray(variables["alpha"]), xp.asarray(variables["median"])
        return {"a": alpha, "b": b_from_median(alpha, median, xp)}

    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        p1, p2 = params["a"], params["b"]
        n_side = self.nodes_per_side
        if xp is NUMPY:  # chunked: bounded memory for draws x pairs x k
            return numpy_chunked(
                lambda *a: kumaraswamy_log_moment(*a, NUMPY, n_side=n_side), c, f, p1, p2,
                chunk=FUSED_CHUNK)
        return kumaraswamy_log_moment(c, f, p1, p2, xp, n_side=n_side)

    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Power law with exponent :math:`a` and prefactor :math:`b\,\Gamma(a+1)`."""
        xp = get_backend(backend)
        a, b = xp.asarray(params["a"]), xp.asarray(params["b"])
        return TailBehaviour("power_law", a + 0.0 * b, b * xp.exp(xp.gammaln(a + 1.0)))

    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        r"""Inverse CDF: :math:`p = (1 - V^{1/b})^{1/a}` with :math:`V\sim U(0,1)`."""
        a, b = np.asarray(params["a"], float), np.asarray(params["b"], float)
        v = np.maximum(rng.uniform(size=size), np.finfo(np.float64).tiny)  # no log(0)
        log_u = np.log(-np.expm1(np.log(v) / b))  # log(1 - V^(1/b)) = log u, u ~ Beta(1, b)
        return np.exp(log_u / a)
