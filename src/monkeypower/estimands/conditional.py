r"""Draws of one problem's success probability given its counts: :math:`p \mid c, f, \theta`.

Given the population parameters :math:`\theta`, a problem with :math:`c` successes and
:math:`f` failures has the conditional density

.. math:: \pi(p \mid c, f, \theta) = \frac{p^c (1-p)^f\, g(p; \theta)}{e^{L(c, f; \theta)}},

with :math:`g` the population density and :math:`L` the family's primitive. Its moments are
ratios of the primitive, :math:`E[p^m (1-p)^j \mid c, f, \theta] = e^{L(c+m, f+j) - L(c, f)}`;
its quantiles need draws. Two ways, chosen by family:

``exact``
    Beta-based families have a conjugate conditional: Beta(α, β) gives
    Beta(α + c, β + f); the zero-inflated Beta gives a point mass at 0 with probability
    :math:`\pi_0 e^{-L(0, f)}` when :math:`c = 0` (else none) and Beta(α + c, β + f) otherwise;
    the two-component Beta mixture gives a mixture of the two conjugate Betas with weights
    :math:`w_j e^{L_j(c, f) - L(c, f)}`.
``importance``
    Every other family (scaled Beta, Kumaraswamy, logit-normal, zero-inflated scaled Beta):
    ``proposals`` draws from the family's own sampler (the population) per posterior draw,
    weighted by the likelihood :math:`p^c (1-p)^f` (the weights' normaliser is
    :math:`e^{L(c, f)}`, known from the primitive), then resampled. It needs no density, only
    the sampler; its accuracy is reported as the effective sample size per posterior draw
    (Kish's :math:`(\sum w)^2 / \sum w^2`, out of ``proposals``), which falls as the
    likelihood narrows (large :math:`n`) or lands where the population has little mass; pairs
    below :data:`RETRY_ESS` are drawn again with 8x the proposals. (A family density would
    allow quadrature instead; the family interface has only the primitive and the sampler.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from monkeypower.families import (
    NUMPY,
    BetaFamily,
    BetaMixtureFamily,
    Family,
    ZeroInflatedBetaFamily,
)

__all__ = ["ConditionalDraws", "conditional_p_draws", "conditional_method"]

#: Importance sampling: pairs whose mean effective sample size per posterior draw falls below this
#: are drawn again with 8x the proposals.
RETRY_ESS = 20.0

# pairs × proposals per draw handled at once in the importance sampler (memory ~ 8 × this × S)
_PAIR_CHUNK_ELEMENTS = 4_096


@dataclass(frozen=True)
class ConditionalDraws:
    r"""Draws of :math:`p \mid c, f, \theta` for each posterior draw and (c, f) pair.

    Attributes
    ----------
    values : numpy.ndarray, shape (S, P, size)
        ``size`` draws per posterior draw ``s`` and pair; pooled over ``s`` they are draws of
        the posterior of p given the data (θ integrated out).
    method : {"exact", "importance"}
        How they were drawn (see the module docstring).
    ess : numpy.ndarray, shape (P,), or None
        Importance sampling only: the mean over posterior draws of the effective sample size
        of the weighted proposals (``proposals`` of them, or 8x that for pairs redrawn because
        their effective sample size fell below :data:`RETRY_ESS`).
    proposals : int or None
        Importance sampling only: proposals per posterior draw.
    """

    values: np.ndarray
    method: str
    ess: np.ndarray | None = None
    proposals: int | None = None


def conditional_method(family: Family) -> str:
    """``"exact"`` for Beta-based families (conjugate conditionals), else ``"importance"``."""
    exact = (BetaFamily, ZeroInflatedBetaFamily, BetaMixtureFamily)
    return "exact" if isinstance(family, exact) else "importance"


def conditional_p_draws(
    family: Family,
    params: Mapping[str, np.ndarray],
    c: np.ndarray,
    f: np.ndarray,
    *,
    size: int,
    rng: np.random.Generator,
    proposals: int = 512,
) -> ConditionalDraws:
    r"""Draw :math:`p \mid c, f, \theta` for every posterior draw and every (c, f) pair.

    Parameters
    ----------
    family : Family
        The population family.
    params : mapping of str to ndarray, each (S,)
        Natural-parameter draws (flattened chains × draws).
    c, f : array_like, shape (P,)
        Successes and failures of each pair.
    size : int
        Draws per posterior draw and pair.
    rng : numpy.random.Generator
        Source of randomness.
    proposals : int, default 512
        Importance sampling only: population draws per posterior draw.

    Returns
    -------
    ConditionalDraws
    """
    theta = {k: np.asarray(params[k], dtype=np.float64).reshape(-1)[:, None, None]
             for k in family.params}
    c = np.asarray(c, dtype=np.float64)[None, :, None]
    f = np.asarray(f, dtype=np.float64)[None, :, None]
    n_draws = next(iter(theta.values())).shape[0]
    shape = (n_draws, c.shape[1], int(size))
    if isinstance(family, BetaFamily):
        return ConditionalDraws(rng.beta(theta["alpha"] + c, theta["beta"] + f, size=shape),
                                "exact")
    if isinstance(family, ZeroInflatedBetaFamily):
        return ConditionalDraws(_zero_inflated_beta(family, theta, c, f, shape, rng), "exact")
    if isinstance(family, BetaMixtureFamily):
        return ConditionalDraws(_beta_mixture(family, theta, c, f, shape, rng), "exact")
    values, ess = _importance(family, theta, c, f, shape, rng, int(proposals))
    retry = np.flatnonzero(ess < RETRY_ESS)
    if retry.size:  # once more with 8x the proposals, where the weights were too uneven
        more, more_ess = _importance(family, theta, c[:, retry], f[:, retry],
                                     (shape[0], retry.size, shape[2]), rng, 8 * int(proposals))
        better = more_ess > ess[retry]
        values[:, retry[better]] = more[:, better]
        ess[retry[better]] = more_ess[better]
    return ConditionalDraws(values, "importance", ess, int(proposals))


def _zero_inflated_beta(family: Family, theta: Mapping[str, np.ndarray], c: np.ndarray,
                        f: np.ndarray, shape: tuple[int, int, int],
                        rng: np.random.Generator) -> np.ndarray:
    """P = 0 with probability π0·e^{-L(0, f)} when c = 0, else the conjugate Beta."""
    pi0 = theta["pi0"]
    log_total = np.asarray(family.log_moment(c, f, theta, NUMPY), dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_zero = np.where(c > 0, -np.inf, np.log(pi0) - log_total)
    zero = rng.uniform(size=shape) < np.exp(np.minimum(log_zero, 0.0))
    beta = rng.beta(theta["alpha"] + c, theta["beta"] + f, size=shape)
    return np.where(zero, 0.0, beta)


def _beta_mixture(family: Family, theta: Mapping[str, np.ndarray], c: np.ndarray,
                  f: np.ndarray, shape: tuple[int, int, int],
                  rng: np.random.Generator) -> np.ndarray:
    """The conjugate Beta of a component chosen with its posterior weight."""
    beta = BetaFamily()
    tail = {"alpha": theta["alpha_tail"], "beta": theta["beta_tail"]}
    log_tail = (np.log(theta["tail_weight"]) + beta.log_moment(c, f, tail, NUMPY)
                - family.log_moment(c, f, theta, NUMPY))
    in_tail = rng.uniform(size=shape) < np.exp(np.minimum(log_tail, 0.0))
    p_tail = rng.beta(theta["alpha_tail"] + c, theta["beta_tail"] + f, size=shape)
    p_body = rng.beta(theta["alpha_body"] + c, theta["beta_body"] + f, size=shape)
    return np.where(in_tail, p_tail, p_body)


def _importance(family: Family, theta: Mapping[str, np.ndarray], c: np.ndarray,
                f: np.ndarray, shape: tuple[int, int, int], rng: np.random.Generator,
                proposals: int) -> tuple[np.ndarray, np.ndarray]:
    """Population proposals weighted by p^c (1-p)^f, resampled per (draw, pair)."""
    n_draws, n_pairs, size = shape
    values = np.empty(shape)
    ess = np.empty(n_pairs)
    chunk = max(1, _PAIR_CHUNK_ELEMENTS // proposals)
    for start in range(0, n_pairs, chunk):
        part = slice(start, start + chunk)
        cc, ff = c[:, part], f[:, part]
        p = np.asarray(family.sample_p(theta, (n_draws, 1, proposals), rng), dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_lik = (np.where(cc > 0, cc * np.log(p), 0.0)
                       + np.where(ff > 0, ff * np.log1p(-p), 0.0))
        top = log_lik.max(axis=2, keepdims=True)
        w = np.exp(log_lik - np.where(np.isfinite(top), top, 0.0))
        total = w.sum(axis=2, keepdims=True)
        dead = total[..., 0] == 0  # no proposal can produce these counts (e.g. p = 0, c > 0)
        w = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / proposals)
        ess[part] = np.mean(np.where(dead, 0.0, 1.0 / np.sum(w**2, axis=2)), axis=0)
        drawn = _resample(np.broadcast_to(p, w.shape), w, size, rng)
        values[:, part] = np.where(dead[..., None], np.nan, drawn)
    return values, ess


def _resample(p: np.ndarray, w: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` multinomial draws from each row's weighted points (last axis), vectorised."""
    rows = int(np.prod(w.shape[:-1]))
    cum = np.cumsum(w.reshape(rows, -1), axis=1)
    cum[:, -1] = 1.0  # exact end despite rounding
    offset = np.arange(rows, dtype=np.float64)[:, None]
    u = rng.uniform(size=(rows, size))
    index = np.searchsorted((cum + offset).ravel(), (u + offset).ravel(), side="right")
    index = np.minimum(index, rows * w.shape[-1] - 1)
    return p.reshape(rows, -1).ravel()[index].reshape(*w.shape[:-1], size)
