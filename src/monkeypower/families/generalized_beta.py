r"""Generalized-Beta population family: a tail exponent of its own, with a scaled, bendable body.

:math:`p = s\,X` with :math:`0 < s \le 1` and :math:`X^\nu \sim \mathrm{Beta}(\alpha/\nu, \beta)`:
McDonald's generalized Beta of the first kind (McDonald 1984; here with a ceiling :math:`s`),
parametrised so that its **tail exponent** :math:`\alpha` is a parameter of its own.  The
density of :math:`p` is

.. math::

    g(p) = \frac{\nu}{s\,B(\alpha/\nu, \beta)}\,\Big(\frac{p}{s}\Big)^{\alpha-1}
           \Big(1-\big(\tfrac{p}{s}\big)^{\nu}\Big)^{\beta-1}, \qquad 0 < p < s,

so :math:`g(p) = C\,p^{\alpha-1}\,(1 + O(p^\nu))` as :math:`p\to0` with
:math:`C = \nu\,s^{-\alpha}/B(\alpha/\nu,\beta)`.  It contains the two families of the paper's
synthetic truths and their scaled versions exactly: :math:`\nu = 1` is the (scaled) Beta
:math:`(\alpha, \beta)`, :math:`\nu = \alpha` the (scaled) Kumaraswamy :math:`(\alpha, \beta)`.

How the tail continues below the data
-------------------------------------
The local exponent of the density, :math:`1 + d\log g/d\log p`, is

.. math:: \alpha - (\beta-1)\,\nu\,\frac{u}{1-u}, \qquad u = (p/s)^\nu ,

so the asymptotic exponent :math:`\alpha` is reached only where :math:`u \ll 1/|\beta - 1|`,
i.e. for :math:`p \ll s\,|\beta-1|^{-1/\nu}`.  With :math:`\nu = 1` that is just below the
body; with :math:`\nu = 0.15` (a Kumaraswamy truth with :math:`a = 0.15`, :math:`b = 5`) the
local exponent at :math:`p = 10^{-3}` is still 0.33 below :math:`\alpha`, and it takes
:math:`p < 10^{-10}` to get within 0.01 of it.  Data with :math:`n` attempts per problem see
:math:`p` down to about :math:`1/n`; below that, :math:`\nu` (and its prior) says how the tail
goes on, and the posterior of :math:`\alpha` is as wide as that prior leaves it.  A family with
:math:`\nu` fixed at 1 (the Beta families) asserts that the tail is already straight at the
resolution of the data; that is what makes their intervals for :math:`\alpha` miss
Kumaraswamy truths from below.

Exact representation
--------------------
With :math:`u = (p/s)^\nu \sim \mathrm{Beta}(\alpha/\nu, \beta)` and
:math:`y=\operatorname{logit}u`,

.. math::

    L(c, f) = c\log s - \log B(\tfrac{\alpha}{\nu}, \beta)
      + \log\int_{-\infty}^{\infty}\exp\Big\{\tfrac{\alpha+c}{\nu}\log\sigma(y)
      + \beta\log\sigma(-y) + f\log\big(1 - s\,e^{\log\sigma(y)/\nu}\big)\Big\}\,dy ,

the Kumaraswamy integrand of :mod:`.kumaraswamy` with a general first Beta shape and a ceiling.
It decays like :math:`e^{(\alpha+c)y/\nu}` to the left and at least like :math:`e^{-\beta y}` to
the right; the integral is done by the same Laplace-placed two-sided Gauss–Legendre quadrature
(:mod:`._laplace`; for NumPy and PyTensor the nodes are placed and the rule summed, with its
gradient, in one numba pass, :mod:`._laplace_integral`), :data:`N_SIDE` nodes per side spread
geometrically beyond ``LOG_MAP`` Laplace widths.  The mode is bracketed by

.. math::

    y_{lo} = \min\Big(\log\frac{k}{3\beta},\ \operatorname{logit}\big(\min(q/s, 1)^\nu\big)\Big),
    \quad q = \frac{r}{1+r},\ r = \frac{\alpha+c}{3f}; \qquad
    y_{hi} = \log\frac{2k}{\beta}, \quad k = \frac{\alpha+c}{\nu},

since :math:`h'(y) = k\sigma(-y) - \beta\sigma(y) - T(y)` with the failure pull
:math:`T = \frac{f}{\nu}\sigma(-y)\frac{s x}{1-s x} \ge 0`, :math:`x = \sigma(y)^{1/\nu}`:
at :math:`y_{lo}` both :math:`\beta\sigma(y)` and :math:`T` are at most
:math:`\tfrac13 k\sigma(-y)`,
so :math:`h' > 0`; at :math:`y_{hi}`, :math:`h' < 0`.

Accuracy against an mpmath oracle in :math:`z = \log(-\log u)` (an independent variable;
``tests/_mp_oracles.py``, itself checked against the Beta, scaled-Beta and Kumaraswamy oracles),
error :math:`|L-L_{\rm ref}|/\max(1,|L_{\rm ref}|)`, counts from 0 to :math:`10^6`:

* on 20 random points with :math:`\alpha\in[0.05,1]`, :math:`\nu\in[0.1,2]`,
  :math:`\beta\in[0.5,50]`, :math:`s\in[0.05,1]`: worst 2.5e-13;
* where fits live more broadly (``benchmarks/quadrature_nodes.py``, table in
  ``docs/benchmarks.md``: 48 parameter points from the central 98% of the priors, six count
  pairs each, :math:`n` from 1 to :math:`10^8`): worst 6.2e-8, at :math:`\beta = 0.012`
  (:math:`u` piled near 1), :math:`(c, f) = (1, 17)`, :math:`s = 0.63`: past the peak the
  failure term levels off at :math:`f\log(1-s)` and leaves a shoulder :math:`e^{-\beta y}`
  thousands of units long, which one geometric Gauss–Legendre panel per side resolves only
  slowly (the poles of :math:`\sigma(y)` at :math:`\pm i\pi` sit close to the nodes where the
  shoulder begins): 2.2e-9 with 48 nodes per side, 9.4e-11 with 56, 7.1e-12 with 64.
* at the corners of the 0.1%–99.9% box of the priors (``models/generalized_beta.toml``;
  :math:`\alpha\in\{0.0137, 6.62\}`, :math:`\nu\in\{0.023, 10.9\}`, mean of :math:`u` in
  :math:`\{0.001, 0.999\}`, :math:`s\in\{0.001, 0.999\}`): 10 of 16 corners better than 1e-12,
  but where :math:`\alpha/\nu` is ~1e-3 and :math:`\beta` tiny (:math:`u` piled at both 0 and 1;
  a left tail :math:`e^{(\alpha+c)y/\nu}` tens of thousands of units long next to the
  failure term's feature of width ~:math:`\nu`) the 40-node rule loses accuracy: 5e-7 at
  :math:`(\alpha,\nu,\beta,s) = (0.0137, 10.9, 1.25, 0.999)` and 1.9e-4 at
  :math:`(0.0137, 10.9, 1.3\cdot10^{-6}, 0.999)`, both for :math:`(c, f) = (0, 1)`.  Doubling the
  nodes only halves these.  The stated bound :attr:`GeneralizedBetaFamily.accuracy` = 3e-4 is
  that worst corner (``tests/test_family_contract.py``); a posterior that wanders there is far
  from any data we have seen.

Tail: :math:`\mathbb{E}[(1-p)^k] \sim C\,\Gamma(\alpha)\,k^{-\alpha}`, a power law with exponent
:math:`\alpha` and prefactor :math:`\nu\,\Gamma(\alpha)\,s^{-\alpha}/B(\alpha/\nu, \beta)`.

References
----------
J. B. McDonald (1984), "Some generalized functions for the size distribution of income",
Econometrica 52(3), 647–663 (the generalized Beta of the first kind).

P. Kumaraswamy (1980), "A generalized probability density function for double-bounded random
processes", Journal of Hydrology 46(1–2), 79–88.

R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power
(Laws)?", ICML 2025, arXiv:2502.17578 (scaled Beta and Kumaraswamy synthetic truths).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._backend import NUMPY, Array, ArrayBackend, betaln, get_backend
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
    place_flat4,
)
from ._numba_cache import njit_cached
from .base import POSITIVE, SCALE, Family, TailBehaviour

__all__ = ["NUMBA_INTEGRAND", "GeneralizedBetaFamily", "generalized_beta_log_moment"]

#: Gauss–Legendre nodes on each side of the mode, spread geometrically beyond ``LOG_MAP``
#: Laplace widths (as for the Kumaraswamy: a sharp peak next to a long exponential tail).
N_SIDE = 40
LOG_MAP = 2.0
_LOG_S_MAX = -1e-300  # log s is clipped here: s = 1 gives log(s x) = log x, never 0


def _log_sx(y: Array, nu: Array, log_s: Array, xp: ArrayBackend) -> Array:
    r""":math:`\log(s x)`, :math:`x = \sigma(y)^{1/\nu}` (the log of p)."""
    return log_s + log_sigmoid(y, xp) / nu


def _h(y: Array, c: Array, f: Array, alpha: Array, nu: Array, beta: Array, log_s: Array,
       xp: ArrayBackend) -> Array:
    """Log-integrand in y, without the constant ``c log s - log B(alpha/nu, beta)``."""
    k = (alpha + c) / nu
    return (k * log_sigmoid(y, xp) + beta * log_sigmoid(-y, xp)
            + f * log1mexp(_log_sx(y, nu, log_s, xp), xp))


def _nodes_generic(c: Array, f: Array, alpha: Array, nu: Array, beta: Array, scale: Array,
                   xp: ArrayBackend, n_side: int = N_SIDE) -> tuple[Array, Array]:
    """Node placement written against the backend (used for JAX; see :mod:`._laplace_numba`)."""
    c0, f0, a0, n0, b0, s0 = frozen_broadcast(xp, c, f, alpha, nu, beta, scale)
    log_s = xp.minimum(xp.log(s0), xp.asarray(_LOG_S_MAX))
    k = (a0 + c0) / n0
    has_f = f0 > 0.0
    log_f_over_nu = xp.log(xp.maximum(f0, 1.0)) - xp.log(n0)

    def h(y: Array) -> Array:
        return _h(y, c0, f0, a0, n0, b0, log_s, xp)

    def dh(y: Array) -> tuple[Array, Array]:
        sp, sm = sigmoid(y, xp), sigmoid(-y, xp)
        lsm = log_sigmoid(-y, xp)
        lx = _log_sx(y, n0, log_s, xp)
        l1 = log1mexp(lx, xp)
        t = xp.where(has_f, xp.exp(xp.minimum(log_f_over_nu + lsm + lx - l1, 700.0)), 0.0)
        ratio = xp.exp(xp.minimum(lsm - l1, 700.0))
        return k * sm - b0 * sp - t, -(k + b0) * sp * sm - t * (ratio / n0 - sp)

    y_hi = xp.log(2.0 * k / b0)
    r = (a0 + c0) / (3.0 * xp.maximum(f0, 1.0))
    lu = n0 * xp.minimum(xp.log(r) - xp.log1p(r) - log_s, xp.asarray(_LOG_S_MAX))
    y_f = xp.where(has_f, lu - log1mexp(lu, xp), y_hi)
    y_lo = xp.minimum(xp.log(k / (3.0 * b0)), y_f)
    lu0 = n0 * xp.minimum(xp.log(a0 + c0) - xp.log(a0 + c0 + f0 + b0) - log_s,
                          xp.asarray(-1e-12))
    starts = [lu0 - log1mexp(lu0, xp), 0.5 * (y_lo + y_hi)]
    return laplace_nodes(h, dh, y_lo, y_hi, starts, xp, n_side=n_side, log_map=LOG_MAP)


# ---------------------------------------------------------------------------
# The same integrand and mode search as numba scalars, for the generic placer
# (:mod:`._laplace_numba`); they mirror ``_h`` and ``_nodes_generic`` line by line.
# ---------------------------------------------------------------------------


@njit_cached
def _h_nb(y, c, f, alpha, nu, beta, scale):  # pragma: no cover - compiled
    log_s = min(math.log(scale), _LOG_S_MAX)
    lsp = nb_log_sigmoid(y)
    return ((alpha + c) / nu * lsp + beta * nb_log_sigmoid(-y)
            + f * nb_log1mexp(log_s + lsp / nu))


@njit_cached
def _dh_nb(y, c, f, alpha, nu, beta, scale):  # pragma: no cover - compiled
    log_s = min(math.log(scale), _LOG_S_MAX)
    sp = nb_sigmoid(y)
    sm = nb_sigmoid(-y)
    k = (alpha + c) / nu
    lx = log_s + nb_log_sigmoid(y) / nu
    l1 = nb_log1mexp(lx)
    lsm = nb_log_sigmoid(-y)
    t = 0.0
    if f > 0.0:
        t = math.exp(min(math.log(max(f, 1.0)) - math.log(nu) + lsm + lx - l1, 700.0))
    ratio = math.exp(min(lsm - l1, 700.0))
    return k * sm - beta * sp - t, -(k + beta) * sp * sm - t * (ratio / nu - sp)


@njit_cached
def _setup_nb(c, f, alpha, nu, beta, scale, starts):  # pragma: no cover - compiled
    log_s = min(math.log(scale), _LOG_S_MAX)
    k = (alpha + c) / nu
    y_hi = math.log(2.0 * k / beta)
    y_f = y_hi
    if f > 0.0:
        r = (alpha + c) / (3.0 * max(f, 1.0))
        lu = nu * min(math.log(r) - math.log1p(r) - log_s, _LOG_S_MAX)
        y_f = lu - nb_log1mexp(lu)
    y_lo = min(math.log(k / (3.0 * beta)), y_f)
    lu0 = nu * min(math.log(alpha + c) - math.log(alpha + c + f + beta) - log_s, -1e-12)
    starts[0] = lu0 - nb_log1mexp(lu0)
    starts[1] = 0.5 * (y_lo + y_hi)
    return y_lo, y_hi, 2


@njit_cached
def _place_nb(c, f, alpha, nu, beta, scale, frac, log_w0, log_map):  # pragma: no cover
    return place_flat4(_h_nb, _dh_nb, _setup_nb, c, f, alpha, nu, beta, scale, frac, log_w0,
                       log_map)


@njit_cached
def _prepare_nb(c, f, alpha, nu, beta, scale):  # pragma: no cover - compiled
    """What :func:`_h_grad_nb` needs at every node of one element, computed once."""
    log_s_raw = math.log(scale)
    ds_ok = 1.0 if log_s_raw < _LOG_S_MAX else 0.0  # the backend's minimum: no gradient at s = 1
    inv_nu = 1.0 / nu
    return ((alpha + c) * inv_nu, inv_nu, beta, f, min(log_s_raw, _LOG_S_MAX),
            alpha + c, ds_ok / scale)


@njit_cached
def _h_grad_nb(y, pre, want_grad, g):  # pragma: no cover - compiled
    r""":math:`h(y)` as ``_h_nb``; with ``want_grad``, its gradient in the parameters into ``g``.

    With :math:`\ell_\pm = \log\sigma(\pm y)`, :math:`x = \log s + \ell_+/\nu` and
    :math:`r = e^{x}/(1-e^{x})`: :math:`\partial_\alpha h = \ell_+/\nu`,
    :math:`\partial_\nu h = \ell_+ (f r - \alpha - c)/\nu^2`, :math:`\partial_\beta h = \ell_-`,
    :math:`\partial_s h = -f r/s` (zero where ``log s`` or :math:`x` is clipped, as the
    backend code's ``minimum`` gives).
    """
    k, inv_nu, beta, f, log_s, alpha_c, inv_s = pre
    soft = math.log1p(math.exp(-abs(y)))
    lsp = min(y, 0.0) - soft
    lsm = min(-y, 0.0) - soft
    x_raw = log_s + lsp * inv_nu
    l1, r = nb_log1mexp_ratio(x_raw)
    if want_grad:
        fr = f * r if x_raw <= -1e-300 else 0.0
        g[0] = lsp * inv_nu
        g[1] = lsp * (fr - alpha_c) * inv_nu * inv_nu
        g[2] = lsm
        g[3] = -fr * inv_s
    return k * lsp + beta * lsm + f * l1


@njit_cached
def _log_integral_nb(c, f, thetas, frac, log_w0, log_map, want_grad):  # pragma: no cover
    return log_integral_flat(_h_nb, _dh_nb, _setup_nb, _prepare_nb, _h_grad_nb, c, f, thetas,
                             frac, log_w0, log_map, want_grad)


#: The numba pieces handed to the generic node placer (:mod:`._laplace_numba`) and to the fused
#: quadrature sum (:mod:`._laplace_integral`).
NUMBA_INTEGRAND = NumbaIntegrand(
    "generalized_beta", __name__, "NUMBA_INTEGRAND", _h_nb, _dh_nb, _setup_nb, _place_nb,
    n_params=4, log_integral=_log_integral_nb,
)


def generalized_beta_log_moment(
    c: Array, f: Array, alpha: Array, nu: Array, beta: Array, scale: Array, xp: ArrayBackend,
    numba_nodes: bool | None = None, n_side: int = N_SIDE,
) -> Array:
    r"""Backend-agnostic :math:`L(c, f)` of the scaled generalized Beta.

    :math:`p = sX`, :math:`X^\nu\sim\mathrm{Beta}(\alpha/\nu,\beta)`.

    Parameters
    ----------
    c, f
        Success and failure counts (non-negative).
    alpha, nu, beta
        Tail exponent :math:`\alpha > 0`, power :math:`\nu > 0`, second Beta shape
        :math:`\beta > 0`.
    scale
        Ceiling :math:`0 < s \le 1`.
    xp
        Array backend.  All arguments broadcast together.
    numba_nodes
        Place the nodes and sum the rule in numba, value and gradient in one pass
        (:mod:`._laplace_integral`), instead of the backend-agnostic code.  Default: yes for
        NumPy and PyTensor, no for JAX.
    n_side
        Gauss–Legendre nodes on each side of the mode.
    """
    theta = (alpha, nu, beta, scale)
    if numba_nodes is None:
        numba_nodes = xp.name in ("numpy", "pytensor")
    if numba_nodes:
        log_integral = laplace_log_integral(NUMBA_INTEGRAND, c, f, theta, xp.name, n_side, LOG_MAP)
    else:
        nodes, log_w = _nodes_generic(c, f, *theta, xp, n_side)
        ex = xp.expand_last
        log_s = xp.minimum(xp.log(scale), xp.asarray(_LOG_S_MAX))
        log_int = _h(nodes, ex(c), ex(f), ex(alpha), ex(nu), ex(beta), ex(log_s), xp)
        log_integral = quadrature_log_integral(log_int, log_w, xp)
    value = log_integral + c * xp.log(scale) - betaln(alpha / nu, beta, xp)
    return xp.where(c + f > 0.0, value, 0.0)  # E[p^0 (1-p)^0] = 1 exactly


class GeneralizedBetaFamily(Family):
    r"""Scaled generalized Beta: :math:`p = sX`, :math:`X^\nu\sim\mathrm{Beta}(\alpha/\nu,\beta)`.

    Natural parameters ``alpha`` (the tail exponent: the density is :math:`\propto p^{\alpha-1}`
    near 0), ``nu`` (how fast the local exponent approaches ``alpha`` as :math:`p \to 0`),
    ``beta`` and ``scale`` :math:`s\in(0,1]`.  Prior variables ``alpha``, ``nu``, ``mean`` (the
    mean :math:`\alpha/(\alpha+\nu\beta)` of :math:`u = (p/s)^\nu`) and ``scale``.  ``nu = 1`` is
    the scaled Beta, ``nu = alpha`` the scaled Kumaraswamy.
    """

    name = "generalized_beta"
    params = ("alpha", "nu", "beta", "scale")
    param_ranges = {"alpha": POSITIVE, "nu": POSITIVE, "beta": POSITIVE, "scale": SCALE}
    prior_variables = ("alpha", "nu", "mean", "scale")
    accuracy = 3e-4  # worst prior corner 1.9e-4; 6.2e-8 where fits live (module docstring)
    parallel_kernel = True  # the fused kernel runs on its own threads (_laplace_integral)
    numba_integrand = NUMBA_INTEGRAND
    nodes_per_side = N_SIDE

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        r""":math:`\beta = (\alpha/\nu)(1-\mu)/\mu`; ``alpha``, ``nu``, ``scale`` pass through."""
        xp = get_backend(backend)
        alpha, nu = xp.asarray(variables["alpha"]), xp.asarray(variables["nu"])
        mean = xp.asarray(variables["mean"])
        return {"alpha": alpha, "nu": nu, "beta": alpha / nu * (1.0 - mean) / mean,
                "scale": xp.asarray(variables["scale"])}

    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        theta = (params["alpha"], params["nu"], params["beta"], params["scale"])
        n_side = self.nodes_per_side
        if xp is NUMPY:  # chunked: bounded memory for draws x pairs x k
            return numpy_chunked(
                lambda *a: generalized_beta_log_moment(*a, NUMPY, n_side=n_side), c, f, *theta,
                chunk=FUSED_CHUNK)
        return generalized_beta_log_moment(c, f, *theta, xp, n_side=n_side)

    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Power law: exponent :math:`\alpha`.

        Prefactor :math:`\nu\Gamma(\alpha)s^{-\alpha}/B(\alpha/\nu,\beta)`.
        """
        xp = get_backend(backend)
        a, nu = xp.asarray(params["alpha"]), xp.asarray(params["nu"])
        b, s = xp.asarray(params["beta"]), xp.asarray(params["scale"])
        log_pref = xp.log(nu) + xp.gammaln(a) - a * xp.log(s) - betaln(a / nu, b, xp)
        return TailBehaviour("power_law", a + 0.0 * (nu + b + s), xp.exp(log_pref))

    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        r""":math:`p = s\,u^{1/\nu}` with :math:`u \sim \mathrm{Beta}(\alpha/\nu, \beta)`."""
        a, nu = np.asarray(params["alpha"], float), np.asarray(params["nu"], float)
        b, s = np.asarray(params["beta"], float), np.asarray(params["scale"], float)
        u = rng.beta(a / nu, b, size=size)
        return s * u ** (1.0 / nu)
