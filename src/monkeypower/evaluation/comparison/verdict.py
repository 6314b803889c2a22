r"""The power-law verdict: whether the evidence supports a power law of -log pass_D@k in k.

Families of each tail kind — a power law (Beta, scaled Beta, Kumaraswamy, Beta mixture), decay
faster than any power law (logit-normal), a plateau (zero-inflated) — are compared by
leave-one-problem-out PSIS-LOO (:func:`~monkeypower.compare`). A power law is called only when
the best power-law family beats the best light-tailed one by more than ``z_threshold`` standard
errors of the ELPD difference; "no power law" when the reverse holds (or a plateau family beats
the power law by that margin); "inconclusive" otherwise.

References
----------
R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from monkeypower.data.outcomes import Outcomes
from monkeypower.estimands import EstimandDraws
from monkeypower.evaluation.comparison.compare import ModelComparison, compare
from monkeypower.fitting import Fit, fit
from monkeypower.presentation.protocol import Result
from monkeypower.seeding import child_seed

__all__ = ["PowerLawVerdict", "VERDICT_MODELS", "power_law_verdict"]

VERDICT_MODELS = ("beta", "scaled_beta", "bridged_beta", "generalized_beta", "logit_normal",
                  "zero_inflated_beta")
"""Models :func:`power_law_verdict` fits by default: four power-law tails (among them the
package's default model ``bridged_beta``, and ``generalized_beta``, whose tail exponent does not
hang on a Beta-shaped body, so a power law is not lost to a body the Beta families cannot
follow), one lighter than any power law, one plateau."""


@dataclass(frozen=True, eq=False, repr=False)
class PowerLawVerdict(Result):
    """Whether the evidence supports a power law of -log pass_D@k in k, with its numbers.

    Attributes
    ----------
    verdict : {"power law", "no power law", "inconclusive"}
        The call.
    tail : str
        The tail kind favoured (``"power_law"``, ``"faster_than_power_law"``, ``"plateau"``),
        or ``"undetermined"``.
    reason : str
        The ELPD difference and its standard error behind the call, against the best
        light-tailed model, and (when a plateau model was compared) the plateau model's
        difference to the best power law, saying whether it rules a plateau out.
    best_power_law, best_light, best_plateau : str or None
        The best model of each tail kind that was compared.
    elpd_diff, dse : float
        ELPD of the best power-law model minus that of the best light-tailed (or plateau) one
        on which the call rests, and its standard error.
    z_threshold : float
        How many standard errors a difference must exceed to decide.
    comparison : ModelComparison
        The full LOO comparison.
    """

    verdict: str
    tail: str
    reason: str
    best_power_law: str | None
    best_light: str | None
    best_plateau: str | None
    elpd_diff: float
    dse: float
    z_threshold: float
    comparison: ModelComparison

    def exponent(self) -> EstimandDraws | None:
        """Posterior of the asymptotic exponent from the best power-law model (None otherwise)."""
        if self.verdict != "power law" or self.best_power_law is None:
            return None
        return self.comparison.fits[self.best_power_law].asymptotic_exponent()

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the call, the numbers, the LOO table."""
        table = self.comparison.table[["rank", "tail", "elpd", "se", "elpd_diff", "dse",
                                       "weight", "n_high_k", "max_k"]]
        return {
            "verdict": self.verdict, "tail": self.tail, "reason": self.reason,
            "best_power_law": self.best_power_law, "best_light": self.best_light,
            "best_plateau": self.best_plateau, "elpd_diff": self.elpd_diff, "dse": self.dse,
            "z_threshold": self.z_threshold,
            "loo": {str(k): {c: (v.item() if hasattr(v, "item") else v) for c, v in row.items()}
                    for k, row in table.iterrows()},
        }

    def summary(self) -> pd.DataFrame:
        """One row: the call, the tail favoured, the models it rests on, the ELPD difference."""
        table = pd.DataFrame([{
            "verdict": self.verdict, "tail": self.tail, "best_power_law": self.best_power_law,
            "best_light": self.best_light, "best_plateau": self.best_plateau,
            "elpd_diff": self.elpd_diff, "dse": self.dse, "z_threshold": self.z_threshold,
        }])
        if self.best_plateau is not None and self.best_power_law is not None:
            diff, se = self.comparison.difference(self.best_plateau, self.best_power_law)
            table["plateau_minus_power_law"], table["plateau_dse"] = diff, se
        table.attrs["title"] = "Power-law verdict (leave-one-problem-out PSIS-LOO)"
        table.attrs["notes"] = [self.reason]
        return table

    def to_markdown(self) -> str:
        """The call and its reason above the LOO table."""
        return f"**Verdict: {self.verdict}.** {self.reason}\n\n{self.comparison.to_markdown()}"

    def __str__(self) -> str:
        return self.to_markdown()


def _best_of(comparison: ModelComparison, kind: str) -> str | None:
    rows = comparison.table[comparison.table["tail"] == kind]
    return None if rows.empty else str(rows["elpd"].idxmax())


def power_law_verdict(
    data: Outcomes | Mapping[str, Fit] | ModelComparison,
    *,
    models: Sequence[str] = VERDICT_MODELS,
    seed: int | None = None,
    z_threshold: float = 2.0,
    **fit_kwargs: Any,
) -> PowerLawVerdict:
    r"""Call whether the evidence supports a power law of :math:`-\log \text{pass}_D@k` in k.

    Families of each tail kind are compared by leave-one-problem-out PSIS-LOO. With
    :math:`\Delta` the ELPD of the best power-law family minus that of the best family whose
    tail is lighter than any power law, and :math:`\text{SE}` its paired standard error:

    - **"no power law"** (plateau) when the best plateau family beats the best power-law one
      by more than ``z_threshold`` SE (a share of problems no number of attempts solves);
    - **"power law"** when :math:`\Delta > z\,\text{SE}`;
    - **"no power law"** (faster than any power law) when :math:`\Delta < -z\,\text{SE}`;
    - **"inconclusive"** otherwise, including when a tail kind is missing from the comparison.

    A power law is never called when a light-tailed family is clearly better, and ties within
    about two standard errors are reported as ties. The reason names every rival compared:
    when a plateau model is within ``z_threshold`` SE of the best power law it says so (a
    plateau is then not ruled out, whatever the call).

    Parameters
    ----------
    data : Outcomes, dict of str to Fit, or ModelComparison
        Counts (the ``models`` are then fitted with ``seed`` and ``fit_kwargs``), or fits /
        a comparison already made.
    models : sequence of str, default :data:`VERDICT_MODELS`
        Models to fit when ``data`` are counts; include at least one power-law and one
        light-tailed family.
    seed : int
        Required when fitting; each model gets a seed derived from it.
    z_threshold : float, default 2.0
        Standard errors a difference must exceed to decide.
    **fit_kwargs
        Passed to :func:`monkeypower.fit` (``draws``, ``tune``, ``chains``, ...).

    Returns
    -------
    PowerLawVerdict
    """
    if isinstance(data, ModelComparison):
        comparison = data
    elif isinstance(data, Outcomes):
        if seed is None:
            raise TypeError("power_law_verdict fits models: give seed= (fits are reproducible)")
        fits = {name: fit(data, name, seed=child_seed(seed, i), **fit_kwargs)
                for i, name in enumerate(models)}
        comparison = compare(fits)
    else:
        comparison = compare(data)
    heavy = _best_of(comparison, "power_law")
    light = _best_of(comparison, "faster_than_power_law")
    plateau = _best_of(comparison, "plateau")
    z = float(z_threshold)

    def call(verdict: str, tail: str, reason: str, diff: float, se: float) -> PowerLawVerdict:
        return PowerLawVerdict(verdict, tail, reason, heavy, light, plateau, diff, se, z,
                               comparison)

    if heavy is None:
        return call("inconclusive", "undetermined",
                    "no power-law family was compared.", float("nan"), float("nan"))
    if plateau is not None:
        diff, se = comparison.difference(plateau, heavy)
        if diff > z * se:
            return call("no power law", "plateau",
                        f"the plateau model {plateau!r} beats the best power-law model "
                        f"{heavy!r} by {diff:.1f} ± {se:.1f} ELPD (> {z:g} SE): a share of "
                        "problems looks unsolvable, so pass_D@k levels off.", -diff, se)
    if light is None:
        return call("inconclusive", "undetermined",
                    "no family with a tail lighter than any power law was compared.",
                    float("nan"), float("nan"))
    diff, se = comparison.difference(heavy, light)
    numbers = (f"best power law {heavy!r} minus best light tail {light!r}: "
               f"{diff:.1f} ± {se:.1f} ELPD")
    rival = _plateau_clause(comparison, heavy, plateau, z)
    if diff > z * se:
        return call("power law", "power_law",
                    f"{numbers} (> {z:g} SE): the data favour a power-law tail over a light "
                    f"one.{rival}", diff, se)
    if diff < -z * se:
        return call("no power law", "faster_than_power_law",
                    f"{numbers} (< -{z:g} SE): the curve decays faster than any power law; "
                    f"an exponent would not mean anything.{rival}", diff, se)
    return call("inconclusive", "undetermined",
                f"{numbers}, within {z:g} SE: the data cannot tell these tails apart.{rival}",
                diff, se)


def _plateau_clause(comparison: ModelComparison, heavy: str, plateau: str | None,
                    z: float) -> str:
    """The plateau rival in words, when one was compared (it did not win by ``z`` SE)."""
    if plateau is None:
        return ""
    diff, se = comparison.difference(plateau, heavy)
    numbers = f"plateau model {plateau!r} minus {heavy!r}: {diff:.1f} ± {se:.1f} ELPD"
    if diff < -z * se:
        return f" The {numbers} (< -{z:g} SE): a plateau is ruled out."
    return (f" The {numbers}, within {z:g} SE: a plateau (a share of problems never "
            "solved) fits as well, so pass_D@k may level off beyond the observed k.")
