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
A sequential campaign's backtest instead *stops it early* (:func:`stop_early`): what it would
have recorded with a lower cap is a function of the counts alone.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578 (the backtest protocol).
"""

from __future__ import annotations

import numpy as np

from monkeypower.arguments import whole_number
from monkeypower.data.design import Design
from monkeypower.data.outcomes import Outcomes
from monkeypower.data.simulate import as_generator
from monkeypower.errors import DesignError

__all__ = ["stop_early", "subsample"]


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
        n_problems = whole_number(n_problems, "n_problems", 1)
        if n_problems > m:
            raise ValueError(
                f"n_problems = {n_problems} exceeds the number of problems in the data (M = {m}); "
                "problems are drawn without replacement"
            )
        index = np.sort(rng.choice(m, size=n_problems, replace=False))
        chosen = outcomes.subset(index)
    if n_attempts is None:
        return chosen
    n_attempts = whole_number(n_attempts, "n_attempts", 1)
    n_min = int(outcomes.n.min())
    if n_attempts > n_min:
        raise ValueError(
            f"n_attempts = {n_attempts} exceeds the smallest number of attempts in the data "
            f"(min n = {n_min}); attempts are drawn without replacement"
        )
    n = chosen.n
    c_new = rng.hypergeometric(ngood=chosen.c, nbad=n - chosen.c, nsample=n_attempts)
    return chosen.with_counts(np.full(len(n), n_attempts, dtype=np.int64), c_new)


def stop_early(outcomes: Outcomes, cap: int) -> Outcomes:
    r"""A sequential campaign as it stood when no problem had had more than ``cap`` attempts.

    Under a sequential design (batches of :math:`B` attempts until a batch holds a success)
    every success of a problem lies in its last batch, attempts :math:`(n - B, n]`; all the
    attempts before were failures. So the counts alone say what a lower cap would have
    recorded: a problem with :math:`n \le \text{cap}` is unchanged, and a problem with
    :math:`n > \text{cap}` had no success in its first ``cap`` attempts when
    :math:`c = 0` or :math:`\text{cap} \le n - B`, and so sits at :math:`(\text{cap}, 0)`.
    This is the backtest of a sequential campaign: fit the early counts, forecast what the
    full campaign measured (attempts cannot be subsampled at random here, :func:`subsample`).

    Parameters
    ----------
    outcomes : Outcomes
        Counts of a **sequential** design with a known ``batch_size``.
    cap : int
        The earlier cap, at least 1 and at most the largest ``n``. A multiple of the batch
        size is the stop a real campaign makes; any other cap is accepted where no problem's
        last batch straddles it.

    Returns
    -------
    Outcomes
        The early counts, same problems and labels, design ``Design("sequential",
        batch_size=B, cap=cap)``.

    Raises
    ------
    DesignError
        For a design that is not sequential, or a sequential one without a batch size.
    ValueError
        For a cap outside ``[1, max n]``, or one that falls inside the last batch of a
        problem with successes (the counts cannot say how many came before it; the row is
        named).
    TypeError
        If ``cap`` is not an integer.

    Examples
    --------
    >>> import monkeypower as mp
    >>> from monkeypower.data.subsample import stop_early
    >>> design = mp.Design("sequential", batch_size=60, cap=10_020)
    >>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 30}, n_problems=100,
    ...                   n_attempts=10_020, design=design, seed=1)
    >>> early = stop_early(out, 600)
    >>> int(early.n.max()), early.design.cap
    (600, 600)
    """
    design = outcomes.design
    if not design.is_sequential:
        raise DesignError(
            f"stop_early needs a sequential design, got {design}: under a fixed design the "
            "counts do not say when the successes came (subsample attempts instead)")
    if design.batch_size is None:
        raise DesignError(
            "stop_early needs the sequential design's batch_size (the successes lie in the "
            "last batch of each problem): declare it, e.g. Design('sequential', batch_size=60)")
    cap = whole_number(cap, "cap", 1)
    n, c = outcomes.n, outcomes.c
    if cap > int(n.max()):
        raise ValueError(f"cap = {cap} exceeds the largest number of attempts in the data "
                         f"(max n = {int(n.max())})")
    straddled = (n > cap) & (c > 0) & (n - design.batch_size < cap)
    if straddled.any():
        row = int(np.flatnonzero(straddled)[0])
        raise ValueError(
            f"cap = {cap} falls inside the last batch of problem {outcomes.problem[row]!r} "
            f"(row {row}: n = {int(n[row])}, c = {int(c[row])}, batch size "
            f"{design.batch_size}); the counts cannot say how many of its successes came "
            f"before the cap. Choose a cap outside the last batch (attempts n - batch size + 1 "
            f"to n) of every problem with a success.")
    late = n > cap
    return Outcomes(outcomes.problem, np.where(late, cap, n), np.where(late, 0, c),
                    Design("sequential", batch_size=design.batch_size, cap=cap), outcomes.labels)
