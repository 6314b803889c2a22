"""NUTS settings shared by every sampler backend, and the package's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SamplerSettings", "SAMPLERS", "DEFAULT_SAMPLER", "DEFAULT_TARGET_ACCEPT"]

SAMPLERS = ("pymc", "nutpie", "numpyro", "blackjax")
DEFAULT_SAMPLER = "nutpie"
"""nutpie: compiled once, then refitted on new data in about a second (``with_data``), and the
fastest cold fit of the scaled Beta; see ``benchmarks/fit_times.py`` and ``docs/benchmarks.md``."""
DEFAULT_TARGET_ACCEPT = 0.9
"""NUTS adaptation target unless the model spec's ``[sampler]`` table or the caller says more."""


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings shared by every sampler backend."""

    sampler: str = DEFAULT_SAMPLER
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    progressbar: bool = True
    cores: int | None = None

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        for name in ("draws", "tune", "chains"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0 < self.target_accept < 1:
            raise ValueError(f"target_accept must be in (0, 1), got {self.target_accept}")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored with the fit)."""
        return {"sampler": self.sampler, "draws": self.draws, "tune": self.tune,
                "chains": self.chains, "target_accept": self.target_accept}
