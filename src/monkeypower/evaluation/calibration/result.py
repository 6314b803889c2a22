"""The result of a simulation-based calibration: ranks, uniformity tests, summary, figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from monkeypower.evaluation.calibration.figure import plot_rank_ecdf
from monkeypower.intervals import IntervalConvention
from monkeypower.presentation.protocol import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SBCResult"]


@dataclass(frozen=True, eq=False)
class SBCResult(Result):
    r"""Ranks and uniformity tests of a simulation-based calibration (:func:`monkeypower.sbc`).

    Attributes
    ----------
    ranks : pandas.DataFrame
        One row per simulation × quantity: ``simulation``, ``quantity``, ``truth`` (the value
        drawn from the prior), ``rank`` (among the thinned draws, 0..L; NA where the fit
        failed), ``posterior_median``, ``healthy`` (the fit passed every sampler-health check),
        ``ess_ok`` (its smallest bulk ESS is at least L, so the thinned draws are close to
        independent), ``solved`` (problems with a success in the simulated benchmark),
        ``error``.
    tests : pandas.DataFrame
        One row per quantity: ``n_sims`` (ranks), ``n_rank_draws`` (L), ``n_bins`` (B),
        ``chi2``, ``df`` (B - 1), ``p_value``, ``threshold`` (level / quantities,
        Bonferroni), ``uniform`` (p-value at or above the threshold) and
        ``mean_rank_fraction`` (mean rank / L: 0.5 when unbiased).
    settings : dict
        The model, sizes, sampler settings, thinning, the simulating and fitting priors.
    interval : IntervalConvention
        Probability of the simultaneous ECDF bands of :meth:`plot`.
    """

    ranks: pd.DataFrame
    tests: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    interval: IntervalConvention = field(default_factory=IntervalConvention)

    @property
    def calibrated(self) -> bool:
        """Whether every quantity's ranks passed the uniformity test."""
        return bool(self.tests["uniform"].fillna(False).all())

    def headline(self) -> str:
        """One line: model, sizes, simulations and the verdict."""
        s = self.settings
        verdict = ("ranks uniform for every quantity" if self.calibrated
                   else "NON-UNIFORM ranks: " + ", ".join(
                       self.tests.loc[~self.tests["uniform"].fillna(False), "quantity"]))
        return (f"SBC of {s.get('model')}: {s.get('n_sims')} simulations of "
                f"{s.get('n_problems')} problems × {s.get('n_attempts')} attempts; {verdict}")

    def notes(self) -> list[str]:
        """What the columns are and how the test was run (thinning, bins, health)."""
        s = self.settings
        n_fits = self.ranks["simulation"].nunique()
        per_sim = self.ranks.drop_duplicates("simulation")
        unhealthy = int((~per_sim["healthy"].fillna(True)).sum())
        failed = int((per_sim["error"] != "").sum())
        low_ess = int((~per_sim["ess_ok"].fillna(True)).sum())
        notes = [
            f"Ranks of the true value among L = {s.get('n_rank_draws')} posterior draws evenly "
            f"spaced over {s.get('chains')} chains × {s.get('draws')} draws (thinning factor "
            f"{s.get('thinning', float('nan')):.3g}); uniform on 0..L when the inference is "
            "right (Talts et al. 2018, arXiv:1804.06788)",
            f"chi2: Pearson's test of the ranks in {s.get('n_bins')} equal bins (df = bins - 1); "
            f"uniform: p-value >= {s.get('level')} / {len(self.tests)} quantities (Bonferroni)",
            "mean_rank_fraction: mean rank / L (0.5 when unbiased; near 0: the posterior sits "
            "above the truth, near 1: below it)",
            f"Fits: {n_fits} simulations, {failed} failed, {unhealthy} failed a sampler-health "
            f"check (kept: SBC tests the pipeline as run), {low_ess} with a bulk ESS below L "
            "(their thinned draws are not quite independent)",
            "Priors: simulated from " + _priors(s.get("simulating_priors", {}))
            + "; fitted with " + _priors(s.get("fitting_priors", {})),
        ]
        return notes

    def summary(self) -> pd.DataFrame:
        """The uniformity test of every quantity (``attrs``: title, interval, notes)."""
        out = self.tests.copy()
        out.attrs = {"title": self.headline(), "interval": self.interval.to_dict(),
                     "notes": self.notes(), **{k: v for k, v in self.settings.items()
                                              if isinstance(v, (int, float, str))}}
        return out

    def __repr__(self) -> str:
        return f"<SBCResult: {self.headline()}>"

    def plot(self, *, width: str | float = "double") -> Figure:
        """Rank ECDF differences with simultaneous bands, one panel per quantity.

        See :func:`~monkeypower.evaluation.calibration.figure.plot_rank_ecdf`.
        """
        return plot_rank_ecdf(self, width=width)


def _priors(priors: dict[str, str]) -> str:
    return ", ".join(f"{k} ~ {v}" for k, v in priors.items()) or "(none)"
