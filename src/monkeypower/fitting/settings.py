"""NUTS settings shared by every sampler backend, and the package's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monkeypower.arguments import whole_number

__all__ = ["SamplerSettings", "SAMPLERS", "DEFAULT_SAMPLER", "DEFAULT_TARGET_ACCEPT",
           "DEFAULT_DRAWS", "MASS_MATRICES", "DEFAULT_MASS_MATRIX", "spec_draws",
           "spec_target_accept"]

SAMPLERS = ("pymc", "nutpie", "numpyro", "blackjax")
DEFAULT_SAMPLER = "nutpie"
"""nutpie: compiled once, then refitted on new data in about a second (``with_data``), and the
fastest cold fit of the scaled Beta; see ``benchmarks/fit_times.py`` and ``docs/benchmarks.md``."""
DEFAULT_TARGET_ACCEPT = 0.9
"""NUTS adaptation target unless the model spec's ``[sampler]`` table or the caller says more."""
DEFAULT_DRAWS = 1000
"""Draws per chain unless the model spec's ``[sampler]`` table or the caller says otherwise."""
MASS_MATRICES = ("diagonal", "low_rank")
"""How nutpie adapts the mass matrix: ``"diagonal"`` (nutpie's ``adaptation="diag"``, from draw
and gradient variances; PyMC's, numpyro's and blackjax's NUTS adapt a diagonal too, whatever
this says) or ``"low_rank"`` (nutpie's ``adaptation="low_rank"``, marked experimental there: the
diagonal plus a low-rank correction that follows variables trading off along a ridge, in fewer
leapfrog steps). A model spec asks for it in its ``[sampler]`` table (``mass_matrix =
"low_rank"``) with the measurement behind it."""
DEFAULT_MASS_MATRIX = "diagonal"
"""The mass matrix unless the model spec's ``[sampler]`` table says otherwise."""


def spec_target_accept(sampler_defaults: Mapping[str, Any], minimum: float = 0.0) -> float:
    """The NUTS target acceptance a model asks for when the caller gives none.

    Its spec's ``[sampler]`` value, else :data:`DEFAULT_TARGET_ACCEPT`, raised to at least
    ``minimum``.
    """
    return max(float(sampler_defaults.get("target_accept", DEFAULT_TARGET_ACCEPT)), minimum)


def spec_draws(sampler_defaults: Mapping[str, Any]) -> int:
    """The draws per chain a model asks for when the caller gives none.

    Its spec's ``[sampler]`` value, else :data:`DEFAULT_DRAWS`.
    """
    return int(sampler_defaults.get("draws", DEFAULT_DRAWS))


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings shared by every sampler backend."""

    sampler: str = DEFAULT_SAMPLER
    draws: int = DEFAULT_DRAWS
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    progressbar: bool = True
    cores: int | None = None
    mass_matrix: str = DEFAULT_MASS_MATRIX

    @classmethod
    def for_model(cls, sampler_defaults: Mapping[str, Any], *, sampler: str,
                  draws: int | None, tune: int, chains: int, target_accept: float | None,
                  progressbar: bool, cores: int | None, min_target_accept: float = 0.0
                  ) -> SamplerSettings:
        """The settings of a fit: the caller's, then the model spec's ``[sampler]`` table.

        ``draws=None`` takes :func:`spec_draws`; ``target_accept=None`` takes
        :func:`spec_target_accept` (at least ``min_target_accept``); the mass matrix is always
        the spec's (else :data:`DEFAULT_MASS_MATRIX`).
        """
        if draws is None:
            draws = spec_draws(sampler_defaults)
        if target_accept is None:
            target_accept = spec_target_accept(sampler_defaults, min_target_accept)
        return cls(sampler, draws, tune, chains, float(target_accept), bool(progressbar), cores,
                   sampler_defaults.get("mass_matrix", DEFAULT_MASS_MATRIX))

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.mass_matrix not in MASS_MATRICES:
            raise ValueError(f"mass_matrix must be one of {MASS_MATRICES}, "
                             f"got {self.mass_matrix!r}")
        for name in ("draws", "tune", "chains"):  # 1.5 draws were run as 1
            object.__setattr__(self, name, whole_number(getattr(self, name), name, 1))
        if self.cores is not None:  # cores=0 reached the sampler
            object.__setattr__(self, "cores", whole_number(self.cores, "cores", 1))
        if not 0 < self.target_accept < 1:
            raise ValueError(f"target_accept must be in (0, 1), got {self.target_accept}")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored with the fit)."""
        return {"sampler": self.sampler, "draws": self.draws, "tune": self.tune,
                "chains": self.chains, "target_accept": self.target_accept,
                "mass_matrix": self.mass_matrix}
