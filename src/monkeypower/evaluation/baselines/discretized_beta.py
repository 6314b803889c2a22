r"""The discretized Beta estimator: the "distributional" estimator of Schaeffer, Kazdan et al.

A Beta on :math:`[0, \max \hat p]` fitted to a log-binned histogram of :math:`\hat p_i =
c_i/n_i`. Estimand: ``asymptotic_exponent`` (:math:`\alpha`).

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betainc

from monkeypower.data.outcomes import Outcomes
from monkeypower.data.passk import empirical_curve, reference_k_grid
from monkeypower.evaluation.baselines._grid import fmt_window, log_neg_log
from monkeypower.evaluation.baselines.degenerate import (
    require_interior_optimum,
    require_solved_problems,
)
from monkeypower.evaluation.baselines.result import BaselineResult

__all__ = [
    "DISCRETIZED_BOUNDS",
    "DISCRETIZED_EPSILON",
    "DISCRETIZED_STARTS",
    "discretized_beta",
]

#: Bounds of the discretized-Beta optimisation over (alpha, beta), as in the reference code.
DISCRETIZED_BOUNDS = (0.01, 100.0)
#: Added to every bin mass before the log, as in the reference code.
DISCRETIZED_EPSILON = 1e-16
#: Starting points of the discretized-Beta fit; the first is the reference code's.
DISCRETIZED_STARTS = ((0.5, 3.5), (0.1, 1.0), (1.0, 10.0), (0.05, 0.5))


def discretized_beta(outcomes: Outcomes) -> BaselineResult:
    r"""Estimate the tail exponent by the paper's discretized Beta MLE ("distributional" one).

    With :math:`\hat p_i = c_i/n_i` and :math:`n = \max_i n_i`:

    1. bin edges :math:`e = (0, \text{logspace}(\log_{10}(1/n), 0, \lfloor n/10\rfloor))`,
       i.e. :math:`\lfloor n/10 \rfloor + 1` edges (1,001 for n = 10,000): one bin
       :math:`[0, 1/n)` for unsolved problems and log-spaced bins above;
    2. counts :math:`N_j` of :math:`\hat p_i` per bin (``numpy.histogram``);
    3. a Beta(:math:`\alpha, \beta`) on :math:`[0, s]` with :math:`s = \max_i \hat p_i`; bin
       masses :math:`m_j = F(e_{j+1}) - F(e_j) + 10^{-16}`;
    4. minimise :math:`-\sum_j N_j \log m_j` over :math:`(\alpha, \beta) \in [0.01, 100]^2`
       with L-BFGS-B.

    :math:`\alpha` is reported as the asymptotic exponent (estimand ``asymptotic_exponent``).
    The discretized likelihood has several local optima on real data; the reference code starts
    once from (0.5, 3.5), here several starts are run (the first is the reference's) and the
    best optimum is kept (on Pythia 70M the reference start stops at α ≈ 0.084, the optimum is
    α ≈ 0.050). The reference code minimises the *mean* over bins of :math:`N_j\log m_j`, a
    constant factor that only changes L-BFGS-B's absolute gradient tolerance; the sum (the
    likelihood of the binned counts) is used here.

    **Forecast (as the paper does).** The estimator supplies only an exponent; Schaeffer,
    Kazdan et al. (ICML 2025, arXiv:2502.17578) pair it with a prefactor fitted to the finite
    window: :math:`-\log \text{pass}_D@k \approx a k^{-\alpha}` with :math:`\alpha` fixed and
    :math:`\log a` the least-squares intercept on the empirical curve (reference grid up to
    :math:`\min n`, points with infinite log dropped): :math:`\log a = \overline{\log(-\log
    \text{pass}_D@k) + \alpha \log k}`. Because :math:`\alpha` is the *asymptotic* slope while
    the curve's slope over the window is the (larger) effective one, this pairing misses far
    horizons; it is why discretized estimators forecast badly in the paper's backtest. The
    model-consistent forecast of :func:`~monkeypower.evaluation.baselines.beta_binomial_mle`
    does not have this flaw.

    Parameters
    ----------
    outcomes : Outcomes
        Data from a fixed design with at least one success and n >= 20.

    Returns
    -------
    BaselineResult
        ``estimand="asymptotic_exponent"``, ``estimate`` = :math:`\alpha`; ``extras`` hold
        ``alpha``, ``beta``, ``scale`` (:math:`s`), ``n_bins``, ``neg_log_likelihood``,
        ``prefactor`` (window-fitted :math:`a`), ``prefactor_window``, ``starts`` (the optimum
        from each start). Curve ``"power_law"``.

    Raises
    ------
    DesignError
        For a sequential design (:math:`c/n` and the empirical curve are biased there).
    DegenerateDataError
        With fewer than three problems with a success, an optimum on a bound of
        :data:`DISCRETIZED_BOUNDS`, or an optimum equal to its start (the optimiser never
        moved): :mod:`~monkeypower.evaluation.baselines.degenerate`.
    ValueError
        If n < 20.
    """
    outcomes.require_fixed_design("the discretized Beta estimator (histogram of c/n)")
    require_solved_problems(outcomes, "discretized_beta")  # none solved: refused, as degenerate
    p_hat = outcomes.c / outcomes.n
    s = float(p_hat.max())
    edges = _discretized_edges(int(outcomes.n.max()))
    counts = np.histogram(p_hat, edges)[0].astype(np.float64)
    best, starts = _fit_binned_beta(counts, np.clip(edges / s, 0.0, 1.0))
    alpha, beta_ = (float(v) for v in best.x)
    best_start = min(starts, key=lambda tried: tried["neg_log_likelihood"])["start"]
    require_interior_optimum(
        "discretized_beta", {"alpha": alpha, "beta": beta_},
        {"alpha": DISCRETIZED_BOUNDS, "beta": DISCRETIZED_BOUNDS},
        {"alpha": best_start[0], "beta": best_start[1]})
    prefactor, prefactor_window = _window_prefactor(outcomes, alpha)

    def power_law(kk: np.ndarray) -> np.ndarray:
        return prefactor * kk ** (-alpha)

    at_bound = any(np.isclose(v, b) for v in (alpha, beta_) for b in DISCRETIZED_BOUNDS)
    extras: dict[str, Any] = {
        "alpha": alpha,
        "beta": beta_,
        "scale": s,
        "n_bins": int(edges.size - 1),
        "neg_log_likelihood": float(best.fun),
        "converged": bool(best.success),
        "at_bound": bool(at_bound),
        "prefactor": prefactor,
        "prefactor_window": prefactor_window,
        "starts": starts,
    }
    return BaselineResult(
        estimator="discretized_beta",
        estimand="asymptotic_exponent",
        detail=(
            f"Beta on [0, max c/n = {s:.4g}] fitted to a {edges.size - 1}-bin histogram of c/n"
        ),
        estimate=alpha,
        extras=extras,
        curves={"power_law": power_law},
        default_curve="power_law",
    )


def _discretized_edges(n: int) -> np.ndarray:
    """``[0] + logspace(log10(1/n), 0, n // 10)``: the reference code's bin edges."""
    num = n // 10
    if num < 2:
        raise ValueError(
            f"the discretized Beta estimator needs n >= 20 attempts per problem (its bin edges "
            f"are 0 and logspace(log10(1/n), 0, n // 10)); got n = {n}"
        )
    return np.concatenate([[0.0], np.logspace(np.log10(1.0 / n), 0.0, num)])


def _fit_binned_beta(counts: np.ndarray, u_edges: np.ndarray) -> tuple[Any, list[dict]]:
    """Minimise the binned Beta negative log-likelihood from every start; keep the best.

    ``u_edges`` are the bin edges divided by the scale and clipped to [0, 1]. Returns the best
    :func:`scipy.optimize.minimize` result and the optimum reached from each start.
    """
    used = counts > 0

    def nll(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            cdf = betainc(theta[0], theta[1], u_edges)  # = scipy.stats.beta.cdf(e, a, b, 0, s)
            mass = np.diff(cdf) + DISCRETIZED_EPSILON
            value = float(-(counts[used] * np.log(mass[used])).sum())
        return value if np.isfinite(value) else 1e300

    starts = []
    best = None
    for x0 in DISCRETIZED_STARTS:
        res = minimize(nll, np.asarray(x0), method="L-BFGS-B", bounds=[DISCRETIZED_BOUNDS] * 2)
        starts.append({"start": x0, "alpha": float(res.x[0]), "beta": float(res.x[1]),
                       "neg_log_likelihood": float(res.fun)})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    return best, starts


def _window_prefactor(outcomes: Outcomes, alpha: float) -> tuple[float, str]:
    """The paper's prefactor: ``log a`` = mean of ``log(-log pass) + alpha log k`` on the data.

    Returns the prefactor and the window of the grid points it was fitted on.
    """
    grid = reference_k_grid(int(outcomes.n.min()))
    y = log_neg_log(empirical_curve(outcomes, grid)["pass_at_k"].to_numpy())
    finite = np.isfinite(y)
    if not finite.any():
        raise ValueError("no grid point with 0 < pass_D@k < 1 to fit the prefactor on")
    log_a = float(np.mean(y[finite] + alpha * np.log(grid[finite].astype(np.float64))))
    return float(np.exp(log_a)), fmt_window(int(grid[finite].min()), int(grid[finite].max()))
