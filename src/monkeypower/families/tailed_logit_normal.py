r"""Tailed logit-normal population family: a logit-normal body with a power-law tail.

The log-odds of success is a normal draw minus an exponential one,

.. math:: \operatorname{logit} p = \mu + \sigma Z - E/\alpha, \qquad Z\sim\mathcal N(0,1),\quad
    E\sim\mathrm{Exp}(1),

so :math:`x = \operatorname{logit} p` follows the exponentially modified Gaussian (Grushka 1972),
with density

.. math:: g(x) = \alpha\, e^{\alpha(x-\mu) + \alpha^2\sigma^2/2}\,\Phi(t), \qquad
    t = -\frac{x-\mu}{\sigma} - \alpha\sigma .

Above its mode it is the logit-normal's Gaussian (:mod:`.logit_normal`: its log-density in
:math:`x` may still rise where the data end, the mass of :math:`\log p` not yet past its peak);
below, :math:`\Phi(t)\to 1` and :math:`g \propto e^{\alpha x}`, so the density of :math:`p` near
0 is :math:`\alpha e^{\alpha^2\sigma^2/2-\alpha\mu}\,p^{\alpha-1}`: the asymptotic exponent of
:math:`-\log\mathrm{pass}_D@k` is :math:`\alpha`, a parameter of its own rather than a
by-product of the body's shape.  The slope of :math:`\log g` in :math:`x` (the local exponent of
the density of :math:`p`) is :math:`\alpha - M(t)/\sigma` with :math:`M = \varphi/\Phi` the
inverse Mills ratio: it falls from the Gaussian's :math:`-(x-\mu)/\sigma^2` to :math:`\alpha`
over a few :math:`\sigma` around :math:`x \approx \mu - \alpha\sigma^2`, where the tail
straightens.  :math:`\alpha\to\infty` is the logit-normal; :math:`\sigma\to 0` is a power
function :math:`p^{\alpha-1}` below a ceiling :math:`\sigma(\mu)` (the scaled Beta's tail and
ceiling with :math:`\beta = 1`).

:math:`\log g` is concave (the convolution of two log-concave densities), so the integrand of

.. math:: L(c, f) = \log\int_{\mathbb R} \exp\{c\log\sigma(x) + f\log\sigma(-x) + \log g(x)\}\,dx

is log-concave with a unique mode; :math:`\log g = \log\alpha - z^2/2 + S(t)` with
:math:`z = (x-\mu)/\sigma` and :math:`S(t) = \log\Phi(t) + t^2/2`, computed as
:math:`\log(\operatorname{erfcx}(-t/\sqrt2)/2)` for :math:`t<0` and
:math:`t^2/2 + \log(1-\operatorname{erfc}(t/\sqrt2)/2)` for :math:`t\ge0` (no overflow or
cancellation at either end).  The integral is done by Laplace-placed two-sided Gauss–Legendre
quadrature (:mod:`._laplace`), :data:`N_SIDE` nodes per side spread geometrically beyond
:data:`LOG_MAP` widths (the left side is an exponential tail of rate :math:`\alpha`, up to
:math:`45/\alpha` long); on NumPy and PyTensor the nodes are placed and the rule summed with
its gradient in one numba pass (:mod:`._laplace_integral`), JAX runs the backend code.  The
mode is bracketed in closed form: :math:`M(t) > \max(0, -t)` gives
:math:`h'(x) < c\,\sigma(-x) - (x-\mu)/\sigma^2`, negative from
:math:`x = \mu + W(\sigma^2 c e^{-\mu}) + 1` on, and :math:`M(t)\le 2\varphi(t)` for
:math:`t\ge0` gives :math:`h' > 0` below both :math:`\log(\alpha/3f)` and the :math:`x` of
:math:`2\varphi(t) = \alpha\sigma/3`.

Accuracy against mpmath (``tests/_mp_oracles.py``), in
:math:`|L-L_{\rm ref}|/\max(1,|L_{\rm ref}|)`: on :math:`\mu\in\{-8,-2,2\}`,
:math:`\sigma\in\{0.2,1,3,10\}`, :math:`\alpha\in\{0.02,0.3,2\}` with counts from
:math:`(0, 1)` to :math:`(0, 10^6)`, :math:`(10^4, 0)` and :math:`(2, 10^5)`, worst 1.3e-10
for :math:`\sigma\le 3` (1.5e-13 for :math:`\sigma\in\{1, 3\}`) and 9.4e-8 at
:math:`\sigma = 10` (with :math:`\alpha = 0.02`, :math:`(c, f) = (0, 1)`: as for the
logit-normal, the poles of :math:`\sigma(x)^c\sigma(-x)^f` at :math:`\pm i\pi` slow the
rule in windows much wider than :math:`\pi`); at the corners of the prior's 0.1%–99.9% box
(:math:`\sigma` up to 20.4, :math:`\alpha` down to 0.014, counts from 0 to :math:`10^6`),
worst 7.8e-7 at :math:`(\sigma, \alpha) = (20.4, 0.014)`, :math:`(c, f) = (0, 1)`; stated
bound :attr:`TailedLogitNormalFamily.accuracy` = 2e-6 (``tests/test_family_contract.py``).
``LOG_MAP`` = 4 and 56 nodes per side: at that corner 2 gave 5.5e-6 and 80 nodes 7e-8.
NumPy and JAX agree to 1e-12.  One logp+gradient in PyTensor's numba backend costs about
10-12 µs per distinct :math:`(c, f)` pair (the logit-normal's 3 µs: ``erfcx`` and both sides
of the :math:`t = 0` switch at every node; ``benchmarks/family_logp_cost.py``).

References
----------
E. Grushka (1972), "Characterization of exponentially modified Gaussian peaks in
chromatography", Analytical Chemistry 44(11), 1733–1738.

J. Atchison and S. M. Shen (1980), "Logistic-normal distributions: some properties and uses",
Biometrika 67(2), 261–272.

C. Kooperberg and C. J. Stone (1991), "A study of logspline density estimation",
Computational Statistics & Data Analysis 12(3), 327–347 (a log-density linear beyond the data).

R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power
(Laws)?", ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import expit

from ._backend import NUMPY, Array, ArrayBackend, get_backend
from ._laplace import (
    FUSED_CHUNK,
    frozen_broadcast,
    lambert_w,
    laplace_nodes,
    log_sigmoid,
    numpy_chunked,
    quadrature_log_integral,
    sigmoid,
)
from ._laplace_integral import laplace_log_integral, log_integral_flat
from ._laplace_numba import (
    NumbaIntegrand,
    nb_lambert_w,
    nb_log_sigmoid,
    nb_sigmoid,
    place_flat3,
)
from ._numba_cache import njit_cached
from .base import POSITIVE, REAL, Family, TailBehaviour

__all__ = ["NUMBA_INTEGRAND", "TailedLogitNormalFamily", "tailed_logit_normal_log_moment"]

#: Gauss–Legendre nodes on each side of the mode, spread geometrically beyond ``LOG_MAP``
#: Laplace widths (a peak next to an exponential tail of rate alpha).
N_SIDE = 56
LOG_MAP = 4.0
_SQRT_HALF = math.sqrt(0.5)
_LOG2 = math.log(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_FLOAT_MAX = 709.0  # exp of more overflows float64
_ERFCX_DIRECT = 25.0  # numba erfcx: exp(y^2) erfc(y) below, the asymptotic series above


def _log_phi_shifted(t: Array, xp: ArrayBackend) -> Array:
    r""":math:`S(t) = \log\Phi(t) + t^2/2`, stable for any real ``t``."""
    return xp.piecewise(
        t < 0.0,
        t,
        lambda u: xp.log(xp.erfcx(-_SQRT_HALF * u)) - _LOG2,
        lambda u: 0.5 * u * u + xp.log1p(-0.5 * xp.erfc(_SQRT_HALF * u)),
        -1.0,
        1.0,
    )


def _mills(t: Array, xp: ArrayBackend) -> Array:
    r"""Inverse Mills ratio :math:`M(t) = \varphi(t)/\Phi(t)`, stable for any real ``t``."""
    return xp.piecewise(
        t < 0.0,
        t,
        lambda u: _SQRT_2_OVER_PI / xp.erfcx(-_SQRT_HALF * u),
        lambda u: xp.exp(-0.5 * u * u - _LOG_SQRT_2PI) / (1.0 - 0.5 * xp.erfc(_SQRT_HALF * u)),
        -1.0,
        1.0,
    )


def _h(x: Array, c: Array, f: Array, mu: Array, sigma: Array, alpha: Array,
       xp: ArrayBackend) -> Array:
    r"""Log-integrand in :math:`x = \operatorname{logit} p` (normalised: :math:`\log g` in full)."""
    z = (x - mu) / sigma
    t = -z - alpha * sigma
    return (c * log_sigmoid(x, xp) + f * log_sigmoid(-x, xp) + xp.log(alpha) - 0.5 * z * z
            + _log_phi_shifted(t, xp))


def _bracket(c: Array, f: Array, mu: Array, sigma: Array, alpha: Array,
             xp: ArrayBackend) -> tuple[Array, Array]:
    """A bracket ``lo < mode < hi`` of the log-integrand's mode (module docstring)."""
    var = sigma * sigma
    hi = mu + lambert_w(var * c * xp.exp(xp.minimum(-mu, 600.0)), xp) + 1.0
    k = alpha * sigma
    t_lo = xp.sqrt(2.0 * xp.maximum(xp.log(6.0 / k) - _LOG_SQRT_2PI, 0.0))
    lo = mu - sigma * (t_lo + k) - 1.0
    lo_f = xp.log(alpha / 3.0) - xp.log(xp.maximum(f, 1e-300))
    return xp.minimum(lo, lo_f), hi


def _nodes_generic(c: Array, f: Array, mu: Array, sigma: Array, alpha: Array,
                   xp: ArrayBackend, n_side: int = N_SIDE) -> tuple[Array, Array]:
    """Node placement written against the backend (used for JAX; see :mod:`._laplace_numba`)."""
    c0, f0, m0, s0, a0 = frozen_broadcast(xp, c, f, mu, sigma, alpha)
    var = s0 * s0

    def h(x: Array) -> Array:
        return _h(x, c0, f0, m0, s0, a0, xp)

    def dh(x: Array) -> tuple[Array, Array]:
        sp, sm = sigmoid(x, xp), sigmoid(-x, xp)
        t = -(x - m0) / s0 - a0 * s0
        mills = _mills(t, xp)
        return (c0 * sm - f0 * sp + a0 - mills / s0,
                -(c0 + f0) * sp * sm - mills * (t + mills) / var)

    lo, hi = _bracket(c0, f0, m0, s0, a0, xp)
    x_hat = xp.log(xp.maximum(c0, 0.5)) - xp.log(xp.maximum(f0, 0.5))
    starts = [
        m0,
        x_hat,
        xp.log(c0 + a0) - xp.log(xp.maximum(f0, 0.5)),
        m0 - lambert_w(var * f0 * sigmoid(m0, xp), xp),
        m0 + lambert_w(var * c0 * sigmoid(-m0, xp), xp),
    ]
    return laplace_nodes(h, dh, lo, hi, starts, xp, n_side=n_side, log_map=LOG_MAP)


# ---------------------------------------------------------------------------
# The same integrand and mode search as numba scalars, for the generic placer
# (:mod:`._laplace_numba`); they mirror ``_h`` and ``_nodes_generic`` line by line.
# ---------------------------------------------------------------------------


@njit_cached
def _erfcx_nb(y):  # pragma: no cover - compiled
    r"""Scaled complementary error function :math:`e^{y^2}\operatorname{erfc}(y)`, ``y >= 0``."""
    if y < _ERFCX_DIRECT:
        return math.exp(y * y) * math.erfc(y)
    r = 1.0 / (2.0 * y * y)
    return (1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r)))) / (
        y * math.sqrt(math.pi))


@njit_cached
def _log_phi_mills_nb(t):  # pragma: no cover - compiled
    """``(S(t), M(t))``: :func:`_log_phi_shifted` and :func:`_mills` at one point."""
    if t < 0.0:
        ex = _erfcx_nb(-_SQRT_HALF * t)
        return math.log(ex) - _LOG2, _SQRT_2_OVER_PI / ex
    big_phi = 1.0 - 0.5 * math.erfc(_SQRT_HALF * t)
    return (0.5 * t * t + math.log(big_phi),
            math.exp(-0.5 * t * t - _LOG_SQRT_2PI) / big_phi)


@njit_cached
def _h_nb(x, c, f, mu, s, alpha):  # pragma: no cover - compiled
    z = (x - mu) / s
    return (c * nb_log_sigmoid(x) + f * nb_log_sigmoid(-x) - 0.5 * z * z
            + _log_phi_mills_nb(-z - alpha * s)[0])


@njit_cached
def _dh_nb(x, c, f, mu, s, alpha):  # pragma: no cover - compiled
    sp = nb_sigmoid(x)
    sm = nb_sigmoid(-x)
    t = -(x - mu) / s - alpha * s
    mills = _log_phi_mills_nb(t)[1]
    return (c * sm - f * sp + alpha - mills / s,
            -(c + f) * sp * sm - mills * (t + mills) / (s * s))


@njit_cached
def _setup_nb(c, f, mu, s, alpha, starts):  # pragma: no cover - compiled
    var = s * s
    hi = mu + nb_lambert_w(var * c * math.exp(min(-mu, 600.0))) + 1.0
    k = alpha * s
    t_lo = math.sqrt(2.0 * max(math.log(6.0 / k) - _LOG_SQRT_2PI, 0.0))
    lo = mu - s * (t_lo + k) - 1.0
    lo = min(lo, math.log(alpha / 3.0) - math.log(max(f, 1e-300)))
    starts[0] = mu
    starts[1] = math.log(max(c, 0.5)) - math.log(max(f, 0.5))
    starts[2] = math.log(c + alpha) - math.log(max(f, 0.5))
    starts[3] = mu - nb_lambert_w(var * f * nb_sigmoid(mu))
    starts[4] = mu + nb_lambert_w(var * c * nb_sigmoid(-mu))
    return lo, hi, 5


@njit_cached
def _place_nb(c, f, mu, s, alpha, frac, log_w0, log_map):  # pragma: no cover - compiled
    return place_flat3(_h_nb, _dh_nb, _setup_nb, c, f, mu, s, alpha, frac, log_w0, log_map)


@njit_cached
def _prepare_nb(c, f, mu, s, alpha):  # pragma: no cover - compiled
    """What :func:`_h_grad_nb` needs at every node of one element, computed once."""
    return c, f, mu, s, 1.0 / s, alpha, math.log(alpha)


@njit_cached
def _h_grad_nb(x, pre, want_grad, g):  # pragma: no cover - compiled
    r""":math:`h(x)` as ``_h``, with ``want_grad`` also its gradient into ``g``.

    The parameters are :math:`(\mu, \sigma, \alpha)`; :math:`h` includes :math:`\log\alpha`.

    With :math:`z = (x-\mu)/\sigma`, :math:`t = -z-\alpha\sigma` and :math:`S'(t) = t + M(t)`:
    :math:`\partial_\mu h = M/\sigma - \alpha`, :math:`\partial_\sigma h = z^2/\sigma +
    S'(t)(z/\sigma - \alpha)`, :math:`\partial_\alpha h = 1/\alpha - \sigma S'(t)`.
    """
    c, f, mu, s, inv_s, alpha, log_alpha = pre
    soft = math.log1p(math.exp(-abs(x)))
    z = (x - mu) * inv_s
    t = -z - alpha * s
    shifted, mills = _log_phi_mills_nb(t)
    if want_grad:
        slope = t + mills
        g[0] = mills * inv_s - alpha
        g[1] = z * z * inv_s + slope * (z * inv_s - alpha)
        g[2] = 1.0 / alpha - s * slope
    return (c * (min(x, 0.0) - soft) + f * (min(-x, 0.0) - soft) + log_alpha - 0.5 * z * z
            + shifted)


@njit_cached
def _log_integral_nb(c, f, thetas, frac, log_w0, log_map, want_grad):  # pragma: no cover
    return log_integral_flat(_h_nb, _dh_nb, _setup_nb, _prepare_nb, _h_grad_nb, c, f, thetas,
                             frac, log_w0, log_map, want_grad)


#: The numba pieces handed to the generic node placer (:mod:`._laplace_numba`) and to the fused
#: quadrature sum (:mod:`._laplace_integral`).
NUMBA_INTEGRAND = NumbaIntegrand(
    "tailed_logit_normal", __name__, "NUMBA_INTEGRAND", _h_nb, _dh_nb, _setup_nb, _place_nb,
    n_params=3, log_integral=_log_integral_nb,
)


def tailed_logit_normal_log_moment(
    c: Array,
    f: Array,
    mu: Array,
    sigma: Array,
    alpha: Array,
    xp: ArrayBackend,
    numba_nodes: bool | None = None,
    n_side: int = N_SIDE,
) -> Array:
    r"""Backend-agnostic :math:`L(c, f)` of the tailed logit-normal (module docstring).

    Parameters
    ----------
    c, f
        Success and failure counts (non-negative).
    mu, sigma
        Location and scale (``sigma > 0``) of the Gaussian part of :math:`\operatorname{logit} p`.
    alpha
        Rate of its exponential part, the tail exponent (``alpha > 0``).
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
        value = laplace_log_integral(NUMBA_INTEGRAND, c, f, (mu, sigma, alpha), xp.name, n_side,
                                     LOG_MAP)
    else:
        nodes, log_w = _nodes_generic(c, f, mu, sigma, alpha, xp, n_side)
        ex = xp.expand_last
        log_int = _h(nodes, ex(c), ex(f), ex(mu), ex(sigma), ex(alpha), xp)
        value = quadrature_log_integral(log_int, log_w, xp)
    return xp.where(c + f > 0.0, value, 0.0)  # E[p^0 (1-p)^0] = 1 exactly


class TailedLogitNormalFamily(Family):
    r"""Logit-normal body, power-law tail: :math:`\operatorname{logit}p = \mu+\sigma Z-E/\alpha`.

    Parameters ``mu`` (real), ``sigma`` > 0 and ``alpha`` > 0 (the tail exponent); the prior
    variables are the same three.
    """

    name = "tailed_logit_normal"
    params = ("mu", "sigma", "alpha")
    param_ranges = {"mu": REAL, "sigma": POSITIVE, "alpha": POSITIVE}
    prior_variables = ("alpha", "mu", "sigma")
    accuracy = 2e-6  # measured worst at the prior corners: 7.8e-7 (sigma 20.4, alpha 0.014, f 1)
    parallel_kernel = True  # the fused kernel runs on its own threads (_laplace_integral)
    numba_integrand = NUMBA_INTEGRAND
    nodes_per_side = N_SIDE

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        """``mu``, ``sigma`` and ``alpha`` are already the natural parameters."""
        xp = get_backend(backend)
        return {name: xp.asarray(variables[name]) for name in self.params}

    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        mu, sigma, alpha = params["mu"], params["sigma"], params["alpha"]
        n_side = self.nodes_per_side
        if xp is NUMPY:  # chunked: bounded memory for draws x pairs x k
            return numpy_chunked(
                lambda *a: tailed_logit_normal_log_moment(*a, NUMPY, n_side=n_side),
                c, f, mu, sigma, alpha, chunk=FUSED_CHUNK)
        return tailed_logit_normal_log_moment(c, f, mu, sigma, alpha, xp, n_side=n_side)

    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Power law with exponent :math:`\alpha`.

        :math:`\mathbb{E}[(1-p)^k]\sim\Gamma(\alpha+1)\,e^{\alpha^2\sigma^2/2-\alpha\mu}\,
        k^{-\alpha}`: the density of :math:`p` near 0 is :math:`A p^{\alpha-1}` with
        :math:`A = \alpha e^{\alpha^2\sigma^2/2-\alpha\mu}`, and
        :math:`\int_0^1 A p^{\alpha-1}(1-p)^k dp \sim A\,\Gamma(\alpha)\,k^{-\alpha}`.
        """
        xp = get_backend(backend)
        mu, sigma, alpha = (xp.asarray(params[name]) for name in self.params)
        log_prefactor = (xp.gammaln(alpha + 1.0) + 0.5 * alpha * alpha * sigma * sigma
                         - alpha * mu)
        # exp(alpha^2 sigma^2 / 2) overflows for wide bodies with large alpha (prior draws, SBC):
        # the prefactor is then infinite, said without an overflow warning
        finite = log_prefactor < _LOG_FLOAT_MAX
        prefactor = xp.where(finite, xp.exp(xp.minimum(log_prefactor, _LOG_FLOAT_MAX)), math.inf)
        return TailBehaviour("power_law", alpha, prefactor)

    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``p = expit(mu + sigma * z - e / alpha)``, ``z ~ N(0, 1)``, ``e ~ Exp(1)``."""
        mu, sigma, alpha = (np.asarray(params[name], dtype=float) for name in self.params)
        z = rng.standard_normal(size)
        e = rng.standard_exponential(size)
        return expit(mu + sigma * z - e / alpha)

