r"""Logit-normal population family.

:math:`\operatorname{logit} p = \log\frac{p}{1-p} \sim \mathcal{N}(\mu, \sigma^2)`
(Atchison & Shen 1980).  With :math:`x = \operatorname{logit} p`,

.. math::

    L(c, f) = \log \int_{-\infty}^{\infty}
        \exp\Big\{c\log\sigma(x) + f\log\sigma(-x) - \frac{(x-\mu)^2}{2\sigma^2}\Big\}\,dx
        - \log\sigma - \tfrac12\log 2\pi ,

where :math:`\sigma(x) = 1/(1+e^{-x})` is the logistic function (not to be confused with the
scale :math:`\sigma`).  The exponent :math:`h(x)` is strictly concave
(:math:`h'' = -(c+f)\sigma(x)\sigma(-x) - 1/\sigma^2`), so the integrand is log-concave with a
unique mode :math:`x^*`, the root of :math:`c\sigma(-x) - f\sigma(x) = (x-\mu)/\sigma^2`.
It lies in the bracket between :math:`\mu` and :math:`\mu + \sigma^2 h'_{\rm data}(\mu)` (one
Newton step from :math:`\mu` with the smallest possible curvature :math:`1/\sigma^2`); the
search starts from the best of :math:`\mu`, the empirical logit, their precision-weighted
average and the Lambert-W solutions of the one-sided equations
:math:`\mu - x = \sigma^2 f e^{x}` and :math:`x - \mu = \sigma^2 c e^{-x}` (the regimes of
:math:`c = 0` or :math:`f = 0` with :math:`n` in the millions, where plain Newton creeps).
The integral is then done by Laplace-placed two-sided Gauss–Legendre quadrature
(:mod:`._laplace`), :data:`N_SIDE` nodes per side; on NumPy and PyTensor the nodes are placed
and the rule summed with its gradient in :math:`(\mu, \sigma)` in one numba pass
(:mod:`._laplace_integral`), JAX runs the backend code.

Accuracy against mpmath on :math:`\mu\in\{-6,-2,0,2\}`, :math:`\sigma\in\{0.3,1,3\}` with
counts from :math:`(0,0)` to :math:`(0,10^6)`, :math:`(10^4,0)` and
:math:`(5\cdot10^5,5\cdot10^5)`: better than 1e-12 in the relative error of :math:`L` itself
and of :math:`E = e^L` (``tests/test_quadrature_families.py``).  The integrand has poles at
:math:`x=\pm i\pi`, which slow Gauss–Legendre convergence when the window is much wider than
:math:`\pi` (large :math:`\sigma`, few counts).  Measured with ``benchmarks/quadrature_nodes.py``
(table in ``docs/benchmarks.md``), error :math:`|L-L_{\rm ref}|/\max(1,|L_{\rm ref}|)`:
where fits live (288 cases: 48 parameter points from the central 98% of the priors of
``models/logit_normal.toml``, :math:`\sigma` up to ~10, :math:`n` from 1 to :math:`10^8`),
worst 6.2e-10 with 48 nodes per side, 2.3e-11 with 56, 7.3e-13 with 64; at the corners of the
prior's 0.1%-99.9% quantile box (:math:`\mu\in\{-11.3, 7.3\}`, :math:`\sigma\in\{0.198,
20.4\}`, counts from 0 to :math:`10^6`), worst 2.2e-7 with 48, 1.8e-8 with 56, 1.3e-9 with 64
and 1.2e-12 with 80 (all at :math:`\sigma = 20.4`, :math:`(c, f) = (0, 1)`).  :data:`N_SIDE` =
56, the fewest that keep 1e-10 where fits live; stated bound
:attr:`LogitNormalFamily.accuracy` = 5e-8 (``tests/test_family_contract.py``; :math:`\sigma =
20.4` is the prior's 99.9% quantile).

Tail: the density of :math:`p` near 0 is
:math:`\propto p^{-1}\exp\{-(\log p-\mu)^2/(2\sigma^2)\}`, lighter than any power of
:math:`p`, so :math:`\mathbb{E}[(1-p)^k] \approx \Phi\big((-\log k - \mu)/\sigma\big)` falls
faster than any power law: its local log-log slope keeps growing like
:math:`(\log k + \mu)/\sigma^2` ("no power law"; Schaeffer, Kazdan et al., ICML 2025).

References
----------
J. Atchison and S. M. Shen (1980), "Logistic-normal distributions: some properties and uses",
Biometrika 67(2), 261–272.

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
    place_flat,
)
from ._numba_cache import njit_cached
from .base import POSITIVE, REAL, Family, TailBehaviour

__all__ = ["NUMBA_INTEGRAND", "LogitNormalFamily", "logit_normal_log_moment"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: Gauss–Legendre nodes on each side of the mode (112 in all); see the module docstring for the
#: accuracy this buys as a function of ``sigma`` (48 were not enough for sigma ~ 20).
N_SIDE = 56


def _h(x: Array, c: Array, f: Array, mu: Array, sigma: Array, xp: ArrayBackend) -> Array:
    z = (x - mu) / sigma
    return c * log_sigmoid(x, xp) + f * log_sigmoid(-x, xp) - 0.5 * z * z


def _nodes_generic(
    c: Array, f: Array, mu: Array, sigma: Array, xp: ArrayBackend, n_side: int = N_SIDE
) -> tuple[Array, Array]:
    """Node placement written against the backend (used for JAX; see :mod:`._laplace_numba`)."""
    c0, f0, mu0, s0 = frozen_broadcast(xp, c, f, mu, sigma)
    var = s0 * s0
    n0 = c0 + f0

    def h(x: Array) -> Array:
        return _h(x, c0, f0, mu0, s0, xp)

    def dh(x: Array) -> tuple[Array, Array]:
        sp, sm = sigmoid(x, xp), sigmoid(-x, xp)
        return c0 * sm - f0 * sp - (x - mu0) / var, -n0 * sp * sm - 1.0 / var

    slope_mu = dh(mu0)[0]  # h'(mu): data pull at x = mu
    far = mu0 + var * slope_mu  # beyond the mode: h' there has the opposite sign
    lo = xp.minimum(mu0, far)
    hi = xp.maximum(mu0, far)
    x_hat = xp.log(xp.maximum(c0, 0.5)) - xp.log(xp.maximum(f0, 0.5))  # empirical logit
    prec = c0 * f0 / xp.maximum(n0, 1.0)
    x_pw = (x_hat * prec + mu0 / var) / (prec + 1.0 / var)
    starts = [
        mu0,
        x_pw,
        x_hat,
        mu0 - lambert_w(var * f0 * sigmoid(mu0, xp), xp),
        mu0 - lambert_w(var * f0 * xp.exp(xp.minimum(mu0, 600.0)), xp),
        mu0 + lambert_w(var * c0 * sigmoid(-mu0, xp), xp),
        mu0 + lambert_w(var * c0 * xp.exp(xp.minimum(-mu0, 600.0)), xp),
    ]
    return laplace_nodes(h, dh, lo, hi, starts, xp, n_side=n_side)


# ---------------------------------------------------------------------------
# The same integrand and mode search as numba scalars, for the generic placer
# (:mod:`._laplace_numba`); they mirror ``_h`` and ``_nodes_generic`` line by line.
# ---------------------------------------------------------------------------


@njit_cached
def _h_nb(y, c, f, mu, s):  # pragma: no cover - compiled
    z = (y - mu) / s
    return c * nb_log_sigmoid(y) + f * nb_log_sigmoid(-y) - 0.5 * z * z


@njit_cached
def _dh_nb(y, c, f, mu, s):  # pragma: no cover - compiled
    sp = nb_sigmoid(y)
    sm = nb_sigmoid(-y)
    var = s * s
    return c * sm - f * sp - (y - mu) / var, -(c + f) * sp * sm - 1.0 / var


@njit_cached
def _setup_nb(c, f, mu, s, starts):  # pragma: no cover - compiled
    var = s * s
    n = c + f
    slope_mu = _dh_nb(mu, c, f, mu, s)[0]
    far = mu + var * slope_mu
    lo, hi = min(mu, far), max(mu, far)
    x_hat = math.log(max(c, 0.5)) - math.log(max(f, 0.5))
    prec = c * f / max(n, 1.0)
    x_pw = (x_hat * prec + mu / var) / (prec + 1.0 / var)
    starts[0] = mu
    starts[1] = x_pw
    starts[2] = x_hat
    starts[3] = mu - nb_lambert_w(var * f * nb_sigmoid(mu))
    starts[4] = mu - nb_lambert_w(var * f * math.exp(min(mu, 600.0)))
    starts[5] = mu + nb_lambert_w(var * c * nb_sigmoid(-mu))
    starts[6] = mu + nb_lambert_w(var * c * math.exp(min(-mu, 600.0)))
    return lo, hi, 7


@njit_cached
def _place_nb(c, f, mu, s, frac, log_w0, log_map):  # pragma: no cover - compiled
    return place_flat(_h_nb, _dh_nb, _setup_nb, c, f, mu, s, frac, log_w0, log_map)


@njit_cached
def _prepare_nb(c, f, mu, s):  # pragma: no cover - compiled
    """What :func:`_h_grad_nb` needs at every node of one element, computed once."""
    return c, f, mu, 1.0 / s


@njit_cached
def _h_grad_nb(y, pre, want_grad, g):  # pragma: no cover - compiled
    r""":math:`h(y)` as ``_h_nb``; with ``want_grad``, its gradient in the parameters into ``g``.

    With :math:`z = (y-\mu)/\sigma`: :math:`\partial_\mu h = z/\sigma`,
    :math:`\partial_\sigma h = z^2/\sigma`.
    """
    c, f, mu, inv_s = pre
    soft = math.log1p(math.exp(-abs(y)))
    z = (y - mu) * inv_s
    if want_grad:
        g[0] = z * inv_s
        g[1] = z * z * inv_s
    return c * (min(y, 0.0) - soft) + f * (min(-y, 0.0) - soft) - 0.5 * z * z


@njit_cached
def _log_integral_nb(c, f, thetas, frac, log_w0, log_map, want_grad):  # pragma: no cover
    return log_integral_flat(_h_nb, _dh_nb, _setup_nb, _prepare_nb, _h_grad_nb, c, f, thetas,
                             frac, log_w0, log_map, want_grad)


#: The numba pieces handed to the generic node placer (:mod:`._laplace_numba`) and to the fused
#: quadrature sum (:mod:`._laplace_integral`).
NUMBA_INTEGRAND = NumbaIntegrand(
    "logit_normal", __name__, "NUMBA_INTEGRAND", _h_nb, _dh_nb, _setup_nb, _place_nb,
    log_integral=_log_integral_nb,
)


def logit_normal_log_moment(
    c: Array,
    f: Array,
    mu: Array,
    sigma: Array,
    xp: ArrayBackend,
    numba_nodes: bool | None = None,
    n_side: int = N_SIDE,
) -> Array:
    r"""Backend-agnostic :math:`L(c, f)` of the logit-normal (see the module docstring).

    Parameters
    ----------
    c, f
        Success and failure counts (non-negative).
    mu, sigma
        Mean and standard deviation (``sigma > 0``) of :math:`\operatorname{logit} p`.
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
        log_integral = laplace_log_integral(NUMBA_INTEGRAND, c, f, (mu, sigma), xp.name, n_side,
                                            None)
    else:
        nodes, log_w = _nodes_generic(c, f, mu, sigma, xp, n_side)
        ex = xp.expand_last
        log_int = _h(nodes, ex(c), ex(f), ex(mu), ex(sigma), xp)
        log_integral = quadrature_log_integral(log_int, log_w, xp)
    value = log_integral - xp.log(sigma) - _HALF_LOG_2PI
    return xp.where(c + f > 0.0, value, 0.0)  # E[p^0 (1-p)^0] = 1 exactly


class LogitNormalFamily(Family):
    r"""Logit-normal: :math:`\operatorname{logit} p \sim \mathcal{N}(\mu, \sigma^2)`.

    Parameters are ``mu`` (real) and ``sigma`` > 0; the prior variables are the same two.
    """

    name = "logit_normal"
    params = ("mu", "sigma")
    param_ranges = {"mu": REAL, "sigma": POSITIVE}
    prior_variables = ("mu", "sigma")
    accuracy = 5e-8  # measured worst over the prior support: 1.8e-8 (sigma = 20.4, f = 1)
    parallel_kernel = True  # the fused kernel runs on its own threads (_laplace_integral)
    numba_integrand = NUMBA_INTEGRAND
    nodes_per_side = N_SIDE

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        """``mu`` and ``sigma`` are already the natural parameters."""
        xp = get_backend(backend)
        return {"mu": xp.asarray(variables["mu"]), "sigma": xp.asarray(variables["sigma"])}

    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        p1, p2 = params["mu"], params["sigma"]
        n_side = self.nodes_per_side
        if xp is NUMPY:  # chunked: bounded memory for draws x pairs x k
            return numpy_chunked(
                lambda *a: logit_normal_log_moment(*a, NUMPY, n_side=n_side), c, f, p1, p2,
                chunk=FUSED_CHUNK)
        return logit_normal_log_moment(c, f, p1, p2, xp, n_side=n_side)

    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Faster than any power law: exponent ``inf``, prefactor 0.

        :math:`\mathbb{E}[(1-p)^k]\approx\Phi((-\log k-\mu)/\sigma)`, whose log-log slope
        grows without bound.
        """
        xp = get_backend(backend)
        zero = 0.0 * (xp.asarray(params["mu"]) + xp.asarray(params["sigma"]))
        return TailBehaviour("faster_than_power_law", zero + math.inf, zero)

    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``p = expit(mu + sigma * z)`` with ``z ~ N(0, 1)``."""
        x = rng.normal(np.asarray(params["mu"]), np.asarray(params["sigma"]), size=size)
        return expit(x)
