r"""SBC rank statistics: thinned posterior draws, the rank of the truth, the uniformity test.

For one simulation with true value :math:`\theta^\star` of a scalar quantity and posterior
draws :math:`\theta_1, \dots, \theta_S`, SBC (Talts et al. 2018) keeps :math:`L` of the draws
and takes the rank

.. math:: r = \#\{l \le L : \theta_l < \theta^\star\} \in \{0, \dots, L\},

which is uniform on :math:`\{0, \dots, L\}` over simulations from the prior when the
inference is right, *provided the* :math:`L` *draws are independent*. MCMC draws are not, so
they are thinned: the :math:`L` draws are evenly spaced over the chains (:func:`thin_draws`;
thinning factor :math:`S/L`), and a simulation whose smallest bulk ESS is below :math:`L`
is flagged (``ess_ok``): its ranks are then not quite independent draws.

Uniformity of the ranks of :math:`N` simulations is tested with Pearson's :math:`\chi^2` on
:math:`B` equal bins of the :math:`L + 1` rank values (:func:`rank_bins`: :math:`B` divides
:math:`L + 1` and each bin expects at least 5 ranks): :math:`X^2 = \sum_b (N_b - N/B)^2 /
(N/B)` with :math:`B - 1` degrees of freedom (:func:`uniformity_test`).

References
----------
S. Talts, M. Betancourt, D. Simpson, A. Vehtari, A. Gelman (2018), "Validating Bayesian
Inference Algorithms with Simulation-Based Calibration", arXiv:1804.06788.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["DEFAULT_RANK_DRAWS", "MAX_BINS", "MIN_EXPECTED_PER_BIN", "rank_bins",
           "rank_of_truth", "thin_draws", "uniformity_test"]

DEFAULT_RANK_DRAWS = 99
"""Thinned draws :math:`L` per simulation: ranks take the :math:`L + 1 = 100` values 0..99."""

MIN_EXPECTED_PER_BIN = 5
"""The :math:`\\chi^2` test asks for at least this many expected ranks per bin."""

MAX_BINS = 20
"""At most this many bins, however many simulations (Talts et al. 2018 use 20)."""


def thin_draws(draws: np.ndarray, n_keep: int) -> np.ndarray:
    """``n_keep`` draws evenly spaced over the chains (chain-major), from ``(chain, draw)``.

    Raises
    ------
    ValueError
        If there are fewer draws than ``n_keep``.
    """
    flat = np.asarray(draws, dtype=np.float64).reshape(-1)
    if flat.size < n_keep:
        raise ValueError(f"{flat.size} posterior draws cannot be thinned to {n_keep}; "
                         "ask for more draws or fewer rank draws")
    index = np.round(np.linspace(0, flat.size - 1, n_keep)).astype(np.int64)
    return flat[index]


def rank_of_truth(thinned: np.ndarray, truth: float, generator: np.random.Generator) -> int:
    """The number of thinned draws below ``truth``; ties broken uniformly at random."""
    below = int((thinned < truth).sum())
    ties = int((thinned == truth).sum())
    return below + (int(generator.integers(0, ties + 1)) if ties else 0)


def rank_bins(n_rank_draws: int, n_sims: int) -> int:
    r"""The number of bins :math:`B` of the :math:`\chi^2` test.

    The largest divisor of :math:`L + 1` that is at most :data:`MAX_BINS` and at most
    :math:`N / 5` (:data:`MIN_EXPECTED_PER_BIN` expected ranks per bin), and at least 2.
    """
    values = n_rank_draws + 1
    limit = max(2, min(MAX_BINS, n_sims // MIN_EXPECTED_PER_BIN))
    divisors = [b for b in range(2, limit + 1) if values % b == 0]
    return max(divisors) if divisors else 2


def uniformity_test(ranks: np.ndarray, n_rank_draws: int, n_bins: int) -> tuple[float, float]:
    r"""Pearson's :math:`\chi^2` of ranks in ``n_bins`` equal bins of ``0..n_rank_draws``.

    Returns
    -------
    statistic, p_value : float
        :math:`X^2` and its p-value with ``n_bins - 1`` degrees of freedom
        (:func:`scipy.stats.chisquare`); NaN for no ranks.
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    if ranks.size == 0:
        return float("nan"), float("nan")
    width = (n_rank_draws + 1) / n_bins
    bins = np.minimum((ranks / width).astype(np.int64), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    result = stats.chisquare(counts)
    return float(result.statistic), float(result.pvalue)
