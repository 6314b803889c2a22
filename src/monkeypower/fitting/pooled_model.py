r"""Many groups in one model: partial pooling of the population parameters, as a pure builder.

Groups :math:`g = 1..G` (models, checkpoints, benchmarks, or crossed keys such as
``(model, benchmark)``) each have a population :math:`f(\cdot;\theta_g)` of the family named by the
model spec. Every prior variable :math:`v` of the spec (e.g. the tail exponent ``alpha`` and the
``mean``) is mapped to an unconstrained scale :math:`T_v` -- log for a positive variable, logit
for one in (0, 1), a scaled logit for a bounded one, the identity on the real line -- and drawn
per group, non-centred,

.. math::

    T_v(v_g) = \mu_v + \tilde x_g^\top \gamma_v + \sum_{j} \sigma_{v,j}\, z_{v,j}[\ell_j(g)],
    \qquad z_{v,j}[\ell] \sim N(0, 1),

where :math:`\tilde x_g` are the group's standardised covariates
(:mod:`monkeypower.fitting.group_covariates`) and :math:`j` runs over the components of the group
key: one additive random effect per component, :math:`\ell_j(g)` the level of component
:math:`j` in group :math:`g`. With one group variable this is one effect per group; with a
crossed key ``(model, benchmark)`` a model effect plus a benchmark effect (no interaction unless
``interaction=True``, which adds one effect per combined group).

Hyperpriors, centred on the spec's own prior (so a pooled model says nothing the spec's
prior did not already say about a typical group):

* :math:`\mu_v \sim N(m_v, s_v)` with :math:`m_v = T_v(\text{median})` and
  :math:`s_v = (T_v(q_{84.1\%}) - T_v(q_{15.9\%}))/2` of the spec's prior on :math:`v`
  (for ``alpha ~ LogNormal(-1.2, 1)``: :math:`m = -1.2`, :math:`s = 1`; for ``mean ~ Beta(1, 1)``:
  :math:`m = 0`, :math:`s = 1.66`). Reason: the population-of-groups mean is a typical group,
  about which the spec's prior already states what is plausible.
* :math:`\sigma_{v,j} \sim \text{HalfNormal}(r_\sigma s_v)`, :data:`SD_PRIOR_RATIO` :math:`r_\sigma`
  = 1. Reason: groups may differ by as much as the spec's prior allows for one group (97.5% of
  the prior mass below :math:`2.24 s_v`, e.g. a factor 9 in the exponent), and not more; the
  half-normal keeps mass at 0 so that groups that agree are pooled (Gelman 2006,
  doi:10.1214/06-BA117A).
* :math:`\gamma_v \sim N(0, r_\gamma s_v)` per standardised covariate,
  :data:`COEF_PRIOR_RATIO` :math:`r_\gamma` = 1. Reason: a shift of one standard deviation of a
  covariate moves the variable by at most about the width of its own prior.

The likelihood is that of :func:`monkeypower.fitting.model.build_model` summed over all groups:
the distinct :math:`(n, c)` pairs of every group are concatenated with a group index, the
parameters gathered per pair, and the family's primitive :math:`L(c, f; \theta)` evaluated once
on the whole vector, so the graph compiles once and its cost follows the distinct pairs.

References
----------
A. Gelman (2006), "Prior distributions for variance parameters in hierarchical models",
Bayesian Analysis 1(3). M. Betancourt & M. Girolami (2015), "Hamiltonian Monte Carlo for
hierarchical models", arXiv:1312.0906 (the non-centred form).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import scipy.special as sps
from scipy import stats as sps_stats

from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.sufficient import SufficientStats, compress
from monkeypower.errors import OutcomesError, SpecError
from monkeypower.families import NUMPY, PYTENSOR
from monkeypower.fitting.group_covariates import GroupCovariates, group_covariates
from monkeypower.fitting.model import pair_data
from monkeypower.fitting.spec import (
    DEFAULT_MODEL,
    ModelSpec,
    PriorSpec,
    ResolvedModel,
    resolve_model,
)

__all__ = ["build_pooled_model", "pooled_structure", "pooled_pymc_model", "PooledStructure",
           "UnconstrainedScale", "unconstrained_scale", "group_variable_draws", "SD_PRIOR_RATIO",
           "COEF_PRIOR_RATIO"]

SD_PRIOR_RATIO = 1.0
"""Scale of the half-normal prior on each between-group sd, in units of the spec prior's spread
on the unconstrained scale (module docstring: groups may differ by as much as one group's prior
allows)."""
COEF_PRIOR_RATIO = 1.0
"""Scale of the normal prior on each standardised covariate's coefficient, in the same units
(a one-sd change of a covariate moves a variable by about its prior's width at most)."""

_QUANTILE_LO, _QUANTILE_HI = sps_stats.norm.cdf([-1.0, 1.0])


@dataclass(frozen=True)
class UnconstrainedScale:
    r"""The map :math:`T` of a prior variable's support onto the real line.

    ``"log"``: :math:`(0, \infty)`; ``"logit"``: :math:`(\text{lower}, \text{upper})` through
    :math:`\operatorname{logit}((x - \text{lower})/(\text{upper} - \text{lower}))`;
    ``"identity"``: the real line.
    """

    kind: Literal["log", "logit", "identity"]
    lower: float = 0.0
    upper: float = 1.0

    def label(self, name: str) -> str:
        """How the transformed variable is named in tables, e.g. ``"log alpha"``."""
        return name if self.kind == "identity" else f"{self.kind} {name}"

    def forward(self, x: Any) -> np.ndarray:
        """:math:`T(x)` in NumPy."""
        x = np.asarray(x, dtype=np.float64)
        if self.kind == "log":
            return np.log(x)
        if self.kind == "logit":
            return sps.logit((x - self.lower) / (self.upper - self.lower))
        return x

    def inverse(self, eta: Any, backend: Literal["numpy", "pytensor"] = "numpy") -> Any:
        r""":math:`T^{-1}(\eta)` in NumPy or PyTensor."""
        exp, sigmoid = (pt.exp, pt.sigmoid) if backend == "pytensor" else (np.exp, sps.expit)
        if self.kind == "log":
            return exp(eta)
        if self.kind == "logit":
            return self.lower + (self.upper - self.lower) * sigmoid(eta)
        return eta


def _scipy_prior(prior: PriorSpec):
    p = prior.params
    return {
        "LogNormal": lambda: sps_stats.lognorm(s=p.get("sigma", 1.0), scale=np.exp(p.get("mu", 0))),
        "Gamma": lambda: sps_stats.gamma(a=p.get("alpha", 1.0), scale=1 / p.get("beta", 1.0)),
        "InverseGamma": lambda: sps_stats.invgamma(a=p.get("alpha", 1.0), scale=p.get("beta", 1)),
        "HalfNormal": lambda: sps_stats.halfnorm(scale=p.get("sigma", 1.0)),
        "Exponential": lambda: sps_stats.expon(scale=1 / p.get("lam", 1.0)),
        "HalfCauchy": lambda: sps_stats.halfcauchy(scale=p.get("beta", 1.0)),
        "Beta": lambda: sps_stats.beta(p.get("alpha", 1.0), p.get("beta", 1.0)),
        "Normal": lambda: sps_stats.norm(p.get("mu", 0.0), p.get("sigma", 1.0)),
        "Uniform": lambda: sps_stats.uniform(p.get("lower", 0.0),
                                             p.get("upper", 1.0) - p.get("lower", 0.0)),
    }[prior.distribution]()


def unconstrained_scale(prior: PriorSpec) -> tuple[UnconstrainedScale, float, float]:
    r"""The unconstrained scale of a prior's support, and the prior's centre and spread on it.

    Returns
    -------
    scale : UnconstrainedScale
        Log for LogNormal, Gamma, InverseGamma, HalfNormal, Exponential and HalfCauchy; logit for
        Beta and Uniform; identity for Normal.
    centre, spread : float
        :math:`T(\text{median})` and half the distance between :math:`T` of the 15.9% and 84.1%
        quantiles (the sd of a normal prior, the ``sigma`` of a LogNormal).

    Raises
    ------
    SpecError
        For a TruncatedNormal prior (no pooled form yet).
    """
    kind = prior.distribution
    if kind in ("LogNormal", "Gamma", "InverseGamma", "HalfNormal", "Exponential", "HalfCauchy"):
        scale = UnconstrainedScale("log")
    elif kind == "Beta":
        scale = UnconstrainedScale("logit")
    elif kind == "Uniform":
        scale = UnconstrainedScale("logit", prior.params["lower"], prior.params["upper"])
    elif kind == "Normal":
        scale = UnconstrainedScale("identity")
    else:
        raise SpecError(f"a pooled model needs priors with a known support; {kind} is not "
                        "supported (use LogNormal, Gamma, Beta, Uniform, Normal, ...)")
    dist = _scipy_prior(prior)
    lo, mid, hi = scale.forward(dist.ppf([_QUANTILE_LO, 0.5, _QUANTILE_HI]))
    return scale, float(mid), float((hi - lo) / 2)


@dataclass(frozen=True)
class PooledStructure:
    """Everything a pooled model is built from: groups, their data, levels and covariates.

    Attributes
    ----------
    keys : list of tuple
        Group keys, in model order (index ``g`` of every ``group`` dimension).
    group_names : tuple of str
        The group variables (components of each key).
    stats : list of SufficientStats
        Each group's compressed data.
    effects : tuple of str
        Names of the random effects: each group variable, plus ``"group"`` when the crossed
        interaction is on.
    levels : dict of str to list
        The levels of each effect (for ``"group"``: the keys).
    level_of_group : dict of str to numpy.ndarray
        For each effect, the level index of every group.
    covariates : GroupCovariates
        Standardised covariates (possibly none).
    pair_group : numpy.ndarray
        The group index of every concatenated pair.
    centred : bool
        Centred parametrisation (one effect only): each group's unconstrained value is itself a
        free variable ``<v>_eta`` drawn around the population line.
    """

    keys: list[tuple]
    group_names: tuple[str, ...]
    stats: list[SufficientStats]
    effects: tuple[str, ...]
    levels: dict[str, list]
    level_of_group: dict[str, np.ndarray]
    covariates: GroupCovariates
    pair_group: np.ndarray
    centred: bool = False

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return len(self.keys)

    def data(self) -> dict[str, np.ndarray]:
        """The model's data containers: all groups' pairs concatenated, with group index."""
        per_group = [pair_data(s) for s in self.stats]
        values = {name: np.concatenate([v[name] for v in per_group]) for name in per_group[0]}
        values["pair_group"] = self.pair_group
        for effect in () if self.centred else self.effects:
            values[f"level_of_group_{effect}"] = self.level_of_group[effect]
        if self.covariates.columns:
            values["covariates"] = self.covariates.standardised
        return values

    def signature(self) -> tuple:
        """What fixes the graph's shapes (a compiled model is reusable between equal ones)."""
        return (self.group_names, self.effects,
                tuple(len(self.levels[e]) for e in self.effects), self.covariates.columns,
                self.centred)


def _as_groups(groups: OutcomesGroups | Mapping[Any, Outcomes | SufficientStats],
               group_names: Sequence[str] | None) -> tuple[tuple[str, ...], list, list]:
    if isinstance(groups, OutcomesGroups):
        names = groups.group_names
    elif isinstance(groups, Mapping):
        first = next(iter(groups), None)
        width = len(first) if isinstance(first, tuple) else 1
        names = (tuple(group_names) if group_names else ("group",) if width == 1
                 else tuple(f"group_{i}" for i in range(width)))
    else:
        raise OutcomesError(f"a pooled model needs several groups (OutcomesGroups or a mapping "
                            f"from group key to Outcomes), got {type(groups).__name__}")
    keys = [k if isinstance(k, tuple) else (k,) for k in groups]
    if len(keys) < 2:
        raise OutcomesError(f"a pooled model needs at least two groups, got {len(keys)}")
    bad = [k for k in keys if len(k) != len(names)]
    if bad:
        raise OutcomesError(f"group key(s) {bad[:3]} do not have one value per group variable "
                            f"{list(names)}")
    stats = [v if isinstance(v, SufficientStats) else compress(v) for v in groups.values()]
    return tuple(names), keys, stats


def pooled_structure(
    groups: OutcomesGroups | Mapping[Any, Outcomes | SufficientStats],
    covariates: pd.DataFrame | None = None,
    *,
    group_names: Sequence[str] | None = None,
    interaction: bool = False,
    centred: bool = False,
) -> PooledStructure:
    """Collect the groups, their compressed data, the random-effect levels and the covariates.

    Parameters
    ----------
    groups : OutcomesGroups or mapping
        The groups (at least two). A mapping's keys may be scalars or tuples.
    covariates : pandas.DataFrame, optional
        Group covariates (:func:`~monkeypower.fitting.group_covariates.group_covariates`).
    group_names : sequence of str, optional
        Names of the key components of a plain mapping (default ``group_0``, ...).
    interaction : bool, default False
        With a crossed key, also one effect per combined group.
    centred : bool, default False
        Centred parametrisation; only with a single effect (one group variable).
    """
    names, keys, stats = _as_groups(groups, group_names)
    effects = list(names)
    if interaction and len(names) > 1:
        effects.append("group")
    levels, level_of_group = {}, {}
    for effect in effects:
        values = keys if effect == "group" else [k[names.index(effect)] for k in keys]
        unique = list(dict.fromkeys(values))
        levels[effect] = unique
        position = {v: i for i, v in enumerate(unique)}
        level_of_group[effect] = np.array([position[v] for v in values], dtype=np.int64)
    if centred and len(effects) > 1:
        raise ValueError(f"centred=True needs a single group effect; the key has {effects} "
                         "(use the non-centred default for crossed keys)")
    pair_group = np.concatenate([np.full(s.n_pairs, g, dtype=np.int64)
                                 for g, s in enumerate(stats)])
    return PooledStructure(keys, names, stats, tuple(effects), levels, level_of_group,
                           group_covariates(covariates, keys, names), pair_group, centred)


def pooled_pymc_model(
    structure: PooledStructure, model: ResolvedModel, *, sd_prior_ratio: float = SD_PRIOR_RATIO,
    group_values: bool = True,
) -> pm.Model:
    """The PyMC model of a :class:`PooledStructure` (see the module docstring).

    ``group_values=False`` leaves out the per-group deterministics (the sampler then stores only
    the free variables, and :func:`group_variable_draws` computes them afterwards): nutpie's
    data swap (``with_data``) refuses data that reach a deterministic.
    """
    spec, family = model.spec, model.family
    values = structure.data()
    coords: dict[str, Any] = {"pair": np.arange(len(structure.pair_group)),
                              "group": np.arange(structure.n_groups),
                              "covariate": list(structure.covariates.columns)}
    for effect in structure.effects:
        coords[f"level_{effect}"] = np.arange(len(structure.levels[effect]))
    with pm.Model(coords=coords) as pm_model:
        data = {}
        for name, value in values.items():
            dims = ("group", "covariate") if name == "covariates" else (
                "group" if name.startswith("level_of_group_") else "pair")
            data[name] = pm.Data(name, value, dims=dims)
        variables = {}
        for name in family.prior_variables:
            scale, centre, spread = unconstrained_scale(spec.priors[name])
            eta = pm.Normal(f"{name}_pop_mean", centre, spread)
            if structure.covariates.columns:
                coef = pm.Normal(f"{name}_coef", 0.0, COEF_PRIOR_RATIO * spread, dims="covariate")
                eta = eta + pt.dot(data["covariates"], coef)
            for effect in structure.effects:
                sd = pm.HalfNormal(f"{name}_sd_{effect}", sd_prior_ratio * spread)
                if structure.centred:
                    eta = pm.Normal(f"{name}_eta", eta * pt.ones(structure.n_groups), sd,
                                    dims="group")
                    continue
                z = pm.Normal(f"{name}_z_{effect}", 0.0, 1.0, dims=f"level_{effect}")
                eta = eta + sd * z[data[f"level_of_group_{effect}"]]
            variables[name] = scale.inverse(eta, "pytensor")
            if group_values:
                variables[name] = pm.Deterministic(name, variables[name], dims="group")
        natural = family.natural_params(variables, PYTENSOR)
        if group_values:
            for name, value in natural.items():
                if name not in variables:
                    natural[name] = pm.Deterministic(name, value, dims="group")
        per_pair = {name: value[data["pair_group"]] for name, value in natural.items()}
        c = data["c"]
        log_lik = data["log_binomial_coefficient"] + family.log_moment(
            c, data["n"] - c, per_pair, PYTENSOR)
        pm.Potential("log_likelihood", pt.sum(data["weight"] * log_lik))
    return pm_model


def group_variable_draws(
    posterior: Mapping[str, Any], structure: PooledStructure, model: ResolvedModel,
) -> dict[str, np.ndarray]:
    """Each group's prior variables and natural parameters from the hyperparameter draws.

    Parameters
    ----------
    posterior : mapping
        Draws of ``<v>_pop_mean``, ``<v>_coef``, ``<v>_sd_<effect>``, ``<v>_z_<effect>``
        (arrays with leading (chain, draw) axes).
    structure : PooledStructure
    model : ResolvedModel

    Returns
    -------
    dict of str to numpy.ndarray
        Shape (chain, draw, group) per variable: the model's equations evaluated in NumPy.
    """
    spec, family = model.spec, model.family
    x = structure.covariates.standardised
    variables = {}
    for name in family.prior_variables:
        scale = unconstrained_scale(spec.priors[name])[0]
        if structure.centred:
            variables[name] = scale.inverse(np.asarray(posterior[f"{name}_eta"]))
            continue
        eta = np.asarray(posterior[f"{name}_pop_mean"])[..., None]
        if structure.covariates.columns:
            eta = eta + np.asarray(posterior[f"{name}_coef"]) @ x.T
        for effect in structure.effects:
            sd = np.asarray(posterior[f"{name}_sd_{effect}"])[..., None]
            z = np.asarray(posterior[f"{name}_z_{effect}"])
            eta = eta + sd * z[..., structure.level_of_group[effect]]
        variables[name] = scale.inverse(eta)
    natural = {k: np.asarray(v) for k, v in family.natural_params(variables, NUMPY).items()}
    return {**variables, **natural}


def build_pooled_model(
    groups: OutcomesGroups | Mapping[Any, Outcomes | SufficientStats],
    model: str | ModelSpec | ResolvedModel = DEFAULT_MODEL,
    covariates: pd.DataFrame | None = None,
    *,
    priors: Mapping[str, Any] | None = None,
    group_names: Sequence[str] | None = None,
    interaction: bool = False,
    centred: bool = False,
    sd_prior_ratio: float = SD_PRIOR_RATIO,
) -> pm.Model:
    r"""Build one PyMC model over all groups, partially pooling their population parameters.

    Parameters
    ----------
    groups : OutcomesGroups or mapping
        At least two groups: an :class:`~monkeypower.data.outcomes.OutcomesGroups` or a mapping
        from group key (scalar or tuple) to Outcomes or SufficientStats.
    model : str, ModelSpec or ResolvedModel, default :data:`~monkeypower.fitting.spec.DEFAULT_MODEL`
        The model spec: its family, and the priors the hyperpriors are centred on.
    covariates : pandas.DataFrame, optional
        Numeric group covariates keyed by group (see
        :mod:`monkeypower.fitting.group_covariates`).
    priors : mapping, optional
        Prior overrides of the spec (they move the hyperpriors' centres and spreads).
    group_names : sequence of str, optional
        Names of the key components of a plain mapping.
    interaction : bool, default False
        With a crossed key, add one effect per combined group to the per-component effects.
    centred : bool, default False
        Draw each group's unconstrained value directly around the population line
        (``<v>_eta ~ N(line, sd)``) instead of the non-centred ``line + sd * z``; one group
        variable only. Better when every group has much data (the non-centred form then has
        ``sd`` and ``z`` trading off along a narrow ridge); worse when groups have little.
    sd_prior_ratio : float, default :data:`SD_PRIOR_RATIO`
        Scale of the between-group sd priors relative to each prior's spread (a huge value
        lets groups differ freely, approaching independent fits).

    Returns
    -------
    pymc.Model
        Per-group variables (dimension ``group``): the spec's prior variables and the family's
        natural parameters; hyperparameters ``<v>_pop_mean``, ``<v>_coef`` (dimension
        ``covariate``), ``<v>_sd_<effect>`` and ``<v>_z_<effect>``; data over ``pair``
        (``n``, ``c``, ``weight``, ``log_binomial_coefficient``, ``pair_group``); one potential.

    Examples
    --------
    >>> import monkeypower as mp
    >>> groups = {f"m{i}": mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=20,
    ...                                n_attempts=50, seed=i) for i in range(3)}
    >>> model = mp.build_pooled_model(groups, "beta")
    >>> sorted(v.name for v in model.free_RVs)[:3], len(model.potentials)
    (['alpha_pop_mean', 'alpha_sd_group', 'alpha_z_group'], 1)
    """
    resolved = resolve_model(model, priors)
    structure = pooled_structure(groups, covariates, group_names=group_names,
                                 interaction=interaction, centred=centred)
    return pooled_pymc_model(structure, resolved, sd_prior_ratio=sd_prior_ratio)
