r"""See the saving before spending anything: a simulated campaign, fit → plan → attempt → refit.

A campaign starts from ``initial`` attempts at each problem, then runs ``rounds`` rounds of
``budget`` attempts each, split by an allocation rule (:mod:`~.allocation`); after every round
the model is refitted on everything gathered so far and each tracked target is scored against
the truth. Two sources of outcomes:

:class:`KnownPopulation`
    Success probabilities :math:`p_i` drawn once from a family with known parameters; new
    attempts are :math:`\text{Binomial}(m, p_i)`. Truths: the family's :math:`b_\infty` and
    effective exponent, and the benchmark's own pass_D@K, :math:`1 - \frac1M\sum_i
    (1-p_i)^K`.
:class:`RecordedOutcomes`
    Every problem's recorded outcomes :math:`(N_i, C_i)` (e.g. 10,000 attempts per problem on
    Pythia/MATH). New attempts are drawn **without replacement** from what is left of the
    record: :math:`x \sim \text{Hypergeometric}(C_i - c_i, (N_i - C_i) - (n_i - c_i), m)`, an
    exact simulation of attempting again. Truths: given, or the same model fitted on the full
    record (posterior mean), as the backtest does (Schaeffer, Kazdan et al. 2025).

Data of a campaign whose rule looked at outcomes are recorded as ``Design("adaptive")`` (the
uniform rule keeps ``"fixed"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monkeypower import seeding
from monkeypower.arguments import whole_number
from monkeypower.data.design import Design
from monkeypower.data.outcomes import Outcomes
from monkeypower.estimands.conditional import conditional_p_draws
from monkeypower.estimands.curves import effective_exponent
from monkeypower.evaluation.planning.allocation import ALLOCATIONS
from monkeypower.evaluation.planning.plan import plan
from monkeypower.evaluation.planning.result import CampaignResult
from monkeypower.evaluation.planning.targets import PlanTarget, parse_target
from monkeypower.families import NUMPY, get_family
from monkeypower.fitting import fit as fit_model
from monkeypower.intervals import IntervalConvention, resolve_interval

__all__ = ["KnownPopulation", "RecordedOutcomes", "simulate_campaign", "target_estimate"]

#: Settings of the refits (small: a campaign refits every round).
DEFAULT_FIT_KWARGS = {"draws": 500, "tune": 500, "chains": 2, "progressbar": False}


@dataclass(frozen=True)
class KnownPopulation:
    """A population with known parameters to draw a benchmark of ``n_problems`` from."""

    family: str
    params: Mapping[str, float]
    n_problems: int

    def __post_init__(self) -> None:
        get_family(self.family).check_params(self.params)
        whole_number(self.n_problems, "n_problems", 1)

    @property
    def name(self) -> str:
        """How the source prints."""
        values = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.family}({values}), {self.n_problems} problems"


@dataclass(frozen=True)
class RecordedOutcomes:
    """Every problem's recorded attempts, to draw new ones from without replacement."""

    outcomes: Outcomes
    truth: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """How the source prints."""
        return f"recorded {self.outcomes.name or 'outcomes'}, {self.outcomes.n_problems} problems"


def _true_values(source: KnownPopulation, p: np.ndarray,
                 targets: Sequence[PlanTarget]) -> dict[str, float]:
    family = get_family(source.family)
    params = {k: np.array([float(v)]) for k, v in source.params.items()}
    truth = {}
    for t in targets:
        if t.name == "asymptotic_exponent":
            truth[t.label] = float(np.asarray(family.tail(params, NUMPY).exponent).reshape(-1)[0])
        elif t.name == "effective_exponent":
            window = t.window or (1, 10_000)
            truth[t.label] = float(effective_exponent(family, params, window)[0])
        else:
            truth[t.label] = float(1.0 - np.mean(np.exp(t.horizon * np.log1p(-p))))
    return truth


def target_estimate(
    fitted: Any, target: PlanTarget, unattempted: int, interval: IntervalConvention,
    rng: np.random.Generator, max_draws: int = 250,
) -> tuple[float, float, float]:
    r"""Posterior mean and interval of a target from a fit.

    Exponents: the registry's draws. Forecast: draws of the benchmark's pass_D@K itself,
    :math:`1 - \frac1M\sum_i (1-p_i)^K` with each :math:`p_i` drawn from its conditional
    given the posterior draw and its counts (problems not yet attempted from the population).
    """
    if target.name == "asymptotic_exponent":
        values = fitted.asymptotic_exponent().draws.reshape(-1)
    elif target.name == "effective_exponent":
        values = fitted.effective_exponent(window=target.window,
                                           max_draws=max_draws).draws.reshape(-1)
    else:
        post = fitted.posterior_draws()
        flat, _ = post.flat(max_draws)
        weight = np.asarray(post.weight, dtype=np.int64)
        draws = conditional_p_draws(post.family, flat, post.c, post.n - post.c,
                                    size=int(weight.max()), rng=rng).values
        used = np.arange(draws.shape[2])[None, :] < weight[:, None]
        log_fail = target.horizon * np.log1p(-np.clip(draws, 0.0, 1.0))
        total = np.sum(np.where(used[None], np.exp(log_fail), 0.0), axis=(1, 2))
        if unattempted:
            theta = {k: v[:, None] for k, v in flat.items()}
            p_new = np.asarray(post.family.sample_p(theta, (len(total), unattempted), rng))
            total = total + np.exp(target.horizon * np.log1p(-p_new)).sum(axis=1)
        values = 1.0 - total / (weight.sum() + unattempted)
    lower, upper = interval.bounds(values)
    return float(np.mean(values)), float(lower), float(upper)


def _error(target: PlanTarget, estimate: float, truth: float) -> float:
    if target.name == "forecast_pass_at_k":
        with np.errstate(divide="ignore", invalid="ignore"):
            return float((np.log(-np.log(estimate)) - np.log(-np.log(truth))) ** 2)
    return abs(estimate - truth) / abs(truth)


def simulate_campaign(
    source: KnownPopulation | RecordedOutcomes,
    allocation: str = "preposterior",
    target: str | PlanTarget = "asymptotic_exponent",
    *,
    rounds: int,
    budget: int,
    initial: int,
    seed: int,
    track: Sequence[str | PlanTarget] | None = None,
    initial_problems: int | None = None,
    min_batch: int = 10,
    model: str,
    fit_kwargs: Mapping[str, Any] | None = None,
    max_draws: int = 250,
    interval: IntervalConvention | float | None = None,
) -> CampaignResult:
    r"""Run a whole campaign on simulated or recorded outcomes; score every round.

    Parameters
    ----------
    source : KnownPopulation or RecordedOutcomes
        Where new attempts come from (see the module docstring).
    allocation : {"preposterior", "uniform", "fewest_successes"}, default "preposterior"
        The rule splitting each round's budget (:func:`~monkeypower.evaluation.planning.plan`).
    target : str or PlanTarget, default "asymptotic_exponent"
        What the preposterior rule shrinks (a registry estimand; see :func:`plan`).
    rounds : int
        Rounds after the initial one.
    budget : int
        Attempts per round.
    initial : int
        Attempts at each of the first ``initial_problems`` problems before the first fit.
    seed : int
        Seeds the benchmark's p (known population), the attempts and every fit (child seeds).
    track : sequence of str, optional
        Targets scored every round (default: ``target`` alone).
    initial_problems : int, optional
        Problems attempted at the start (default all); the rest can be drawn by the plan.
    min_batch : int, default 10
        The fewest attempts a problem gets in a round, if any.
    model : str
        The model refitted every round (required: a campaign refits it every round, so its
        cost is yours to choose; ``"beta"`` is fastest, the default model the honest one).
    fit_kwargs : mapping, optional
        Sampler settings of the refits (default draws 500, tune 500, chains 2).
    max_draws : int, default 250
        Posterior draws per chain used by the plan and the forecast's draws.
    interval : IntervalConvention or float, optional
        Interval scored for coverage (default: the convention in force).

    Returns
    -------
    CampaignResult
        One row per round and tracked target.
    """
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}")
    seed = seeding.checked_seed(seed, "campaigns")
    rounds, initial = whole_number(rounds, "rounds", 0), whole_number(initial, "initial", 1)
    planned = parse_target(target)
    tracked = [parse_target(t) for t in (track or [planned])]
    convention = resolve_interval(interval)
    kwargs = {**DEFAULT_FIT_KWARGS, **(fit_kwargs or {})}
    rng = seeding.rng(seed, seeding.text_key("campaign"))
    if isinstance(source, KnownPopulation):
        family = get_family(source.family)
        params = {k: float(v) for k, v in source.params.items()}
        p = np.asarray(family.sample_p(params, source.n_problems, rng), dtype=np.float64)
        problems = np.arange(source.n_problems)
        pool_n = pool_c = None
        truth = _true_values(source, p, tracked)
    else:
        recorded = source.outcomes
        problems, pool_n, pool_c = recorded.problem, recorded.n, recorded.c
        p = None
        truth = {t.label: float(source.truth[t.label]) for t in tracked
                 if t.label in source.truth}
        missing = [t for t in tracked if t.label not in truth]
        if missing:
            full = fit_model(recorded, model, seed=seeding.child_seed(seed, 10**6), **kwargs)
            for t in missing:
                truth[t.label] = target_estimate(full, t, 0, convention, rng, max_draws)[0]
    m_total = len(problems)
    start = m_total if initial_problems is None else int(initial_problems)
    n = np.zeros(m_total, dtype=np.int64)
    c = np.zeros(m_total, dtype=np.int64)

    def attempt(index: np.ndarray, m: np.ndarray) -> None:
        if pool_n is None:
            c[index] += rng.binomial(m, p[index])
        else:
            good = pool_c[index] - c[index]
            bad = (pool_n[index] - pool_c[index]) - (n[index] - c[index])
            c[index] += rng.hypergeometric(good, bad, m)
        n[index] += m

    first = np.sort(rng.permutation(m_total)[:start])
    attempt(first, np.full(len(first), int(initial)))
    adaptive = False
    rows = []
    for round_ in range(int(rounds) + 1):
        seen = np.flatnonzero(n > 0)
        design = Design("adaptive", batch_size=min_batch) if adaptive else Design("fixed")
        data = Outcomes(problems[seen], n[seen], c[seen], design)
        fitted = fit_model(data, model, seed=seeding.child_seed(seed, round_), **kwargs)
        unseen = m_total - len(seen)
        for t in tracked:
            mean, lower, upper = target_estimate(fitted, t, unseen, convention, rng, max_draws)
            rows.append({"allocation": allocation, "round": round_, "attempts": int(n.sum()),
                         "target": t.label, "estimate": mean, "lower": lower, "upper": upper,
                         "truth": truth[t.label], "error": _error(t, mean, truth[t.label]),
                         "covered": bool(lower <= truth[t.label] <= upper)})
        if round_ == rounds:
            break
        available = None if pool_n is None else pool_n[seen] - n[seen]
        cap_new = budget if pool_n is None or not unseen else int(pool_n[n == 0].min())
        step = plan(fitted, budget, planned, min_batch=min_batch, unattempted=unseen,
                    max_per_problem=min(budget, cap_new), available=available,
                    allocation=allocation, max_draws=max_draws,
                    seed=seeding.child_seed(seed, round_, 1), compare=False)
        more = np.flatnonzero(step.attempts > 0)
        attempt(seen[more], step.attempts[more])
        if unseen:
            slots = rng.permutation(np.flatnonzero(n == 0))
            drawn = np.flatnonzero(step.new_attempts > 0)
            attempt(slots[drawn], step.new_attempts[drawn])
        adaptive = adaptive or allocation != "uniform"
    settings = {"source": source.name, "allocation": allocation, "target": planned.label,
                "rounds": int(rounds), "budget": int(budget), "initial": int(initial),
                "seed": seed, "model": model, "min_batch": int(min_batch)}
    return CampaignResult(pd.DataFrame(rows), convention.to_dict(), settings)
