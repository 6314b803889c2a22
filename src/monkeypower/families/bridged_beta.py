r"""Bridged-Beta population family: a tail between the Beta's and the Kumaraswamy's.

The scaled generalized Beta of :mod:`.generalized_beta` (:math:`p = sX`,
:math:`X^\nu\sim\mathrm{Beta}(\alpha/\nu,\beta)`, tail exponent :math:`\alpha`) with its power
tied to the tail exponent,

.. math:: \nu = \alpha^{\mathrm{bend}}, \qquad 0 < \mathrm{bend} < 1,

so ``bend`` = 0 is the scaled Beta :math:`(\alpha, \beta)` (:math:`\nu = 1`) and ``bend`` = 1 the
scaled Kumaraswamy :math:`(\alpha, \beta)` (:math:`\nu = \alpha`), the two families of the
synthetic truths of Schaeffer, Kazdan et al. (ICML 2025, arXiv:2502.17578); every ``bend`` in
between is a tail that straightens at a rate between theirs.

Why a family of its own
-----------------------
Below :math:`p \approx 1/\max n` the data say nothing, and how the tail continues there is the
prior's.  The local exponent of the density is :math:`\alpha - (\beta-1)\nu u/(1-u)` with
:math:`u = (p/s)^\nu` (:mod:`.generalized_beta`): with :math:`\nu = 1` it is :math:`\alpha`
just below the body (the Beta families assert a tail that is already straight where the data
end), with :math:`\nu = \alpha` small it keeps rising until :math:`p < 10^{-10}`.  The generalized
Beta's free :math:`\nu` (LogNormal(log 0.5, 1)) also admits :math:`\nu < \alpha` and
:math:`\nu > 1`, tails bending further than any Kumaraswamy's or the other way; on Pythia/MATH
its forecasts erred optimistic at every budget (``docs/backtest.md``).  Here the prior on
``bend`` is the whole statement about the unseen tail, and it is bounded by the two families
the literature fits: Uniform(0, 1) gives them equal weight and every rate between.

:math:`L(c, f;\theta)`, its accuracy and the tail are the generalized Beta's at
:math:`\nu = \alpha^{\mathrm{bend}}`: the same Laplace-placed Gauss–Legendre quadrature and numba
node placement (:data:`.generalized_beta.NUMBA_INTEGRAND`).  At the corners of this family's
0.1%–99.9% prior box (``models/bridged_beta.toml``; :math:`\nu` lies between :math:`\alpha` and
1, so none of the generalized Beta's worst corners, with :math:`\nu \approx 11`, occur) the
worst :math:`|L-L_{\rm ref}|/\max(1,|L_{\rm ref}|)` against mpmath is 1.3e-6, at
:math:`(\alpha, \nu, \beta, s) = (0.0137, 0.996, 1.4\cdot10^{-5}, 0.999)` and
:math:`(c, f) = (0, 1)` (:math:`u` piled at both ends, as in the generalized Beta's worst
corners); stated bound :attr:`BridgedBetaFamily.accuracy` = 3e-6
(``tests/test_family_contract.py``).

References
----------
J. B. McDonald (1984), "Some generalized functions for the size distribution of income",
Econometrica 52(3), 647–663.

P. Kumaraswamy (1980), "A generalized probability density function for double-bounded random
processes", Journal of Hydrology 46(1–2), 79–88.

R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power
(Laws)?", ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._backend import NUMPY, Array, ArrayBackend, get_backend
from .generalized_beta import GeneralizedBetaFamily

__all__ = ["BridgedBetaFamily"]


class BridgedBetaFamily(GeneralizedBetaFamily):
    r"""Scaled generalized Beta with :math:`\nu = \alpha^{\mathrm{bend}}`, ``bend`` in (0, 1).

    Natural parameters as for :class:`~.generalized_beta.GeneralizedBetaFamily` (``alpha``,
    ``nu``, ``beta``, ``scale``).  Prior variables ``alpha`` (the tail exponent), ``bend``
    (0: the scaled Beta, 1: the scaled Kumaraswamy), ``mean`` (of :math:`u = (p/s)^\nu`) and
    ``scale``.
    """

    name = "bridged_beta"
    prior_variables = ("alpha", "bend", "mean", "scale")
    accuracy = 3e-6  # measured worst over the prior corners: 1.3e-6 (module docstring)

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        r""":math:`\nu = \alpha^{\mathrm{bend}}`, :math:`\beta = (\alpha/\nu)(1-\mu)/\mu`."""
        xp = get_backend(backend)
        return super().natural_params({**variables, "nu": xp.exp(_log_nu(variables, xp))},
                                      backend)

    def logit_shift(
        self, name: str, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> Array | None:
        r"""``mean`` is sampled as :math:`\operatorname{logit}\mu+\log\nu = \log\alpha-\log\beta`.

        :math:`\operatorname{logit}\mu = \log(\alpha/\nu) - \log\beta`: with the bend
        unresolved by the data, :math:`\nu = \alpha^{\mathrm{bend}}` moves over a wide range
        while the data hold :math:`\beta` (and the body's mean) nearly still, so the posterior
        of :math:`\operatorname{logit}\mu` follows :math:`-\log\nu`, a curve in
        :math:`\operatorname{logit}(\mathrm{bend})` that nutpie's linear mass matrix cannot
        follow. Shifted by :math:`\log\nu` the coordinate stays nearly still as the bend moves.
        """
        return _log_nu(variables, get_backend(backend)) if name == "mean" else None


def _log_nu(variables: Mapping[str, Any], xp: ArrayBackend) -> Array:
    r""":math:`\log\nu = \mathrm{bend}\cdot\log\alpha`."""
    return xp.asarray(variables["bend"]) * xp.log(xp.asarray(variables["alpha"]))
