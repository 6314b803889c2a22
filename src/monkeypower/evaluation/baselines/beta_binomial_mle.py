r"""The exact (scaled) Beta-Binomial maximum-likelihood estimate, with a plug-in scale.

Estimand: ``asymptotic_exponent`` (:math:`\alpha`); the result also gives model-consistent
forecasts and the effective exponent of the fitted curve.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.

J. Kazdan, R. Schaeffer, et al., "Efficient Prediction of Pass@k Scaling in Large Language
Models", arXiv:2510.05197.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from monkeypower.data.outcomes import Outcomes
from monkeypower.data.sufficient import compress
from monkeypower.estimands import (
    checked_window,
    effective_exponent,
    forecast_log_fail,
    neg_log_pass,
    population_log_fail,
)
from monkeypower.evaluation.baselines._grid import fmt_window, paper_k_grid
from monkeypower.evaluation.baselines.degenerate import (
    require_interior_optimum,
    require_solved_problems,
)
from monkeypower.evaluation.baselines.result import BaselineResult
from monkeypower.families import Family, get_family, scaled_beta_log_moment_numba

__all__ = ["BB_ALPHA_BOUNDS", "BB_BETA_BOUNDS", "BB_STARTS", "beta_binomial_mle"]

#: Box for the Beta-Binomial MLE over (alpha, beta) (optimised in log space).
BB_ALPHA_BOUNDS = (1e-4, 1e3)
BB_BETA_BOUNDS = (1e-4, 1e6)
#: Fixed starting points of the Beta-Binomial MLE (a moment-based start is added).
BB_STARTS = ((0.3, 3.0), (0.1, 1.0), (1.0, 10.0))

ParamsOf = Callable[[Any, Any], dict[str, Any]]


def beta_binomial_mle(
    outcomes: Outcomes,
    *,
    scaled: bool = True,
    window: tuple[int, int] | None = None,
) -> BaselineResult:
    r"""Exact (scaled) Beta-Binomial maximum likelihood, with the paper's plug-in scale.

    Each :math:`p_i = s u_i`, :math:`u_i \sim \text{Beta}(\alpha, \beta)`; with :math:`p_i`
    integrated out the log-likelihood is

    .. math:: \ell(\alpha, \beta) = \sum_i \Big[\log\binom{n_i}{c_i}
              + L(c_i, n_i - c_i; \alpha, \beta, s)\Big],
              \qquad L(c, f) = \log E[p^c (1-p)^f],

    evaluated exactly by the ``scaled_beta`` family (``beta`` when ``scaled=False``), summed
    over the distinct :math:`(n, c)` pairs with weights (the sufficient statistics). The scale
    is the plug-in :math:`s = \min(1, \frac{M+1}{M}\max_i c_i/n_i)` of Schaeffer, Kazdan et al.
    (ICML 2025, arXiv:2502.17578) (``scaled=False``: :math:`s = 1`, the plain Beta-Binomial).
    :math:`(\log\alpha, \log\beta)` is optimised with L-BFGS-B from several starts (three fixed
    points and a moment-matching start on :math:`\hat p/s`), keeping the best; gradients are
    analytic (digamma for the Beta, the numba kernel's gradients for the scaled Beta). On
    degenerate data (e.g. a single success) the likelihood has a ridge to infinite
    concentration; such data are refused (:class:`~monkeypower.errors.DegenerateDataError`,
    see :mod:`~monkeypower.evaluation.baselines.degenerate`).

    Reported: :math:`\alpha` as the ``asymptotic_exponent`` (the tail exponent of a (scaled)
    Beta is :math:`\alpha`), and in ``extras``: :math:`\beta`, :math:`s`, the tail prefactor
    :math:`a = \Gamma(\alpha+\beta)/(\Gamma(\beta)s^\alpha)`, and the ``effective_exponent`` of
    the fitted population curve over ``window`` (100-point reference grid, as
    :func:`monkeypower.estimands.effective_exponent`), also on the reference code's 20-point
    grid (``effective_exponent_paper_grid``,
    :func:`~monkeypower.evaluation.baselines.paper_k_grid`; the grid behind the paper's
    "effective slope of the BB fit" numbers) and for the in-sample forecast curve.

    Forecast curves (model-consistent):

    - ``"forecast"`` (default): the in-sample forecast for this benchmark,
      :math:`-\log[1 - \frac1M\sum_i \exp(L(c_i, f_i + K) - L(c_i, f_i))]`, pooling what every
      problem says; the quantity a backtest against the full data checks;
    - ``"population"``: :math:`-\log(1 - \exp L(0, K))`, a new benchmark from the population.

    Parameters
    ----------
    outcomes : Outcomes
        The data. With ``scaled=True`` (the paper's estimator) a **fixed** design: its plug-in
        scale :math:`\max_i c_i/n_i` is biased upward under sequential stopping and under an
        adaptive design (one problem given a single attempt that succeeded sets
        :math:`s = 1`), so such data are refused. With ``scaled=False`` a sequential or
        adaptive design is accepted (the likelihood kernel is the same; the binomial
        coefficient is dropped; ``extras["note"]`` says so).
    scaled : bool, default True
        Scaled Beta with plug-in :math:`s` (the paper's estimator), or plain Beta (:math:`s=1`).
    window : (int, int), optional
        Window of the effective exponent; default ``(1, min n)``.

    Returns
    -------
    BaselineResult
        ``estimand="asymptotic_exponent"``, ``estimate`` = :math:`\alpha`.

    Raises
    ------
    DesignError
        If ``scaled=True`` and the design is sequential or adaptive.
    ValueError
        If ``scaled=True`` and no problem was ever solved (:math:`s` would be 0).
    DegenerateDataError
        With fewer than three problems with a success, an optimum on a bound of the box
        :data:`BB_ALPHA_BOUNDS` × :data:`BB_BETA_BOUNDS`, or an optimum equal to its start.
    """
    if scaled:
        outcomes.require_fixed_design(
            "the scaled Beta-Binomial MLE (its plug-in scale max c/n; on adaptive counts a "
            "single problem with n = 1, c = 1 sets s = 1)")
    stats = compress(outcomes)
    p_hat = outcomes.c / outcomes.n
    require_solved_problems(outcomes, "beta_binomial_mle")  # none solved: refused, as degenerate
    s, family = _scale_and_family(p_hat, outcomes.n_problems, scaled)
    c = stats.c.astype(np.float64)
    f = (stats.n - stats.c).astype(np.float64)
    weight = stats.weight.astype(np.float64)
    sequential = outcomes.design.depends_on_outcomes
    log_binom = (np.zeros_like(c) if sequential
                 else gammaln(stats.n + 1.0) - gammaln(c + 1.0) - gammaln(f + 1.0))

    def params_of(alpha: Any, beta_: Any) -> dict[str, Any]:
        p = {"alpha": alpha, "beta": beta_}
        if scaled:
            p["scale"] = s if np.ndim(alpha) == 0 else np.full(np.shape(alpha), s)
        return p

    objective, has_gradient = _bb_objective(family, c, f, weight, s, scaled, params_of)
    best, tried, at_bound = _maximise(objective, has_gradient, _moment_start(p_hat / s))
    alpha, beta_ = (float(v) for v in np.exp(best.x))
    best_start = min(tried, key=lambda one: one["neg_log_likelihood"])["start"]
    require_interior_optimum(
        "beta_binomial_mle", {"alpha": alpha, "beta": beta_},
        {"alpha": BB_ALPHA_BOUNDS, "beta": BB_BETA_BOUNDS},
        {"alpha": best_start[0], "beta": best_start[1]})
    with np.errstate(all="ignore"):
        log_likelihood = float(
            (weight * np.asarray(family.log_moment(c, f, params_of(alpha, beta_)))).sum()
        ) + float((weight * log_binom).sum())
    draws = {key: np.atleast_1d(np.asarray(v, dtype=np.float64))
             for key, v in params_of(alpha, beta_).items()}
    data = (stats.n, stats.c, stats.weight)
    k1, k2 = _effective_window(int(outcomes.n.min()), window)
    fitted = _fitted_exponents(family, draws, data, (k1, k2))
    extras: dict[str, Any] = {
        "alpha": alpha,
        "beta": beta_,
        "scale": s,
        "scale_rule": "(M+1)/M * max c/n, capped at 1" if scaled else "fixed at 1 (plain Beta)",
        "prefactor": fitted.pop("prefactor"),
        "log_likelihood": log_likelihood,
        "converged": bool(best.success),
        "at_bound": at_bound,
        **fitted,
        "n_pairs": int(stats.n_pairs),
        "starts": tried,
    }
    if sequential:
        extras["note"] = (
            f"{outcomes.design.kind} design: binomial coefficient dropped from the likelihood "
            "(the plain Beta-Binomial kernel is valid when n depends only on outcomes already "
            "observed)"
        )

    def population_curve(kk: np.ndarray) -> np.ndarray:
        return neg_log_pass(population_log_fail(family, draws, kk))[0]

    def forecast_curve(kk: np.ndarray) -> np.ndarray:
        return neg_log_pass(forecast_log_fail(family, draws, kk, *data))[0]

    family_text = (
        f"scaled Beta-Binomial, plug-in s = {s:.4g}" if scaled else "Beta-Binomial (s = 1)"
    )
    return BaselineResult(
        estimator="beta_binomial_mle",
        estimand="asymptotic_exponent",
        detail=f"{family_text}, exact marginal likelihood",
        estimate=alpha,
        extras=extras,
        curves={"forecast": forecast_curve, "population": population_curve},
        default_curve="forecast",
    )


def _scale_and_family(p_hat: np.ndarray, m: int, scaled: bool) -> tuple[float, Family]:
    """The plug-in scale ``min(1, (M+1)/M max c/n)`` and the scaled Beta, or 1 and the Beta."""
    if not scaled:
        return 1.0, get_family("beta")
    max_p = float(p_hat.max())
    if max_p <= 0.0:
        raise ValueError(
            "the scaled Beta-Binomial MLE needs at least one success: the plug-in scale "
            "s = (M+1)/M * max c/n would be 0"
        )
    return min(1.0, (m + 1) / m * max_p), get_family("scaled_beta")


def _effective_window(n_min: int, window: Any) -> tuple[int, int]:
    """The effective exponent's window: ``window`` checked, else ``(1, min n)``."""
    if window is None:
        return (1, n_min) if n_min > 1 else (1, 2)
    return checked_window(window)


def _maximise(
    objective: Callable[[np.ndarray], Any],
    has_gradient: bool,
    moment: tuple[float, float] | None,
) -> tuple[Any, list[dict[str, Any]], bool]:
    """L-BFGS-B in (log alpha, log beta) from every start (moment start first); keep the best.

    Returns the best :func:`scipy.optimize.minimize` result, the optimum from each start, and
    whether the best lies on the box :data:`BB_ALPHA_BOUNDS` × :data:`BB_BETA_BOUNDS`.
    """
    bounds = [tuple(np.log(BB_ALPHA_BOUNDS)), tuple(np.log(BB_BETA_BOUNDS))]
    starts = [*BB_STARTS]
    if moment is not None:
        starts.insert(0, moment)
    best = None
    tried = []
    for a0, b0 in starts:
        x0 = np.clip(np.log([a0, b0]), [lo for lo, _ in bounds], [hi for _, hi in bounds])
        res = minimize(
            objective, x0, jac=has_gradient, method="L-BFGS-B", bounds=bounds,
            options={"ftol": 1e-13, "gtol": 1e-8, "maxiter": 500},
        )
        tried.append({"start": (float(a0), float(b0)), "alpha": float(np.exp(res.x[0])),
                      "beta": float(np.exp(res.x[1])), "neg_log_likelihood": float(res.fun)})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    at_bound = any(
        abs(value - edge) < 1e-6
        for value, pair in zip(best.x, bounds, strict=True)
        for edge in pair
    )
    return best, tried, at_bound


def _fitted_exponents(
    family: Family, draws: dict[str, np.ndarray], data: tuple, window: tuple[int, int]
) -> dict[str, Any]:
    """Tail prefactor and effective exponents of the fitted curves over ``window``."""
    with np.errstate(over="ignore"):  # a run-away fit on degenerate data: prefactor inf
        prefactor = float(np.asarray(family.tail(draws).prefactor).reshape(-1)[0])
    k1, k2 = window
    return {
        "prefactor": prefactor,
        "effective_exponent": float(effective_exponent(family, draws, window)[0]),
        "effective_exponent_window": fmt_window(k1, k2),
        "effective_exponent_paper_grid": float(
            effective_exponent(family, draws, window, grid=paper_k_grid(k1, k2))[0]
        ),
        "effective_exponent_forecast": float(
            effective_exponent(family, draws, window, curve="forecast", data=data)[0]
        ),
    }


def _bb_objective(
    family: Family,
    c: np.ndarray,
    f: np.ndarray,
    weight: np.ndarray,
    s: float,
    scaled: bool,
    params_of: ParamsOf,
) -> tuple[Callable[[np.ndarray], Any], bool]:
    """Negative mean log-likelihood in (log alpha, log beta), with its gradient when available.

    Plain Beta: closed-form value (the family's stable ``betaln``) and digamma gradient. Scaled
    Beta: the serial numba kernel with analytic gradients when it imports (one pass per
    L-BFGS-B step; the parallel kernel the family uses is slow on small arrays on a busy
    machine); otherwise the family's ``log_moment`` with finite-difference gradients.
    """
    total = float(weight.sum())
    n = c + f

    def finish(loglik: np.ndarray, grads: list[np.ndarray], ab: np.ndarray) -> Any:
        value = -float((weight * loglik).sum()) / total
        grad = np.array([-float((weight * g).sum()) * v / total
                         for g, v in zip(grads, ab, strict=True)])
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            return 1e300, np.zeros(2)
        return value, grad

    if not scaled:
        def beta_objective(theta: np.ndarray) -> Any:
            ab = np.exp(theta)
            a, b = ab
            with np.errstate(all="ignore"):
                loglik = np.asarray(family.log_moment(c, f, params_of(a, b)), dtype=np.float64)
                common = digamma(a + b) - digamma(a + b + n)
                da = digamma(a + c) - digamma(a) + common
                db = digamma(b + f) - digamma(b) + common
            return finish(loglik, [da, db], ab)

        return beta_objective, True
    def numba_objective(theta: np.ndarray) -> Any:
        ab = np.exp(theta)
        with np.errstate(all="ignore"):
            loglik, da, db, _ = scaled_beta_log_moment_numba(
                c, f, ab[0], ab[1], s, with_grad=True, parallel=False
            )
        return finish(np.asarray(loglik), [np.asarray(da), np.asarray(db)], ab)

    return numba_objective, True


def _moment_start(u: np.ndarray) -> tuple[float, float] | None:
    """Method-of-moments Beta parameters of ``u`` in [0, 1], or None where undefined."""
    mean = float(np.mean(u))
    var = float(np.var(u))
    if not (0.0 < mean < 1.0) or var <= 0.0 or var >= mean * (1.0 - mean):
        return None
    t = mean * (1.0 - mean) / var - 1.0
    return mean * t, (1.0 - mean) * t
