r"""The curves behind every estimand, computed per posterior draw from the primitive L.

The named estimands built on these curves, with their definitions, are in
:mod:`monkeypower.estimands.registry`.

All functions take the family and a dict of natural-parameter draws, each of shape ``(S,)``
(flattened chains × draws), and return arrays with the draws on axis 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from monkeypower.arguments import whole_number
from monkeypower.data.passk import reference_k_grid
from monkeypower.families import NUMPY, Family
from monkeypower.threads import available_cores, run_in_threads

__all__ = [
    "Curve",
    "population_log_fail",
    "forecast_log_fail",
    "neg_log_pass",
    "effective_exponent",
    "attempts_for_target",
    "loglog_ols",
    "measured_neg_log_pass",
    "population_log_pass_all",
    "forecast_log_pass_all",
]

Curve = Literal["forecast", "population"]


# Elements (draws × pairs, or draws × pairs × k) evaluated at once: bounds the memory of a call.
_CHUNK_ELEMENTS = 2_000_000

# A term of a weighted sum over P pairs below its total's lower bound by more than this, less
# log P, is below the sum's rounding unit and is not evaluated (see _forecast_log_moment).
_LOG_NEGLIGIBLE = float(np.log(np.finfo(np.float64).eps))


@dataclass(frozen=True)
class _Params:
    """Natural parameters as (S, 1, ...) arrays ready to broadcast against data axes."""

    values: Mapping[str, np.ndarray]

    def expand(self, extra_dims: int) -> dict[str, np.ndarray]:
        return {k: v.reshape(v.shape + (1,) * extra_dims) for k, v in self.values.items()}

    def take(self, index: slice) -> _Params:
        return _Params({k: v[index] for k, v in self.values.items()})

    @property
    def n_draws(self) -> int:
        return len(next(iter(self.values.values())))


def _params(params: Mapping[str, np.ndarray]) -> _Params:
    return _Params({k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in params.items()})


def population_log_fail(family: Family, params: Mapping[str, np.ndarray], k) -> np.ndarray:
    """``log E[(1-p)^k]`` under the population, shape (S, K)."""
    k = np.atleast_1d(np.asarray(k, dtype=np.float64))
    p = _params(params).expand(1)
    return np.asarray(family.log_moment(0.0, k[None, :], p, NUMPY), dtype=np.float64)


def forecast_log_fail(
    family: Family,
    params: Mapping[str, np.ndarray],
    k,
    n: np.ndarray,
    c: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    r"""``log[(1/M) Σ_i E[(1-p_i)^k | n_i, c_i]]`` for this benchmark, shape (S, K).

    Uses the compressed pairs: :math:`E[(1-p)^k\mid n, c] = \exp(L(c, n-c+k) - L(c, n-c))`.
    """
    return _forecast_log_moment(family, params, k, n, c, weight, successes=False)


def population_log_pass_all(family: Family, params: Mapping[str, np.ndarray], k) -> np.ndarray:
    r"""``log E[p^k]`` under the population (pass^k: all k attempts succeed), shape (S, K).

    :math:`\text{pass}^k = E[p^k] = e^{L(k, 0)}`; for a Beta population
    :math:`B(\alpha+k, \beta)/B(\alpha, \beta)`.
    """
    k = np.atleast_1d(np.asarray(k, dtype=np.float64))
    p = _params(params).expand(1)
    return np.asarray(family.log_moment(k[None, :], 0.0, p, NUMPY), dtype=np.float64)


def forecast_log_pass_all(
    family: Family,
    params: Mapping[str, np.ndarray],
    k,
    n: np.ndarray,
    c: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    r"""``log[(1/M) Σ_i E[p_i^k | n_i, c_i]]``: in-sample pass^k of this benchmark, shape (S, K).

    Uses the compressed pairs: :math:`E[p^k\mid n, c] = \exp(L(c+k, n-c) - L(c, n-c))`.
    """
    return _forecast_log_moment(family, params, k, n, c, weight, successes=True)


def _pair_terms_setup(n, c, weight) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The pairs' ``c``, ``f = n - c``, normalised ``log w_i``, and the negligible-term threshold.

    The threshold is ``_LOG_NEGLIGIBLE`` less log P: a term of the weighted sum over the P
    pairs below its total's lower bound by more than this is under the sum's rounding unit.
    """
    c = np.asarray(c, dtype=np.float64)
    f = np.asarray(n, dtype=np.float64) - c
    log_w = np.log(np.asarray(weight, dtype=np.float64) / np.sum(weight))
    return c, f, log_w, _LOG_NEGLIGIBLE - np.log(len(c))


def _forecast_log_moment(
    family: Family, params: Mapping[str, np.ndarray], k, n: np.ndarray, c: np.ndarray,
    weight: np.ndarray, *, successes: bool,
) -> np.ndarray:
    r"""Weighted log-mean over pairs of ``E[p^k | .]`` (``successes``) or ``E[(1-p)^k | .]``.

    Per draw, :math:`h(k) = \log\sum_i w_i\,e^{t_i(k)}` with each pair's term
    :math:`t_i(k) = L(c_i, f_i + k) - L(c_i, f_i)` (or :math:`L(c_i + k, f_i) - L(c_i, f_i)`),
    non-increasing in k because :math:`0 \le 1-p,\ p \le 1`. So :math:`h \ge h(k_{\max})`
    on the whole grid, and a term with :math:`\log w_i + t_i(k) < h(k_{\max}) +
    \log(\epsilon/P)` (:math:`\epsilon` the float64 rounding unit, P pairs) adds less than
    :math:`\epsilon\,e^{h}/P` there and at every larger k: the k are taken in increasing
    order and such a (draw, pair) is not evaluated again. The result is that of evaluating
    every term, to rounding; a pair whose problem is solvable (posterior p away from 0)
    leaves after :math:`k \approx 40/p`, so on a benchmark of mostly solved problems a
    curve to large k costs a fraction of draws x pairs x k evaluations of L.
    """
    k = np.atleast_1d(np.asarray(k, dtype=np.float64))
    order = np.argsort(k, kind="stable")
    ascending = k[order]
    c, f, log_w, log_negligible = _pair_terms_setup(n, c, weight)

    def terms_at(kk: float, sub: _Params, rows=None, cols=None) -> np.ndarray:
        """``log w_i + L(. + k) - L(.)`` at one k, on the grid or on (rows, cols) elements."""
        if rows is None:
            cc, ff, p = c[None, :], f[None, :], sub.expand(1)
        else:
            cc, ff, p = c[cols], f[cols], sub.take(rows).values
        later = family.log_moment(cc + kk, ff, p, NUMPY) if successes else \
            family.log_moment(cc, ff + kk, p, NUMPY)
        return np.asarray(later, dtype=np.float64)

    allp = _params(params)
    # at least one chunk of draws per core: the chunks run on threads (unless the family's
    # kernel runs on its own)
    cores = 1 if family.parallel_kernel else available_cores()
    per_draw = max(1, min(_CHUNK_ELEMENTS // len(c), -(-allp.n_draws // cores)))
    out = np.empty((allp.n_draws, len(k)))

    def fill(start: int) -> None:
        chunk = allp.take(slice(start, start + per_draw))
        base = log_w[None, :] - terms_at(0.0, chunk)
        last = base + terms_at(ascending[-1], chunk)
        floor = _logsumexp(last, axis=1)
        rows_out = out[start : start + per_draw]
        rows_out[:, order[-1]] = floor
        live = np.ones(last.shape, dtype=bool)
        bound = (floor + log_negligible)[:, None]
        for j in range(len(ascending) - 1):
            rows, cols = np.nonzero(live)
            terms = np.full(last.shape, -np.inf)
            terms[rows, cols] = base[rows, cols] + terms_at(ascending[j], chunk, rows, cols)
            rows_out[:, order[j]] = _logsumexp(terms, axis=1)
            live &= ~(terms < bound)  # a NaN stays live, so it shows in every later column

    run_in_threads(fill, range(0, allp.n_draws, per_draw), cores)
    return out


def measured_neg_log_pass(
    family: Family,
    params: Mapping[str, np.ndarray],
    n_total: int,
    n: np.ndarray,
    c: np.ndarray,
    weight: np.ndarray,
    *,
    n_problems: int | None = None,
    rng: np.random.Generator,
) -> np.ndarray:
    r"""Posterior predictive draws of the *measured* :math:`-\log \text{pass}_D@K`, shape (S,).

    Once every problem has :math:`K` = ``n_total`` attempts, the unbiased estimator of
    pass@K of a problem is the indicator that it was solved at least once, so the measured
    value is :math:`-\log(\frac1M\sum_i X_i)` with, given :math:`\theta`, independent

    - :math:`X_i = 1` for a seen problem with :math:`c_i > 0`;
    - :math:`X_i \sim \text{Bernoulli}(1 - e^{L(0, K) - L(0, n_i)})` for a seen
      problem with :math:`c_i = 0` (no success in its :math:`K - n_i` further attempts);
    - :math:`X_i \sim \text{Bernoulli}(1 - e^{L(0, K)})` for each of the
      ``n_problems`` :math:`- \sum w` problems not seen yet (drawn from the population).

    One draw of the :math:`X` per posterior draw (problems sharing a pair are summed as one
    binomial), so the draws mix parameter uncertainty with the noise of the attempts to come.

    Parameters
    ----------
    family, params
        The population family and natural-parameter draws.
    n_total : int
        :math:`K`, attempts per problem once the benchmark is complete (at least every
        :math:`n_i`).
    n, c, weight
        The compressed pairs of the data seen so far.
    n_problems : int, optional
        Problems in the complete benchmark (default: those seen).
    rng : numpy.random.Generator
        Source of the predictive noise.
    """
    n = np.asarray(n, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.int64)
    seen = int(weight.sum())
    n_problems = seen if n_problems is None else whole_number(n_problems, "n_problems", 1)
    if n_problems < seen:
        raise ValueError(f"n_problems = {n_problems} is below the {seen} problems already seen")
    if n_total < n.max():
        raise ValueError(f"n_total = {n_total} is below the largest n in the data ({n.max():g})")
    allp = _params(params)
    solved = np.full(allp.n_draws, int(weight[c > 0].sum()), dtype=np.int64)
    unsolved = c == 0
    if unsolved.any():
        p = allp.expand(1)
        n0 = n[unsolved][None, :]
        log_stay = (family.log_moment(0.0, np.full_like(n0, float(n_total)), p, NUMPY)
                    - family.log_moment(0.0, n0, p, NUMPY))
        prob = -np.expm1(np.minimum(np.asarray(log_stay, dtype=np.float64), 0.0))
        solved += rng.binomial(np.broadcast_to(weight[unsolved], prob.shape), prob).sum(axis=1)
    if n_problems > seen:
        log_stay = population_log_fail(family, params, [float(n_total)])[:, 0]
        solved += rng.binomial(n_problems - seen, -np.expm1(np.minimum(log_stay, 0.0)))
    with np.errstate(divide="ignore"):
        return -np.log(solved / n_problems)


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(x), axis))``, shifted by the maximum (one pass fewer than SciPy's)."""
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(x - top), axis=axis)) + np.squeeze(top, axis=axis)


def neg_log_pass(log_fail: np.ndarray) -> np.ndarray:
    r""":math:`-\log \text{pass}_D@k` from :math:`\log(1 - \text{pass}_D@k)`, stably."""
    with np.errstate(divide="ignore"):
        return -np.log(-np.expm1(log_fail))


def loglog_ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Ordinary least squares of ``y`` on ``x`` along the last axis, skipping non-finite ``y``.

    Used with :math:`x = \log k`, :math:`y = \log(-\log \text{pass}_D@k)` by the effective
    exponent of a model curve and by the least-squares baseline on data, so both compute the
    same estimand the same way. Points where pass_D@k is 0 or 1 (infinite ``y``) are left out.

    Returns
    -------
    slope, intercept : numpy.ndarray
        Shaped like ``y`` without its last axis; NaN where fewer than two points are finite.
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.broadcast_to(np.asarray(x, dtype=np.float64), y.shape)
    mask = np.isfinite(y)
    count = mask.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_mean = np.where(mask, x, 0.0).sum(axis=-1) / count
        y_mean = np.where(mask, y, 0.0).sum(axis=-1) / count
        xc = np.where(mask, x - x_mean[..., None], 0.0)
        yc = np.where(mask, y - y_mean[..., None], 0.0)
        slope = (xc * yc).sum(axis=-1) / (xc**2).sum(axis=-1)
    enough = count >= 2
    return np.where(enough, slope, np.nan), np.where(enough, y_mean - slope * x_mean, np.nan)


#: The largest k of a window: its reference grid is int64.
MAX_WINDOW_K = 10**18


def checked_window(window: Any) -> tuple[int, int]:
    """``(k1, k2)`` as ints: whole numbers with ``1 <= k1 < k2 <= 1e18``; else ValueError.

    (1.5 was truncated to 1 without a word, and k2 beyond int64 failed deep in NumPy.)
    """
    try:
        k1, k2 = window
    except (TypeError, ValueError):
        raise ValueError(f"window must be two numbers of attempts (k1, k2), got {window!r}") \
            from None
    try:
        k1, k2 = whole_number(k1, "k1"), whole_number(k2, "k2")
    except ValueError:
        raise ValueError(f"window must hold whole numbers of attempts, got {window!r}") from None
    if not 1 <= k1 < k2 <= MAX_WINDOW_K:
        raise ValueError(f"window must satisfy 1 <= k1 < k2 <= 1e18, got {window!r}")
    return k1, k2


def effective_exponent(
    family: Family,
    params: Mapping[str, np.ndarray],
    window: tuple[int, int],
    *,
    curve: Curve = "population",
    data: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    grid: np.ndarray | None = None,
) -> np.ndarray:
    r"""Effective exponent over ``window`` per draw, shape (S,).

    The model-implied curve is evaluated on the reference grid
    ``unique(int(logspace(log10 k1, log10 k2, 100)))`` and :math:`\log(-\log \text{pass}_D@k)`
    is regressed on :math:`\log k` by ordinary least squares, exactly as the least-squares
    baseline does on data; the exponent is minus the slope.

    Parameters
    ----------
    family, params
        The population family and natural-parameter draws.
    window : (int, int)
        ``(k1, k2)`` with ``1 <= k1 < k2``.
    curve : {"population", "forecast"}
        Which model-implied curve to regress.
    data : (n, c, weight), optional
        The compressed pairs, required for ``curve="forecast"``.
    grid : array of int, optional
        The k values to regress on (default: the 100-point reference grid over the window).
    """
    k1, k2 = checked_window(window)
    grid = reference_k_grid(k2, k_min=k1) if grid is None else np.asarray(grid)
    if curve == "population":
        log_fail = population_log_fail(family, params, grid)
    elif curve == "forecast":
        if data is None:
            raise ValueError("curve='forecast' needs data=(n, c, weight)")
        log_fail = forecast_log_fail(family, params, grid, *data)
    else:
        raise ValueError(f"curve must be 'population' or 'forecast', got {curve!r}")
    slope, _ = loglog_ols(np.log(grid.astype(np.float64)), np.log(neg_log_pass(log_fail)))
    return -slope


def attempts_for_target(
    family: Family,
    params: Mapping[str, np.ndarray],
    target: float,
    *,
    curve: Curve = "forecast",
    data: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    k_max: float = 1e15,
) -> np.ndarray:
    r"""Smallest integer k with pass_D@k >= ``target``, per draw, shape (S,).

    pass_D@k increases in k, and :math:`g(k) = \log(1 - \text{pass}_D@k) - \log(1-\text{target})`
    is close to linear in :math:`\log k` (a power-law tail), so the root is found in
    :math:`\log k`, for all draws at once: the bracket ``[1, 1]`` grows a hundredfold until
    :math:`g \le 0`, then shrinks by regula falsi in :math:`\log k` (Illinois variant; a
    bisection step whenever a step shrank the bracket by less than half) on integer k until
    ``hi - lo = 1``. Each step evaluates only the draws still bracketing (about 8 steps
    instead of the ~25 of bisection on k). ``inf`` where the curve does not reach the target
    by ``k_max`` (e.g. a plateau below the target). On the forecast curve, pairs whose terms
    no longer count are not evaluated (:class:`_ForecastExcess`).
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must be in (0, 1), got {target}")
    if curve not in ("population", "forecast"):
        raise ValueError(f"curve must be 'population' or 'forecast', got {curve!r}")
    if curve == "forecast" and data is None:
        raise ValueError("curve='forecast' needs data=(n, c, weight)")
    log_target_fail = np.log1p(-target)
    allp = _params(params)
    if curve == "forecast":
        excess = _ForecastExcess(family, allp, log_target_fail, *data)
    else:
        def excess(k: np.ndarray, rows: np.ndarray) -> np.ndarray:
            """g(k) for the draws ``rows``, each at its own k."""
            log_fail = family.log_moment(0.0, k, allp.take(rows).expand(0), NUMPY)
            return np.asarray(log_fail, dtype=np.float64) - log_target_fail

    draws = allp.n_draws
    lo = np.zeros(draws)  # pass_D@0 = 0 < target: g(0) > 0
    hi = np.ones(draws)
    g_hi = excess(hi, np.arange(draws))
    g_lo = np.full(draws, -log_target_fail)
    reached = g_hi <= 0.0
    growing = ~reached
    while growing.any():
        rows = np.nonzero(growing)[0]
        lo[rows], g_lo[rows] = hi[rows], g_hi[rows]
        hi[rows] = np.minimum(hi[rows] * 100.0, k_max)
        g_hi[rows] = excess(hi[rows], rows)
        reached[rows] = g_hi[rows] <= 0.0
        growing = ~reached & (hi < k_max)
    # regula falsi in log k on [lo, hi] (lo >= 1 wherever hi > 1), with Illinois weights
    active = reached & (hi - lo > 1.0)
    w_lo = g_lo.copy()
    w_hi = g_hi.copy()
    side = np.zeros(draws, dtype=np.int8)  # which end moved last: -1 lo, +1 hi
    width = hi - lo
    while active.any():
        rows = np.nonzero(active)[0]
        k_lo, k_hi = lo[rows], hi[rows]
        ul, uh = np.log(k_lo), np.log(k_hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = ul + (uh - ul) * w_lo[rows] / (w_lo[rows] - w_hi[rows])
        k = np.floor(np.exp(np.where(np.isfinite(u), u, 0.5 * (ul + uh))))
        # bisect (in log k while the bracket is wide) when the last step shrank it too little
        slow = (k_hi - k_lo) > 0.5 * width[rows]
        mid = np.floor(np.where(k_hi > 4.0 * k_lo, np.sqrt(k_lo * k_hi), 0.5 * (k_lo + k_hi)))
        k = np.where(slow & (side[rows] != 0), mid, k)
        k = np.clip(k, k_lo + 1.0, k_hi - 1.0)
        width[rows] = k_hi - k_lo
        g = excess(k, rows)
        ok = g <= 0.0
        # Illinois: an end kept twice in a row has its weight halved
        keep_lo = ok & (side[rows] == 1)
        keep_hi = ~ok & (side[rows] == -1)
        w_lo[rows] = np.where(ok, np.where(keep_lo, 0.5 * w_lo[rows], w_lo[rows]), g)
        w_hi[rows] = np.where(ok, g, np.where(keep_hi, 0.5 * w_hi[rows], w_hi[rows]))
        hi[rows] = np.where(ok, k, k_hi)
        lo[rows] = np.where(ok, k_lo, k)
        side[rows] = np.where(ok, 1, -1)
        active[rows] = hi[rows] - lo[rows] > 1.0
    return np.where(reached, hi, np.inf)


class _ForecastExcess:
    r""":math:`g(k) = \log(1 - \text{pass}_D@k) - \log(1 - \text{target})` on the forecast curve.

    Called with the draws ``rows``, each at its own k. The bracketing of
    :func:`attempts_for_target` moves a draw's lower end to k where :math:`g(k) > 0` and its
    upper end where :math:`g(k) \le 0`, and evaluates only inside the bracket; so this object
    keeps, per draw, every pair's term :math:`\log w_i + t_i` at the lower end and the curve
    :math:`h` at the upper end. Terms fall with k and :math:`h \ge h(\text{upper end})` inside
    the bracket, so a term below :math:`h(\text{upper end}) + \log(\epsilon/P)` at the lower
    end stays below the rounding unit of :math:`h` until the root is found, and is not evaluated
    again (as in :func:`_forecast_log_moment`).
    """

    def __init__(self, family: Family, allp: _Params, log_target_fail: float,
                 n: np.ndarray, c: np.ndarray, weight: np.ndarray) -> None:
        self.family, self.allp, self.log_target_fail = family, allp, log_target_fail
        self.c, self.f, log_w, self.log_negligible = _pair_terms_setup(n, c, weight)
        now = family.log_moment(self.c[None, :], self.f[None, :], allp.expand(1), NUMPY)
        self.base = log_w[None, :] - np.asarray(now, dtype=np.float64)
        self.terms_low = np.broadcast_to(log_w, self.base.shape).copy()  # at k = 0
        self.floor = np.full(allp.n_draws, -np.inf)  # h at the upper end: none found yet

    def __call__(self, k: np.ndarray, rows: np.ndarray) -> np.ndarray:
        bound = (self.floor[rows] + self.log_negligible)[:, None]
        r, j = np.nonzero(~(self.terms_low[rows] < bound))
        later = self.family.log_moment(self.c[j], self.f[j] + k[r],
                                       self.allp.take(rows[r]).values, NUMPY)
        terms = np.full((len(rows), len(self.c)), -np.inf)
        terms[r, j] = self.base[rows[r], j] + np.asarray(later, dtype=np.float64)
        g = _logsumexp(terms, axis=1) - self.log_target_fail
        short = g > 0.0
        self.terms_low[rows[short]] = terms[short]
        past = g <= 0.0
        self.floor[rows[past]] = g[past] + self.log_target_fail
        return g
