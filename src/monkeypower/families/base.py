r"""The population-family interface.

A benchmark problem's single-attempt success probability :math:`p` is drawn
from a population density :math:`f(p;\theta)`.  Everything downstream is
computed from one primitive, the log mixed moment

.. math:: L(c, f;\theta) = \log \mathbb{E}_{p\sim f(\cdot;\theta)}\left[p^c (1-p)^f\right],

with :math:`c` successes and :math:`f` failures (non-negative integers, given
as integer- or float-valued arrays):

* marginal likelihood of a problem with :math:`c` successes in :math:`n`
  attempts: :math:`\log\binom{n}{c} + L(c, n-c)`;
* population failure curve :math:`1 - \mathrm{pass@}k = \mathbb{E}[(1-p)^k] = e^{L(0,k)}`;
* in-sample forecast for a problem already seen :math:`(c, f)`:
  :math:`\exp\{L(c, f+k) - L(c, f)\}`.

A :class:`Family` implements :meth:`Family.log_moment` once, against an
:class:`~monkeypower.families._backend.ArrayBackend`, so the same source runs
in NumPy, inside a PyMC/PyTensor graph and in JAX.

References
----------
R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get
Their Power (Laws)?", ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from ._backend import NUMPY, Array, ArrayBackend, get_backend

__all__ = ["POSITIVE", "PROBABILITY", "REAL", "SCALE", "Family", "ParamRange", "TailBehaviour",
           "TailKind"]

TailKind = Literal["power_law", "plateau", "faster_than_power_law"]
"""Asymptotic behaviour of the failure curve :math:`\\mathbb{E}[(1-p)^k]` as :math:`k\\to\\infty`.

``"power_law"``
    :math:`\\mathbb{E}[(1-p)^k] \\sim a\\,k^{-b}` (density of :math:`p` behaves like
    :math:`p^{b-1}` near 0; Beta, scaled Beta, Kumaraswamy, Beta mixtures, where the smallest
    exponent among the components wins).  ``exponent`` is :math:`b`, ``prefactor`` :math:`a`.
``"plateau"``
    :math:`\\mathbb{E}[(1-p)^k] \\to a > 0`: a point mass of never-solvable
    problems (:math:`P(p=0) = a`; the zero-inflated families); ``exponent`` is 0 and
    ``prefactor`` is :math:`a = \\pi_0`, the limit of the *failure curve*
    (:math:`-\\log\\mathrm{pass}_D@k` itself tends to :math:`-\\log(1-a)`).
``"faster_than_power_law"``
    decays faster than any power: the density vanishes at :math:`p = 0` faster than any power
    of :math:`p` (logit-normal, where :math:`\\mathbb{E}[(1-p)^k] \\approx
    \\Phi((-\\log k-\\mu)/\\sigma)` and the local log-log slope grows without bound), or
    :math:`p` is bounded away from 0; ``exponent`` is ``inf`` and ``prefactor`` is 0.
"""


@dataclass(frozen=True)
class TailBehaviour:
    r"""Asymptotics of the population failure curve :math:`1-\mathrm{pass@}k`.

    For ``kind == "power_law"``: :math:`\mathbb{E}[(1-p)^k] \sim a\,k^{-b}` with
    ``prefactor`` :math:`a` and ``exponent`` :math:`b` (arrays, one per
    parameter draw).  ``"plateau"``: exponent 0, prefactor the limit
    :math:`\pi_0` of the failure curve; ``"faster_than_power_law"``: exponent
    ``inf``, prefactor 0.  See :data:`TailKind`.
    """

    kind: TailKind
    exponent: Array
    prefactor: Array


@dataclass(frozen=True)
class ParamRange:
    """The values a natural parameter may take: an interval, each end open or closed.

    >>> SCALE.contains(1.0), SCALE.contains(1.5), str(SCALE)
    (True, False, '(0, 1]')
    """

    lower: float
    upper: float
    lower_closed: bool = False
    upper_closed: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (NaN never does)."""
        above = value >= self.lower if self.lower_closed else value > self.lower
        below = value <= self.upper if self.upper_closed else value < self.upper
        return bool(above and below)

    def __str__(self) -> str:
        return (f"{'[' if self.lower_closed else '('}{self.lower:g}, {self.upper:g}"
                f"{']' if self.upper_closed else ')'}")


POSITIVE = ParamRange(0.0, np.inf)
"""Shape parameters and exponents: finite and above 0."""
SCALE = ParamRange(0.0, 1.0, upper_closed=True)
"""A ceiling on ``p`` (the scaled families): above 0, at most 1."""
PROBABILITY = ParamRange(0.0, 1.0, lower_closed=True, upper_closed=True)
"""A mixture weight or a point mass: from 0 to 1."""
REAL = ParamRange(-np.inf, np.inf)
"""A location on the logit scale: any finite number."""


class Family(abc.ABC):
    """A parametric population density for the per-problem success probability.

    Subclasses set :attr:`name` and :attr:`params` and implement
    :meth:`_log_moment`, :meth:`tail` and :meth:`sample_p`.
    """

    name: ClassVar[str]
    """Registry key, e.g. ``"beta"``."""
    params: ClassVar[tuple[str, ...]]
    """Names of the natural parameters, in canonical order."""
    param_ranges: ClassVar[Mapping[str, ParamRange]]
    """The values each natural parameter may take (one entry per name in :attr:`params`);
    :meth:`check_params` holds a user's values to them."""
    prior_variables: ClassVar[tuple[str, ...]]
    """Names of the interpretable variables that carry priors in a model spec (e.g. the tail
    exponent ``alpha`` and the population ``mean``); :meth:`natural_params` maps them to
    :attr:`params`."""
    accuracy: ClassVar[float]
    """Stated accuracy of :meth:`log_moment` over the prior support: a bound on
    :math:`|L - L_{\rm ref}| / \\max(1, |L_{\rm ref}|)` against mpmath at every corner of the
    0.1%-99.9% quantile box of the family's priors, counts from 0 to :math:`10^6` (the relative
    error of :math:`E = e^L` where :math:`|L| \\le 1`, of :math:`L` beyond).  Each family's
    docstring gives the measured worst case; ``tests/test_family_contract.py`` enforces it."""
    parallel_kernel: ClassVar[bool] = False
    """Whether the family's NumPy evaluation already runs on several threads (numba's parallel
    loops or its own thread pool). Callers then add no threads of their own around it: numba's
    default ``workqueue`` threading layer aborts the process when two threads launch parallel
    kernels at once, and the cores are taken anyway."""
    numba_integrand: ClassVar[Any] = None
    """Quadrature families only: their :class:`~monkeypower.families._laplace_numba.NumbaIntegrand`
    (the numba log-integrand and mode bracket handed to the generic node placer); ``None`` for
    families with a closed form or their own kernel."""
    nodes_per_side: ClassVar[int | None] = None
    """Quadrature families only: Gauss–Legendre nodes on each side of the mode (the family's
    module docstring gives the accuracy they buy); ``None`` for the other families."""

    def check_params(self, params: Mapping[str, Any]) -> None:
        """Refuse natural parameters outside the family's ranges, naming each one.

        Raises
        ------
        ValueError
            Naming the family and the missing or unknown names, or every parameter out of its
            range, its value and the range.
        """
        missing = sorted(set(self.params) - set(params))
        unknown = sorted(set(params) - set(self.params))
        if missing or unknown:
            raise ValueError(f"{self.name} parameters are {list(self.params)}; "
                             + (f"missing {missing} " if missing else "")
                             + (f"unknown {unknown}" if unknown else ""))
        bad = []
        for name in self.params:
            value, allowed = params[name], self.param_ranges[name]
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = np.nan
            if isinstance(value, bool) or not allowed.contains(number):
                bad.append(f"{name} = {value!r} (must be a number in {allowed})")
        if bad:
            raise ValueError(f"{self.name} parameters out of range: {'; '.join(bad)}")

    @abc.abstractmethod
    def natural_params(
        self, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> dict[str, Array]:
        """Natural parameters from the prior variables (works on draws and on tensors)."""

    def logit_shift(
        self, name: str, variables: Mapping[str, Any], backend: str | ArrayBackend = NUMPY
    ) -> Array | None:
        r"""A shift :math:`\delta`: sample the (0, 1) prior variable ``name`` as logit v + δ.

        ``None`` (the default) samples :math:`\operatorname{logit} v`.

        The model is the same either way (:mod:`monkeypower.fitting.shifted_logit`); a family
        returns a shift where its posterior moves ``name`` with other variables along a known
        curve, so NUTS moves along a straighter one. ``variables`` holds the prior variables
        listed before ``name`` in :attr:`prior_variables`.
        """
        return None

    def log_moment(
        self,
        c: Any,
        f: Any,
        params: Mapping[str, Any],
        backend: str | ArrayBackend = NUMPY,
    ) -> Array:
        r""":math:`L(c, f;\theta) = \log\mathbb{E}[p^c(1-p)^f]`, broadcasting over all arguments.

        Parameters
        ----------
        c, f
            Success and failure counts (non-negative integers; any array shape).
        params
            Mapping from each name in :attr:`params` to an array (or tensor).
            All of ``c``, ``f`` and the parameters broadcast together, e.g.
            parameters of shape ``(draws, 1)`` with counts of shape ``(pairs,)``
            give ``(draws, pairs)``.
        backend
            ``"numpy"`` (default), ``"pytensor"``, ``"jax"`` or an
            :class:`~monkeypower.families._backend.ArrayBackend`.

        Returns
        -------
        array
            :math:`L` with the broadcast shape of the inputs; never above 0 (a rounding error
            above 0 is clamped to 0, since :math:`p^c(1-p)^f \le 1`).
        """
        xp = get_backend(backend)
        missing = [p for p in self.params if p not in params]
        if missing:
            raise KeyError(f"family {self.name!r} needs parameters {missing}")
        theta = {k: xp.asarray(params[k]) for k in self.params}
        value = self._log_moment(xp.asarray(c), xp.asarray(f), theta, xp)
        # L <= 0 always (p^c (1-p)^f <= 1); a quadrature that computes E = 1 - tiny to ~1 ulp
        # can land a rounding error above it.  ``where`` (not ``minimum``) keeps NaN visible.
        return xp.where(value > 0.0, 0.0, value)

    @abc.abstractmethod
    def _log_moment(
        self, c: Array, f: Array, params: Mapping[str, Array], xp: ArrayBackend
    ) -> Array:
        """Backend-agnostic kernel behind :meth:`log_moment` (inputs already converted)."""

    @abc.abstractmethod
    def tail(self, params: Mapping[str, Any], backend: str | ArrayBackend = NUMPY) -> TailBehaviour:
        r"""Asymptotic behaviour of :math:`\mathbb{E}[(1-p)^k]` as :math:`k\to\infty`."""

    @abc.abstractmethod
    def sample_p(
        self, params: Mapping[str, Any], size: int | tuple[int, ...], rng: np.random.Generator
    ) -> np.ndarray:
        """Draw success probabilities ``p`` from the population (NumPy only).

        ``params`` values must broadcast to ``size``.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, params={self.params!r})"
