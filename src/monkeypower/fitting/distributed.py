"""Many groups at once: a group collection fitted on a Dask cluster, or here, with progress.

:func:`fit_many` fits every group of an :class:`~monkeypower.data.outcomes.OutcomesGroups`
(thousands of model x benchmark x checkpoint groups) and returns the same
:class:`~monkeypower.fitting.groups.FitGroups` as :func:`~monkeypower.fitting.sampling.fit`,
draw for draw: group ``i`` (in the collection's order) is sampled with
``child_seed(seed, i)`` wherever it runs.

Where the groups run:

- ``client=`` a :class:`distributed.Client` you already hold, or ``scheduler=`` the address of a
  running Dask scheduler (``"tcp://host:8786"``): on that cluster;
- ``n_workers=N``: on a :class:`distributed.LocalCluster` of ``N`` worker processes of one
  thread each (one per core), started for this call and closed after it;
- none of these: one after another in this process.

The groups travel in chunks of ``chunk_size``; a worker process compiles the model on its first
chunk and keeps it for every later one (the process's runner cache,
:func:`~monkeypower.fitting.sampling.runner_for`), so a cluster pays compilation once per
worker. A local cluster pays it not at all: the first group is fitted here (compiling the model
in this process), and on Linux the workers are then started by ``fork``, so they begin with the
package imported and the model compiled (measured: a 2-worker cluster ready in under a second,
against 20-60 s for each spawned worker to import PyMC and compile). Only the compressed counts
travel to the workers and only the posterior trees come back.

Nothing is lost when a worker dies: its chunk is run again on another worker (the scheduler
reschedules it, up to ``distributed.scheduler.allowed-failures`` deaths), and a chunk that
raises is retried ``retries`` times. A progress bar shows groups done / total and the time
left; the samplers' own bars are off.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dask
import xarray as xr
from distributed import Client, LocalCluster, as_completed

from monkeypower.arguments import whole_number
from monkeypower.data.outcomes import OutcomesGroups
from monkeypower.data.sufficient import SufficientStats, compress
from monkeypower.fitting.fit import Fit
from monkeypower.fitting.groups import FitGroups
from monkeypower.fitting.posterior_tree import assemble_tree
from monkeypower.fitting.sampling import runner_for
from monkeypower.fitting.settings import DEFAULT_SAMPLER, SamplerSettings
from monkeypower.fitting.spec import DEFAULT_MODEL, ModelSpec, ResolvedModel, resolve_model
from monkeypower.presentation.progress import progress_bar
from monkeypower.seeding import checked_seed, child_seed

__all__ = ["fit_many", "local_client", "fit_chunk", "fit_group", "default_chunk_size"]

CHUNKS_PER_WORKER = 8
"""Chunks per worker by default: enough to balance the load and move the bar often, few enough
that the scheduler's cost per task (milliseconds) stays far below a fit's."""
MAX_CHUNK_SIZE = 32
LOCAL_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
"""How a local cluster starts its workers: ``fork`` (Linux) hands them this process's imports and
compiled models; elsewhere ``spawn`` (fork is unsafe on macOS), and each worker compiles once."""


def default_chunk_size(n_groups: int, n_workers: int) -> int:
    """Groups per task: about :data:`CHUNKS_PER_WORKER` tasks per worker, at most 32 groups."""
    per_task = math.ceil(n_groups / max(1, n_workers * CHUNKS_PER_WORKER))
    return max(1, min(MAX_CHUNK_SIZE, per_task))


def fit_group(stats: SufficientStats, model: ResolvedModel, settings: SamplerSettings,
              group_seed: int) -> xr.DataTree:
    """One group's posterior tree, sampled with the process's compiled runner for the model."""
    runner = runner_for(stats, model, settings)
    return assemble_tree(runner.sample(stats, group_seed), stats, model, settings, group_seed)


def fit_chunk(chunk: list[tuple[int, SufficientStats]], spec_json: str,
              settings: SamplerSettings, seed: int) -> list[tuple[int, xr.DataTree]]:
    """The task a worker runs: each ``(index, stats)`` of the chunk sampled with its group seed.

    The spec travels as JSON (every prior already applied) and is resolved in the worker; the
    compiled model is reused from the worker's runner cache after its first chunk.
    """
    model = resolve_model(ModelSpec.from_dict(json.loads(spec_json)))
    return [(index, fit_group(stats, model, settings, child_seed(seed, index)))
            for index, stats in chunk]


def _check_where(client: Client | None, scheduler: str | None, n_workers: int | None
                 ) -> int | None:
    """At most one place to fit; ``n_workers`` as a whole number (1.5 was taken as 1)."""
    given = [name for name, value in (("client", client), ("scheduler", scheduler),
                                      ("n_workers", n_workers)) if value is not None]
    if len(given) > 1:
        raise ValueError(f"give at most one of client, scheduler and n_workers, got {given}")
    return None if n_workers is None else whole_number(n_workers, "n_workers", 1)


def fit_many(
    data: OutcomesGroups,
    model: str | Path | ModelSpec = DEFAULT_MODEL,
    *,
    seed: int,
    priors: Mapping[str, Any] | None = None,
    sampler: str = DEFAULT_SAMPLER,
    draws: int | None = None,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float | None = None,
    cores: int | None = None,
    client: Client | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    chunk_size: int | None = None,
    retries: int = 2,
    progressbar: bool = True,
) -> FitGroups:
    """Fit every group of a collection, on a Dask cluster or in this process, with progress.

    The result equals ``fit(data, model, seed=seed, ...)`` draw for draw (group ``i`` is sampled
    with ``child_seed(seed, i)``, :func:`monkeypower.seeding.child_seed`), wherever it ran.

    Parameters
    ----------
    data : OutcomesGroups
        The groups (e.g. model x benchmark x checkpoint).
    model, priors, sampler, draws, tune, chains, target_accept
        As in :func:`monkeypower.fit`.
    seed : int
        Required; group ``i`` gets ``child_seed(seed, i)``.
    cores : int, optional
        Chains of one fit run in parallel. Default: 1 on a cluster (its workers use the cores,
        one group each), else that of :func:`monkeypower.fit`.
    client : distributed.Client, optional
        A client of a cluster you already run.
    scheduler : str, optional
        The address of a running Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    n_workers : int, optional
        Start a :class:`distributed.LocalCluster` of this many worker processes (one thread each)
        for this call. Give at most one of ``client``, ``scheduler``, ``n_workers``; none fits
        the groups here, one after another.
    chunk_size : int, optional
        Groups per task (default :func:`default_chunk_size`: about 8 tasks per worker, at most
        32 groups each).
    retries : int, default 2
        Times a task that raised is run again (a task whose worker died is rescheduled by the
        scheduler whatever this says).
    progressbar : bool, default True
        Show groups done / total with the time left (the samplers' own bars stay off).

    Returns
    -------
    FitGroups
        In the order of ``data``; each fit's warnings name its group.

    Raises
    ------
    TypeError
        If ``data`` is not a group collection or ``seed`` is not an int.
    ValueError
        If more than one of ``client``, ``scheduler``, ``n_workers`` is given.

    Examples
    --------
    >>> import monkeypower as mp
    >>> groups = mp.read_outcomes("counts.csv", problem="problem_idx", n="n", c="c",
    ...                           group_by=["model", "benchmark"])  # doctest: +SKIP
    >>> fits = mp.fit_many(groups, "beta", seed=1, n_workers=4)  # doctest: +SKIP
    >>> fits.summary()  # doctest: +SKIP
    """
    if not isinstance(data, OutcomesGroups):
        raise TypeError(f"fit_many fits a group collection (OutcomesGroups), got "
                        f"{type(data).__name__}; use monkeypower.fit for one dataset")
    seed = checked_seed(seed)
    n_workers = _check_where(client, scheduler, n_workers)
    resolved = resolve_model(model, priors)
    on_cluster = any(value is not None for value in (client, scheduler, n_workers))
    if cores is None and on_cluster:
        cores = 1
    settings = SamplerSettings.for_model(
        resolved.spec.sampler_defaults, sampler=sampler, draws=draws, tune=tune, chains=chains,
        target_accept=target_accept, progressbar=False, cores=cores)
    keys = list(data.keys())
    items = [(index, compress(data[key])) for index, key in enumerate(keys)]
    bar = progress_bar(len(items), f"fitting {resolved.spec.name}", enabled=progressbar)
    trees: dict[int, xr.DataTree] = {}
    with bar:
        # a local cluster's workers fork from this process: the first group compiles here
        fitted_here = items if not on_cluster else items[:1] if n_workers is not None else []
        for index, stats in fitted_here:
            trees[index] = fit_group(stats, resolved, settings, child_seed(seed, index))
            bar.update(1)
        rest = items[len(trees):]
        if on_cluster and rest:
            trees |= _on_cluster(rest, resolved, settings, seed, client, scheduler, n_workers,
                                 chunk_size, retries, bar)
    fits = {key: Fit(trees[index], model=resolved,
                     where=f"group {dict(zip(data.group_names, key, strict=True))}")
            for index, key in enumerate(keys)}
    return FitGroups(data.group_names, fits)


def _on_cluster(items: list[tuple[int, SufficientStats]], resolved: ResolvedModel,
                settings: SamplerSettings, seed: int, client: Client | None,
                scheduler: str | None, n_workers: int | None, chunk_size: int | None,
                retries: int, bar: Any) -> dict[int, xr.DataTree]:
    """Submit the chunks, collect the trees as they finish, close what this call started.

    A local cluster's start method holds for the whole call, so a worker restarted after a
    death forks from this process too.
    """
    if n_workers is None:
        if client is None:
            with Client(scheduler) as own_client:
                return _gather(own_client, items, resolved, settings, seed, chunk_size, retries,
                               bar)
        return _gather(client, items, resolved, settings, seed, chunk_size, retries, bar)
    with local_client(n_workers) as own_client:
        return _gather(own_client, items, resolved, settings, seed, chunk_size, retries, bar)


@contextmanager
def local_client(n_workers: int) -> Iterator[Client]:
    """A client of a new :class:`distributed.LocalCluster` of ``n_workers`` one-thread processes.

    On Linux the workers fork from this process (:data:`LOCAL_START_METHOD`), so they start with
    its imports and compiled models; the start method holds while the cluster lives, so a worker
    restarted after a death forks too. Workers start one at a time: two threads forking at once
    trip the fork guard of ``filelock`` (used by PyTensor), which raises in one of them.
    The cluster closes when the ``with`` block ends.

    Parameters
    ----------
    n_workers : int
        Worker processes (one per core is the usual choice).

    Yields
    ------
    distributed.Client
    """
    with (dask.config.set({"distributed.worker.multiprocessing-method": LOCAL_START_METHOD}),
          LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                       dashboard_address=":0", silence_logs=logging.ERROR) as cluster,
          Client(cluster) as client):
        for count in range(2, int(n_workers) + 1):
            cluster.scale(count)
            client.wait_for_workers(count)
        yield client


def _gather(client: Client, items: list[tuple[int, SufficientStats]], resolved: ResolvedModel,
            settings: SamplerSettings, seed: int, chunk_size: int | None, retries: int,
            bar: Any) -> dict[int, xr.DataTree]:
    """Submit the chunks to ``client`` and collect the trees as they finish."""
    workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    size = chunk_size or default_chunk_size(len(items), workers)
    chunks = [items[start:start + size] for start in range(0, len(items), size)]
    spec_json = resolved.spec.to_json()
    futures = [client.submit(fit_chunk, chunk, spec_json, settings, seed, retries=retries,
                             pure=False) for chunk in chunks]
    trees: dict[int, xr.DataTree] = {}
    try:
        for future in as_completed(futures):
            done = future.result()
            trees.update(done)
            bar.update(len(done))
            future.release()
    except BaseException:
        client.cancel(futures)
        raise
    return trees
