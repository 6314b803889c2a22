r"""The hierarchical population model as a pure builder: data + spec → :class:`pymc.Model`.

For problems :math:`i = 1..M` with :math:`n_i` attempts and :math:`c_i` successes,
:math:`p_i \sim f(\cdot;\theta)` and :math:`c_i \mid p_i \sim \text{Binomial}(n_i, p_i)`.
The model never samples a latent :math:`p_i`: it uses the marginal likelihood

.. math:: \log p(c_i \mid n_i, \theta) = \log\binom{n_i}{c_i} + L(c_i, n_i - c_i; \theta),
   \qquad L(c, f; \theta) = \log E_\theta[p^c (1-p)^f],

summed over the distinct :math:`(n, c)` pairs with their multiplicities, so a
million problems cost what a hundred do. For a sequential design the binomial coefficient is
dropped (a constant in θ). The per-problem log-likelihood for leave-one-problem-out LOO is
computed from the posterior with the same :math:`L` (see :mod:`monkeypower.fitting.fit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import gammaln

from monkeypower.data.outcomes import Outcomes
from monkeypower.data.sufficient import SufficientStats, compress
from monkeypower.families import PYTENSOR
from monkeypower.fitting.shifted_logit import shifted_logit_beta
from monkeypower.fitting.spec import (
    DEFAULT_MODEL,
    ModelSpec,
    PriorSpec,
    ResolvedModel,
    resolve_model,
)

__all__ = ["build_model", "pair_data"]


def pair_data(stats: SufficientStats) -> dict[str, np.ndarray]:
    """The model's data containers for one dataset (used to swap data into a built model).

    Returns ``n``, ``c``, ``weight`` and ``log_binomial_coefficient`` per distinct pair; the
    coefficient is zero for a sequential or adaptive design (each round's coefficients are
    constants in the parameters; the kernel alone is the likelihood's shape).
    """
    n = stats.n.astype(np.float64)
    c = stats.c.astype(np.float64)
    if stats.outcomes.design.depends_on_outcomes:
        coef = np.zeros_like(n)
    else:
        coef = gammaln(n + 1) - gammaln(c + 1) - gammaln(n - c + 1)
    return {"n": n, "c": c, "weight": stats.weight.astype(np.float64),
            "log_binomial_coefficient": coef}


def _prior_variable(name: str, prior: PriorSpec, shift: Any):
    """The prior variable ``name``; sampled on the family's shifted logit scale where it has one.

    Only a Beta prior has a shifted form
    (:func:`~monkeypower.fitting.shifted_logit.shifted_logit_beta`); another distribution a user
    puts on the variable is sampled as PyMC samples it.
    """
    if shift is None or prior.distribution != "Beta":
        return prior.build(name)
    return shifted_logit_beta(name, prior.params["alpha"], prior.params["beta"], shift)


def build_model(
    data: Outcomes | SufficientStats,
    model: str | ModelSpec | ResolvedModel = DEFAULT_MODEL,
    *,
    priors: Mapping[str, Any] | None = None,
) -> pm.Model:
    r"""Build the PyMC model of a population family for one dataset.

    Parameters
    ----------
    data : Outcomes or SufficientStats
        The counts (compressed here if not already).
    model : str, ModelSpec or ResolvedModel, default :data:`~monkeypower.fitting.spec.DEFAULT_MODEL`
        A built-in model name, a path to a TOML spec, a spec, or a spec already resolved to its
        family (:func:`~monkeypower.fitting.spec.resolve_model`; then nothing is loaded again).
    priors : mapping, optional
        Prior overrides, highest precedence (see :mod:`monkeypower.fitting.spec`).

    Returns
    -------
    pymc.Model
        Free variables: the spec's prior variables (e.g. ``alpha``, ``mean``, ``scale``);
        deterministics: the family's natural parameters not sampled directly (e.g. ``beta``);
        data: ``n``, ``c``, ``weight``, ``log_binomial_coefficient`` over dimension ``pair``;
        one potential, ``log_likelihood``, the weighted marginal log-likelihood.

    Examples
    --------
    >>> import monkeypower as mp
    >>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=50, n_attempts=100,
    ...                   seed=0)
    >>> model = mp.build_model(out, "beta")
    >>> sorted(v.name for v in model.free_RVs)
    ['alpha', 'mean']
    """
    resolved = resolve_model(model, priors)
    spec, family = resolved.spec, resolved.family
    stats = data if isinstance(data, SufficientStats) else compress(data)
    values = pair_data(stats)
    with pm.Model(coords={"pair": np.arange(stats.n_pairs)}) as pm_model:
        containers = {name: pm.Data(name, value, dims="pair") for name, value in values.items()}
        variables: dict[str, Any] = {}
        for name in family.prior_variables:
            variables[name] = _prior_variable(name, spec.priors[name],
                                              family.logit_shift(name, variables, PYTENSOR))
        natural = family.natural_params(variables, PYTENSOR)
        for name, value in natural.items():
            if name not in variables:
                pm.Deterministic(name, value)
        c = containers["c"]
        log_lik = containers["log_binomial_coefficient"] + family.log_moment(
            c, containers["n"] - c, natural, PYTENSOR
        )
        pm.Potential("log_likelihood", pt.sum(containers["weight"] * log_lik))
    return pm_model
