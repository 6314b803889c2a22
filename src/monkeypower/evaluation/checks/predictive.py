r"""Posterior predictive check of the count histogram of a fit.

Replicated benchmarks are drawn from the fitted model, one per posterior draw :math:`\theta_s`,
and compared with the observed one through test statistics :math:`T` (Gelman, Meng & Stern
1996; Gabry et al. 2019):

* problems with :math:`c = 0` (never solved), which a population without enough mass near
  :math:`p = 0` (or a point mass at 0 it lacks) gets wrong;
* problems with :math:`c = n` (always solved);
* the standard deviation of :math:`c/n` across problems (over- or under-dispersion);
* the mean of :math:`c/n` (a sanity row: every reasonable fit matches it).

Two kinds of replicate:

``"new_problems"`` (default)
    :math:`p_i^{\rm rep} \sim g(\cdot;\theta_s)` afresh from the population, then the attempts
    under the data's design (:math:`c_i^{\rm rep} \sim \text{Binomial}(n_i, p_i^{\rm rep})`
    for a fixed design; batches until a success or the cap for a sequential one). This checks
    the *population* family, the model's claim that matters for pass@k extrapolation, and is
    not diluted by each problem's own data.
``"same_problems"``
    :math:`p_i^{\rm rep} \sim p_i \mid c_i, n_i, \theta_s` (the same problems, new attempts;
    fixed designs only). Each problem's data pull its replicate towards itself, so this check
    is conservative.

The posterior predictive p-values are :math:`P(T^{\rm rep} \ge T^{\rm obs})` and
:math:`P(T^{\rm rep} \le T^{\rm obs})` over the draws; values near 0 or 1 say the model does
not reproduce that feature of the data.

References
----------
A. Gelman, X.-L. Meng, H. Stern (1996), "Posterior predictive assessment of model fitness via
realized discrepancies", Statistica Sinica 6, 733–807.

J. Gabry, D. Simpson, A. Vehtari, M. Betancourt, A. Gelman (2019), "Visualization in Bayesian
workflow", JRSS A 182(2), 389–402.

C. Kleiber, A. Zeileis (2016), "Visualizing count data regressions using rootograms", The
American Statistician 70(3), 296–303.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from monkeypower import seeding
from monkeypower.data.simulate import simulate
from monkeypower.errors import DesignError
from monkeypower.estimands import conditional_p_draws
from monkeypower.evaluation.checks.figure import plot_rootogram
from monkeypower.fitting.fit import one_fit
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from monkeypower.fitting.fit import Fit

__all__ = ["PosteriorPredictiveCheck", "posterior_predictive", "TEST_STATISTICS"]

CheckKind = Literal["new_problems", "same_problems"]


def _zero(c: np.ndarray, n: np.ndarray) -> np.ndarray:
    return (c == 0).sum(axis=-1).astype(np.float64)


def _all(c: np.ndarray, n: np.ndarray) -> np.ndarray:
    return (c == n).sum(axis=-1).astype(np.float64)


def _sd_rate(c: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.std(c / n, axis=-1, ddof=1) if c.shape[-1] > 1 else np.zeros(c.shape[:-1])


def _mean_rate(c: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.mean(c / n, axis=-1)


TEST_STATISTICS = {
    "problems with c = 0": _zero,
    "problems with c = n": _all,
    "sd of c/n": _sd_rate,
    "mean of c/n": _mean_rate,
}
"""The test statistics T(c, n) of the check, by row name."""


@dataclass(frozen=True, repr=False)
class PosteriorPredictiveCheck(Result):
    """Replicated count data of a fit and the test statistics they imply.

    Attributes
    ----------
    kind : {"new_problems", "same_problems"}
        How replicates were drawn (module docstring).
    problem, n, c : numpy.ndarray, shape (M,)
        The observed data.
    n_rep, c_rep : numpy.ndarray, shape (chain, draw, M)
        Replicated attempts and successes (``n_rep`` equals ``n`` for a fixed design).
    name : str
        What the data are (fit and group), for the title.
    """

    kind: str
    problem: np.ndarray
    n: np.ndarray
    c: np.ndarray
    n_rep: np.ndarray
    c_rep: np.ndarray
    name: str = ""

    def __repr__(self) -> str:
        draws = self.c_rep.shape[0] * self.c_rep.shape[1]
        return (f"<PosteriorPredictiveCheck {self.kind} of {self.name or 'a fit'}: {draws:,} "
                f"replicates of {len(self.c):,} problems>")

    def statistic(self, name: str) -> tuple[float, np.ndarray]:
        """The observed value of a test statistic and its replicated draws (chain, draw)."""
        function = TEST_STATISTICS[name]
        return float(function(self.c, self.n)), function(self.c_rep, self.n_rep)

    def p_value(self, name: str) -> float:
        """Two-sided posterior predictive p-value, ``min(1, 2 min(P(T ≥ obs), P(T ≤ obs)))``."""
        observed, replicated = self.statistic(name)
        upper, lower = np.mean(replicated >= observed), np.mean(replicated <= observed)
        return float(min(1.0, 2.0 * min(upper, lower)))

    def summary(self, interval: IntervalConvention | float | None = None) -> pd.DataFrame:
        """One row per test statistic: observed, replicated median and interval, p-values.

        Columns: ``statistic``, ``observed``, ``replicated_median``, the interval bounds of the
        replicated values (named by the convention in force), ``p_ge`` = P(T_rep ≥ T_obs),
        ``p_le`` = P(T_rep ≤ T_obs) and ``ppp`` = min(1, 2 min(p_ge, p_le)).
        """
        convention = resolve_interval(interval)
        lo_name, hi_name = convention.column_names
        rows = []
        for name in TEST_STATISTICS:
            observed, replicated = self.statistic(name)
            flat = replicated.reshape(-1)
            lower, upper = convention.bounds(flat, axis=0)
            p_ge, p_le = float(np.mean(flat >= observed)), float(np.mean(flat <= observed))
            rows.append({"statistic": name, "observed": observed,
                         "replicated_median": float(np.median(flat)), lo_name: float(lower),
                         hi_name: float(upper), "p_ge": p_ge, "p_le": p_le,
                         "ppp": min(1.0, 2.0 * min(p_ge, p_le))})
        table = pd.DataFrame(rows)
        what = ("new problems drawn from the fitted population" if self.kind == "new_problems"
                else "the same problems, new attempts")
        table.attrs["title"] = ("Posterior predictive check" + (f" of {self.name}" if self.name
                                                                 else "") + f" ({what})")
        table.attrs["interval"] = convention.to_dict()
        draws = self.c_rep.shape[0] * self.c_rep.shape[1]
        table.attrs["notes"] = [
            f"{draws:,} replicated benchmarks of {len(self.c):,} problems, one per posterior draw",
            "p_ge = P(T_rep >= T_obs), p_le = P(T_rep <= T_obs), ppp = min(1, 2 min(p_ge, "
            "p_le)); a ppp near 0 says the model does not reproduce that statistic",
        ]
        return table

    def to_datatree(self) -> xr.DataTree:
        """ArviZ groups ``posterior_predictive`` and ``observed_data`` (variables ``c``, ``n``)."""
        dims = ("chain", "draw", "problem")
        coords = {"problem": self.problem}
        return xr.DataTree.from_dict({
            "posterior_predictive": xr.Dataset(
                {"c": (dims, self.c_rep), "n": (dims, self.n_rep)}, coords=coords),
            "observed_data": xr.Dataset(
                {"c": ("problem", self.c), "n": ("problem", self.n)}, coords=coords),
        })

    def plot(self, ax: Any = None, width: str | float = "single", *,
             max_bins: int = 40) -> Figure:
        """Rootogram of the counts with ArviZ (:func:`arviz_plots.plot_ppc_rootogram`).

        See :func:`monkeypower.evaluation.checks.plot_rootogram`.
        """
        return plot_rootogram(self, ax=ax, width=width, max_bins=max_bins)


def posterior_predictive(
    fit: Fit,
    *,
    kind: CheckKind = "new_problems",
    seed: int | None = None,
    max_draws: int | None = 250,
) -> PosteriorPredictiveCheck:
    """Replicate the benchmark from a fit's posterior and compare count statistics.

    Parameters
    ----------
    fit : Fit
        The fitted model.
    kind : {"new_problems", "same_problems"}, default "new_problems"
        Fresh problems from the population (checks the family), or new attempts at the same
        problems (fixed designs only). See the module docstring.
    seed : int, optional
        Default: derived from the fit's seed.
    max_draws : int, optional, default 250
        Posterior draws used per chain (thinned).

    Returns
    -------
    PosteriorPredictiveCheck

    Raises
    ------
    DesignError
        ``kind="same_problems"`` on a sequential or adaptive design.
    """
    if kind not in ("new_problems", "same_problems"):
        raise ValueError(f"kind must be 'new_problems' or 'same_problems', got {kind!r}")
    post = one_fit(fit, "posterior_predictive").posterior_draws()
    flat, shape = post.flat(max_draws)
    outcomes = fit.outcomes
    n, c, design = outcomes.n, outcomes.c, outcomes.design
    rng = seeding.rng(seeding.seed_or(seed, fit.seed, "predictive checks"), seeding.text_key(kind))
    draws = shape[0] * shape[1]
    if kind == "same_problems":
        if design.depends_on_outcomes:
            raise DesignError(
                f"kind='same_problems' replicates new attempts at fixed n, which a "
                f"{design.kind} design ({design}) does not make; use kind='new_problems'")
        p = conditional_p_draws(fit.family, flat, c, n - c, size=1, rng=rng).values[..., 0]
        n_rep, c_rep = np.broadcast_to(n, p.shape), rng.binomial(n, p)
    elif design.is_sequential:
        n_rep, c_rep = np.empty((draws, len(n)), np.int64), np.empty((draws, len(n)), np.int64)
        for s in range(draws):
            out = simulate(fit.family.name, {k: v[s] for k, v in flat.items()},
                           n_problems=len(n), n_attempts=0, seed=rng, design=design)
            n_rep[s], c_rep[s] = out.n, out.c
    else:
        theta = {k: v[:, None] for k, v in flat.items()}
        p = np.asarray(fit.family.sample_p(theta, (draws, len(n)), rng), dtype=np.float64)
        n_rep, c_rep = np.broadcast_to(n, p.shape), rng.binomial(n, p)
    return PosteriorPredictiveCheck(
        kind, outcomes.problem, n, c, np.ascontiguousarray(n_rep).reshape(*shape, len(n)),
        c_rep.reshape(*shape, len(n)),
        f"the {fit.spec.name} fit" + (f" of {outcomes.name}" if outcomes.name else ""),
    )
