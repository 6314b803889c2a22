r"""Population families for the per-problem success probability :math:`p`.

Each family implements one primitive, :math:`L(c,f;\theta)=\log\mathbb{E}[p^c(1-p)^f]`
(:meth:`Family.log_moment`), once for the NumPy, PyTensor and JAX backends.

Adding a family: its module in this package (a :class:`Family` subclass; quadrature families
also bring their numba integrand, see :mod:`._laplace_numba`), its model spec in ``models/``, and
one line in :data:`FAMILIES` below.  ``tests/test_family_contract.py`` runs every registered
family through the same contract.

>>> from monkeypower.families import get_family
>>> fam = get_family("beta")
>>> float(fam.log_moment(0, 0, {"alpha": 1.0, "beta": 2.0}))
0.0
"""

from __future__ import annotations

from ._backend import JAX, NUMPY, PYTENSOR, ArrayBackend, get_backend
from ._scaled_beta_numba import log_moment_numba as scaled_beta_log_moment_numba
from .base import Family, TailBehaviour, TailKind
from .beta import BetaFamily
from .beta_mixture import BetaMixtureFamily
from .bridged_beta import BridgedBetaFamily
from .generalized_beta import GeneralizedBetaFamily
from .kumaraswamy import KumaraswamyFamily
from .logit_normal import LogitNormalFamily
from .scaled_beta import ScaledBetaFamily
from .scaled_kumaraswamy import ScaledKumaraswamyFamily
from .tailed_logit_normal import TailedLogitNormalFamily
from .zero_inflated import ZeroInflatedBetaFamily, ZeroInflatedScaledBetaFamily

__all__ = [
    "FAMILIES",
    "JAX",
    "NUMPY",
    "PYTENSOR",
    "ArrayBackend",
    "BetaFamily",
    "BetaMixtureFamily",
    "BridgedBetaFamily",
    "Family",
    "GeneralizedBetaFamily",
    "KumaraswamyFamily",
    "LogitNormalFamily",
    "ScaledBetaFamily",
    "ScaledKumaraswamyFamily",
    "TailBehaviour",
    "TailedLogitNormalFamily",
    "TailKind",
    "ZeroInflatedBetaFamily",
    "ZeroInflatedScaledBetaFamily",
    "get_backend",
    "get_family",
    "scaled_beta_log_moment_numba",
]

FAMILIES: dict[str, Family] = {
    fam.name: fam
    for fam in (
        BetaFamily(),
        ScaledBetaFamily(),
        KumaraswamyFamily(),
        LogitNormalFamily(),
        ZeroInflatedBetaFamily(),
        ZeroInflatedScaledBetaFamily(),
        BetaMixtureFamily(),
        ScaledKumaraswamyFamily(),
        GeneralizedBetaFamily(),
        BridgedBetaFamily(),
        TailedLogitNormalFamily(),
    )
}
"""Registry of the available families, keyed by :attr:`Family.name`."""


def get_family(name: str | Family) -> Family:
    """Return the registered family called ``name`` (a :class:`Family` is returned as is).

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the known names.
    """
    if isinstance(name, Family):
        return name
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise ValueError(f"unknown family {name!r}; known families: {known}") from None
