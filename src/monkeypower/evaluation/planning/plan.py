r"""Where to spend the next attempts: :func:`plan`.

The plan for the next round splits a budget of attempts over the problems (and over problems not
yet attempted, if the benchmark has them) so that the posterior variance of a target estimand is
expected to shrink most. The expected shrinkage of each candidate is computed from the current
posterior draws by preposterior analysis (:mod:`~monkeypower.evaluation.planning.preposterior`);
the split is greedy on it (:mod:`~monkeypower.evaluation.planning.allocation`), beside the two
simple rules it is measured against (uniform; fewest successes first, Kazdan et al. 2025).

Data gathered by following a plan depend on earlier outcomes: record them as
``Design("adaptive")``. The model's likelihood is valid for such data (the allocation depends only
on outcomes already observed, so it is ignorable for Bayesian inference), but estimators built on
``c/n`` are not and refuse them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from monkeypower import seeding
from monkeypower.arguments import whole_number, whole_numbers
from monkeypower.evaluation.planning.allocation import (
    ALLOCATIONS,
    fewest_successes,
    preposterior_greedy,
    uniform,
)
from monkeypower.evaluation.planning.preposterior import variance_reduction
from monkeypower.evaluation.planning.result import PlanResult
from monkeypower.evaluation.planning.targets import PlanTarget, parse_target, target_draws

__all__ = ["plan", "candidate_attempts", "expected_variance"]


def candidate_attempts(min_batch: int, max_per_problem: int) -> np.ndarray:
    """The grid of new attempts per problem the preposterior is evaluated on.

    ``min_batch × 2^j`` up to ``max_per_problem``, which is added as the last point.
    """
    grid = [min_batch]
    while grid[-1] * 2 <= max_per_problem:
        grid.append(grid[-1] * 2)
    if grid[-1] < max_per_problem:
        grid.append(int(max_per_problem))
    return np.array(grid, dtype=np.int64)


def expected_variance(variance: float, reductions: np.ndarray) -> float:
    r"""Posterior variance after several problems' attempts, from their single reductions.

    Each problem's reduction :math:`R_i` is turned into the information it adds,
    :math:`J_i = 1/(V - R_i) - 1/V`, the informations add, and
    :math:`V' = 1/(1/V + \sum_i J_i)`: exact for independent Gaussian information, and never
    below zero where the simple sum :math:`V - \sum_i R_i` could be.
    """
    if variance <= 0:
        return 0.0
    r = np.clip(np.asarray(reductions, dtype=np.float64), 0.0, variance * (1 - 1e-12))
    information = r / (variance * (variance - r))
    return float(1.0 / (1.0 / variance + information.sum()))


def _reduction_at(attempts: np.ndarray, grid: np.ndarray, curves: np.ndarray) -> np.ndarray:
    """Each problem's reduction at its attempts; ``curves`` has one row per problem.

    Linear between grid points, R(0) = 0, flat beyond the last point.
    """
    x = np.concatenate([[0], grid]).astype(np.float64)
    y = np.concatenate([np.zeros((len(curves), 1)), curves], axis=1)
    a = np.clip(np.asarray(attempts, dtype=np.float64), 0.0, x[-1])
    right = np.clip(np.searchsorted(x, a, side="right"), 1, len(x) - 1)
    left = right - 1
    rows = np.arange(len(a))
    t = (a - x[left]) / (x[right] - x[left])
    return y[rows, left] + t * (y[rows, right] - y[rows, left])


def plan(
    fit: Any,
    budget: int,
    target: str | PlanTarget = "asymptotic_exponent",
    *,
    min_batch: int = 10,
    unattempted: int = 0,
    max_per_problem: int | None = None,
    available: np.ndarray | None = None,
    allocation: str = "preposterior",
    max_draws: int | None = 100,
    seed: int | None = None,
    compare: bool = True,
) -> PlanResult:
    r"""Plan the next round: how many more attempts at each problem to shrink a target most.

    For every problem and candidate number :math:`m` of new attempts (``min_batch × 2^j``), the
    expected reduction :math:`R_i(m)` of the target's posterior variance is computed from the
    fit's posterior draws by preposterior analysis (Lindley 1956; Chaloner & Verdinelli 1995):
    the unseen successes :math:`x` have predictive :math:`\binom{m}{x} e^{L(c+x, f+m-x) -
    L(c, f)}` per draw; observing them reweights the draws by that marginal likelihood ratio;
    :math:`R_i(m)` is the predictive variance of the reweighted posterior mean (see
    :mod:`~monkeypower.evaluation.planning.preposterior`). The budget is then split greedily on
    these reductions in integer attempts, in batches of at least ``min_batch``, summing to the
    budget. The same is evaluated for the uniform and fewest-successes-first rules, so the plan
    states what it expects to gain over them.

    Parameters
    ----------
    fit : Fit
        A fit of the data so far (any family; the ``beta`` family is fastest).
    budget : int
        Attempts to spend in this round.
    target : str or PlanTarget, default "asymptotic_exponent"
        An estimand of the registry: ``"asymptotic_exponent"``, ``"effective_exponent[:K1,K2]"``
        or ``"forecast_pass_at_k:K"`` (a unique prefix such as ``"forecast:1e5"`` also works);
        see :mod:`~monkeypower.evaluation.planning.targets`.
    min_batch : int, default 10
        The fewest attempts a problem may get in a round (if it gets any).
    unattempted : int, default 0
        Problems of the benchmark not yet attempted; the plan says how many of them to draw and
        with how many attempts each. They count in the forecast at the population's value.
    max_per_problem : int, optional
        The most attempts one problem may get this round (default: the budget).
    available : array_like of int, shape (M,), optional
        Attempts still available per attempted problem (e.g. the rest of a pool of recorded
        outcomes); default unlimited.
    allocation : {"preposterior", "uniform", "fewest_successes"}, default "preposterior"
        The rule that makes the plan.
    max_draws : int, optional, default 100
        Posterior draws used per chain (thinned); the cost is linear in them (the estimate's
        Monte Carlo bias is corrected, so a few hundred draws in all suffice).
    seed : int, optional
        Breaks ties between interchangeable problems; default the fit's seed.
    compare : bool, default True
        Also evaluate the other rules' allocations (``expected_sd``). With ``False`` a
        ``uniform`` or ``fewest_successes`` plan skips the preposterior altogether (its
        ``expected_sd`` and ``reduction`` are then NaN); a campaign uses this.

    Returns
    -------
    PlanResult
        The attempts per problem, the expected reduction per problem, the target's current sd
        and its expected sd after the round under each rule.

    Raises
    ------
    ValueError
        For an unknown target or allocation, a budget below one batch, or a budget beyond the
        attempts available.

    References
    ----------
    J. Kazdan, R. Schaeffer, et al., "Efficient Prediction of Pass@k Scaling in Large Language
    Models", arXiv:2510.05197 (dynamic sampling, fewest successes first).

    D. V. Lindley, "On a Measure of the Information Provided by an Experiment", 1956.

    K. Chaloner, I. Verdinelli, "Bayesian Experimental Design: A Review", 1995.

    Examples
    --------
    >>> import monkeypower as mp
    >>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=64, n_attempts=100,
    ...                   seed=1)
    >>> fitted = mp.fit(out, "beta", seed=1, draws=200, tune=200, chains=2, progressbar=False)
    >>> p = mp.plan(fitted, 2000, "asymptotic_exponent", min_batch=10)
    >>> int(p.attempts.sum())
    2000
    """
    started = time.perf_counter()
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}")
    parsed = parse_target(target)
    budget, min_batch = whole_number(budget, "budget", 1), whole_number(min_batch, "min_batch", 1)
    unattempted = whole_number(unattempted, "unattempted", 0)
    if min_batch > budget:
        raise ValueError(f"budget {budget} is smaller than the minimum batch {min_batch}")
    max_per_problem = whole_number(budget if max_per_problem is None else max_per_problem,
                                   "max_per_problem", 1)
    if max_per_problem < min_batch:
        raise ValueError(f"max_per_problem {max_per_problem} is below min_batch {min_batch}")
    outcomes, stats = fit.outcomes, fit.stats
    m_attempted = outcomes.n_problems
    caps = np.full(m_attempted + unattempted, max_per_problem, dtype=np.int64)
    if available is not None:
        available = whole_numbers(available, "available", 0)  # 5.5 was read as 5
        if available.shape != (m_attempted,):
            raise ValueError(f"available must hold {m_attempted} non-negative counts, one per "
                             f"attempted problem, got shape {available.shape}")
        caps[:m_attempted] = np.minimum(caps[:m_attempted], available)

    n_all = np.concatenate([outcomes.n, np.zeros(unattempted, dtype=np.int64)])
    c_all = np.concatenate([outcomes.c, np.zeros(unattempted, dtype=np.int64)])
    rng = seeding.rng(seeding.seed_or(seed, fit.seed, "plans"), seeding.text_key("plan"))
    post = fit.posterior_draws()
    flat, _ = post.flat(max_draws)
    draws = target_draws(parsed, post, flat, unattempted)
    needs_preposterior = compare or allocation == "preposterior"
    pair_of = np.concatenate([np.asarray(stats.pair_of_problem),
                              np.full(unattempted, len(stats.n))]).astype(np.int64)
    grid = candidate_attempts(min_batch, max_per_problem)
    if needs_preposterior:
        pair_n = np.append(stats.n, 0) if unattempted else np.asarray(stats.n)
        pair_c = np.append(stats.c, 0) if unattempted else np.asarray(stats.c)
        curves = variance_reduction(post.family, flat, draws, pair_c, pair_n - pair_c, grid)
    else:
        curves = np.full((len(pair_of), len(grid)), np.nan)
    rules = {
        "preposterior": lambda: preposterior_greedy(budget, curves, grid, pair_of, caps,
                                                    min_batch, rng),
        "uniform": lambda: uniform(budget, n_all, caps, min_batch, rng),
        "fewest_successes": lambda: fewest_successes(budget, n_all, c_all, caps, min_batch, rng),
    }
    names = ALLOCATIONS if compare else (allocation,)
    allocations = {name: rules[name]() for name in names}
    expected_sd = {
        name: float(np.sqrt(expected_variance(
            draws.variance, _reduction_at(alloc, grid, curves[pair_of]))))
        if needs_preposterior else float("nan")
        for name, alloc in allocations.items()
    }
    chosen = allocations[allocation]
    reduction = (_reduction_at(chosen, grid, curves[pair_of]) if needs_preposterior
                 else np.full(len(chosen), np.nan))
    return PlanResult(
        problem=outcomes.problem, n=outcomes.n, c=outcomes.c,
        attempts=chosen[:m_attempted], new_attempts=chosen[m_attempted:],
        reduction=reduction[:m_attempted], target=parsed.label, allocation=allocation,
        budget=budget, min_batch=min_batch, current_mean=draws.mean,
        current_sd=float(np.sqrt(draws.variance)), expected_sd=expected_sd,
        seconds=time.perf_counter() - started,
    )
