r"""Population families for the per-problem success probability :math:`p`.

Each family implements one primitive, :math:`L(c,f;\theta)=\log\mathbb{E}[p^c(1-p)^f]`
(:meth:`Family.log_moment`), once for the NumPy, PyTensor and JAX backends.

>>> from monkeypower.families import get_family
>>> fam = get_family("beta")
>>> float(fam.log_moment(0, 0, {"alpha": 1.0, "beta": 2.0}))
0.0
"""

from __future__ import annotations

from ._backend import JAX, NUMPY, PYTENSOR, ArrayBackend, get_backend
from .base import Family, TailBehaviour, TailKind
from .beta import BetaFamily
from .beta_mixture import BetaMixtureFamily
from .kumaraswamy import KumaraswamyFamily
from .logit_normal import LogitNormalFamily
from .scaled_beta import ScaledBetaFamily
from .zero_inflated import ZeroInflatedBetaFamily, ZeroInflatedScaledBetaFamily

__all__ = [
    "FAMILIES",
    "JAX",
    "NUMPY",
    "PYTENSOR",
    "ArrayBackend",
    "BetaFamily",
    "BetaMixtureFamily",
    "Family",
    "KumaraswamyFamily",
    "LogitNormalFamily",
    "ScaledBetaFamily",
    "TailBehaviour",
    "TailKind",
    "ZeroInflatedBetaFamily",
    "ZeroInflatedScaledBetaFamily",
    "get_backend",
    "get_family",
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
