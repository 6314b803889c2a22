r"""Beta population family.

:math:`p \sim \mathrm{Beta}(\alpha, \beta)`, so

.. math:: L(c, f) = \log\mathbb{E}[p^c(1-p)^f] = \log B(\alpha+c, \beta+f) - \log B(\alpha, \beta),

evaluated with the Stirling-remainder form of
:func:`~monkeypower.families._backend.betaln`, which avoids the ~1e-8 absolute
cancellation error of differencing ``gammaln`` values of size ~1e7 when ``f``
or ``c`` is in the millions (accuracy ~1e-13 relative to ``max(1, |L|)``; measured worst over
the prior support, every corner of the 0.1%-99.9% quantile box of ``models/beta.toml`` with
counts from 0 to 1e6: 5.6e-15; stated bound ``BetaFamily.accuracy`` = 1e-13).

Tail: :math:`\mathbb{E}[(1-p)^k] = B(\alpha, \beta+k)/B(\alpha,\beta)
\sim \frac{\Gamma(\alpha+\beta)}{\Gamma(\beta)}\,k^{-\alpha}`, a power law with
exponent :math:`b=\alpha` and prefactor :math:`a=\Gamma(\alpha+\beta)/\Gamma(\beta)`
(Schaeffer, Kazdan et al., ICML 2025, arXiv:2502.17578).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._backend import NUMPY, Array, ArrayBackend, betaln, get_backend, log_gamma_ratio
from .base import POSITIVE, Family, TailBehaviour

__all__ = ["BetaFamily"]


class BetaFamily(Family):
    r"""Beta(:math:`\alpha`, :math:`\beta`) population of success probabilities.

    Parameters are ``alpha`` > 0 and ``beta`` > 0.
    """

    name = "beta"
    params = ("alpha", "beta")
    param_ranges = {"alpha": POSITIVE, "beta": POSITIVE}
    prior_variables = ("alpha", "mean")
    accuracy = 1e-13  # measured worst over the prior support: 5.6e-15

    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        r"""``alpha`` and ``mean`` :math:`\mu` give :math:`\beta = \alpha(1-\mu)/\mu`."""
        xp = get_backend(backend)
        alpha, mean = xp.asarray(variables["alpha"]), xp.asarray(variables["mean"])
        return {"alpha": alpha, "beta": alpha * (1.0 - mean) / mean}

    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        a, b = params["alpha"], params["beta"]
        return betaln(a + c, b + f, xp) - betaln(a, b, xp)

    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Power law with exponent :math:`\alpha`.

        The prefactor is :math:`\Gamma(\alpha+\beta)/\Gamma(\beta)`.
        """
        xp = get_backend(backend)
        a, b = xp.asarray(params["alpha"]), xp.asarray(params["beta"])
        return TailBehaviour("power_law", a, xp.exp(log_gamma_ratio(b, a, xp)))

    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``p ~ Beta(alpha, beta)``."""
        return rng.beta(np.asarray(params["alpha"]), np.asarray(params["beta"]), size=size)
