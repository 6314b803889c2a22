"""The DataTree a fit is stored in: the sampler's groups plus our data and pair log-likelihood.

Groups: ``posterior`` and ``sample_stats`` from the sampler; ``observed_data`` (the problems);
``constant_data`` (the distinct (n, c) pairs and which pair each problem has);
``log_likelihood_pairs`` (the marginal log-likelihood of each pair per draw, p integrated out).
Root attributes record the package version, the spec, the family, the design, the seed and the
sampler settings, so a saved fit reloads into the same :class:`~monkeypower.Fit`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from monkeypower.data.sufficient import SufficientStats
from monkeypower.families import NUMPY, Family
from monkeypower.fitting.model import pair_data
from monkeypower.fitting.settings import SamplerSettings
from monkeypower.fitting.spec import ResolvedModel
from monkeypower.version import __version__

__all__ = ["assemble_tree", "as_numpy_dataset", "pair_log_likelihood"]


def as_numpy_dataset(ds: xr.Dataset) -> xr.Dataset:
    """Plain NumPy arrays (JAX samplers store jax.Array, which NetCDF cannot write)."""
    return ds.copy(data={name: np.asarray(var.values) for name, var in ds.data_vars.items()})


def assemble_tree(
    sampled: xr.DataTree, stats: SufficientStats, model: ResolvedModel,
    settings: SamplerSettings, seed: int,
) -> xr.DataTree:
    """Our DataTree: posterior + sample_stats from the sampler, data and pointwise LL ours."""
    spec, family = model.spec, model.family
    posterior = as_numpy_dataset(sampled["posterior"].to_dataset())
    sample_stats = as_numpy_dataset(sampled["sample_stats"].to_dataset())
    outcomes = stats.outcomes
    observed = outcomes.to_dataset()
    observed.attrs = {}
    constant = xr.Dataset(
        {
            "pair_n": ("pair", stats.n),
            "pair_c": ("pair", stats.c),
            "pair_weight": ("pair", stats.weight),
            "pair_of_problem": ("problem", stats.pair_of_problem),
        },
        coords={"pair": np.arange(stats.n_pairs), "problem": outcomes.problem},
    )
    params = {name: posterior[name].values for name in family.params}
    pointwise = pair_log_likelihood(family, params, stats)
    log_lik = xr.Dataset(
        {"counts": (("chain", "draw", "pair"), pointwise)},
        coords={"chain": posterior["chain"], "draw": posterior["draw"],
                "pair": np.arange(stats.n_pairs)},
    )
    attrs = {
        "monkeypower_version": __version__,
        "model_spec": spec.to_json(),
        "family": family.name,
        "design": json.dumps(outcomes.design.to_dict()),
        "labels": json.dumps({k: _jsonable(v) for k, v in outcomes.labels.items()}),
        "seed": int(seed),
        "sampler_settings": json.dumps(settings.to_dict()),
    }
    return xr.DataTree.from_dict(
        {
            "/": xr.Dataset(attrs=attrs),
            "posterior": posterior,
            "sample_stats": sample_stats,
            "observed_data": observed,
            "constant_data": constant,
            "log_likelihood_pairs": log_lik,
        }
    )


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


#: Draw-by-pair values computed at a time by :func:`pair_log_likelihood` (16 MiB of float64):
#: a family's temporaries scale with the block, not with draws x pairs.
PAIR_BLOCK_VALUES = 1 << 21


def pair_log_likelihood(
    family: Family, params: Mapping[str, np.ndarray], stats: SufficientStats
) -> np.ndarray:
    """Marginal log-likelihood of each distinct pair per draw, shape (chain, draw, pair).

    Computed a block of draws at a time into the one output array, so the peak memory is that
    array plus the family's temporaries for :data:`PAIR_BLOCK_VALUES` values (with 4,000 draws
    and 10,000 pairs: 0.3 GiB, where evaluating every draw at once held about four times that).
    """
    values = pair_data(stats)
    c, f = values["c"], values["n"] - values["c"]
    flat = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in params.items()}
    shape = np.shape(next(iter(params.values())))
    n_draws, n_pairs = int(np.prod(shape)), len(c)
    out = np.empty((n_draws, n_pairs))
    block = max(1, PAIR_BLOCK_VALUES // max(1, n_pairs))
    for start in range(0, n_draws, block):
        rows = slice(start, start + block)
        theta = {k: v[rows, None] for k, v in flat.items()}
        out[rows] = np.asarray(family.log_moment(c, f, theta, NUMPY))
    out += values["log_binomial_coefficient"]
    return out.reshape(*shape, n_pairs)
