r"""Exact pass@k: the unbiased estimator and the empirical aggregate curve.

Per problem with ``n`` attempts and ``c`` successes, the unbiased estimator of
:math:`1 - (1-p)^k` (Chen et al. 2021, arXiv 2107.03374) is

.. math:: \widehat{\text{pass@}k} = 1 - \binom{n-c}{k} \Big/ \binom{n}{k}, \qquad k \le n.

It is undefined for :math:`k > n` (we return NaN, never 1.0). The aggregate over a benchmark is
:math:`\text{pass}_D@k = \frac1M \sum_i \widehat{\text{pass@}k}_i`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import gammaln

from monkeypower.arguments import whole_numbers
from monkeypower.data.outcomes import Outcomes

__all__ = ["pass_at_k", "log_fail_at_k", "reference_k_grid", "empirical_curve"]

# Below this many factors the product form is summed term by term (exact to rounding).
_PRODUCT_TERMS = 32
# Stirling's series with 5 terms is accurate to < 1e-17 absolute for arguments >= this.
_STIRLING_MIN = 16.0


def _stirling_remainder(x: np.ndarray) -> np.ndarray:
    """r(x) = log Γ(x) - [(x - 1/2) log x - x + log(2π)/2], asymptotic series, x >= 16."""
    inv = 1.0 / x
    inv2 = inv * inv
    return inv * (
        1.0 / 12 + inv2 * (-1.0 / 360 + inv2 * (1.0 / 1260 + inv2 * (-1.0 / 1680 + inv2 / 1188)))
    )


def _log_fail_product(n: np.ndarray, c: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Σ_{j<m} log1p(-a/(n-j)) with (m, a) = sorted (min, max) of (c, k); m <= _PRODUCT_TERMS."""
    m = np.minimum(c, k)
    a = np.maximum(c, k).astype(np.float64)
    n = n.astype(np.float64)
    total = np.zeros(m.shape)
    for j in range(int(m.max(initial=0))):
        active = j < m
        total += np.where(active, np.log1p(-a / np.where(active, n - j, a + 1.0)), 0.0)
    return total


def _log_fail_stirling(n: np.ndarray, c: np.ndarray, k: np.ndarray) -> np.ndarray:
    r"""Log C(n-c,k)/C(n,k) without cancellation, for x1 = n-c-k+1 >= 16.

    With :math:`x_1 = n-c-k+1` and :math:`x_2 = x_1 + k`, writing
    :math:`\log\Gamma(x) = (x-\tfrac12)\log x - x + \tfrac12\log 2\pi + r(x)` gives

    .. math::
        \log q = (x_1-\tfrac12)\,\mathrm{log1p}\!\Big(\frac{ck}{x_1(x_2+c)}\Big)
                 - k\,\mathrm{log1p}(c/x_2) + c\,\mathrm{log1p}\!\Big(\frac{-k}{x_2+c}\Big)
                 + r(x_1+c) - r(x_1) - r(x_2+c) + r(x_2),

    each term of the size of the result, so no digits are lost to cancellation.
    """
    n, c, k = (np.asarray(v, dtype=np.float64) for v in (n, c, k))
    x1 = n - c - k + 1.0
    x2 = x1 + k
    return (
        (x1 - 0.5) * np.log1p(c * k / (x1 * (x2 + c)))
        - k * np.log1p(c / x2)
        + c * np.log1p(-k / (x2 + c))
        + (_stirling_remainder(x1 + c) - _stirling_remainder(x1))
        - (_stirling_remainder(x2 + c) - _stirling_remainder(x2))
    )


def log_fail_at_k(n: Any, c: Any, k: Any) -> np.ndarray:
    r"""Log of the unbiased estimate of :math:`(1-p)^k`: :math:`\log[\binom{n-c}{k}/\binom{n}{k}]`.

    Broadcasts over ``n``, ``c`` and ``k``. ``-inf`` where ``n - c < k <= n`` (every k-subset
    holds a success); NaN where ``k > n`` (undefined) or for invalid counts.

    Parameters
    ----------
    n, c, k : array_like of int
        Attempts, successes and the number of attempts in the pass@k event.

    Returns
    -------
    numpy.ndarray of float64

    Raises
    ------
    ValueError
        If ``n``, ``c`` or ``k`` is not integer-valued (e.g. ``k = 3.5``, NaN); the message names
        the argument.
    """
    n, c, k = np.broadcast_arrays(
        whole_numbers(n, "n"), whole_numbers(c, "c"), whole_numbers(k, "k")
    )
    n = np.asarray(n, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    out = np.full(n.shape, np.nan)
    valid = (n >= 1) & (c >= 0) & (c <= n) & (k >= 0) & (k <= n)
    certain = valid & (k > n - c)
    out[certain] = -np.inf
    zero = valid & ~certain & ((c == 0) | (k == 0))
    out[zero] = 0.0
    todo = valid & ~certain & ~zero
    short = todo & (np.minimum(c, k) <= _PRODUCT_TERMS)
    out[short] = _log_fail_product(n[short], c[short], k[short])
    rest = todo & ~short
    far = rest & (n - c - k + 1 >= _STIRLING_MIN)
    out[far] = _log_fail_stirling(n[far], c[far], k[far])
    near = rest & ~far
    nn, cc, kk = (v[near].astype(np.float64) for v in (n, c, k))
    out[near] = gammaln(nn - cc + 1) - gammaln(nn - cc - kk + 1) - gammaln(nn + 1) + gammaln(
        nn - kk + 1
    )
    return out


def pass_at_k(n: Any, c: Any, k: Any) -> np.ndarray | float:
    r"""Unbiased pass@k estimate per problem: :math:`1 - \binom{n-c}{k}/\binom{n}{k}`.

    Computed in log space without cancellation (a product form when ``min(c, k) <= 32``, a
    cancellation-free Stirling form otherwise), exact to ~1e-13 relative for ``n`` up to 1e7.
    Broadcasts (NumPy rules) over ``n``, ``c`` and ``k``.

    Parameters
    ----------
    n : array_like of int
        Attempts per problem (``n >= 1``).
    c : array_like of int
        Successes per problem (``0 <= c <= n``).
    k : array_like of int
        Attempts in the pass@k event.

    Returns
    -------
    numpy.ndarray or float
        In [0, 1]; **NaN where k > n** — the estimator is undefined there, and returning 1.0 (as
        widely used code does when c = 0) would be wrong. NaN also for invalid counts.

    Raises
    ------
    ValueError
        If ``n``, ``c`` or ``k`` is not integer-valued (``pass_at_k(10, 2, 3.5)`` is refused, not
        read as ``k = 3``); the message names the argument.

    References
    ----------
    Chen et al., "Evaluating Large Language Models Trained on Code", arXiv 2107.03374.

    Examples
    --------
    >>> import monkeypower as mp
    >>> round(float(mp.pass_at_k(10, 2, 3)), 12)  # 1 - C(8,3)/C(10,3) = 8/15
    0.533333333333
    >>> mp.pass_at_k(10, 0, [5, 11])
    array([ 0., nan])
    """
    result = 0.0 - np.expm1(log_fail_at_k(n, c, k))
    return result if result.ndim else float(result)


def reference_k_grid(n_max: int, num: int = 100, k_min: int = 1) -> np.ndarray:
    """The reference protocol's k grid: ``unique(int(logspace(log10 k_min, log10 n_max, num)))``.

    Parameters
    ----------
    n_max : int
        Right end of the grid (the largest n usable for every problem).
    num : int, default 100
        Points before de-duplication.
    k_min : int, default 1
        Left end.

    Returns
    -------
    numpy.ndarray of int64
    """
    if n_max < k_min:
        raise ValueError(f"n_max ({n_max}) must be at least k_min ({k_min})")
    grid = np.logspace(np.log10(k_min), np.log10(n_max), num).astype(np.int64)
    return np.unique(np.clip(grid, k_min, n_max))


def empirical_curve(outcomes: Outcomes, k: Any = None) -> pd.DataFrame:
    r"""The empirical aggregate curve :math:`\text{pass}_D@k` and :math:`-\log \text{pass}_D@k`.

    Parameters
    ----------
    outcomes : Outcomes
        Data from a **fixed** design (the unbiased estimator is biased for sequential designs).
    k : array_like of int, optional
        Values of k. Default: :func:`reference_k_grid` up to the smallest ``n`` in the data.
        A k above some problem's ``n`` gives NaN (the estimator is undefined there).

    Returns
    -------
    pandas.DataFrame
        Columns ``k``, ``pass_at_k`` (the mean over problems of the unbiased estimate) and
        ``neg_log_pass_at_k``.

    Raises
    ------
    DesignError
        For a sequential design.
    """
    outcomes.require_fixed_design("the empirical pass@k curve (unbiased estimator)")
    k_values = reference_k_grid(int(outcomes.n.min())) if k is None else np.atleast_1d(k)
    k_values = np.asarray(k_values, dtype=np.int64)
    per_problem = pass_at_k(outcomes.n[:, None], outcomes.c[:, None], k_values[None, :])
    aggregate = per_problem.mean(axis=0)
    with np.errstate(divide="ignore"):
        neg_log = -np.log(aggregate)
    return pd.DataFrame({"k": k_values, "pass_at_k": aggregate, "neg_log_pass_at_k": neg_log})
