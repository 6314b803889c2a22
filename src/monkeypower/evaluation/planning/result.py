"""What a plan and a simulated campaign return.

Both are :class:`~monkeypower.presentation.protocol.Result` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monkeypower.presentation.protocol import Result

__all__ = ["PlanResult", "CampaignResult", "NEW_PROBLEM"]

NEW_PROBLEM = "(not yet attempted)"
"""The problem label of the rows for problems to draw that have no attempts yet."""


@dataclass(frozen=True, repr=False)
class PlanResult(Result):
    """The next round of attempts: how many more for each problem, and what they should buy.

    Attributes
    ----------
    problem, n, c : numpy.ndarray, shape (M,)
        The attempted problems and their counts.
    attempts : numpy.ndarray of int, shape (M,)
        More attempts to make at each problem.
    new_attempts : numpy.ndarray of int, shape (U,)
        Attempts for each problem not yet attempted (0: leave it undrawn).
    reduction : numpy.ndarray, shape (M,)
        Expected reduction of the target's posterior variance from each problem's attempts.
    target : str
        The target's label (a registry estimand name, with its argument).
    allocation : str
        The rule that made the plan.
    budget, min_batch : int
    current_mean, current_sd : float
        The target's posterior now.
    expected_sd : dict of str to float
        Expected posterior sd after the round under each allocation rule (the preposterior
        estimate, reductions combined as independent information).
    seconds : float
        Time to compute the plan.
    """

    problem: np.ndarray
    n: np.ndarray
    c: np.ndarray
    attempts: np.ndarray
    new_attempts: np.ndarray
    reduction: np.ndarray
    target: str
    allocation: str
    budget: int
    min_batch: int
    current_mean: float
    current_sd: float
    expected_sd: dict[str, float]
    seconds: float

    @property
    def table(self) -> pd.DataFrame:
        """One row per attempted problem, then one per group of new problems with equal attempts."""
        rows = pd.DataFrame({"problem": self.problem, "n": self.n, "c": self.c,
                             "problems": 1, "attempts": self.attempts,
                             "expected_reduction": self.reduction})
        drawn = self.new_attempts[self.new_attempts > 0]
        if drawn.size:
            levels, counts = np.unique(drawn, return_counts=True)
            new = pd.DataFrame({"problem": NEW_PROBLEM, "n": 0, "c": 0, "problems": counts,
                                "attempts": levels, "expected_reduction": np.nan})
            rows = pd.concat([rows.astype({"problem": object}), new], ignore_index=True)
        return rows

    def summary(self) -> pd.DataFrame:
        """The plan (every problem; new problems grouped), with the expected gains in the notes."""
        table = self.table
        table.attrs["title"] = (f"Plan: {self.budget:,} attempts for {self.target} "
                                f"({self.allocation}, batches of at least {self.min_batch})")
        table.attrs["interval"] = None
        others = ", ".join(f"{k} {v:.4g}" for k, v in self.expected_sd.items())
        notes = [
            f"target now: mean {self.current_mean:.4g}, sd {self.current_sd:.4g}; expected sd "
            f"after this round: {others}",
            f"{int((self.attempts > 0).sum())} of {len(self.attempts)} attempted problems get "
            f"more attempts; {int((self.new_attempts > 0).sum())} of {len(self.new_attempts)} "
            f"problems not yet attempted are drawn; computed in {self.seconds:.2f} s",
        ]
        table.attrs["notes"] = notes
        return table


@dataclass(frozen=True, repr=False)
class CampaignResult(Result):
    """A simulated campaign (fit → plan → attempt → refit), round by round.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per round and target: ``allocation``, ``round``, ``attempts`` (cumulative,
        initial ones included), ``target``, ``estimate`` (posterior mean), ``lower``,
        ``upper`` (the interval of the convention used), ``truth``, ``error`` and ``covered``.
    interval : dict
        The interval convention used (:meth:`IntervalConvention.to_dict`).
    settings : dict
        The campaign's settings (source, budget per round, seed, ...).
    """

    rows: pd.DataFrame
    interval: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Every round's estimate beside the truth."""
        table = self.rows.copy()
        table.attrs["title"] = (f"Simulated campaign ({self.settings.get('allocation', '')}, "
                                f"{self.settings.get('source', '')})")
        table.attrs["interval"] = self.interval
        table.attrs["notes"] = [
            "error: relative error |estimate - truth| / truth for exponents; squared log error "
            "of -log pass_D@K for the forecast (as the backtest scores them)"]
        return table
