"""The interval convention: one place that says how every credible interval is computed.

Papers need one stated convention, not a silent mix of 0.89, 0.94 and 0.95. The default is a
**95% equal-tailed interval** (the 2.5% and 97.5% posterior quantiles), as papers in this field
report. Change it for one call with the ``interval=`` argument of any function that reports
intervals, or for the session with :func:`set_interval` (or the :func:`interval_convention`
context manager).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "IntervalConvention",
    "DEFAULT_INTERVAL",
    "get_interval",
    "set_interval",
    "interval_convention",
    "resolve_interval",
]

IntervalKind = Literal["eti", "hdi"]


@dataclass(frozen=True)
class IntervalConvention:
    """How a credible interval is computed.

    Parameters
    ----------
    prob : float
        Posterior probability inside the interval, in (0, 1).
    kind : {"eti", "hdi"}
        ``"eti"``: equal-tailed (quantiles ``(1-prob)/2`` and ``(1+prob)/2``), invariant under
        monotone transforms, so the interval of ``-log pass@k`` maps to that of ``pass@k``.
        ``"hdi"``: highest-density interval (via :func:`arviz_stats.hdi`).
    """

    prob: float = 0.95
    kind: IntervalKind = "eti"

    def __post_init__(self) -> None:
        if not 0.0 < float(self.prob) < 1.0:
            raise ValueError(f"interval prob must be in (0, 1), got {self.prob!r}")
        if self.kind not in ("eti", "hdi"):
            raise ValueError(f"interval kind must be 'eti' or 'hdi', got {self.kind!r}")

    @property
    def label(self) -> str:
        """E.g. ``"95% ETI"`` — used in table headers and captions."""
        return f"{100 * self.prob:g}% {self.kind.upper()}"

    @property
    def description(self) -> str:
        """A sentence for captions and JSON: what the bounds are."""
        if self.kind == "eti":
            lo, hi = 50 * (1 - self.prob), 50 * (1 + self.prob)
            return (
                f"{100 * self.prob:g}% equal-tailed credible interval "
                f"({lo:g}% and {hi:g}% posterior quantiles)"
            )
        return f"{100 * self.prob:g}% highest-density credible interval"

    @property
    def column_names(self) -> tuple[str, str]:
        """Names of the lower and upper bound columns, e.g. ``("eti95_lower", "eti95_upper")``."""
        tag = f"{self.kind}{100 * self.prob:g}".replace(".", "_")
        return f"{tag}_lower", f"{tag}_upper"

    def bounds(self, draws: np.ndarray, axis: int | tuple[int, ...] = 0) -> tuple[np.ndarray, ...]:
        """Lower and upper bounds of ``draws`` over the sample ``axis`` (NaNs propagate)."""
        draws = np.asarray(draws, dtype=np.float64)
        if self.kind == "eti":
            probs = [(1 - self.prob) / 2, (1 + self.prob) / 2]
            with np.errstate(invalid="ignore"):
                q = np.quantile(draws, probs, axis=axis)
            if np.isnan(q).any() and not np.isnan(draws).any():
                # interpolating between two infinite draws (e.g. the exponent of a tail lighter
                # than any power law) gives NaN; the quantile itself is that infinity
                q = np.where(np.isnan(q), np.quantile(draws, probs, axis=axis,
                                                      method="inverted_cdf"), q)
            return q[0], q[1]
        from arviz_stats.base import array_stats

        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        moved = np.moveaxis(draws, axes, tuple(range(-len(axes), 0)))
        result = array_stats.hdi(moved, self.prob, axis=tuple(range(-len(axes), 0)))
        return result[..., 0], result[..., 1]

    def to_dict(self) -> dict[str, object]:
        """JSON form: ``{"prob": 0.95, "kind": "eti", "description": ...}``."""
        return {"prob": self.prob, "kind": self.kind, "description": self.description}


DEFAULT_INTERVAL = IntervalConvention(0.95, "eti")
_current: list[IntervalConvention] = [DEFAULT_INTERVAL]


def get_interval() -> IntervalConvention:
    """The convention in force (the package default unless :func:`set_interval` changed it)."""
    return _current[-1]


def set_interval(prob: float = 0.95, kind: IntervalKind = "eti") -> IntervalConvention:
    """Set the session-wide interval convention; returns the previous one."""
    previous = _current[-1]
    _current[-1] = IntervalConvention(prob, kind)
    return previous


@contextlib.contextmanager
def interval_convention(prob: float = 0.95, kind: IntervalKind = "eti") -> Iterator[None]:
    """Use another convention inside a ``with`` block only."""
    _current.append(IntervalConvention(prob, kind))
    try:
        yield
    finally:
        _current.pop()


def resolve_interval(
    interval: IntervalConvention | float | None = None,
) -> IntervalConvention:
    """Turn a per-call ``interval=`` argument into a convention.

    ``None`` → the convention in force; a float → that probability with the kind in force;
    an :class:`IntervalConvention` → itself.
    """
    if interval is None:
        return get_interval()
    if isinstance(interval, IntervalConvention):
        return interval
    return IntervalConvention(float(interval), get_interval().kind)
