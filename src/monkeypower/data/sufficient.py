"""Sufficient statistics: outcomes compressed to distinct ``(n, c)`` pairs with weights.

The likelihood depends on the data only through the multiset of ``(n_i, c_i)`` pairs.
With a fixed ``n`` there are at most ``n + 1`` distinct pairs whatever the number of problems, so
a benchmark of a million problems costs what a hundred do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from monkeypower.data.outcomes import Outcomes

__all__ = ["SufficientStats", "compress"]


@dataclass(frozen=True, eq=False)
class SufficientStats:
    """Distinct ``(n, c)`` pairs, how many problems share each, and the map back.

    Attributes
    ----------
    n, c : numpy.ndarray of int64, shape (P,)
        The distinct pairs, sorted by ``n`` then ``c``.
    weight : numpy.ndarray of int64, shape (P,)
        Number of problems with each pair (sums to M).
    pair_of_problem : numpy.ndarray of int64, shape (M,)
        Index into the pairs of each original problem: ``n[pair_of_problem]`` is the original n.
    outcomes : Outcomes
        The original data (for ids, design and labels).
    """

    n: np.ndarray
    c: np.ndarray
    weight: np.ndarray
    pair_of_problem: np.ndarray
    outcomes: Outcomes

    @property
    def n_pairs(self) -> int:
        """Number of distinct (n, c) pairs P."""
        return len(self.n)

    @property
    def failures(self) -> np.ndarray:
        """``n - c`` per pair."""
        return self.n - self.c

    def expand(self) -> Outcomes:
        """The original :class:`Outcomes`, rebuilt exactly from the pairs."""
        src = self.outcomes
        return type(src)(
            src.problem, self.n[self.pair_of_problem], self.c[self.pair_of_problem], src.design,
            src.labels,
        )

    def __repr__(self) -> str:
        return (
            f"<SufficientStats: {self.outcomes.n_problems} problems in {self.n_pairs} distinct "
            "(n, c) pairs>"
        )


def compress(outcomes: Outcomes) -> SufficientStats:
    """Compress outcomes to distinct ``(n, c)`` pairs with weights, exactly invertible.

    Parameters
    ----------
    outcomes : Outcomes
        The data.

    Returns
    -------
    SufficientStats
        ``expand()`` gives back ``outcomes``.

    Examples
    --------
    >>> import monkeypower as mp
    >>> out = mp.Outcomes(problem=[1, 2, 3, 4], n=[10, 10, 10, 20], c=[0, 0, 3, 0])
    >>> stats = mp.compress(out)
    >>> stats.n.tolist(), stats.c.tolist(), stats.weight.tolist()
    ([10, 10, 20], [0, 3, 0], [2, 1, 1])
    """
    c_span = int(outcomes.c.max()) + 1
    key = outcomes.n * c_span + outcomes.c
    unique_keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return SufficientStats(
        n=unique_keys // c_span,
        c=unique_keys % c_span,
        weight=counts.astype(np.int64),
        pair_of_problem=inverse.astype(np.int64),
        outcomes=outcomes,
    )
