"""Fit health: divergences, R-hat, bulk and tail ESS, Pareto k, and what the data cannot support."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from monkeypower.data.outcomes import Outcomes
from monkeypower.errors import warn_caller

__all__ = ["SamplingWarning", "Diagnostics", "check_sampling", "RHAT_MAX", "ESS_MIN_PER_CHAIN",
           "DataSupportWarning", "MIN_SOLVED_PROBLEMS", "UNSUPPORTED_WITHOUT_SIGNAL",
           "data_support", "pareto_health"]

RHAT_MAX = 1.01
"""R-hat above this flags non-convergence (Vehtari et al. 2021, arXiv 1903.08008)."""
ESS_MIN_PER_CHAIN = 100
"""Bulk and tail ESS below 100 per chain flag unreliable intervals (Vehtari et al. 2021)."""


class SamplingWarning(UserWarning):
    """MCMC output that should not be trusted without a look (divergences, R-hat, ESS)."""


@dataclass(frozen=True)
class Diagnostics:
    """Sampler health of one fit.

    Attributes
    ----------
    n_divergent : int
        Divergent transitions after tuning.
    n_draws : int
        Total retained draws (chains × draws).
    max_rhat : float
        Largest rank-normalised split R-hat over the model's free variables.
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes.
    problems : list of str
        Human-readable problems; empty when all checks pass.
    """

    n_divergent: int
    n_draws: int
    n_chains: int
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "ok": self.ok, "n_divergent": self.n_divergent, "n_draws": self.n_draws,
            "n_chains": self.n_chains, "max_rhat": self.max_rhat,
            "min_ess_bulk": self.min_ess_bulk, "min_ess_tail": self.min_ess_tail,
            "problems": list(self.problems),
        }

    def __str__(self) -> str:
        head = (
            f"{self.n_chains} chains × {self.n_draws // max(self.n_chains, 1)} draws; "
            f"divergences {self.n_divergent}; max R-hat {self.max_rhat:.3f}; "
            f"min ESS bulk {self.min_ess_bulk:.0f}, tail {self.min_ess_tail:.0f}"
        )
        return head + ("" if self.ok else "\nPROBLEMS: " + "; ".join(self.problems))


def check_sampling(
    posterior: xr.Dataset, sample_stats: xr.Dataset | None, var_names: list[str],
    *, warn: bool = True, where: str = "",
) -> Diagnostics:
    """Compute the health checks on ``var_names``; warn (SamplingWarning) on problems."""
    import arviz_stats as azs

    subset = posterior[var_names]
    n_chains = int(subset.sizes["chain"])
    n_draws = n_chains * int(subset.sizes["draw"])
    rhat = azs.rhat(subset) if n_chains > 1 else None
    ess_bulk = azs.ess(subset, method="bulk")
    ess_tail = azs.ess(subset, method="tail")

    def extreme(ds: xr.Dataset | None, fn) -> float:
        if ds is None:
            return float("nan")
        values = np.concatenate([np.ravel(ds[v].values) for v in ds.data_vars])
        return float(fn(values)) if values.size else float("nan")

    max_rhat = extreme(rhat, np.nanmax)
    min_bulk = extreme(ess_bulk, np.nanmin)
    min_tail = extreme(ess_tail, np.nanmin)
    divergent = 0
    if sample_stats is not None and "diverging" in sample_stats:
        divergent = int(np.asarray(sample_stats["diverging"].values).sum())
    problems = []
    if divergent:
        problems.append(
            f"{divergent} divergent transitions: the posterior may be biased; raise "
            "target_accept or reparametrise"
        )
    if n_chains > 1 and not max_rhat <= RHAT_MAX:
        problems.append(f"max R-hat {max_rhat:.3f} > {RHAT_MAX}: chains disagree")
    if n_chains < 2:
        problems.append("a single chain: R-hat cannot be computed")
    floor = ESS_MIN_PER_CHAIN * n_chains
    if not min_bulk >= floor:
        problems.append(f"min bulk ESS {min_bulk:.0f} < {floor}: more draws needed")
    if not min_tail >= floor:
        problems.append(f"min tail ESS {min_tail:.0f} < {floor}: interval ends are noisy")
    diagnostics = Diagnostics(divergent, n_draws, n_chains, max_rhat, min_bulk, min_tail,
                              problems)
    if warn and problems:
        warn_caller(
            f"sampling problems{(' in ' + where) if where else ''}: " + "; ".join(problems),
            SamplingWarning,
        )
    return diagnostics


class DataSupportWarning(UserWarning):
    """Data that cannot support some estimands (no success, one problem, NaN draws)."""


MIN_SOLVED_PROBLEMS = 3
"""Fewer problems with a success than this leave the tail exponent mostly to the prior."""

UNSUPPORTED_WITHOUT_SIGNAL = ("asymptotic_exponent", "prefactor", "effective_exponent")
"""Estimands that are not estimable when no attempt (or every attempt) succeeded."""


def pareto_health(pareto_k: np.ndarray, good_k: float) -> dict[str, object]:
    r"""Pareto k̂ of leave-one-problem-out PSIS-LOO, summarised for a fit's diagnostics.

    Parameters
    ----------
    pareto_k : numpy.ndarray
        Per-problem Pareto shape estimates (Vehtari et al. 2024, arXiv:1507.02646).
    good_k : float
        The reliability threshold :math:`\min(1 - 1/\log_{10} S, 0.7)` for S draws.

    Returns
    -------
    dict
        ``max_pareto_k``, ``n_high_pareto_k`` (problems above the threshold),
        ``pareto_k_threshold`` and ``problems`` (a sentence when any is above it).
    """
    pareto_k = np.asarray(pareto_k, dtype=np.float64)
    finite = pareto_k[np.isfinite(pareto_k)]
    high = int((~(pareto_k <= good_k)).sum())
    problems = []
    if high:
        problems.append(f"{high} of {pareto_k.size} problems have Pareto k > {good_k:.2f}: their "
                        "leave-one-problem-out estimates (LOO, model comparison) are unreliable")
    return {"max_pareto_k": float(finite.max()) if finite.size else float("nan"),
            "n_high_pareto_k": high, "pareto_k_threshold": float(good_k), "problems": problems}


def data_support(outcomes: Outcomes) -> tuple[list[str], bool]:
    """What the data cannot support, as sentences, and whether the exponents are estimable.

    Returns
    -------
    problems : list of str
        One sentence per limitation: a single problem (population estimands mean nothing),
        no success at all or every attempt a success (the exponents and prefactor are the
        prior's), fewer than :data:`MIN_SOLVED_PROBLEMS` problems with a success.
    estimable : bool
        False when the exponents and prefactor (:data:`UNSUPPORTED_WITHOUT_SIGNAL`) are not
        estimable from these data and are reported as not estimable.
    """
    n, c = np.asarray(outcomes.n), np.asarray(outcomes.c)
    problems, estimable = [], True
    if outcomes.n_problems == 1:
        problems.append("one problem only: the population (its exponents, prefactor and "
                        "population pass_D@k) is estimated from a single draw and means nothing")
    solved = int((c > 0).sum())
    if c.sum() == 0:
        estimable = False
        problems.append(f"no success in any of the {int(n.sum()):,} attempts: the exponents and "
                        "prefactor would be the prior's, not the data's; reported as not "
                        "estimable (pass_D@k rows are upper-bounded by the data)")
    elif (c == n).all():
        estimable = False
        problems.append("every attempt succeeded: -log pass_D@k is 0 at every observed k, so the "
                        "exponents and prefactor are not estimable")
    elif solved < MIN_SOLVED_PROBLEMS:
        problems.append(f"only {solved} problem(s) with a success ({int(c.sum())} success(es) in "
                        "all): the tail exponent rests on them and its interval is mostly the "
                        "prior's")
    return problems, estimable
