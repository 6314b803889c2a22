"""Sampler health: divergences, R-hat, bulk and tail ESS — checked, reported, never hidden."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from monkeypower.errors import warn_caller

__all__ = ["SamplingWarning", "Diagnostics", "check_sampling", "RHAT_MAX", "ESS_MIN_PER_CHAIN"]

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
