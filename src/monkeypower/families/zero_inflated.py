r"""Zero-inflated populations: a point mass of never-solvable problems plus a base family.

With probability :math:`\pi_0` a problem has :math:`p = 0` (no number of attempts solves it);
otherwise :math:`p` is drawn from a base family (Beta or scaled Beta).  Then

.. math::

    \mathbb{E}[p^c(1-p)^f] = \pi_0\,\mathbf{1}\{c = 0\} + (1-\pi_0)\,e^{L_{\rm base}(c, f)},
    \qquad
    L(c, f) = \begin{cases}
        \operatorname{logaddexp}\big(\log\pi_0,\ \log(1-\pi_0) + L_{\rm base}(0, f)\big) & c = 0\\
        \log(1-\pi_0) + L_{\rm base}(c, f) & c > 0,
    \end{cases}

computed in log space (no under- or overflow for :math:`f` in the millions).  The base kernel is
the base family's own (:class:`~monkeypower.families.beta.BetaFamily`,
:class:`~monkeypower.families.scaled_beta.ScaledBetaFamily`), reused unchanged.
Accuracy: that of the base kernel (``accuracy`` is the base family's; measured over the prior
support of ``models/zero_inflated_*.toml``, 0.1%-99.9% quantile corners, counts 0 to 1e6,
within 1e-13 of mpmath relative to ``max(1, |L|)``).

Tail: :math:`1 - \mathrm{pass}_D@k = \mathbb{E}[(1-p)^k] = \pi_0 + (1-\pi_0)\,
\mathbb{E}_{\rm base}[(1-p)^k] \to \pi_0`: the population pass rate plateaus at
:math:`1 - \pi_0` and there is **no** power law (Schaeffer, Kazdan et al., ICML 2025);
``tail`` reports kind ``"plateau"``, exponent 0 and prefactor :math:`\pi_0` (the limit of the
failure curve; :math:`-\log\mathrm{pass}_D@k \to -\log(1-\pi_0)`).  The base family's power law
still governs
how the curve approaches its plateau, :math:`\mathbb{E}[(1-p)^k] - \pi_0 \sim
(1-\pi_0)\,a\,k^{-\alpha}`.

References
----------
D. Lambert (1992), "Zero-inflated Poisson regression, with an application to defects in
manufacturing", Technometrics 34(1), 1–14 (zero inflation).

R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power
(Laws)?", ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ._backend import NUMPY, Array, ArrayBackend, get_backend, logaddexp
from .base import PROBABILITY, Family, TailBehaviour
from .beta import BetaFamily
from .scaled_beta import ScaledBetaFamily

__all__ = ["ZeroInflatedBetaFamily", "ZeroInflatedFamily", "ZeroInflatedScaledBetaFamily"]


class ZeroInflatedFamily(Family):
    r"""A point mass :math:`\pi_0` at :math:`p = 0` mixed with a base family (abstract).

    Natural parameters: ``pi0`` in :math:`[0, 1)` followed by the base family's; prior
    variables: ``pi0`` followed by the base family's.
    """

    base: ClassVar[Family]

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        """``pi0`` passes through; the rest as the base family maps them."""
        xp = get_backend(backend)
        base = self.base.natural_params(
            {k: variables[k] for k in self.base.prior_variables}, xp
        )
        return {"pi0": xp.asarray(variables["pi0"]), **base}

    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        pi0 = params["pi0"]
        base = self.base._log_moment(c, f, {k: params[k] for k in self.base.params}, xp)
        with_base = xp.log1p(-pi0) + base
        # log pi0, with pi0 = 0 giving exactly -inf (and no log(0) evaluation)
        log_pi0 = xp.where(pi0 > 0.0, xp.log(xp.where(pi0 > 0.0, pi0, 1.0)), -np.inf)
        value = xp.where(c > 0.0, with_base, logaddexp(log_pi0, with_base, xp))
        return xp.where(c + f > 0.0, value, 0.0)  # E[p^0 (1-p)^0] = 1 exactly

    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Plateau: :math:`\mathbb{E}[(1-p)^k] \to \pi_0`; exponent 0, prefactor :math:`\pi_0`."""
        xp = get_backend(backend)
        pi0 = xp.asarray(params["pi0"])
        zero = sum(0.0 * xp.asarray(params[k]) for k in self.params)  # the broadcast shape
        return TailBehaviour("plateau", zero, zero + pi0)

    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        """``p = 0`` with probability ``pi0``, else a draw from the base family."""
        p = self.base.sample_p({k: params[k] for k in self.base.params}, size, rng)
        zero = rng.uniform(size=size) < np.asarray(params["pi0"])
        return np.where(zero, 0.0, p)


class ZeroInflatedBetaFamily(ZeroInflatedFamily):
    r""":math:`\pi_0\,\delta_0 + (1-\pi_0)\,\mathrm{Beta}(\alpha, \beta)`.

    Natural parameters ``pi0``, ``alpha``, ``beta``; prior variables ``pi0``, ``alpha``,
    ``mean``.
    """

    name = "zero_inflated_beta"
    base = BetaFamily()
    accuracy = BetaFamily.accuracy
    params = ("pi0", *BetaFamily.params)
    param_ranges = {"pi0": PROBABILITY, **BetaFamily.param_ranges}
    prior_variables = ("pi0", *BetaFamily.prior_variables)


class ZeroInflatedScaledBetaFamily(ZeroInflatedFamily):
    r""":math:`\pi_0\,\delta_0 + (1-\pi_0)\cdot` scaled Beta.

    The scaled Beta is :math:`p = s u`, :math:`u\sim\mathrm{Beta}(\alpha,\beta)`.  Natural
    parameters ``pi0``, ``alpha``, ``beta``, ``scale``; prior variables ``pi0``, ``alpha``,
    ``mean``, ``scale``.
    """

    name = "zero_inflated_scaled_beta"
    base = ScaledBetaFamily()
    accuracy = ScaledBetaFamily.accuracy
    parallel_kernel = True  # the scaled Beta's parallel loop
    params = ("pi0", *ScaledBetaFamily.params)
    param_ranges = {"pi0": PROBABILITY, **ScaledBetaFamily.param_ranges}
    prior_variables = ("pi0", *ScaledBetaFamily.prior_variables)
