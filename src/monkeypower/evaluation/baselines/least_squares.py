r"""Log-log least squares on the empirical pass@k curve: the reference protocol's estimator.

Estimand: the ``effective_exponent`` over the window of k used, *not* the asymptotic exponent
:math:`b_\infty`, although Schaeffer, Kazdan et al. report it as "the" exponent.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.

B. Brown et al., "Large Language Monkeys: Scaling Inference Compute with Repeated Sampling",
arXiv:2407.21787.

M. Chen et al., "Evaluating Large Language Models Trained on Code", arXiv:2107.03374.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from monkeypower.arguments import whole_numbers
from monkeypower.data.outcomes import Outcomes
from monkeypower.data.passk import empirical_curve, pass_at_k, reference_k_grid
from monkeypower.data.simulate import as_generator
from monkeypower.estimands import loglog_ols
from monkeypower.evaluation.baselines._grid import check_window, fmt_window, log_neg_log
from monkeypower.evaluation.baselines.degenerate import require_solved_problems
from monkeypower.evaluation.baselines.result import BaselineResult
from monkeypower.intervals import IntervalConvention, resolve_interval

__all__ = ["least_squares"]

# Bootstrap replicates are processed in chunks of at most this many (replicate × problem) cells.
_BOOTSTRAP_CHUNK = 2_000_000


def least_squares(
    outcomes: Outcomes,
    *,
    k: Any = None,
    window: tuple[int, int] | None = None,
    bootstrap: int = 0,
    seed: int | np.random.Generator | None = None,
    interval: IntervalConvention | float | None = None,
) -> BaselineResult:
    r"""Log-log least squares on the empirical pass@k curve (the reference protocol).

    The empirical aggregate curve :math:`\text{pass}_D@k = \frac1M\sum_i [1 -
    \binom{n_i-c_i}{k}/\binom{n_i}{k}]` (unbiased estimator, Chen et al. 2021,
    arXiv:2107.03374) is computed on the reference grid :math:`k \in
    \text{unique}(\lfloor\text{logspace}(0, \log_{10} n, 100)\rfloor)` with
    :math:`n = \min_i n_i`, and

    .. math:: \log(-\log \text{pass}_D@k) = \log a - b \log k + \varepsilon_k

    is fitted by ordinary least squares (unweighted, although the points are strongly
    correlated). The forecast is :math:`-\log \text{pass}_D@K = a K^{-b}`.

    **Estimand.** Schaeffer, Kazdan et al. (ICML 2025, arXiv:2502.17578) report :math:`b` as
    the power-law exponent, but it is the *effective* exponent over the window of k used: the
    finite-window slope, which differs from the asymptotic exponent :math:`b_\infty` whenever
    the curve is not an exact power law (on Pythia 12B / MATH, 0.372 here against a
    scaled-Beta :math:`\alpha` of 0.25). The result's ``estimand`` is therefore
    ``"effective_exponent"``.

    Parameters
    ----------
    outcomes : Outcomes
        Data from a fixed design.
    k : array_like of int, optional
        Values of k to use instead of the reference grid (each ``1 <= k <= min n``).
    window : (int, int), optional
        Restrict to :math:`k_1 \le k \le k_2`. Without ``k``, the grid is then
        ``reference_k_grid(k2, k_min=k1)`` (100 log-spaced points over the window), the same
        grid :func:`monkeypower.estimands.effective_exponent` uses on model curves, so the two
        are the same regression. Default: ``(1, min n)``.
    bootstrap : int, default 0
        Number of bootstrap replicates over problems (resampled with replacement) for an
        interval on :math:`b`; 0 for none.
    seed : int or numpy.random.Generator, optional
        Required when ``bootstrap > 0``.
    interval : IntervalConvention or float, optional
        Interval convention (default: the package convention in force, see
        :mod:`monkeypower.intervals`), applied to the bootstrap draws.

    Returns
    -------
    BaselineResult
        ``estimand="effective_exponent"``, ``estimate`` = :math:`b`; ``extras`` hold
        ``prefactor`` (:math:`a`), ``intercept`` (:math:`\log a`), ``k`` (the grid used),
        ``n_points``, ``dropped_k`` and a ``note`` when points with :math:`\text{pass}_D@k \in
        \{0, 1\}` (infinite log) were dropped, and ``bootstrap_draws``. Curve ``"power_law"``.

    Raises
    ------
    DesignError
        For a sequential design (the unbiased estimator is biased there).
    DegenerateDataError
        With fewer than three problems with a success
        (:mod:`~monkeypower.evaluation.baselines.degenerate`).
    ValueError
        For k outside ``[1, min n]``, a bad window, or fewer than two usable points.
    TypeError
        If ``bootstrap > 0`` without an explicit seed.
    """
    outcomes.require_fixed_design("least-squares fitting of the empirical pass@k curve")
    require_solved_problems(outcomes, "least_squares")
    if isinstance(bootstrap, bool) or int(bootstrap) != bootstrap or bootstrap < 0:
        raise ValueError(f"bootstrap must be a non-negative integer, got {bootstrap!r}")
    bootstrap = int(bootstrap)
    rng = as_generator(seed) if bootstrap > 0 else None
    grid, k1, k2 = _k_grid(outcomes, k, window)
    y = log_neg_log(empirical_curve(outcomes, grid)["pass_at_k"].to_numpy())
    x = np.log(grid.astype(np.float64))
    finite = np.isfinite(y)
    extras: dict[str, Any] = {}
    if not finite.all():
        dropped = grid[~finite]
        extras["dropped_k"] = dropped
        extras["note"] = (
            f"dropped {dropped.size} of {grid.size} grid points where pass_D@k is 0 or 1 to "
            f"double precision (log(-log pass_D@k) is infinite): k = {dropped[:5].tolist()}"
            + ("..." if dropped.size > 5 else "")
        )
    if finite.sum() < 2:
        raise ValueError(
            f"least squares needs at least two grid points with 0 < pass_D@k < 1, found "
            f"{int(finite.sum())} in {fmt_window(k1, k2)} (no successes at all, or every "
            "problem solved)"
        )
    slope, intercept = (float(v) for v in loglog_ols(x, y))
    b = -slope
    prefactor = float(np.exp(intercept))
    extras.update(prefactor=prefactor, intercept=intercept, k=grid[finite],
                  n_points=int(finite.sum()))

    result_interval = None
    convention = None
    if bootstrap > 0:
        assert rng is not None
        convention = resolve_interval(interval)
        result_interval = _bootstrap_interval(outcomes, grid, x, bootstrap, rng, convention,
                                              extras)

    def power_law(kk: np.ndarray) -> np.ndarray:
        return prefactor * kk ** (-b)

    return BaselineResult(
        estimator="least_squares",
        estimand="effective_exponent",
        detail=(f"{fmt_window(k1, k2)}, empirical curve (unbiased estimator), OLS on "
                f"{int(finite.sum())} grid points"),
        estimate=float(b),
        interval=result_interval,
        extras=extras,
        interval_convention=convention,
        curves={"power_law": power_law},
        default_curve="power_law",
    )


def _k_grid(outcomes: Outcomes, k: Any, window: Any) -> tuple[np.ndarray, int, int]:
    """The grid of k to regress on and the window it spans, after validation."""
    n_min = int(outcomes.n.min())
    if window is not None:
        k1, k2 = check_window(window, n_min)
    if k is None:
        grid = reference_k_grid(n_min) if window is None else reference_k_grid(k2, k_min=k1)
    else:
        raw = np.atleast_1d(np.asarray(k))
        if raw.size == 0:
            raise ValueError("k must hold at least one number of attempts, got none")
        grid = np.unique(whole_numbers(raw, "k"))
        bad = grid[(grid < 1) | (grid > n_min)]
        if bad.size:
            raise ValueError(
                f"k values {bad[:5].tolist()} are outside [1, {n_min}] (the smallest number of "
                "attempts in the data); the unbiased pass@k estimator is undefined for k > n"
            )
        if window is not None:
            grid = grid[(grid >= k1) & (grid <= k2)]
    if window is None:
        k1, k2 = int(grid.min()), int(grid.max())
    return grid, k1, k2


def _bootstrap_interval(
    outcomes: Outcomes,
    grid: np.ndarray,
    x: np.ndarray,
    replicates: int,
    rng: np.random.Generator,
    convention: IntervalConvention,
    extras: dict[str, Any],
) -> tuple[float, float] | None:
    """Bootstrap the exponent over problems; record the draws in ``extras``, return bounds."""
    draws = _bootstrap_slopes(outcomes, grid, x, replicates, rng)
    ok = np.isfinite(draws)
    extras["bootstrap_draws"] = draws
    extras["bootstrap_replicates"] = replicates
    if (~ok).any():
        extras["bootstrap_failed"] = int((~ok).sum())
    if ok.sum() < 2:
        return None
    lo, hi = convention.bounds(draws[ok])
    extras["interval_method"] = "bootstrap over problems (percentile of replicates)"
    return float(lo), float(hi)


def _bootstrap_slopes(
    outcomes: Outcomes, grid: np.ndarray, x: np.ndarray, replicates: int, rng: np.random.Generator
) -> np.ndarray:
    """Least-squares exponents of bootstrap replicates (problems resampled with replacement).

    A replicate is a multinomial count vector over problems (the same law as resampling indices
    with replacement), so a replicate curve is ``counts @ per_problem / M``.
    """
    m = outcomes.n_problems
    per_problem = np.asarray(
        pass_at_k(outcomes.n[:, None], outcomes.c[:, None], grid[None, :]), dtype=np.float64
    )
    out = np.empty(replicates)
    chunk = max(1, _BOOTSTRAP_CHUNK // m)
    for start in range(0, replicates, chunk):
        size = min(chunk, replicates - start)
        counts = rng.multinomial(m, np.full(m, 1.0 / m), size=size)
        slope, _ = loglog_ols(x, log_neg_log(counts @ per_problem / m))
        out[start : start + size] = -slope
    return out
