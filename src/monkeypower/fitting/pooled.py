r"""Fitting many groups in one model: :func:`fit_pooled` and its result, :class:`PooledFit`.

The model is :mod:`monkeypower.fitting.pooled_model` (partial pooling on the unconstrained scale
of each prior variable, optionally with a linear trend in group covariates). The result gives

* a :class:`~monkeypower.Fit` per group (``pooled[key]``, :meth:`PooledFit.fits`), built from the
  pooled draws of that group's parameters, so every estimand, table and figure works per group;
* the group-level posterior: each covariate's coefficient on each variable's unconstrained scale
  per original unit (for ``alpha``, the tail exponent :math:`b_\infty` of the Beta-type families,
  the change of :math:`\log b_\infty` per unit, e.g. per decade of parameters), the population
  mean at the covariates' mean and the between-group sds (:meth:`PooledFit.summary`);
* predictions for a group not in the data (:meth:`PooledFit.predict_group`), with intervals that
  include the between-group variation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.sufficient import SufficientStats
from monkeypower.errors import OutcomesError
from monkeypower.estimands import EstimandDraws
from monkeypower.fitting.diagnostics import Diagnostics, check_sampling
from monkeypower.fitting.fit import Fit
from monkeypower.fitting.group_covariates import covariate_row
from monkeypower.fitting.groups import FitGroups
from monkeypower.fitting.nutpie_compile import compile_for_nutpie
from monkeypower.fitting.pooled_model import (
    SD_PRIOR_RATIO,
    PooledStructure,
    group_variable_draws,
    pooled_pymc_model,
    pooled_structure,
    unconstrained_scale,
)
from monkeypower.fitting.pooled_prediction import GroupPrediction
from monkeypower.fitting.posterior_tree import as_numpy_dataset, assemble_tree
from monkeypower.fitting.sampling import CompiledModels, sample_model
from monkeypower.fitting.settings import DEFAULT_SAMPLER, SamplerSettings
from monkeypower.fitting.spec import DEFAULT_MODEL, ModelSpec, ResolvedModel, resolve_model
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result
from monkeypower.seeding import checked_seed, child_seed, rng

__all__ = ["fit_pooled", "PooledFit", "POOLED_TARGET_ACCEPT"]

POOLED_TARGET_ACCEPT = 0.95
"""NUTS adaptation target of a pooled fit unless the spec asks for more (the scaled Beta's 0.99).

Between-group sds near 0 with well-measured groups give the non-centred model a narrow ridge
(each group's ``sd * z`` is pinned by its data while ``sd`` and ``z`` trade off): on 7 simulated
beta groups of 64 problems (1,000 draws x 2 chains), 0.9 diverged in 2 to 4 of 5 seeds, 0.95 left
single divergences in about half of them, 0.99 in 1 of 5 at twice the time."""

_COMPILED = CompiledModels(4)


def _compiled(structure: PooledStructure, model: ResolvedModel, settings: SamplerSettings,
              sd_prior_ratio: float) -> tuple[pm.Model, Any]:
    """The built (and, for nutpie, compiled) model for this structure, reused in the process."""
    key = (model.spec.to_json(), settings.sampler, float(sd_prior_ratio), structure.signature())

    def build() -> tuple[pm.Model, Any]:
        pm_model = pooled_pymc_model(structure, model, sd_prior_ratio=sd_prior_ratio,
                                     group_values=False)
        compiled = compile_for_nutpie(pm_model) if settings.sampler == "nutpie" else None
        return pm_model, compiled

    return _COMPILED.get(key, build)


class PooledFit(Result):
    """A pooled fit of many groups: per-group fits, group-level posterior, new-group predictions.

    Create with :func:`fit_pooled`.

    Attributes
    ----------
    structure : PooledStructure
        The groups, their data, the random-effect levels and the covariates.
    posterior : xarray.Dataset
        All draws: per-group variables over ``group``, hyperparameters.
    diagnostics : Diagnostics
        Sampler health over the hyperparameters and every group's variables.
    """

    def __init__(self, sampled: xr.DataTree, structure: PooledStructure, model: ResolvedModel,
                 settings: SamplerSettings, seed: int, *, warn: bool = True):
        self.structure = structure
        self.spec, self.family = model.spec, model.family
        self._resolved = model
        self.settings = settings
        self.seed = int(seed)
        posterior = as_numpy_dataset(sampled["posterior"].to_dataset())
        per_group = group_variable_draws(posterior, structure, model)
        self.posterior = posterior.assign(
            {name: (("chain", "draw", "group"), value) for name, value in per_group.items()})
        self.sample_stats = as_numpy_dataset(sampled["sample_stats"].to_dataset())
        self.diagnostics: Diagnostics = check_sampling(
            self.posterior, self.sample_stats, self.hyperparameters + list(
                self.family.prior_variables), warn=warn, where=self._name())
        self._fits: dict[tuple, Fit] = {}

    # ------------------------------------------------------------------ basics
    @property
    def keys(self) -> list[tuple]:
        """The group keys, in model order."""
        return list(self.structure.keys)

    @property
    def hyperparameters(self) -> list[str]:
        """Names of the group-level variables (population means, coefficients, sds)."""
        names = []
        for v in self.family.prior_variables:
            names.append(f"{v}_pop_mean")
            if self.structure.covariates.columns:
                names.append(f"{v}_coef")
            names += [f"{v}_sd_{e}" for e in self.structure.effects]
        return names

    def _name(self) -> str:
        return (f"pooled {self.spec.name} fit of {self.structure.n_groups} groups by "
                f"{', '.join(self.structure.group_names)}")

    def _index(self, key: Any) -> int:
        if isinstance(key, Mapping):
            key = tuple(key[name] for name in self.structure.group_names)
        if not isinstance(key, tuple):
            key = (key,)
        try:
            return self.structure.keys.index(key)
        except ValueError:
            raise KeyError(f"no group {key!r}; groups include {self.keys[:5]}") from None

    # ------------------------------------------------------------------ per group
    def __getitem__(self, key: Any) -> Fit:
        """The :class:`~monkeypower.Fit` of one group (key as a tuple, a bare value or a dict)."""
        g = self._index(key)
        key = self.structure.keys[g]
        if key not in self._fits:
            names = [*self.family.prior_variables,
                     *(p for p in self.family.params if p not in self.family.prior_variables)]
            posterior = xr.Dataset({name: self.posterior[name].isel(group=g, drop=True)
                                    for name in names})
            sampled = xr.DataTree.from_dict({"posterior": posterior,
                                             "sample_stats": self.sample_stats})
            stats = self.structure.stats[g]
            tree = assemble_tree(sampled, stats, self._resolved, self.settings,
                                 child_seed(self.seed, g))
            label = dict(zip(self.structure.group_names, key, strict=True))
            self._fits[key] = Fit(tree, model=self._resolved, warn=False,
                                  where=f"group {label} of a pooled fit")
        return self._fits[key]

    def fits(self) -> FitGroups:
        """Every group's :class:`~monkeypower.Fit`, as a :class:`~monkeypower.FitGroups`."""
        return FitGroups(self.structure.group_names, {key: self[key] for key in self.keys})

    def exponents(self, *, interval: IntervalConvention | float | None = None) -> pd.DataFrame:
        r"""Each group's :math:`b_\infty`: median and interval, one row per group."""
        convention = resolve_interval(interval)
        rows = []
        for key in self.keys:
            row = self[key].asymptotic_exponent().rows(convention)[0]
            rows.append({**dict(zip(self.structure.group_names, key, strict=True)), **row})
        table = pd.DataFrame(rows)
        table.attrs.update(title=f"Asymptotic exponent per group ({self._name()})",
                           interval=convention.to_dict())
        return table

    def loo_against(self, independent: Mapping[Any, Fit] | None = None) -> pd.DataFrame:
        r"""Leave-one-problem-out ELPD per group, pooled beside independent fits when given.

        A problem's likelihood depends on its own group's parameters only, so PSIS-LOO over the
        pooled draws of that group (:meth:`Fit.loo <monkeypower.fitting.Fit.loo>` of
        ``self[key]``) is leave-one-problem-out of the pooled model. With ``independent`` (e.g.
        ``mp.fit(groups, ...)``), the paired difference pooled − independent per group and in
        total, with the standard error :math:`\sqrt{N\,\mathrm{Var}(d_i)}` of the sum of the
        per-problem differences :math:`d_i` (Vehtari, Gelman & Gabry 2017); positive favours
        pooling.

        Returns
        -------
        pandas.DataFrame
            One row per group plus ``total``: ``elpd_pooled``, ``n_high_pareto_k`` and, with
            ``independent``, ``elpd_independent``, ``difference``, ``se_difference``.
        """
        rows, differences = [], []
        for key in self.keys:
            pooled_loo = self[key].loo(warn=False)
            row = {"group": ", ".join(map(str, key)), "elpd_pooled": pooled_loo.elpd,
                   "n_high_pareto_k": int((pooled_loo.pareto_k.values
                                           > pooled_loo.good_k).sum())}
            if independent is not None:
                alone = independent[key].loo(warn=False)
                d = pooled_loo.elpd_i.values - alone.elpd_i.values
                differences.append(d)
                row.update(elpd_independent=alone.elpd, difference=float(d.sum()),
                           se_difference=float(np.sqrt(d.size * d.var())))
            rows.append(row)
        total = {"group": "total", "elpd_pooled": sum(r["elpd_pooled"] for r in rows),
                 "n_high_pareto_k": sum(r["n_high_pareto_k"] for r in rows)}
        if independent is not None:
            d = np.concatenate(differences)
            total.update(elpd_independent=sum(r["elpd_independent"] for r in rows),
                         difference=float(d.sum()), se_difference=float(np.sqrt(d.size * d.var())))
        table = pd.DataFrame([*rows, total])
        table.attrs["title"] = f"Leave-one-problem-out ELPD ({self._name()})"
        table.attrs["notes"] = ["difference = pooled − independent; positive favours pooling"]
        return table

    # ------------------------------------------------------------------ group level
    def coefficient(self, covariate: str, variable: str = "alpha") -> EstimandDraws:
        r"""Draws of a covariate's coefficient on ``variable``'s unconstrained scale, per unit.

        For ``variable="alpha"`` (log scale) this is the change of :math:`\log b_\infty` per
        unit of the covariate in the Beta-type families, where :math:`b_\infty = \alpha`: a
        coefficient :math:`\gamma` multiplies the exponent by :math:`e^\gamma` per unit.
        """
        covariates = self.structure.covariates
        if covariate not in covariates.columns:
            raise KeyError(f"no covariate {covariate!r}; the fit has {list(covariates.columns)}")
        if variable not in self.family.prior_variables:
            raise KeyError(f"no variable {variable!r}; the model has "
                           f"{list(self.family.prior_variables)}")
        j = covariates.columns.index(covariate)
        draws = self.posterior[f"{variable}_coef"].values[..., j] / covariates.scale[j]
        label = unconstrained_scale(self.spec.priors[variable])[0].label(variable)
        return EstimandDraws("coefficient", f"{label} per unit of {covariate}", draws)

    def between_group_sd(self, variable: str = "alpha", effect: str | None = None
                         ) -> EstimandDraws:
        """Draws of the between-group sd of ``variable`` (unconstrained scale) for an effect."""
        effect = effect or self.structure.effects[0]
        label = unconstrained_scale(self.spec.priors[variable])[0].label(variable)
        return EstimandDraws("between_group_sd", f"{label}, by {effect}",
                             self.posterior[f"{variable}_sd_{effect}"].values)

    def population_mean(self, variable: str = "alpha") -> EstimandDraws:
        """Draws of the population-of-groups mean of ``variable`` (unconstrained scale).

        With covariates, at their fitted mean (the centre of the standardisation).
        """
        label = unconstrained_scale(self.spec.priors[variable])[0].label(variable)
        at = " at the covariates' mean" if self.structure.covariates.columns else ""
        return EstimandDraws("population_mean", f"{label}{at}",
                             self.posterior[f"{variable}_pop_mean"].values)

    def group_level(self) -> list[EstimandDraws]:
        """Every group-level quantity: population means, coefficients, between-group sds."""
        out = []
        for v in self.family.prior_variables:
            out.append(self.population_mean(v))
            out += [self.coefficient(c, v) for c in self.structure.covariates.columns]
            out += [self.between_group_sd(v, e) for e in self.structure.effects]
        return out

    def summary(self, *, interval: IntervalConvention | float | None = None) -> pd.DataFrame:
        """The group-level posterior, one row per quantity, with sampler health in the notes.

        Coefficients are per original unit of each covariate (standardisation undone); each
        variable is on its unconstrained scale (log or logit), as its row says.
        """
        convention = resolve_interval(interval)
        table = pd.DataFrame([row for e in self.group_level() for row in e.rows(convention)])
        table.attrs["title"] = self._name()
        table.attrs["interval"] = convention.to_dict()
        table.attrs["diagnostics"] = self.diagnostics.to_dict()
        notes = [f"sampler: {self.diagnostics}".replace("\n", " ")]
        cov = self.structure.covariates
        if cov.columns:
            notes.append("covariates standardised over the groups for the fit (centre "
                         + ", ".join(f"{c} {m:.4g}, sd {s:.4g}" for c, m, s in
                                     zip(cov.columns, cov.center, cov.scale, strict=True))
                         + "); coefficients reported per original unit")
        table.attrs["notes"] = notes
        return table

    # ------------------------------------------------------------------ new groups
    def predict_group(
        self, covariates: Mapping[str, float] | pd.Series | None = None, *, seed: int,
        known: Mapping[str, Any] | None = None,
    ) -> GroupPrediction:
        """Predict a group not in the data from its covariates, between-group variation included.

        Parameters
        ----------
        covariates : mapping, optional
            The new group's value of every fitted covariate (original units); required when the
            fit has covariates.
        seed : int
            Seed of the new group's fresh random effects (required, reproducible).
        known : mapping, optional
            Key components whose level is in the data, e.g. ``{"benchmark": "MATH"}`` for a
            new model on a fitted benchmark: their fitted effects are used instead of fresh ones.

        Returns
        -------
        GroupPrediction
            Population estimands of the new group (exponent, prefactor, pass_D@k, ...).
        """
        seed = checked_seed(seed, "predictions")
        cov = self.structure.covariates
        if cov.columns and covariates is None:
            raise OutcomesError(f"the fit has covariates {list(cov.columns)}: give the new "
                                "group's values")
        x = cov.standardise(covariate_row(cov, covariates or {})) if cov.columns else None
        known = dict(known or {})
        unknown = [k for k in known if k not in self.structure.effects]
        if unknown:
            raise KeyError(f"known: {unknown} are not effects of the fit "
                           f"{list(self.structure.effects)}")
        if known and self.structure.centred:
            raise ValueError("known levels need a non-centred fit (a centred fit has one effect: "
                             "its known level is a fitted group, see self[key])")
        for effect, level in known.items():
            if level not in self.structure.levels[effect]:
                raise KeyError(f"known: level {level!r} of {effect!r} is not in the data")
        variables = {}
        for i, v in enumerate(self.family.prior_variables):
            scale = unconstrained_scale(self.spec.priors[v])[0]
            eta = self.posterior[f"{v}_pop_mean"].values.copy()
            if x is not None:
                eta = eta + self.posterior[f"{v}_coef"].values @ x
            for j, effect in enumerate(self.structure.effects):
                sd = self.posterior[f"{v}_sd_{effect}"].values
                if effect in known:  # non-centred only: centred fits have one effect, never known
                    level = self.structure.levels[effect].index(known[effect])
                    z = self.posterior[f"{v}_z_{effect}"].values[..., level]
                else:
                    z = rng(int(seed), i, j).standard_normal(eta.shape)
                eta = eta + sd * z
            variables[v] = scale.inverse(eta)
        parts = ([", ".join(f"{c} = {val:g}" for c, val in zip(cov.columns, covariate_row(
            cov, covariates or {}), strict=True))] if cov.columns else [])
        parts += [f"{k} = {v}" for k, v in known.items()]
        return GroupPrediction(self.family, variables, "; ".join(parts) or "no covariates",
                               int(seed))

    def __repr__(self) -> str:
        return f"<PooledFit: {self._name()}; {self.diagnostics}>"


def fit_pooled(
    data: OutcomesGroups | Mapping[Any, Outcomes | SufficientStats],
    model: str | Path | ModelSpec = DEFAULT_MODEL,
    covariates: pd.DataFrame | None = None,
    *,
    seed: int,
    priors: Mapping[str, Any] | None = None,
    group_names: Sequence[str] | None = None,
    interaction: bool = False,
    centred: bool = False,
    sd_prior_ratio: float = SD_PRIOR_RATIO,
    sampler: str = DEFAULT_SAMPLER,
    draws: int | None = None,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float | None = None,
    progressbar: bool = True,
    cores: int | None = None,
) -> PooledFit:
    """Fit all groups in one model that partially pools their population parameters.

    Parameters
    ----------
    data : OutcomesGroups or mapping
        At least two groups (e.g. ``mp.read_outcomes(..., group_by="model")``).
    model : str, Path or ModelSpec, default :data:`~monkeypower.fitting.spec.DEFAULT_MODEL`
        The model spec (family and the priors the hyperpriors are centred on).
    covariates : pandas.DataFrame, optional
        Numeric group covariates keyed by group, e.g. a ``log10_params`` column indexed by
        ``model`` (:mod:`monkeypower.fitting.group_covariates`).
    seed : int
        Required; per-group fits derive their seeds from it.
    priors, group_names, interaction, centred, sd_prior_ratio
        As :func:`~monkeypower.fitting.pooled_model.build_pooled_model`.
    sampler, draws, tune, chains, progressbar, cores
        As :func:`monkeypower.fit`.
    target_accept : float, optional
        Default: the spec's ``[sampler]`` value or :data:`POOLED_TARGET_ACCEPT`, the larger.

    Returns
    -------
    PooledFit

    Warns
    -----
    SamplingWarning
        On divergences, R-hat > 1.01 or low ESS of any group-level or group variable.

    Examples
    --------
    >>> import monkeypower as mp
    >>> groups = {f"m{i}": mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=50,
    ...                                n_attempts=100, seed=i) for i in range(4)}
    >>> pooled = mp.fit_pooled(groups, "beta", seed=1, progressbar=False)  # doctest: +SKIP
    >>> pooled.summary()  # doctest: +SKIP
    >>> pooled["m0"].asymptotic_exponent()  # doctest: +SKIP
    """
    seed = checked_seed(seed)
    resolved = resolve_model(model, priors)
    settings = SamplerSettings.for_model(
        resolved.spec.sampler_defaults, sampler=sampler, draws=draws, tune=tune, chains=chains,
        target_accept=target_accept, progressbar=progressbar, cores=cores,
        min_target_accept=POOLED_TARGET_ACCEPT)
    structure = pooled_structure(data, covariates, group_names=group_names,
                                 interaction=interaction, centred=centred)
    pm_model, compiled = _compiled(structure, resolved, settings, sd_prior_ratio)
    values = structure.data()
    with pm_model:
        pm.set_data(values, coords={"pair": np.arange(len(structure.pair_group))})
    sampled = sample_model(pm_model, settings, int(seed), nutpie_compiled=compiled, data=values)
    return PooledFit(sampled, structure, resolved, settings, int(seed))

