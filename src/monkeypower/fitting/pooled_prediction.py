r"""A group not in the data, predicted by a pooled model: its population and estimands.

For each posterior draw of the hyperparameters, a new group's unconstrained parameters are

.. math:: T_v(v_\text{new}) = \mu_v + \tilde x_\text{new}^\top\gamma_v
   + \sum_j \sigma_{v,j}\, z_j, \qquad z_j \sim N(0, 1) \text{ fresh},

with :math:`z_j` replaced by the fitted effect of a level the caller names as known (e.g. the
benchmark of a new model evaluated on a benchmark already in the data). The draws therefore carry
the between-group variation as well as the uncertainty of the trend, and every population
estimand of the family follows from them (no data of the new group exist: no forecast of its
problems, only of its population).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monkeypower.estimands import Curve, EstimandDraws, PosteriorDraws, compute
from monkeypower.families import NUMPY, Family
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result

__all__ = ["GroupPrediction"]


@dataclass(frozen=True, repr=False)
class GroupPrediction(Result):
    """Posterior predictive draws of a new group's population parameters.

    Attributes
    ----------
    family : Family
        The population family.
    variables : mapping of str to numpy.ndarray, each (chain, draw)
        Draws of the spec's prior variables for the new group.
    description : str
        What the group is (its covariates and known levels).
    seed : int
        The seed of the fresh between-group effects.
    """

    family: Family
    variables: Mapping[str, np.ndarray]
    description: str
    seed: int
    notes: Sequence[str] = field(default=())

    def params(self) -> dict[str, np.ndarray]:
        """Natural-parameter draws, each (chain, draw)."""
        return {k: np.asarray(v) for k, v in
                self.family.natural_params(self.variables, NUMPY).items()}

    def posterior_draws(self) -> PosteriorDraws:
        """The draws as the estimands take them (no data: only population estimands apply)."""
        empty = np.zeros(0)
        return PosteriorDraws(self.family, self.params(), empty, empty, empty, self.seed)

    def asymptotic_exponent(self) -> EstimandDraws:
        r"""Predictive draws of the new group's :math:`b_\infty`."""
        return compute("asymptotic_exponent", self.posterior_draws())

    def prefactor(self) -> EstimandDraws:
        """Predictive draws of the new group's prefactor."""
        return compute("prefactor", self.posterior_draws())

    def population_pass_at_k(self, k: Any, *, neg_log: bool = False,
                             max_draws: int | None = None) -> EstimandDraws:
        """Predictive draws of the new group's population pass_D@k (or ``-log``)."""
        return compute("population_pass_at_k", self.posterior_draws(), k, neg_log=neg_log,
                       max_draws=max_draws)

    def population_pass_all_k(self, k: Any, *, max_draws: int | None = None) -> EstimandDraws:
        """Predictive draws of the new group's population pass^k."""
        return compute("population_pass_all_k", self.posterior_draws(), k, max_draws=max_draws)

    def effective_exponent(self, window: tuple[int, int], curve: Curve = "population",
                           max_draws: int | None = None) -> EstimandDraws:
        """Predictive draws of the population curve's effective slope over ``window``."""
        if curve != "population":
            raise ValueError("a new group has no data: only the population curve exists")
        return compute("effective_exponent", self.posterior_draws(), window, curve, max_draws)

    def summary(self, *, interval: IntervalConvention | float | None = None,
                horizons: Sequence[float] = (100, 1_000, 10_000),
                max_draws: int | None = None) -> pd.DataFrame:
        """Exponent, prefactor and population pass_D@k at ``horizons``, with intervals."""
        convention = resolve_interval(interval)
        rows = [row for e in (self.asymptotic_exponent(), self.prefactor(),
                              self.population_pass_at_k(list(horizons), max_draws=max_draws))
                for row in e.rows(convention)]
        table = pd.DataFrame(rows)
        table.attrs["title"] = f"Prediction for a new group ({self.description})"
        table.attrs["interval"] = convention.to_dict()
        table.attrs["notes"] = ["intervals include the between-group variation (a new group's "
                                "effects drawn afresh)", *self.notes]
        return table
