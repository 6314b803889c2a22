r"""A Beta prior variable sampled on a shifted logit scale: the same model, other coordinates.

NUTS samples the unconstrained value of each free variable; a (0, 1) variable :math:`v` is
sampled as :math:`\operatorname{logit} v` by default. Where the variable's posterior location
moves with other parameters along a known curve, sampling

.. math:: w = \operatorname{logit} v + \delta(\text{other parameters})

straightens the curve without changing the model: :math:`v` keeps its Beta prior (its density
and the Jacobian :math:`|dv/dw| = v(1-v)` go into the log-density) and its value in every draw,
only the coordinates NUTS moves in change. A family says which shift
(:meth:`~monkeypower.families.base.Family.logit_shift`); :func:`shifted_logit_beta` builds the
variable. The shift's graph holds other random variables; PyMC replaces them by their values in
the log-density as it does everywhere else.

References
----------
O. Papaspiliopoulos, G. O. Roberts, M. Sköld (2007), "A general framework for the
parametrization of hierarchical models", Statistical Science 22(1), 59–73 (reparametrisation
that leaves the model unchanged to decorrelate a sampler's coordinates).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.logprob.transforms import Transform

__all__ = ["ShiftedLogit", "shifted_logit_beta"]


class ShiftedLogit(Transform):
    r""":math:`w = \operatorname{logit} v + \delta`, :math:`\delta` the variable's last input."""

    name = "shifted_logit"
    ndim_supp = 0

    def forward(self, value, *inputs):  # noqa: D102
        return pt.log(value) - pt.log1p(-value) + inputs[-1]

    def backward(self, value, *inputs):  # noqa: D102
        return pt.sigmoid(value - inputs[-1])

    def log_jac_det(self, value, *inputs):
        r""":math:`\log|dv/dw| = \log\sigma(x) + \log(1-\sigma(x))`, :math:`x = w - \delta`."""
        x = value - inputs[-1]
        return -pt.softplus(-x) - pt.softplus(x)


def _beta_logp(value, a, b, shift):
    return pm.logp(pm.Beta.dist(a, b), value)


def _beta_random(a, b, shift, rng=None, size=None):
    return rng.beta(a, b, size=size)


def _beta_mean(rv, size, a, b, shift):
    return pt.full_like(rv, a / (a + b))


def shifted_logit_beta(name: str, alpha: float, beta: float, shift) -> pt.TensorVariable:
    r"""A ``Beta(alpha, beta)`` random variable sampled as :math:`\operatorname{logit} v + \delta`.

    Parameters
    ----------
    name : str
        The variable's name (its draws are stored under it, as for ``pm.Beta``).
    alpha, beta : float
        The Beta prior's parameters.
    shift : TensorVariable
        :math:`\delta`, a scalar graph of other variables of the model.

    Returns
    -------
    TensorVariable
        The random variable, registered in the current model; prior draws, the initial point
        (the prior mean) and the log-density are the Beta's.
    """
    return pm.CustomDist(
        name, np.float64(alpha), np.float64(beta), shift, logp=_beta_logp, random=_beta_random,
        support_point=_beta_mean, signature="(),(),()->()", dtype="float64",
        transform=ShiftedLogit(),
    )
