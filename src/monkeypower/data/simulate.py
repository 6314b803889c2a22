"""Simulated benchmarks: outcomes drawn from a known population, with an explicit seed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from monkeypower.arguments import whole_number, whole_numbers
from monkeypower.data.design import Design, parse_design
from monkeypower.data.outcomes import Outcomes
from monkeypower.families import get_family
from monkeypower.seeding import checked_seed

__all__ = ["simulate", "as_generator"]


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy Generator from an explicit seed; ``None`` is refused (no hidden global state)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be an int or numpy.random.Generator (results must be reproducible), "
            f"got {seed!r}"
        )
    return np.random.default_rng(checked_seed(seed, "simulations"))


def simulate(
    population: str = "beta",
    params: Mapping[str, float] | None = None,
    *,
    n_problems: int,
    n_attempts: int | Any,
    seed: int | np.random.Generator,
    design: Design | str | None = None,
    labels: Mapping[str, Any] | None = None,
) -> Outcomes:
    """Draw a benchmark from a known population of success probabilities.

    Each problem gets ``p_i`` from the population, then ``c_i ~ Binomial(n_i, p_i)`` for a fixed
    design. For a sequential design (``Design("sequential", batch_size=B, cap=N)``) attempts are
    drawn in batches of ``B`` until a batch holds a success or ``N`` attempts were made, as in
    Best-of-N jailbreaking.

    Parameters
    ----------
    population : str, default "beta"
        A family name (``"beta"``, ``"scaled_beta"``, ...; see :data:`monkeypower.FAMILIES`).
    params : mapping
        The family's natural parameters, e.g. ``{"alpha": 0.3, "beta": 3}`` or
        ``{"alpha": 0.25, "beta": 2, "scale": 0.2}``.
    n_problems : int
        Number of problems M.
    n_attempts : int or array_like of int
        Attempts per problem: one number, or one per problem (variable n). Ignored for a
        sequential design, whose ``cap`` sets the maximum.
    seed : int or numpy.random.Generator
        Required; the same seed gives the same data.
    design : Design or {"fixed", "sequential"}, optional
        Default fixed.
    labels : mapping, optional
        Group labels for the result (default ``{"population": "<family>(<params>)"}``).

    Returns
    -------
    Outcomes
        Problem ids ``0..M-1``.

    Raises
    ------
    ValueError
        A parameter missing, unknown or outside the family's range
        (:attr:`~monkeypower.families.Family.param_ranges`, e.g. a scale above 1), named.

    Examples
    --------
    >>> import monkeypower as mp
    >>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=128, n_attempts=1000,
    ...                   seed=1)
    >>> out.n_problems, out.max_attempts
    (128, 1000)
    """
    family = get_family(population)
    if params is None:
        raise TypeError(f"params is required: the {family.name} family takes {family.params}")
    family.check_params(params)
    n_problems = whole_number(n_problems, "n_problems", 1)
    rng = as_generator(seed)
    design = parse_design(design)
    values = {k: np.asarray(float(v)) for k, v in params.items()}
    p = np.asarray(family.sample_p(values, n_problems, rng), dtype=np.float64)
    if design.is_sequential:
        n, c = _sequential_counts(p, design, rng)
    else:
        n = np.broadcast_to(whole_numbers(n_attempts, "n_attempts", 1), (n_problems,)).copy()
        c = rng.binomial(n, p)
    if labels is None:
        described = ", ".join(f"{k}={float(v):g}" for k, v in params.items())
        labels = {"population": f"{family.name}({described})"}
    return Outcomes(np.arange(n_problems), n, c, design, labels)


def _sequential_counts(
    p: np.ndarray, design: Design, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Batches of B attempts until a batch holds a success, or the cap is reached."""
    if design.batch_size is None or design.cap is None:
        raise ValueError("simulating a sequential design needs its batch_size and cap")
    batch, cap = design.batch_size, design.cap
    n_batches = -(-cap // batch)
    p_batch = -np.expm1(batch * np.log1p(-np.minimum(p, 1 - 1e-300)))
    p_batch = np.where(p >= 1, 1.0, p_batch)
    first = rng.geometric(np.clip(p_batch, 1e-300, 1.0))
    hit = (first <= n_batches) & (p > 0)
    n = np.where(hit, np.minimum(first * batch, cap), cap).astype(np.int64)
    last = n - (first - 1) * batch
    c = np.zeros(len(p), dtype=np.int64)
    c[hit] = _binomial_at_least_one(last[hit], p[hit], rng)
    return n, c


def _binomial_at_least_one(
    trials: np.ndarray, p: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draws of Binomial(trials, p) conditioned on at least one success (inverse CDF)."""
    from scipy.stats import binom

    p0 = np.exp(trials * np.log1p(-np.minimum(p, 1 - 1e-16)))
    u = rng.uniform(size=len(p))
    draws = binom.ppf(p0 + u * (1.0 - p0), trials, p)
    # when p * trials is tiny the conditional law is a point mass at 1 (ppf rounds badly there)
    return np.where(p * trials < 1e-9, 1, np.clip(draws, 1, trials)).astype(np.int64)
