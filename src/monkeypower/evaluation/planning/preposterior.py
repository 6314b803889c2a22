r"""Expected shrinkage of a target's posterior variance from more attempts at one problem.

Preposterior analysis (Lindley 1956; Chaloner & Verdinelli 1995): before making :math:`m` more
attempts at problem :math:`i` (counts :math:`c, f`), their number of successes :math:`x` is
unknown; its predictive given :math:`\theta` is

.. math:: a_s(x) = P(x \mid \theta_s, c, f) = \binom{m}{x}\,
          e^{L(c + x,\, f + m - x;\, \theta_s) - L(c, f;\, \theta_s)},

from the family's primitive :math:`L` alone. Observing :math:`x` reweights the current
posterior draws :math:`\theta_s` by :math:`a_s(x)` (the marginal likelihood ratio of the new
attempts, with :math:`p_i` integrated out), so the posterior mean of a target :math:`Q` becomes
:math:`\sum_s a_s(x) T_s(x) / \sum_s a_s(x)`, where :math:`T_s(x) = E[Q \mid \theta_s, D, x]`
(for the forecast the problem's own term changes with :math:`x`; the exponents do not depend on
the data). By the law of total variance the expected posterior variance after the attempts is
the current one minus the variance of that posterior mean over the predictive of :math:`x`:

.. math:: R_i(m) = \operatorname{Var}(Q\mid D) - E_x\big[\operatorname{Var}(Q\mid D, x)\big]
          = \sum_{x=0}^{m} \frac{\big(\frac1S\sum_s a_s(x)\,(T_s(x) - \bar T)\big)^2}
          {\frac1S\sum_s a_s(x)}.

The numerator's square is biased upward by the Monte Carlo variance of the mean over :math:`S`
draws, and its estimate is subtracted, so a problem that says nothing about the target scores
about 0, not noise. Since the deviations :math:`T_s - \bar T` sum to 0 over the draws, the
numerator's exponent part is the sample covariance :math:`\frac1S\sum_s (a_s(x) - \bar a(x))
(T_s - \bar T)`, and its noise is the sample variance of that centred product over :math:`S`
(plus the forecast's own term :math:`a_s(x)\,(g_s - g_s(x))/M`, not centred). The uncentred
product's variance holds :math:`\bar a(x)^2 \operatorname{Var}(T)` besides: for a few attempts,
where :math:`a_s(x)` hardly varies with :math:`\theta`, subtracting it removed about 20 times the
signal at 200 draws, so the reduction read 0 there and the greedy split put whole
rounds on a few problems in large batches (:mod:`.allocation`).

The sum over :math:`x` is exact where the predictive's range (mean ± 6 sd, from the
exact moments :math:`E[p\mid D]`, :math:`E[p^2\mid D]`) holds few values; elsewhere its first
:data:`EXACT_OUTCOMES` values are summed exactly and the rest by the midpoint rule on
:data:`BINNED_OUTCOMES` bins (the summand is smooth in :math:`x` there). Everything is one NumPy
expression over draws × problems × outcomes, per candidate :math:`m` and chunk of problems; the
chunks run on threads (NumPy and the families' numba kernels release the GIL).

References
----------
D. V. Lindley, "On a Measure of the Information Provided by an Experiment", Annals of
Mathematical Statistics 27 (1956) 986–1005.

K. Chaloner, I. Verdinelli, "Bayesian Experimental Design: A Review", Statistical Science 10
(1995) 273–304.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from monkeypower.evaluation.planning.targets import TargetDraws, log_fail_ratio
from monkeypower.families import NUMPY, Family
from monkeypower.threads import run_in_threads

__all__ = ["EXACT_OUTCOMES", "BINNED_OUTCOMES", "variance_reduction", "outcome_grid"]

#: Outcomes summed one by one from the lower end of the predictive's range.
EXACT_OUTCOMES = 8
#: Midpoint-rule bins for the rest of the range.
BINNED_OUTCOMES = 16
#: Width of the predictive's range in standard deviations either side of its mean.
RANGE_SD = 6.0

# draws × pairs × outcomes handled at once (memory ~ 8 bytes × 6 arrays × this)
_CHUNK_ELEMENTS = 2_000_000
# chunks computed at once (memory ~ this × the chunk's)
_MAX_THREADS = 4


def outcome_grid(
    mean: np.ndarray, sd: np.ndarray, m: int,
    exact: int = EXACT_OUTCOMES, bins: int = BINNED_OUTCOMES,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome values ``x`` and their quadrature weights per problem, shape (P, exact + bins).

    The range ``[lo, hi]`` = mean ± :data:`RANGE_SD` sd clipped to ``[0, m]``; if it holds at most
    ``exact + bins`` integers they are all used (weight 1, unused slots weight 0); else the
    first ``exact`` integers from ``lo`` (weight 1) and ``bins`` equal bins over the rest
    (midpoints, weight = bin width).
    """
    width = exact + bins
    lo = np.clip(np.floor(mean - RANGE_SD * sd), 0, m)
    hi = np.clip(np.ceil(mean + RANGE_SD * sd), 0, m)
    hi = np.maximum(hi, lo)
    count = hi - lo + 1
    slots = np.arange(width, dtype=np.float64)[None, :]
    small = count[:, None] <= width
    x_small = lo[:, None] + slots
    w_small = (slots < count[:, None]).astype(np.float64)
    start = lo + exact - 0.5  # the binned part covers [lo + exact - 0.5, hi + 0.5]
    bin_width = (hi + 0.5 - start) / bins
    binned = slots - exact + 0.5
    x_large = np.where(slots < exact, lo[:, None] + slots,
                       start[:, None] + binned * bin_width[:, None])
    w_large = np.where(slots < exact, 1.0, bin_width[:, None])
    x = np.where(small, np.minimum(x_small, m), x_large)
    w = np.where(small, w_small, w_large)
    return x, w


def _log_binomial(m: float, x: np.ndarray) -> np.ndarray:
    return gammaln(m + 1.0) - gammaln(x + 1.0) - gammaln(m - x + 1.0)


def variance_reduction(
    family: Family,
    flat: dict[str, np.ndarray],
    target: TargetDraws,
    c: np.ndarray,
    f: np.ndarray,
    m_grid: np.ndarray,
) -> np.ndarray:
    r"""Expected reduction :math:`R_j(m)` of the target's posterior variance, per pair and m.

    Parameters
    ----------
    family : Family
        The population family (only its primitive ``log_moment`` is used).
    flat : dict of str to ndarray, each (S,)
        Posterior draws of the natural parameters (thinned).
    target : TargetDraws
        The target's draws on the same draws (:func:`~.targets.target_draws`).
    c, f : ndarray, shape (P,)
        Successes and failures of each distinct problem (``(0, 0)``: not yet attempted).
    m_grid : ndarray of int, shape (G,)
        Candidate numbers of new attempts.

    Returns
    -------
    numpy.ndarray, shape (P, G)
        Expected reduction of the posterior variance from ``m_grid[g]`` new attempts at one
        problem with counts ``(c[j], f[j])``; non-negative.
    """
    c = np.asarray(c, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    m_grid = np.asarray(m_grid, dtype=np.int64)
    n_draws = len(target.values)
    deviation = (target.values - target.mean)[:, None, None]
    out = np.zeros((len(c), len(m_grid)))
    width = EXACT_OUTCOMES + BINNED_OUTCOMES
    per_chunk = max(1, _CHUNK_ELEMENTS // (n_draws * width))
    params = {k: np.asarray(v, dtype=np.float64)[:, None, None] for k, v in flat.items()}
    params_2d = {k: v[:, :, 0] for k, v in params.items()}
    horizon = float(target.target.horizon) if target.target.depends_on_data else None
    with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        now = np.asarray(family.log_moment(c[None, :], f[None, :], params_2d, NUMPY))
        p1 = np.mean(np.exp(np.asarray(family.log_moment(c[None, :] + 1, f[None, :], params_2d,
                                                          NUMPY)) - now), axis=0)
        p2 = np.mean(np.exp(np.asarray(family.log_moment(c[None, :] + 2, f[None, :], params_2d,
                                                          NUMPY)) - now), axis=0)
        g_now = (np.exp(log_fail_ratio(family, params_2d, c[None, :], f[None, :], horizon))
                 if horizon is not None else None)

    def chunk(job: tuple[int, int, slice, np.ndarray, np.ndarray]) -> None:
        gi, m, part, x_all, w_all = job
        x = x_all[part][None, :, :]
        cc, ff = c[part][None, :, None], f[part][None, :, None]
        log_new = np.asarray(family.log_moment(cc + x, ff + m - x, params, NUMPY))
        a = np.exp(_log_binomial(float(m), x) + log_new - now[:, part, None])
        mass = np.mean(a, axis=0)
        # the deviations sum to 0 over the draws, so mean(a * deviation) is the sample
        # covariance mean((a - mass) * deviation): its noise is that of the centred product
        weighted = (a - mass) * deviation
        if horizon is not None:
            log_g = np.asarray(family.log_moment(cc + x, ff + m - x + horizon, params,
                                                 NUMPY)) - log_new
            weighted = weighted + a * (g_now[:, part, None] - np.exp(log_g)) / target.n_total
        numerator = np.mean(weighted, axis=0)
        noise = np.var(weighted, axis=0, ddof=1) / n_draws
        term = np.where(mass > 0, (numerator**2 - noise) / mass, 0.0)
        out[part, gi] = np.sum(w_all[part] * np.nan_to_num(term), axis=1)

    with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        jobs = []
        for gi, m in enumerate(m_grid):
            mean = m * p1
            sd = np.sqrt(np.clip(m * (p1 - p2) + m * m * (p2 - p1 * p1), 0.0, None))
            x_all, w_all = outcome_grid(mean, sd, int(m))
            jobs += [(gi, int(m), slice(start, start + per_chunk), x_all, w_all)
                     for start in range(0, len(c), per_chunk)]
        run_in_threads(chunk, jobs, 1 if family.parallel_kernel else _MAX_THREADS)
    return np.clip(out, 0.0, None)
