"""Tail kinds of the families being compared, in words a reader understands."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monkeypower.fitting import Fit

__all__ = ["TAIL_TEXT", "tail_kind"]

TAIL_TEXT = {
    "power_law": "power law",
    "faster_than_power_law": "faster than any power law",
    "plateau": "plateau (a share of problems is never solved)",
}
"""What each tail kind means for pass_D@k, as tables and figures say it."""


def tail_kind(fit: Fit) -> str:
    """The tail kind of a fit's family (``power_law``, ``faster_than_power_law``, ``plateau``)."""
    return fit.family.tail({k: v.reshape(-1)[:1] for k, v in fit.params().items()}).kind
