r"""Subsampling problems and attempts, as the backtest of Schaeffer, Kazdan et al. does.

A subsample keeps ``n_problems`` problems drawn without replacement and, for each, ``n_attempts``
of its attempts drawn without replacement. On counts this needs no attempt log: the number of
successes among :math:`n'` attempts drawn without replacement from :math:`n` attempts with
:math:`c` successes is

.. math:: c' \sim \text{Hypergeometric}(N = n,\ K = c,\ n'),
          \qquad P(c' = j) = \binom{c}{j}\binom{n-c}{n'-j} \Big/ \binom{n}{n'}.

Subsampling *attempts* is valid only for a **fixed** design: under a sequential design attempts
stopped once a success appeared, so the recorded attempts are not an exchangeable sample.
Drawing whole *problems* is valid under either design (each problem's record is kept intact).

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578 (the backtest protocol).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from monkeypower.data.outcomes import Outcomes
from monkeypower.data.simulate import as_generator

__all__ = ["subsample"]


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer or None, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def subsample(
    outcomes: Outcomes,
    *,
    n_problems: int | None = None,
    n_attempts: int | None = None,
    seed: int | np.random.Generator,
) -> Outcomes:
    r"""Draw a random subsample of problems and attempts, without replacement.

    Parameters
    ----------
    outcomes : Outcomes
        The data. ``n_attempts`` needs a **fixed** design; ``n_problems`` alone works for a
        sequential design too (whole problems are drawn, their records kept intact).
    n_problems : int, optional
        Problems to keep (``1 <= n_problems <= M``), drawn without replacement; the kept
        problems stay in their original order. Default: all problems.
    n_attempts : int, optional
        Attempts to keep per problem (``1 <= n_attempts <= min n``), drawn without
        replacement: :math:`c' \sim \text{Hypergeometric}(n, c, n')`. Default: all attempts
        (counts unchanged).
    seed : int or numpy.random.Generator
        Required (keyword): the same seed gives the same subsample.

    Returns
    -------
    Outcomes
        The subsample, with the original problem ids, design and labels.

    Raises
    ------
    DesignError
        For ``n_attempts`` on a sequential design, where attempts cannot be subsampled at random.
    ValueError
        If ``n_problems > M`` or ``n_attempts`` exceeds the smallest ``n`` in the data.
    TypeError
        If ``seed`` is missing or not an int/Generator, or a size is not an integer.

    Examples
    --------
    >>> import monkeypower as mp
    >>> from monkeypower.data.subsample import subsample
    >>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=128, n_attempts=1000,
    ...                   seed=1)
    >>> sub = subsample(out, n_problems=64, n_attempts=100, seed=2)
    >>> sub.n_problems, int(sub.n.max())
    (64, 100)
    """
    if n_attempts is not None:
        outcomes.require_fixed_design("subsampling attempts at random")
    rng = as_generator(seed)
    m = outcomes.n_problems
    if n_problems is None:
        chosen = outcomes
    else:
        n_problems = _positive_int(n_problems, "n_problems")
        if n_problems > m:
            raise ValueError(
                f"n_problems = {n_problems} exceeds the number of problems in the data (M = {m}); "
                "problems are drawn without replacement"
            )
        index = np.sort(rng.choice(m, size=n_problems, replace=False))
        chosen = outcomes.subset(index)
    if n_attempts is None:
        return chosen
    n_attempts = _positive_int(n_attempts, "n_attempts")
    n_min = int(outcomes.n.min())
    if n_attempts > n_min:
        raise ValueError(
            f"n_attempts = {n_attempts} exceeds the smallest number of attempts in the data "
            f"(min n = {n_min}); attempts are drawn without replacement"
        )
    n = chosen.n
    c_new = rng.hypergeometric(ngood=chosen.c, nbad=n - chosen.c, nsample=n_attempts)
    return chosen.with_counts(np.full(len(n), n_attempts, dtype=np.int64), c_new)
