"""Fitting: :func:`fit` samples the posterior; :class:`Fit` gives every estimand from it.

A :class:`Fit` holds an :class:`xarray.DataTree` with the usual ArviZ groups (``posterior``,
``sample_stats``, ``observed_data``, ``constant_data``) plus ``log_likelihood_pairs``: the
pointwise marginal log-likelihood of each distinct ``(n, c)`` pair, with p integrated out. The
per-problem ``log_likelihood`` group that :func:`arviz_stats.loo` needs is built from it on demand
(:meth:`Fit.to_datatree`), so LOO is leave-one-*problem*-out (BRIEF §7).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from monkeypower import estimands as est
from monkeypower.design import Design
from monkeypower.diagnostics import Diagnostics, check_sampling
from monkeypower.estimands import Curve, EstimandDraws
from monkeypower.families import NUMPY, Family, get_family
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.model import build_model, pair_data
from monkeypower.outcomes import Outcomes, OutcomesGroups
from monkeypower.spec import ModelSpec, load_spec
from monkeypower.sufficient import SufficientStats, compress

__all__ = ["fit", "Fit", "FitGroups", "load_fit", "SAMPLERS", "DEFAULT_SAMPLER"]

SAMPLERS = ("pymc", "nutpie", "numpyro", "blackjax")
DEFAULT_SAMPLER = "nutpie"
"""nutpie: compiled once, then refitted on new data in about a second (``with_data``), and the
fastest cold fit of the scaled Beta; see ``benchmarks/fit_times.py`` and ``docs/benchmarks.md``."""
DEFAULT_TARGET_ACCEPT = 0.9
"""NUTS adaptation target unless the model spec's ``[sampler]`` table or the caller says more."""


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings shared by every sampler backend."""

    sampler: str = DEFAULT_SAMPLER
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    progressbar: bool = True
    cores: int | None = None

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        for name in ("draws", "tune", "chains"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0 < self.target_accept < 1:
            raise ValueError(f"target_accept must be in (0, 1), got {self.target_accept}")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored with the fit)."""
        return {"sampler": self.sampler, "draws": self.draws, "tune": self.tune,
                "chains": self.chains, "target_accept": self.target_accept}


def _group_seed(seed: int, index: int) -> int:
    """A reproducible, well-separated seed for the index-th group of a collection."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


class _Runner:
    """Builds the PyMC model once and samples it for one dataset after another.

    Swapping data (``pm.set_data``) keeps the compiled logp/gradient cached, so a collection of
    groups pays compilation once (nutpie: ``compiled.with_data``).
    """

    def __init__(self, stats: SufficientStats, spec: ModelSpec, settings: SamplerSettings):
        self.spec = spec
        self.settings = settings
        self.model = build_model(stats, spec)
        self._nutpie_compiled = None

    def sample(self, stats: SufficientStats, seed: int) -> xr.DataTree:
        import pymc as pm

        values = pair_data(stats)
        coords = {"pair": np.arange(stats.n_pairs)}
        s = self.settings
        if s.sampler == "nutpie":
            import nutpie

            with self.model:
                pm.set_data(values, coords=coords)
            if self._nutpie_compiled is None:
                self._nutpie_compiled = nutpie.compile_pymc_model(self.model)
            compiled = self._nutpie_compiled.with_data(**values)
            return nutpie.sample(
                compiled, draws=s.draws, tune=s.tune, chains=s.chains, seed=seed,
                progress_bar=s.progressbar, target_accept=s.target_accept,
                cores=s.cores or min(s.chains, 2), save_warmup=False,
            )
        if s.sampler in ("numpyro", "blackjax"):
            # must run before anything starts JAX, so PyMC can set the host device count
            import pymc.sampling.jax  # noqa: F401
        with self.model:
            pm.set_data(values, coords=coords)
            kwargs: dict[str, Any] = {}
            if s.sampler == "pymc":
                kwargs["cores"] = s.cores or min(s.chains, 2)
                kwargs["compute_convergence_checks"] = False
            return pm.sample(
                draws=s.draws, tune=s.tune, chains=s.chains, random_seed=seed,
                nuts_sampler=s.sampler, target_accept=s.target_accept,
                progressbar=s.progressbar, **kwargs,
            )


_RUNNER_CACHE: dict[tuple[str, str], _Runner] = {}
_RUNNER_CACHE_SIZE = 8


def _runner_for(stats: SufficientStats, spec: ModelSpec, settings: SamplerSettings) -> _Runner:
    """A compiled runner for this spec and sampler, reused across ``fit`` calls in a process.

    Data are swapped in per fit, so a second fit of the same model costs sampling only (about a
    second with nutpie instead of ~8 s of compilation). At most 8 compiled models are kept.
    """
    key = (spec.to_json(), settings.sampler)
    runner = _RUNNER_CACHE.pop(key, None)
    if runner is None:
        runner = _Runner(stats, spec, settings)
    runner.settings = settings
    _RUNNER_CACHE[key] = runner
    while len(_RUNNER_CACHE) > _RUNNER_CACHE_SIZE:
        _RUNNER_CACHE.pop(next(iter(_RUNNER_CACHE)))
    return runner


def _as_numpy_dataset(ds: xr.Dataset) -> xr.Dataset:
    """Plain NumPy arrays (JAX samplers store jax.Array, which NetCDF cannot write)."""
    return ds.copy(data={name: np.asarray(var.values) for name, var in ds.data_vars.items()})


def _assemble_tree(
    sampled: xr.DataTree, stats: SufficientStats, spec: ModelSpec, family: Family,
    settings: SamplerSettings, seed: int,
) -> xr.DataTree:
    """Our DataTree: posterior + sample_stats from the sampler, data and pointwise LL ours."""
    from monkeypower import __version__

    posterior = _as_numpy_dataset(sampled["posterior"].to_dataset())
    sample_stats = _as_numpy_dataset(sampled["sample_stats"].to_dataset())
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


def _tail_detail(kind: str) -> str:
    """Row detail of the tail estimands: what the population's tail implies."""
    return {
        "power_law": "population tail: power law",
        "plateau": "population tail: plateau at 1 - pi0 (no power law)",
        "faster_than_power_law": "population tail: faster than any power law",
    }[kind]


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def pair_log_likelihood(
    family: Family, params: Mapping[str, np.ndarray], stats: SufficientStats
) -> np.ndarray:
    """Marginal log-likelihood of each distinct pair per draw, shape (chain, draw, pair)."""
    values = pair_data(stats)
    expanded = {k: np.asarray(v, dtype=np.float64)[..., None] for k, v in params.items()}
    c = values["c"]
    return values["log_binomial_coefficient"] + np.asarray(
        family.log_moment(c, values["n"] - c, expanded, NUMPY)
    )


def fit(
    data: Outcomes | OutcomesGroups | SufficientStats,
    model: str | Path | ModelSpec = "scaled_beta",
    *,
    seed: int,
    priors: Mapping[str, Any] | None = None,
    sampler: str = DEFAULT_SAMPLER,
    draws: int = 1000,
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
    model : str, Path or ModelSpec, default "scaled_beta"
        A built-in model name (:func:`monkeypower.available_models`), a TOML spec path, or a spec.
    seed : int
        Required. The same seed gives the same draws (per sampler); groups get seeds derived
        from it.
    priors : mapping, optional
        Prior overrides, highest precedence (see :mod:`monkeypower.spec`).
    sampler : {"pymc", "nutpie", "numpyro", "blackjax"}, default "nutpie"
        The NUTS implementation.
    draws, tune, chains : int
        Retained draws per chain, tuning steps per chain, chains.
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
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int (fits must be reproducible), got {seed!r}")
    spec = load_spec(model, priors)
    if target_accept is None:
        target_accept = spec.sampler_defaults.get("target_accept", DEFAULT_TARGET_ACCEPT)
    settings = SamplerSettings(sampler, int(draws), int(tune), int(chains), float(target_accept),
                               bool(progressbar), cores)
    family = get_family(spec.family)
    if isinstance(data, OutcomesGroups):
        items = [(key, compress(out)) for key, out in data.items()]
        runner = _runner_for(items[0][1], spec, settings)
        fits = {}
        for index, (key, stats) in enumerate(items):
            group_seed = _group_seed(seed, index)
            tree = _assemble_tree(runner.sample(stats, group_seed), stats, spec, family,
                                  settings, group_seed)
            fits[key] = Fit(tree, where=f"group {dict(zip(data.group_names, key, strict=True))}")
        return FitGroups(data.group_names, fits)
    stats = data if isinstance(data, SufficientStats) else compress(data)
    runner = _runner_for(stats, spec, settings)
    return Fit(_assemble_tree(runner.sample(stats, int(seed)), stats, spec, family, settings,
                              int(seed)))


class Fit:
    """A fitted population model: posterior draws and every estimand derived from them.

    Create with :func:`fit` or :func:`load_fit`. Estimand methods return
    :class:`~monkeypower.estimands.EstimandDraws`; :meth:`summary` tabulates them under the
    interval convention in force (:mod:`monkeypower.intervals`).
    """

    def __init__(self, tree: xr.DataTree, *, warn: bool = True, where: str = ""):
        self.tree = tree
        attrs = tree.attrs
        self.spec = ModelSpec.from_dict(json.loads(attrs["model_spec"]))
        self.family = get_family(attrs["family"])
        self.seed = int(attrs["seed"])
        self.sampler_settings = json.loads(attrs["sampler_settings"])
        observed = tree["observed_data"].to_dataset()
        design = Design.from_dict(json.loads(attrs["design"]))
        self.outcomes = Outcomes(observed["problem"].values, observed["n"].values,
                                 observed["c"].values, design, json.loads(attrs["labels"]))
        constant = tree["constant_data"].to_dataset()
        self.stats = SufficientStats(
            constant["pair_n"].values, constant["pair_c"].values, constant["pair_weight"].values,
            constant["pair_of_problem"].values, self.outcomes,
        )
        posterior = tree["posterior"].to_dataset()
        sample_stats = tree["sample_stats"].to_dataset() if "sample_stats" in tree else None
        self.diagnostics: Diagnostics = check_sampling(
            posterior, sample_stats, list(self.family.prior_variables), warn=warn,
            where=where or self._name(),
        )

    # ------------------------------------------------------------------ basics
    def _name(self) -> str:
        return f"{self.spec.name} fit" + (f" of {self.outcomes.name}" if self.outcomes.name else "")

    def __repr__(self) -> str:
        return (
            f"<Fit {self.spec.name} ({self.family.name}) on {self.outcomes!r}; "
            f"{self.diagnostics}>"
        )

    @property
    def posterior(self) -> xr.Dataset:
        """The posterior group as a Dataset."""
        return self.tree["posterior"].to_dataset()

    def params(self) -> dict[str, np.ndarray]:
        """Natural-parameter draws of the family, each of shape (chain, draw)."""
        return {name: self.posterior[name].values for name in self.family.params}

    def _flat_params(self, max_draws: int | None = None) -> tuple[dict[str, np.ndarray], tuple]:
        params = self.params()
        shape = next(iter(params.values())).shape
        flat = {k: v.reshape(-1) for k, v in params.items()}
        if max_draws is not None and shape[1] > max_draws:
            step = int(np.ceil(shape[1] / max_draws))
            flat = {k: v[:, ::step].reshape(-1) for k, v in params.items()}
            shape = (shape[0], len(range(0, shape[1], step)))
        return flat, shape

    def _data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.stats.n, self.stats.c, self.stats.weight

    @property
    def default_window(self) -> tuple[int, int]:
        """``(1, largest n in the data)``: the window the data themselves span."""
        return 1, self.outcomes.max_attempts

    # ------------------------------------------------------------------ estimands
    def asymptotic_exponent(self) -> EstimandDraws:
        r"""Posterior of :math:`b_\infty`, the k → ∞ exponent (the population's tail)."""
        tail = self.family.tail(self.params(), NUMPY)
        return EstimandDraws("asymptotic_exponent", _tail_detail(tail.kind),
                             np.asarray(tail.exponent))

    def prefactor(self) -> EstimandDraws:
        """Posterior of the prefactor a in -log pass_D@k ≈ a·k^(-b∞) as k → ∞."""
        tail = self.family.tail(self.params(), NUMPY)
        return EstimandDraws("prefactor", _tail_detail(tail.kind), np.asarray(tail.prefactor))

    def effective_exponent(
        self, window: tuple[int, int] | None = None, curve: Curve = "population",
        max_draws: int | None = None,
    ) -> EstimandDraws:
        """Posterior of the effective slope over ``window`` (default ``[1, max n]``).

        See :func:`monkeypower.estimands.effective_exponent`; this is the quantity log-log
        regression estimates, not :meth:`asymptotic_exponent`.
        """
        window = tuple(int(v) for v in (window or self.default_window))
        flat, shape = self._flat_params(max_draws)
        draws = est.effective_exponent(self.family, flat, window, curve=curve,
                                       data=self._data())
        return EstimandDraws("effective_exponent",
                             f"k in [{window[0]:,}, {window[1]:,}], {curve} curve",
                             draws.reshape(shape))

    def _curve(self, name: str, k: Any, neg_log: bool, max_draws: int | None) -> EstimandDraws:
        k = np.atleast_1d(np.asarray(k, dtype=np.float64))
        if (k < 0).any():
            raise ValueError("k must be non-negative")
        flat, shape = self._flat_params(max_draws)
        if name == "population_pass_at_k":
            log_fail = est.population_log_fail(self.family, flat, k)
        else:
            log_fail = est.forecast_log_fail(self.family, flat, k, *self._data())
        values = est.neg_log_pass(log_fail) if neg_log else -np.expm1(log_fail)
        scale = "-log pass_D@k" if neg_log else "pass_D@k"
        return EstimandDraws(name, scale, values.reshape(*shape, len(k)), k)

    def population_pass_at_k(
        self, k: Any, *, neg_log: bool = False, max_draws: int | None = None
    ) -> EstimandDraws:
        """pass_D@k (or ``-log pass_D@k``) of the population: a new benchmark's expectation."""
        return self._curve("population_pass_at_k", k, neg_log, max_draws)

    def forecast_pass_at_k(
        self, k: Any, *, neg_log: bool = False, max_draws: int | None = None
    ) -> EstimandDraws:
        """In-sample forecast of pass_D@k (or ``-log``) for this benchmark, any k (BRIEF §5)."""
        return self._curve("forecast_pass_at_k", k, neg_log, max_draws)

    def measured_pass_at_k(
        self, n_total: int, *, n_problems: int | None = None, neg_log: bool = False,
        seed: int | None = None, max_draws: int | None = None,
    ) -> EstimandDraws:
        """Posterior predictive of the pass_D@K this benchmark will *measure* at K attempts.

        Unlike :meth:`forecast_pass_at_k` (the expected curve), this includes the binomial
        noise of the ``n_total - n_i`` attempts still to run and of problems not seen yet
        (``n_problems`` above the problems fitted), so a realised value falls inside its
        interval at the nominal rate when the model is right. See
        :func:`monkeypower.estimands.measured_neg_log_pass`.

        Parameters
        ----------
        n_total : int
            K: attempts per problem once the benchmark is complete (at least the largest n).
        n_problems : int, optional
            Problems in the complete benchmark (default: the problems fitted).
        neg_log : bool, default False
            Return -log pass_D@K instead of pass_D@K.
        seed : int, optional
            Seed of the predictive noise (default: derived from the fit's seed, so the same
            fit gives the same draws).
        max_draws : int, optional
            Thin draws per chain to at most this many.
        """
        flat, shape = self._flat_params(max_draws)
        rng = np.random.default_rng([self.seed if seed is None else int(seed), int(n_total)])
        values = est.measured_neg_log_pass(self.family, flat, int(n_total), *self._data(),
                                           n_problems=n_problems, rng=rng)
        if not neg_log:
            values = np.exp(-values)
        scale = "-log pass_D@k" if neg_log else "pass_D@k"
        problems = n_problems or self.outcomes.n_problems
        return EstimandDraws("measured_pass_at_k", f"{scale}, {problems:,} problems",
                             values.reshape(*shape, 1), np.array([float(n_total)]))

    def attempts_for_target(
        self, target: float, *, curve: Curve = "forecast", max_draws: int | None = None
    ) -> EstimandDraws:
        """Posterior of the attempts k needed for pass_D@k to reach ``target``.

        ``curve="forecast"`` (default) answers "how many attempts on *this* benchmark";
        ``"population"`` answers it for a new benchmark from the same population.
        """
        flat, shape = self._flat_params(max_draws)
        draws = est.attempts_for_target(self.family, flat, float(target), curve=curve,
                                        data=self._data())
        return EstimandDraws("attempts_for_target", f"pass_D@k >= {target:g}, {curve} curve",
                             draws.reshape(shape))

    # ------------------------------------------------------------------ tables
    def estimands(
        self,
        *,
        window: tuple[int, int] | None = None,
        horizons: Sequence[float] | None = None,
        targets: Sequence[float] = (),
        max_draws: int | None = None,
    ) -> list[EstimandDraws]:
        """The estimands that :meth:`summary` reports, as draws."""
        n_max = self.outcomes.max_attempts
        horizons = list(horizons) if horizons is not None else [n_max, 10 * n_max, 100 * n_max]
        out = [self.asymptotic_exponent(), self.prefactor(),
               self.effective_exponent(window, max_draws=max_draws),
               self.population_pass_at_k(horizons, max_draws=max_draws),
               self.forecast_pass_at_k(horizons, max_draws=max_draws)]
        out += [self.attempts_for_target(t, max_draws=max_draws) for t in targets]
        return out

    def summary(
        self,
        *,
        interval: IntervalConvention | float | None = None,
        window: tuple[int, int] | None = None,
        horizons: Sequence[float] | None = None,
        targets: Sequence[float] = (),
        max_draws: int | None = None,
    ) -> pd.DataFrame:
        """One row per estimand: median, mean, sd, interval bounds, ESS and R-hat.

        Parameters
        ----------
        interval : IntervalConvention or float, optional
            Default: the convention in force (95% equal-tailed unless changed).
        window : (int, int), optional
            Window of the effective exponent (default ``[1, max n]``).
        horizons : sequence of float, optional
            k values for the pass@k rows (default ``max n`` × 1, 10, 100).
        targets : sequence of float
            pass_D@k targets for ``attempts_for_target`` rows.
        max_draws : int, optional
            Thin draws per chain to at most this many for the curve-based rows.

        Returns
        -------
        pandas.DataFrame
            ``attrs["interval"]`` holds the convention; ``attrs["diagnostics"]`` the health
            checks.
        """
        convention = resolve_interval(interval)
        rows = [row for e in self.estimands(window=window, horizons=horizons, targets=targets,
                                            max_draws=max_draws)
                for row in e.rows(convention)]
        table = pd.DataFrame(rows)
        table.attrs["interval"] = convention.to_dict()
        table.attrs["diagnostics"] = self.diagnostics.to_dict()
        table.attrs["title"] = self._name()
        return table

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """The stable JSON schema (see ``docs/json_schema.md``); kwargs as :meth:`summary`."""
        from monkeypower.report import summary_to_dict

        return summary_to_dict(self, self.summary(**kwargs))

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` serialised."""
        return json.dumps(self.to_dict(**kwargs), indent=2, allow_nan=True)

    def to_markdown(self, **kwargs: Any) -> str:
        """The summary as a Markdown table with the estimand and interval convention stated."""
        from monkeypower.report import summary_to_markdown

        return summary_to_markdown(self.summary(**kwargs))

    def to_latex(self, **kwargs: Any) -> str:
        """The summary as a booktabs LaTeX table whose caption states the interval convention."""
        from monkeypower.report import summary_to_latex

        return summary_to_latex(self.summary(**kwargs))

    def to_csv(self, path: str | Path | None = None, **kwargs: Any) -> str | Path:
        """The summary as CSV: the text, or written to ``path`` (then the path is returned).

        The bound columns are named by the interval convention (e.g. ``eti95_lower``); kwargs
        as :meth:`summary`.
        """
        from monkeypower.report import summary_to_csv

        text = summary_to_csv(self.summary(**kwargs))
        if path is None:
            return text
        path = Path(path)
        path.write_text(text)
        return path

    # ------------------------------------------------------------------ LOO
    def to_datatree(self, max_elements: int = 200_000_000) -> xr.DataTree:
        """The DataTree with a per-problem ``log_likelihood`` group, ready for ArviZ (LOO).

        The group has draws × problems values (problems sharing an (n, c) pair repeat the
        pair's value). Above ``max_elements`` (1.6 GB) this refuses instead of exhausting memory.
        """
        pairs = self.tree["log_likelihood_pairs"].to_dataset()
        size = pairs["counts"].sizes["chain"] * pairs["counts"].sizes["draw"] * len(
            self.stats.pair_of_problem)
        if size > max_elements:
            raise MemoryError(
                f"a per-problem log-likelihood would hold {size:,} values (> {max_elements:,}); "
                f"this fit has only {self.stats.n_pairs:,} distinct (n, c) pairs, whose "
                "pointwise values are in the 'log_likelihood_pairs' group"
            )
        per_problem = pairs["counts"].isel(pair=xr.DataArray(self.stats.pair_of_problem,
                                                             dims="problem"))
        per_problem = per_problem.drop_vars("pair", errors="ignore").assign_coords(
            problem=self.outcomes.problem
        )
        tree = self.tree.copy()
        tree["log_likelihood"] = xr.DataTree(xr.Dataset({"counts": per_problem}))
        return tree

    def loo(self, *, warn: bool = True):
        """PSIS-LOO, leaving out one *problem* at a time (p integrated out; BRIEF §7).

        Computed on the distinct (n, c) pairs and spread to problems
        (:func:`monkeypower.model_comparison.problem_loo`): equal to :func:`arviz_stats.loo` on
        :meth:`to_datatree`, without building the draws × problems array. Warns
        (:class:`~monkeypower.model_comparison.LOOWarning`) about problems whose Pareto k is
        too high.
        """
        from monkeypower.model_comparison import problem_loo

        return problem_loo(self, warn=warn)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fit to NetCDF (lossless: draws, data, spec, seed, package version)."""
        path = Path(path)
        self.tree.to_netcdf(path, engine="h5netcdf")
        return path


def load_fit(path: str | Path, *, warn: bool = True) -> Fit:
    """Read a fit written by :meth:`Fit.save`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    if "model_spec" not in tree.attrs:
        raise ValueError(f"{path} is not a monkeypower fit (no model_spec attribute)")
    return Fit(tree, warn=warn)


@dataclass
class FitGroups(Mapping[tuple, Fit]):
    """Fits of every group of an :class:`~monkeypower.outcomes.OutcomesGroups`."""

    group_names: tuple[str, ...]
    fits: dict[tuple, Fit] = field(default_factory=dict)

    def __getitem__(self, key: Any) -> Fit:
        if isinstance(key, Mapping):
            key = tuple(key[name] for name in self.group_names)
        if not isinstance(key, tuple):
            key = (key,)
        return self.fits[key]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fits)

    def __len__(self) -> int:
        return len(self.fits)

    def summary(self, **kwargs: Any) -> pd.DataFrame:
        """All groups' summaries stacked, with one column per group variable."""
        tables = []
        for key, one in self.fits.items():
            table = one.summary(**kwargs)
            for name, value in zip(self.group_names, key, strict=True):
                table.insert(0, name, value)
            tables.append(table)
        result = pd.concat(tables, ignore_index=True)
        result.attrs = dict(tables[0].attrs)
        result.attrs.pop("diagnostics", None)
        return result

    def save(self, folder: str | Path) -> list[Path]:
        """One NetCDF file per group in ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for key, one in self.fits.items():
            stem = "_".join(str(k) for k in key).replace("/", "-").replace(" ", "_")
            paths.append(one.save(folder / f"{stem}.nc"))
        return paths

