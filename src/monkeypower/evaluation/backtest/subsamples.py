r"""The subsamples of a backtest, one per cell of the grid.

For every seed :math:`s` and every :math:`M'`: :math:`M'` problems without replacement
(generator ``rng(s, M', 1)``, shared by every :math:`n'` of the seed, so the curves over
:math:`n'` are paired), then for every :math:`n'`, :math:`n'` attempts per problem without
replacement (generator ``rng(s, M', n', 2)``), with :func:`monkeypower.seeding.rng`.
"""

from __future__ import annotations

from dataclasses import dataclass

from monkeypower import seeding
from monkeypower.data.outcomes import Outcomes
from monkeypower.data.subsample import subsample
from monkeypower.evaluation.backtest.plan import BacktestPlan, Cell
from monkeypower.evaluation.backtest.score import empirical_target

__all__ = ["Subsamples", "draw_subsamples"]


@dataclass(frozen=True)
class Subsamples:
    r"""The subsampled data of every cell.

    Attributes
    ----------
    data : dict
        ``(M', n', seed)`` → the subsample.
    same_problems : dict
        ``(seed, M')`` → the full data's empirical :math:`-\log \text{pass}_D@K` on the
        seed's :math:`M'` problems (all their attempts).
    """

    data: dict[Cell, Outcomes]
    same_problems: dict[tuple[int, int], float]


def draw_subsamples(plan: BacktestPlan) -> Subsamples:
    """Draw every cell's subsample (problem sets shared across n' within a seed and M')."""
    outcomes = plan.outcomes
    data: dict[Cell, Outcomes] = {}
    same_problems: dict[tuple[int, int], float] = {}
    for s in plan.seeds:
        for m in plan.problems:
            chosen = (outcomes if m == plan.m_full else
                      subsample(outcomes, n_problems=m, seed=seeding.rng(s, m, 1)))
            same_problems[(s, m)] = empirical_target(chosen, plan.horizon)
            for n in plan.attempts:
                data[(m, n, s)] = subsample(chosen, n_attempts=n, seed=seeding.rng(s, m, n, 2))
    return Subsamples(data, same_problems)
