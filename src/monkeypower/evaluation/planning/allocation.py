r"""How a budget of attempts is split over problems: three rules, one contract.

Every rule returns integer attempts per problem that sum to the budget, with every problem that
gets attempts getting at least the minimum batch, and none more than its cap (the attempts
still available to it, e.g. in a pool of recorded outcomes).

``uniform``
    The same number for every problem (water-filling around caps); below one batch each,
    batches go to the problems with the fewest attempts so far.
``fewest_successes``
    The round's budget spread evenly over the problems with the fewest successes so far (the
    next group only gets what caps leave over): the dynamic sampling of Kazdan et al. 2025
    (arXiv:2510.05197), which gives problems without successes more budget.
``preposterior``
    Greedy on the expected variance reduction :math:`R_j(m)`
    (:mod:`~monkeypower.evaluation.planning.preposterior`), treating reductions of different
    problems as additive (each problem carries a small share of the information): each problem's
    :math:`R_j` on the grid of candidate :math:`m` is replaced by its upper concave envelope,
    whose segments (attempts, reduction) are taken in decreasing order of reduction per attempt
    while they fit the budget (the optimum of the separable problem relaxed to the envelope);
    what is left goes batch by batch to the best marginal reduction.
"""

from __future__ import annotations

import heapq

import numpy as np

from monkeypower.arguments import whole_number

__all__ = ["ALLOCATIONS", "uniform", "fewest_successes", "preposterior_greedy", "concave_envelope"]

ALLOCATIONS: tuple[str, ...] = ("preposterior", "uniform", "fewest_successes")
"""The allocation rules by name; ``preposterior`` is the planner's own."""


def _check(budget: int, min_batch: int, caps: np.ndarray) -> None:
    whole_number(budget, "budget", 1)
    whole_number(min_batch, "min_batch", 1)
    if budget < min_batch:
        raise ValueError(f"budget {budget} is smaller than the minimum batch {min_batch}")
    usable = np.where(caps >= min_batch, caps, 0)
    if usable.sum() < budget:
        raise ValueError(
            f"budget {budget:,} exceeds the attempts still available ({int(usable.sum()):,} in "
            f"batches of at least {min_batch})")


def _finish(alloc: np.ndarray, budget: int, min_batch: int, caps: np.ndarray,
            order: np.ndarray) -> np.ndarray:
    """Spend what is left (< one batch, or blocked by caps), checking the contract.

    It goes to problems already given attempts, in ``order``, then to new ones a batch at a time.
    """
    left = budget - int(alloc.sum())
    for i in order:
        if left <= 0:
            break
        room = int(caps[i] - alloc[i])
        if room <= 0 or (alloc[i] == 0 and min(room, left) < min_batch):
            continue
        take = min(room, left)
        alloc[i] += take
        left -= take
    if left > 0:  # only a remainder < min_batch with nowhere to go: top up a problem below cap
        raise ValueError(f"could not place {left} attempts within the caps")
    return alloc


def uniform(budget: int, n: np.ndarray, caps: np.ndarray, min_batch: int,
            rng: np.random.Generator) -> np.ndarray:
    """Equal attempts per problem (see the module docstring)."""
    n = np.asarray(n)
    caps = np.asarray(caps, dtype=np.int64)
    _check(budget, min_batch, caps)
    m = len(n)
    order = np.lexsort((rng.permutation(m), n))  # fewest attempts first, ties at random
    alloc = np.zeros(m, dtype=np.int64)
    open_ = caps >= min_batch
    left = budget
    while left >= min_batch and open_.any():
        share = left // int(open_.sum())
        if share < min_batch:
            for i in order[open_[order]]:
                if left < min_batch:
                    break
                alloc[i] += min_batch
                left -= min_batch
            break
        give = np.where(open_, np.minimum(share, caps - alloc), 0)
        alloc += give
        left -= int(give.sum())
        open_ &= caps - alloc >= 1
    return _finish(alloc, budget, min_batch, caps, order[np.argsort(-alloc[order], kind="stable")])


def fewest_successes(budget: int, n: np.ndarray, c: np.ndarray, caps: np.ndarray, min_batch: int,
                     rng: np.random.Generator) -> np.ndarray:
    """The budget to the problems with the fewest successes, spread evenly among them.

    Problems are taken group by group in increasing order of successes (within a group, fewest
    attempts first, ties at random); each group's share is spread as :func:`uniform` does, and
    only what its caps leave goes on to the next group.
    """
    n, c = np.asarray(n), np.asarray(c)
    caps = np.asarray(caps, dtype=np.int64)
    _check(budget, min_batch, caps)
    order = np.lexsort((rng.permutation(len(n)), n, c))
    alloc = np.zeros(len(n), dtype=np.int64)
    left = int(budget)
    for successes in np.unique(c):
        group = np.flatnonzero((c == successes) & (caps >= min_batch))
        room = int(caps[group].sum())
        if left < min_batch or not group.size:
            continue
        spend = min(left, room)
        if spend < min_batch:
            continue
        alloc[group] = uniform(spend, n[group], caps[group], min_batch, rng)
        left -= spend
    return _finish(alloc, budget, min_batch, caps, order)


def concave_envelope(m: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Indices of the upper concave envelope's vertices of the points ``(0, 0), (m_g, r_g)``.

    ``m`` increasing, ``r`` the values at ``m`` (the point at 0 is implicit: index -1 is not
    returned). Returned indices are into ``m``, in increasing order.
    """
    points = [(0.0, 0.0, -1)] + [(float(mv), float(rv), g) for g, (mv, rv) in
                                 enumerate(zip(m, r, strict=True))]
    hull: list[tuple[float, float, int]] = []
    for p in points:
        while len(hull) >= 2:
            (x1, y1, _), (x2, y2, _) = hull[-2], hull[-1]
            if (y2 - y1) * (p[0] - x1) <= (p[1] - y1) * (x2 - x1):
                hull.pop()
            else:
                break
        hull.append(p)
    # keep only the rising part (beyond the maximum, more attempts buy nothing)
    best = int(np.argmax([h[1] for h in hull]))
    return np.array([h[2] for h in hull[1 : best + 1]], dtype=np.int64)


def preposterior_greedy(
    budget: int, reduction: np.ndarray, m_grid: np.ndarray, group_of_problem: np.ndarray,
    caps: np.ndarray, min_batch: int, rng: np.random.Generator,
) -> np.ndarray:
    """Greedy allocation on the envelopes of the expected reductions (module docstring).

    Parameters
    ----------
    budget, min_batch : int
    reduction : ndarray, shape (P, G)
        Expected variance reduction of pair ``j`` with ``m_grid[g]`` attempts.
    m_grid : ndarray of int, shape (G,), increasing multiples of ``min_batch``
    group_of_problem : ndarray of int, shape (M,)
        Each problem's pair (row of ``reduction``).
    caps : ndarray of int, shape (M,)
        Attempts still available per problem.
    rng : numpy.random.Generator
        Breaks ties between problems of the same pair.

    Returns
    -------
    numpy.ndarray of int, shape (M,)
    """
    caps = np.asarray(caps, dtype=np.int64)
    _check(budget, min_batch, caps)
    group_of_problem = np.asarray(group_of_problem)
    m_problems = len(group_of_problem)
    tiebreak = rng.permutation(m_problems)
    # problems interchangeable within (pair, cap): one envelope per such class
    keys = np.stack([group_of_problem, caps], axis=1)
    classes, class_of = np.unique(keys, axis=0, return_inverse=True)
    class_of = class_of.reshape(-1)
    members = [np.flatnonzero(class_of == k) for k in range(len(classes))]
    members = [idx[np.argsort(tiebreak[idx])] for idx in members]
    segments = []
    for k, (pair, cap) in enumerate(classes):
        usable = m_grid <= cap
        if not usable.any():
            continue
        mg, rg = m_grid[usable], reduction[pair, usable]
        vertices = concave_envelope(mg, rg)
        prev_m, prev_r = 0, 0.0
        for order_in_class, g in enumerate(vertices):
            length = int(mg[g] - prev_m)
            gain = float(rg[g] - prev_r)
            segments.append((-gain / length, k, order_in_class, length))
            prev_m, prev_r = int(mg[g]), float(rg[g])
    segments.sort()
    alloc = np.zeros(m_problems, dtype=np.int64)
    eligible = [len(idx) for idx in members]  # problems that took every earlier segment
    left = int(budget)
    for _, k, _, length in segments:
        take = min(eligible[k], left // length)
        if take:
            alloc[members[k][:take]] += length
            left -= take * length
        if take < eligible[k]:
            eligible[k] = take  # later segments of this class only for those that took this one
    if left >= min_batch:
        left = _marginal_fill(alloc, left, reduction, m_grid, group_of_problem, caps, min_batch)
    order = np.argsort(-alloc, kind="stable")
    return _finish(alloc, budget, min_batch, caps, order)


def _marginal_fill(alloc: np.ndarray, left: int, reduction: np.ndarray, m_grid: np.ndarray,
                   group_of_problem: np.ndarray, caps: np.ndarray, min_batch: int) -> int:
    """Spend ``left`` a batch at a time on the largest marginal reduction.

    Reductions are linear in m between grid points; returns what is left (< one batch).
    """
    grid = np.concatenate([[0], m_grid]).astype(np.float64)
    curves = np.concatenate([np.zeros((len(reduction), 1)), reduction], axis=1)

    def gain(i: int) -> float:
        pair = group_of_problem[i]
        now, nxt = alloc[i], alloc[i] + min_batch
        if nxt > caps[i] or nxt > grid[-1]:
            return -np.inf
        return float(np.interp(nxt, grid, curves[pair]) - np.interp(now, grid, curves[pair]))

    # ties (e.g. no reduction anywhere) go to the problem with fewest planned attempts
    heap = [(-gain(i), int(alloc[i]), i) for i in range(len(alloc))]
    heapq.heapify(heap)
    while left >= min_batch and heap:
        neg, _, i = heapq.heappop(heap)
        if not np.isfinite(neg):
            break
        alloc[i] += min_batch
        left -= min_batch
        heapq.heappush(heap, (-gain(i), int(alloc[i]), i))
    return left
