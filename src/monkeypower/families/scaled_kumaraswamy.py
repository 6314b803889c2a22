r"""Scaled-Kumaraswamy population family: the paper's own synthetic truth family.

:math:`p = s\,X` with :math:`X \sim \mathrm{Kumaraswamy}(a, b)` and a ceiling :math:`0 < s \le 1`
(Schaeffer, Kazdan et al., ICML 2025, arXiv:2502.17578, draw their synthetic problems from
Beta and Kumaraswamy populations scaled by :math:`s \in \{0.1, 0.8\}`).  The density is
:math:`\frac{ab}{s}(p/s)^{a-1}(1-(p/s)^a)^{b-1}` on :math:`(0, s)`.

Exact representation
--------------------
:math:`X^a \sim \mathrm{Beta}(1, b)`, so this is the generalized Beta of
:mod:`.generalized_beta` with :math:`\nu = \alpha = a`, :math:`\beta = b`:

.. math::

    L(c, f) = c\log s + \log b + \log\int_{-\infty}^{\infty}\exp\Big\{(1+\tfrac{c}{a})
      \log\sigma(y) + b\log\sigma(-y) + f\log\big(1 - s\,e^{\log\sigma(y)/a}\big)\Big\}\,dy ,

evaluated by the same Laplace-placed Gauss–Legendre quadrature (nodes placed in numba); at
:math:`s = 1` it is the :mod:`.kumaraswamy` integral.  Accuracy against an mpmath oracle in
:math:`z = \log(-\log X^a)` over the prior support (``models/scaled_kumaraswamy.toml``, every
corner of the 0.1%–99.9% box, :math:`a \in \{0.0137, 6.62\}`, :math:`b` from 0.062 to
:math:`5\cdot10^{19}`, :math:`s \in \{0.001, 0.999\}`, counts 0 to :math:`10^6`): measured worst
:math:`|L-L_{\rm ref}|/\max(1,|L_{\rm ref}|)` = 1.4e-12 (at :math:`a = 0.0137`,
:math:`b = 0.29`, :math:`s = 0.999`, :math:`(c, f) = (0, 1)`); stated bound
:attr:`ScaledKumaraswamyFamily.accuracy` = 5e-12 (``tests/test_family_contract.py``).  Where
fits live (``benchmarks/quadrature_nodes.py``: the central 98% of the priors, :math:`n` from 1 to
:math:`10^8`) the worst is 8.1e-11 with :data:`N_SIDE` = 40 nodes per side (2.0e-8 with 32,
2.0e-12 with 48).

Tail: near :math:`p = 0` the density is :math:`\approx ab\,s^{-a}p^{a-1}`, so
:math:`\mathbb{E}[(1-p)^k] \sim b\,\Gamma(a+1)\,s^{-a}\,k^{-a}`: a power law with exponent
:math:`a`.

References
----------
P. Kumaraswamy (1980), "A generalized probability density function for double-bounded random
processes", Journal of Hydrology 46(1–2), 79–88.

R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power
(Laws)?", ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._backend import NUMPY, Array, ArrayBackend, get_backend
from ._laplace import FUSED_CHUNK, numpy_chunked
from .base import POSITIVE, SCALE, Family, TailBehaviour
from .generalized_beta import NUMBA_INTEGRAND, generalized_beta_log_moment
from .kumaraswamy import b_from_median

__all__ = ["ScaledKumaraswamyFamily"]

#: Gauss–Legendre nodes on each side of the mode (the generalized Beta's rule with nu = a).
N_SIDE = 40


def _log_moment(c: Array, f: Array, a: Array, b: Array, s: Array, xp: ArrayBackend,
                n_side: int = N_SIDE) -> Array:
    return generalized_beta_log_moment(c, f, a, a, b, s, xp, n_side=n_side)


class ScaledKumaraswamyFamily(Family):
    r"""Scaled Kumaraswamy: :math:`p = sX`, :math:`X\sim\mathrm{Kumaraswamy}(a, b)`, :math:`s\le1`.

    Natural parameters ``a`` > 0 (the tail exponent), ``b`` > 0 and ``scale``.  Prior variables:
    ``alpha`` (:math:`= a`), the ``median`` :math:`(1-2^{-1/b})^{1/a}` of the unscaled
    :math:`X = p/s`, and ``scale``.
    """

    name = "scaled_kumaraswamy"
    params = ("a", "b", "scale")
    param_ranges = {"a": POSITIVE, "b": POSITIVE, "scale": SCALE}
    parallel_kernel = True  # the generalized Beta's fused kernel, on its own threads
    prior_variables = ("alpha", "median", "scale")
    accuracy = 5e-12  # measured worst over the prior support: 1.4e-12
    numba_integrand = NUMBA_INTEGRAND
    nodes_per_side = N_SIDE

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        r"""``a = alpha``, :math:`b = -\log 2/\log(1-\mathrm{median}^a)`, ``scale`` as is."""
        xp = get_backend(backend)
        alpha, median = xp.asarray(variables["alpha"]), xp.asarray(variables["median"])
        return {"a": alpha, "b": b_from_median(alpha, median, xp),
                "scale": xp.asarray(variables["scale"])}

    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        a, b, s = params["a"], params["b"], params["scale"]
        n_side = self.nodes_per_side
        if xp is NUMPY:  # chunked: bounded memory for draws x pairs x k
            return numpy_chunked(lambda *x: _log_moment(*x, NUMPY, n_side=n_side), c, f, a, b, s,
                                 chunk=FUSED_CHUNK)
        return _log_moment(c, f, a, b, s, xp, n_side=n_side)

    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Power law with exponent :math:`a` and prefactor :math:`b\,\Gamma(a+1)\,s^{-a}`."""
        xp = get_backend(backend)
        a, b = xp.asarray(params["a"]), xp.asarray(params["b"])
        s = xp.asarray(params["scale"])
        return TailBehaviour("power_law", a + 0.0 * (b + s),
                             b * xp.exp(xp.gammaln(a + 1.0) - a * xp.log(s)))

    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        r"""Inverse CDF: :math:`p = s(1 - V^{1/b})^{1/a}` with :math:`V\sim U(0,1)`."""
        a, b = np.asarray(params["a"], float), np.asarray(params["b"], float)
        s = np.asarray(params["scale"], float)
        v = np.maximum(rng.uniform(size=size), np.finfo(np.float64).tiny)  # no log(0)
        log_u = np.log(-np.expm1(np.log(v) / b))  # log(1 - V^(1/b)), u ~ Beta(1, b)
        return s * np.exp(log_u / a)
