"""Sampling: :func:`fit` turns data and a model spec into a :class:`~monkeypower.Fit`.

The PyMC model is built once per (spec, sampler) and reused across fits and groups: data are
swapped in (``pm.set_data``; nutpie's ``with_data``), so a collection of groups pays
compilation once per process, and nutpie's compiled wrapper is cached on disk
(:mod:`monkeypower.fitting.nutpie_compile`), so later processes on the machine load it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pymc as pm
import xarray as xr

from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.sufficient import SufficientStats, compress
from monkeypower.fitting.fit import Fit
from monkeypower.fitting.groups import FitGroups
from monkeypower.fitting.model import build_model, pair_data
from monkeypower.fitting.nutpie_compile import compile_for_nutpie, exact_float_compilation
from monkeypower.fitting.nutpie_import import nutpie
from monkeypower.fitting.posterior_tree import assemble_tree
from monkeypower.fitting.settings import (
    DEFAULT_SAMPLER,
    DEFAULT_TARGET_ACCEPT,
    SAMPLERS,
    SamplerSettings,
)
from monkeypower.fitting.spec import DEFAULT_MODEL, ModelSpec, ResolvedModel, resolve_model
from monkeypower.seeding import checked_seed, child_seed

__all__ = ["fit", "SamplerSettings", "SAMPLERS", "DEFAULT_SAMPLER", "DEFAULT_TARGET_ACCEPT",
           "CompiledModels", "Runner", "runner_for", "sample_model"]

class Runner:
    """Builds the PyMC model once and samples it for one dataset after another.

    Swapping data (``pm.set_data``) keeps the compiled logp/gradient cached, so a collection of
    groups pays compilation once (nutpie: ``compiled.with_data``).
    """

    def __init__(self, stats: SufficientStats, model: ResolvedModel, settings: SamplerSettings):
        self.resolved = model
        self.settings = settings
        self.model = build_model(stats, model)
        self._data_of = stats  # whose data the model's containers hold now
        self._nutpie_compiled = None

    def sample(self, stats: SufficientStats, seed: int) -> xr.DataTree:
        """Sample the posterior for ``stats`` (swapped into the compiled model) with ``seed``."""
        values = pair_data(stats)
        if stats is not self._data_of:  # the model was built with, or last given, other data
            with self.model:
                pm.set_data(values, coords={"pair": np.arange(stats.n_pairs)})
            self._data_of = stats
        if self.settings.sampler == "nutpie" and self._nutpie_compiled is None:
            self._nutpie_compiled = compile_for_nutpie(self.model)
        return sample_model(self.model, self.settings, seed,
                            nutpie_compiled=self._nutpie_compiled, data=values)


def sample_model(
    model: pm.Model, settings: SamplerSettings, seed: int, *,
    nutpie_compiled: Any = None, data: Mapping[str, np.ndarray] | None = None,
) -> xr.DataTree:
    """Run NUTS on a built PyMC model with ``settings`` and ``seed``; the sampler's DataTree.

    Parameters
    ----------
    model : pymc.Model
        The model, its data already set (``pm.set_data``).
    settings : SamplerSettings
        Which NUTS implementation and how many draws.
    seed : int
        The sampler's seed.
    nutpie_compiled : optional
        nutpie only: the model compiled once (:func:`compile_for_nutpie`), reused across calls;
        compiled here when not given.
    data : mapping, optional
        nutpie only: data to swap into the compiled model (``with_data``).
    """
    s = settings
    if s.sampler == "nutpie":
        compiled = nutpie_compiled if nutpie_compiled is not None else compile_for_nutpie(model)
        if data:
            compiled = compiled.with_data(**data)
        return nutpie.sample(
            compiled, draws=s.draws, tune=s.tune, chains=s.chains, seed=seed,
            progress_bar=s.progressbar, target_accept=s.target_accept,
            cores=s.cores or min(s.chains, 2), save_warmup=False,
            adaptation="low_rank" if s.mass_matrix == "low_rank" else "diag",
        )
    with model, exact_float_compilation():
        kwargs: dict[str, Any] = {}
        if s.sampler == "pymc":
            kwargs["cores"] = s.cores or min(s.chains, 2)
            kwargs["compute_convergence_checks"] = False
        return pm.sample(
            draws=s.draws, tune=s.tune, chains=s.chains, random_seed=seed,
            nuts_sampler=s.sampler, target_accept=s.target_accept,
            progressbar=s.progressbar, **kwargs,
        )


class CompiledModels:
    """Built (and compiled) models kept for reuse in this process; the least recently used goes.

    Parameters
    ----------
    size : int
        How many entries are kept.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[Any, Any] = {}

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        """The entry under ``key``, built by ``build()`` when absent; marked most recently used."""
        entry = self._entries.pop(key, None)
        if entry is None:
            entry = build()
        self._entries[key] = entry
        while len(self._entries) > self.size:
            self._entries.pop(next(iter(self._entries)))
        return entry

    def __len__(self) -> int:
        return len(self._entries)


_RUNNERS = CompiledModels(8)


def runner_for(stats: SufficientStats, model: ResolvedModel, settings: SamplerSettings) -> Runner:
    """A compiled runner for this spec and sampler, reused across ``fit`` calls in a process.

    Data are swapped in per fit, so a second fit of the same model costs sampling only (about a
    second with nutpie instead of ~8 s of compilation). At most 8 compiled models are kept.
    """
    key = (model.spec.to_json(), settings.sampler)
    runner = _RUNNERS.get(key, lambda: Runner(stats, model, settings))
    runner.settings = settings
    return runner


def fit(
    data: Outcomes | OutcomesGroups | SufficientStats,
    model: str | Path | ModelSpec = DEFAULT_MODEL,
    *,
    seed: int,
    priors: Mapping[str, Any] | None = None,
    sampler: str = DEFAULT_SAMPLER,
    draws: int | None = None,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float | None = None,
    progressbar: bool = True,
    cores: int | None = None,
) -> Fit | FitGroups:
    """Fit a population model by NUTS and return its posterior.

    Parameters
    ----------
    data : Outcomes, OutcomesGroups or SufficientStats
        The counts. A group collection fits every group, compiling the model once.
    model : str, Path or ModelSpec, default :data:`~monkeypower.fitting.spec.DEFAULT_MODEL`
        A built-in model name (:func:`monkeypower.available_models`), a TOML spec path, or a spec.
    seed : int
        Required. The same seed gives the same draws (per sampler); groups get seeds derived
        from it.
    priors : mapping, optional
        Prior overrides, highest precedence (see :mod:`monkeypower.fitting.spec`).
    sampler : {"pymc", "nutpie", "numpyro", "blackjax"}, default "nutpie"
        The NUTS implementation.
    draws : int, optional
        Retained draws per chain. Default: the model spec's ``[sampler]`` value (the default
        model asks for 2,000, see its card), else 1,000.
    tune, chains : int
        Tuning steps per chain, chains.
    target_accept : float, optional
        NUTS step-size adaptation target. Default: the model spec's ``[sampler]`` value (the
        scaled Beta asks for 0.99, see its card), else 0.9.
    progressbar : bool, default True
        Show sampling progress.
    cores : int, optional
        Chains run in parallel (default ``min(chains, 2)``, the machine size here).

    Returns
    -------
    Fit or FitGroups
        :class:`FitGroups` for a group collection.

    Warns
    -----
    SamplingWarning
        On divergences, R-hat > 1.01, or bulk/tail ESS below 100 per chain.

    Examples
    --------
    >>> import monkeypower as mp
    >>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=128,
    ...                   n_attempts=1000, seed=0)
    >>> result = mp.fit(out, "beta", seed=1, progressbar=False)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    seed = checked_seed(seed)
    resolved = resolve_model(model, priors)
    spec = resolved.spec
    settings = SamplerSettings.for_model(
        spec.sampler_defaults, sampler=sampler, draws=draws, tune=tune, chains=chains,
        target_accept=target_accept, progressbar=progressbar, cores=cores)
    if isinstance(data, OutcomesGroups):
        items = [(key, compress(out)) for key, out in data.items()]
        runner = runner_for(items[0][1], resolved, settings)
        fits = {}
        for index, (key, stats) in enumerate(items):
            group_seed = child_seed(seed, index)
            tree = assemble_tree(runner.sample(stats, group_seed), stats, resolved, settings,
                                 group_seed)
            fits[key] = Fit(tree, model=resolved,
                            where=f"group {dict(zip(data.group_names, key, strict=True))}")
        return FitGroups(data.group_names, fits)
    stats = data if isinstance(data, SufficientStats) else compress(data)
    runner = runner_for(stats, resolved, settings)
    return Fit(assemble_tree(runner.sample(stats, int(seed)), stats, resolved, settings,
                             int(seed)), model=resolved)
