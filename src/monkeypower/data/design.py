"""Sampling designs: how the number of attempts per problem was chosen.

The design matters for two things (see docs/concepts.md; Hughes et al. 2024 run a sequential one;
Kazdan et al. 2025, arXiv:2510.05197, an adaptive one):

* the likelihood kernel ``p^c (1-p)^(n-c)`` is the same for every design (the stopping rule of a
  sequential design, and the allocation rule of an adaptive one, depend only on what was
  observed, so they are ignorable for Bayesian inference), but the binomial coefficient is only
  part of the likelihood of a fixed design;
* the unbiased pass@k estimator, subsampling of attempts at random, and every estimator built on
  ``c/n`` are valid only for a fixed design.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from monkeypower.arguments import whole_number

__all__ = ["DESIGN_KINDS", "Design", "FIXED", "parse_design"]

DesignKind = Literal["fixed", "sequential", "adaptive"]

DESIGN_KINDS: tuple[str, ...] = ("fixed", "sequential", "adaptive")
"""The design kinds, in the order the readers and the command line list them."""


@dataclass(frozen=True)
class Design:
    """How attempts were allocated to problems.

    Parameters
    ----------
    kind : {"fixed", "sequential", "adaptive"}
        ``"fixed"``: each problem's number of attempts ``n`` was chosen before seeing outcomes.
        ``"sequential"``: attempts were drawn in batches until a success appeared or a cap was
        reached (e.g. Best-of-N jailbreaking: batches of 60, cap 10,020).
        ``"adaptive"``: attempts were allocated in rounds, each round's allocation chosen from
        the outcomes of the rounds before (e.g. more attempts for problems with fewer
        successes, Kazdan et al. 2025; or :func:`monkeypower.plan`).
    batch_size : int, optional
        Attempts per batch of a sequential design, or the minimum batch per problem and round
        of an adaptive one, if known.
    cap : int, optional
        Maximum attempts of a sequential design, if known. A problem with no success sits at it.
    """

    kind: DesignKind = "fixed"
    batch_size: int | None = None
    cap: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in DESIGN_KINDS:
            raise ValueError(
                f"design kind must be one of {', '.join(map(repr, DESIGN_KINDS))}, got "
                f"{self.kind!r}")
        if self.kind == "fixed" and (self.batch_size is not None or self.cap is not None):
            raise ValueError("batch_size and cap describe a sequential design, not a fixed one")
        if self.kind == "adaptive" and self.cap is not None:
            raise ValueError("cap describes a sequential design, not an adaptive one")
        for name in ("batch_size", "cap"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, whole_number(value, f"design {name}", 1))
        if self.batch_size is not None and self.cap is not None and self.cap < self.batch_size:
            raise ValueError(f"design cap {self.cap} is below one batch ({self.batch_size}): "
                             "the first batch alone would pass the cap")

    @property
    def is_sequential(self) -> bool:
        """Whether attempts stopped adaptively (no unbiased pass@k, no attempt subsampling)."""
        return self.kind == "sequential"

    @property
    def is_adaptive(self) -> bool:
        """Whether attempts were allocated in rounds from earlier outcomes."""
        return self.kind == "adaptive"

    @property
    def depends_on_outcomes(self) -> bool:
        """Whether ``n`` depends on the outcomes (sequential or adaptive).

        Only the likelihood kernel is valid then, not ``c/n``, the unbiased pass@k estimator or
        attempt subsampling.
        """
        return self.kind != "fixed"

    def to_dict(self) -> dict[str, object]:
        """Plain-dict form, for JSON and NetCDF attributes."""
        return {"kind": self.kind, "batch_size": self.batch_size, "cap": self.cap}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Design:
        """Inverse of :meth:`to_dict`."""
        return cls(kind=data["kind"], batch_size=data.get("batch_size"), cap=data.get("cap"))

    def __str__(self) -> str:
        if self.kind == "fixed":
            return "fixed"
        parts = [f"batch_size={self.batch_size}"] if self.batch_size else []
        parts += [f"cap={self.cap}"] if self.cap else []
        return f"{self.kind}({', '.join(parts)})"


FIXED = Design("fixed")


def parse_design(design: Design | str | None) -> Design:
    """Accept a :class:`Design`, a kind's name, or ``None`` (fixed)."""
    if design is None:
        return FIXED
    if isinstance(design, Design):
        return design
    if isinstance(design, str):
        return Design(design)  # type: ignore[arg-type]
    raise TypeError(
        f"design must be a Design or 'fixed'/'sequential'/'adaptive', got {type(design).__name__}")
