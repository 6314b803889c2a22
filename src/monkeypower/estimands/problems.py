r"""The posterior of each problem's success probability :math:`p_i`, hardest problems first.

For problem :math:`i` with :math:`c_i` successes and :math:`f_i = n_i - c_i` failures, the
population model gives :math:`p_i \mid \text{data}` by mixing the conditional
:math:`p_i \mid c_i, f_i, \theta` (:mod:`~monkeypower.estimands.conditional`) over the posterior
of :math:`\theta`. Its moments come exactly from the primitive,

.. math::

    E[p_i^m \mid \text{data}]
    = E_\theta\big[e^{L(c_i+m, f_i;\theta) - L(c_i, f_i;\theta)}\big],

so the mean and standard deviation reported are exact given the posterior draws; the median and
the interval come from draws of the conditional. Pooling through the population shrinks
:math:`c_i/n_i` towards the population: a problem never solved in :math:`n_i` attempts gets a
posterior that says how small :math:`p_i` is likely to be, not :math:`p_i = 0`.

Problems with the same :math:`(n, c)` share one posterior; it is computed once per pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from monkeypower import seeding
from monkeypower.errors import warn_caller
from monkeypower.estimands.conditional import conditional_p_draws
from monkeypower.estimands.registry import PosteriorDraws
from monkeypower.families import NUMPY
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result

__all__ = ["ProblemPosterior", "ConditionalSamplingWarning", "problem_posterior", "MIN_ESS"]

MIN_ESS = 20.0
"""Importance sampling: below this mean effective sample size per posterior draw, a problem's
median and interval are flagged (:class:`ConditionalSamplingWarning`)."""


class ConditionalSamplingWarning(UserWarning):
    """Draws of p_i | data by importance sampling have a low effective sample size."""


@dataclass(frozen=True, repr=False)
class ProblemPosterior(Result):
    r"""Posterior of every problem's success probability :math:`p_i` (see the module docstring).

    Attributes
    ----------
    problem, n, c : numpy.ndarray, shape (M,)
        Problem ids and counts.
    pair_of_problem : numpy.ndarray, shape (M,)
        Index of each problem's (n, c) pair.
    mean, sd : numpy.ndarray, shape (P,)
        Exact posterior mean and standard deviation per pair (from the primitive).
    draws : numpy.ndarray, shape (P, D)
        Draws of :math:`p \mid \text{data}` per pair (for medians and intervals).
    method : str
        ``"exact"`` or ``"importance"`` (:func:`~monkeypower.estimands.conditional_p_draws`).
    ess : numpy.ndarray, shape (P,), or None
        Importance sampling only: mean effective sample size per posterior draw.
    name : str
        What the data are (the group labels), for the title.
    """

    problem: np.ndarray
    n: np.ndarray
    c: np.ndarray
    pair_of_problem: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    draws: np.ndarray
    method: str
    ess: np.ndarray | None = None
    name: str = ""

    def __repr__(self) -> str:
        what = f" of {self.name}" if self.name else ""
        return (f"<ProblemPosterior{what}: {len(self.problem):,} problems, {self.method} draws "
                f"of p_i | data ({self.draws.shape[1]:,} per problem)>")

    def summary(self, interval: IntervalConvention | float | None = None) -> pd.DataFrame:
        """One row per problem, hardest first (lowest posterior mean of :math:`p_i`).

        Columns: problem, n, c, ``c/n``, the posterior mean, sd and median of :math:`p_i`, the
        interval bounds (named by the convention in force, or ``interval=``) and, for
        importance sampling, ``ess`` (mean effective sample size per posterior draw).
        """
        convention = resolve_interval(interval)
        lower, upper = convention.bounds(self.draws, axis=1)
        median = np.median(self.draws, axis=1)
        pair = self.pair_of_problem
        lo_name, hi_name = convention.column_names
        table = pd.DataFrame({
            "problem": self.problem, "n": self.n, "c": self.c, "c/n": self.c / self.n,
            "mean": self.mean[pair], "sd": self.sd[pair], "median": median[pair],
            lo_name: lower[pair], hi_name: upper[pair],
        })
        if self.ess is not None:
            table["ess"] = self.ess[pair]
        order = np.lexsort((table["c/n"].to_numpy(), table["median"].to_numpy(),
                            table["mean"].to_numpy()))
        table = table.iloc[order].reset_index(drop=True)
        how = ("conjugate (exact) draws of p_i | c_i, n_i, theta" if self.method == "exact"
               else "importance sampling from the population, weighted by p^c (1-p)^(n-c)")
        table.attrs["title"] = ("Posterior of each problem's success probability p_i, hardest "
                                "first" + (f" ({self.name})" if self.name else ""))
        table.attrs["interval"] = convention.to_dict()
        table.attrs["notes"] = [
            "mean and sd exact from the primitive: E[p^m | data] = E_theta exp(L(c+m, f) - "
            "L(c, f))",
            f"median and interval from {self.draws.shape[1]:,} draws per problem: {how}",
        ]
        return table

    def hardest(self, count: int = 10, interval: IntervalConvention | float | None = None
                ) -> pd.DataFrame:
        """The ``count`` hardest problems (the first rows of :meth:`summary`)."""
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ValueError(f"count must be a non-negative integer, got {count!r}")
        table = self.summary(interval)
        head = table.head(count)
        head.attrs = dict(table.attrs)
        return head


def problem_posterior(
    post: PosteriorDraws,
    problem: np.ndarray,
    pair_of_problem: np.ndarray,
    *,
    max_draws: int | None = 250,
    size: int = 4,
    proposals: int = 512,
    seed: int | None = None,
    name: str = "",
) -> ProblemPosterior:
    """The posterior of every problem's :math:`p_i` from a family's posterior draws.

    Parameters
    ----------
    post : PosteriorDraws
        Family, parameter draws and compressed pairs.
    problem, pair_of_problem : numpy.ndarray, shape (M,)
        Problem ids and each problem's pair index into ``post``'s pairs.
    max_draws : int, optional, default 250
        Thin posterior draws to at most this many per chain.
    size : int, default 4
        Draws of :math:`p` per posterior draw and pair.
    proposals : int, default 512
        Importance sampling only: population draws per posterior draw.
    seed : int, optional
        Default: derived from the fit's seed (:func:`monkeypower.seeding.rng`).
    name : str
        Shown in the title.

    Returns
    -------
    ProblemPosterior

    Warns
    -----
    ConditionalSamplingWarning
        Importance sampling with a mean effective sample size below :data:`MIN_ESS` for some
        problems (raise ``proposals``).
    """
    flat, _ = post.flat(max_draws)
    c = np.asarray(post.c, dtype=np.float64)
    f = np.asarray(post.n, dtype=np.float64) - c
    # every argument materialised at the full (draws, pairs) shape: the scaled Beta kernel
    # warns on arrays that np.broadcast_arrays had to broadcast
    shape = (len(next(iter(flat.values()))), len(c))
    p = {k: np.broadcast_to(v[:, None], shape).copy() for k, v in flat.items()}
    cc, ff = np.broadcast_to(c, shape).copy(), np.broadcast_to(f, shape).copy()
    now = np.asarray(post.family.log_moment(cc, ff, p, NUMPY), dtype=np.float64)
    first = np.exp(np.asarray(post.family.log_moment(cc + 1, ff, p, NUMPY)) - now).mean(axis=0)
    second = np.exp(np.asarray(post.family.log_moment(cc + 2, ff, p, NUMPY)) - now).mean(axis=0)
    rng = seeding.rng(seeding.seed_or(seed, post.seed, "draws of p"), seeding.text_key("p_i"))
    drawn = conditional_p_draws(post.family, flat, c, f, size=size, rng=rng,
                                proposals=proposals)
    draws = np.moveaxis(drawn.values, 1, 0).reshape(len(c), -1)
    if drawn.ess is not None and (drawn.ess < MIN_ESS).any():
        low = np.asarray(pair_of_problem)[np.isin(pair_of_problem,
                                                  np.flatnonzero(drawn.ess < MIN_ESS))]
        warn_caller(
            f"p_i | data by importance sampling: {len(low)} problems have a mean effective "
            f"sample size per posterior draw below {MIN_ESS:g} even with {8 * proposals} "
            f"proposals (lowest {np.min(drawn.ess):.1f}); their medians and intervals are "
            "unreliable (the means and sds are exact). Raise proposals=",
            ConditionalSamplingWarning)
    pair = np.asarray(pair_of_problem)
    return ProblemPosterior(
        np.asarray(problem), np.asarray(post.n)[pair], np.asarray(post.c)[pair], pair,
        first, np.sqrt(np.maximum(second - first**2, 0.0)), draws, drawn.method, drawn.ess,
        name,
    )
