"""Fitting: :func:`fit` samples the posterior; :class:`Fit` gives every estimand from it.

A :class:`Fit` holds an :class:`xarray.DataTree` with the usual ArviZ groups (``posterior``,
``sample_stats``, ``observed_data``, ``constant_data``) plus ``log_likelihood_pairs``: the
pointwise marginal log-likelihood of each distinct ``(n, c)`` pair, with p integrated out. The
per-problem ``log_likelihood`` group that :func:`arviz_stats.loo` needs is built from it on demand
(:meth:`Fit.to_datatree`), so LOO is leave-one-*problem*-out (Vehtari, Gelman & Gabry 2017).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from monkeypower.data.design import Design
from monkeypower.data.outcomes import Outcomes
from monkeypower.data.sufficient import SufficientStats
from monkeypower.errors import warn_caller
from monkeypower.estimands import Curve, EstimandDraws, PosteriorDraws, compute
from monkeypower.estimands.problems import ProblemPosterior, problem_posterior
from monkeypower.fitting.diagnostics import (
    UNSUPPORTED_WITHOUT_SIGNAL,
    DataSupportWarning,
    Diagnostics,
    check_sampling,
    data_support,
    pareto_health,
)
from monkeypower.fitting.json_schema import fit_to_dict
from monkeypower.fitting.loo import problem_loo
from monkeypower.fitting.persistence import read_tree, save_tree
from monkeypower.fitting.spec import ModelSpec, ResolvedModel, resolve_model
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result
from monkeypower.presentation.tables import summary_to_csv, summary_to_latex, summary_to_markdown

__all__ = ["Fit", "load_fit", "one_fit"]


class Fit(Result):
    """A fitted population model: posterior draws and every estimand derived from them.

    Create with :func:`fit` or :func:`load_fit`. Estimand methods return
    :class:`~monkeypower.estimands.EstimandDraws`; :meth:`summary` tabulates them under the
    interval convention in force (:mod:`monkeypower.intervals`).
    """

    def __init__(self, tree: xr.DataTree, *, model: ResolvedModel | None = None,
                 warn: bool = True, where: str = ""):
        self.tree = tree
        attrs = tree.attrs
        if model is None:  # a stored fit: its spec travels in the attributes
            model = resolve_model(ModelSpec.from_dict(json.loads(attrs["model_spec"])))
        self.spec = model.spec
        self.family = model.family
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

    def posterior_draws(self) -> PosteriorDraws:
        """What every estimand is computed from: family, parameter draws, compressed data."""
        return PosteriorDraws(self.family, self.params(), self.stats.n, self.stats.c,
                              self.stats.weight, self.seed)

    @property
    def default_window(self) -> tuple[int, int]:
        """``(1, largest n in the data)``: the window the data themselves span."""
        return 1, self.outcomes.max_attempts

    # ------------------------------------------------------------------ estimands
    # Each method is the registry entry of the same name (monkeypower.estimands.ESTIMANDS)
    # evaluated on this fit's posterior; the docstrings say what the estimand is.
    def asymptotic_exponent(self) -> EstimandDraws:
        r"""Posterior of :math:`b_\infty`, the k → ∞ exponent (the population's tail)."""
        return compute("asymptotic_exponent", self.posterior_draws())

    def prefactor(self) -> EstimandDraws:
        """Posterior of the prefactor a in -log pass_D@k ≈ a·k^(-b∞) as k → ∞."""
        return compute("prefactor", self.posterior_draws())

    def effective_exponent(
        self, window: tuple[int, int] | None = None, curve: Curve = "population",
        max_draws: int | None = None,
    ) -> EstimandDraws:
        """Posterior of the effective slope over ``window`` (default ``[1, max n]``).

        See :func:`monkeypower.estimands.effective_exponent`; this is the quantity log-log
        regression estimates, not :meth:`asymptotic_exponent`.
        """
        return compute("effective_exponent", self.posterior_draws(), window, curve, max_draws)

    def population_pass_at_k(
        self, k: Any, *, neg_log: bool = False, max_draws: int | None = None
    ) -> EstimandDraws:
        """pass_D@k (or ``-log pass_D@k``) of the population: a new benchmark's expectation."""
        return compute("population_pass_at_k", self.posterior_draws(), k, neg_log=neg_log,
                       max_draws=max_draws)

    def forecast_pass_at_k(
        self, k: Any, *, neg_log: bool = False, max_draws: int | None = None
    ) -> EstimandDraws:
        """In-sample forecast of pass_D@k (or ``-log``) for this benchmark, any k."""
        return compute("forecast_pass_at_k", self.posterior_draws(), k, neg_log=neg_log,
                       max_draws=max_draws)

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
        return compute("measured_pass_at_k", self.posterior_draws(), n_total,
                       n_problems=n_problems, neg_log=neg_log, seed=seed, max_draws=max_draws)

    def attempts_for_target(
        self, target: float, *, curve: Curve = "forecast", max_draws: int | None = None
    ) -> EstimandDraws:
        """Posterior of the attempts k needed for pass_D@k to reach ``target``.

        ``curve="forecast"`` (default) answers "how many attempts on *this* benchmark";
        ``"population"`` answers it for a new benchmark from the same population.
        """
        return compute("attempts_for_target", self.posterior_draws(), target, curve=curve,
                       max_draws=max_draws)

    def population_pass_all_k(self, k: Any, *, max_draws: int | None = None) -> EstimandDraws:
        """pass^k of the population: probability that all k attempts at a new problem succeed."""
        return compute("population_pass_all_k", self.posterior_draws(), k, max_draws=max_draws)

    def forecast_pass_all_k(self, k: Any, *, max_draws: int | None = None) -> EstimandDraws:
        """In-sample pass^k of this benchmark: (1/M) Σ_i E[p_i^k | data], any k."""
        return compute("forecast_pass_all_k", self.posterior_draws(), k, max_draws=max_draws)

    def problem_posterior(self, *, max_draws: int | None = 250, seed: int | None = None,
                          proposals: int = 512) -> ProblemPosterior:
        """Posterior of each problem's p_i (median, interval, exact mean), hardest first.

        See :func:`monkeypower.estimands.problem_posterior`.
        """
        return problem_posterior(self.posterior_draws(), self.outcomes.problem,
                                 self.stats.pair_of_problem, max_draws=max_draws, seed=seed,
                                 proposals=proposals, name=self.outcomes.name)

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
            checks (:meth:`health`: divergences, R-hat, ESS, Pareto k; ``data_problems``: what
            the data cannot support, also in ``problems``); ``attrs["notes"]`` names the rows
            reported as not estimable (all their statistics NaN). A
            :class:`~monkeypower.fitting.diagnostics.DataSupportWarning` says what the data
            cannot support: no success at all, a single problem, fewer than three problems
            with a success, NaN draws.
        """
        convention = resolve_interval(interval)
        estimands = self.estimands(window=window, horizons=horizons, targets=targets,
                                   max_draws=max_draws)
        table = pd.DataFrame([row for e in estimands for row in e.rows(convention)])
        health, notes = self.health(), []
        support, estimable = data_support(self.outcomes)
        if not estimable:
            blank = table["estimand"].isin(UNSUPPORTED_WITHOUT_SIGNAL).to_numpy()
            table.loc[blank, table.columns[2:]] = np.nan
            notes.append("not estimable from these data (see the diagnostics): "
                         + ", ".join(UNSUPPORTED_WITHOUT_SIGNAL))
        failed = [f"{e.label} ({share:.0%} of draws)" if e.k is None
                  else f"{e.label} at k = {k:g} ({share:.0%} of draws)"
                  for e in estimands
                  for k, share in zip(e.k if e.k is not None else [None], e.nan_fraction(),
                                      strict=True) if share > 0]
        if failed:
            notes.append("not estimable (the computation gave NaN for some draws, so no interval "
                         "is reported): " + "; ".join(failed))
        health["data_problems"] = support + ([notes[-1]] if failed else [])
        health["problems"] = health["problems"] + health["data_problems"]
        health["ok"] = not health["problems"]
        if health["data_problems"]:
            warn_caller(f"{self._name()}: " + "; ".join(health["data_problems"]),
                        DataSupportWarning)
        table.attrs["interval"] = convention.to_dict()
        table.attrs["diagnostics"] = health
        table.attrs["title"] = self._name()
        table.attrs["notes"] = notes
        return table

    def health(self) -> dict[str, Any]:
        """Sampler health and Pareto k of leave-one-problem-out PSIS-LOO, as one dict.

        :meth:`Diagnostics.to_dict` (divergences, R-hat, ESS, ``ok``, ``problems``) extended by
        :func:`~monkeypower.fitting.diagnostics.pareto_health` (``max_pareto_k``,
        ``n_high_pareto_k``, ``pareto_k_threshold``); high Pareto k joins ``problems``.
        """
        if getattr(self, "_pareto", None) is None:
            with warnings.catch_warnings():  # one distinct (n, c) pair: arviz's remark is moot
                warnings.filterwarnings("ignore", message="The point-wise LOO is the same")
                result = problem_loo(self, warn=False)
            self._pareto = pareto_health(result.pareto_k.values, result.good_k)
        health = self.diagnostics.to_dict()
        pareto = dict(self._pareto)
        health["problems"] = list(health["problems"]) + pareto.pop("problems")
        health.update(pareto, ok=not health["problems"])
        return health

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """The stable JSON schema (see ``docs/json_schema.md``); kwargs as :meth:`summary`."""
        return fit_to_dict(self, self.summary(**kwargs))

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` serialised."""
        return json.dumps(self.to_dict(**kwargs), indent=2, allow_nan=True)

    def to_markdown(self, **kwargs: Any) -> str:
        """The summary as a Markdown table with the estimand and interval convention stated."""
        return summary_to_markdown(self.summary(**kwargs))

    def to_latex(self, **kwargs: Any) -> str:
        """The summary as a booktabs LaTeX table whose caption states the interval convention."""
        return summary_to_latex(self.summary(**kwargs))

    def to_csv(self, path: str | Path | None = None, **kwargs: Any) -> str | Path:
        """The summary as CSV: the text, or written to ``path`` (then the path is returned).

        The bound columns are named by the interval convention (e.g. ``eti95_lower``); kwargs
        as :meth:`summary`.
        """
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
        """PSIS-LOO, leaving out one *problem* at a time (p integrated out).

        Computed on the distinct (n, c) pairs and spread to problems
        (:func:`monkeypower.fitting.loo.problem_loo`): equal to :func:`arviz_stats.loo` on
        :meth:`to_datatree`, without building the draws × problems array. Warns
        (:class:`~monkeypower.fitting.loo.LOOWarning`) about problems whose Pareto k is
        too high.
        """
        return problem_loo(self, warn=warn)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fit to NetCDF (lossless: draws, data, spec, seed, package version).

        The file carries a SHA-256 of its content, which :func:`load_fit` checks; it is written
        to a temporary file beside ``path`` and renamed into place, so a failure never leaves
        half a file.
        """
        return save_tree(self.tree, Path(path))


def one_fit(fit: Any, caller: str) -> Fit:
    """``fit`` if it is one :class:`Fit`; else TypeError naming ``caller``.

    A collection of group fits, or anything else, would fail later on a missing attribute.
    """
    if not isinstance(fit, Mapping) and hasattr(fit, "posterior_draws"):  # a Fit, or one alike
        return fit
    hint = (" (a collection of group fits: call it per group, fits[key])"
            if isinstance(fit, Mapping) else "")
    raise TypeError(f"{caller} takes one Fit, got {type(fit).__name__}{hint}")


def load_fit(path: str | Path, *, warn: bool = True) -> Fit:
    """Read a fit written by :meth:`Fit.save`, and check it.

    The file is read into memory and closed at once (it can be overwritten while the fit is
    in use). Before the fit is built, :func:`monkeypower.fitting.persistence.read_tree` checks
    the content checksum, the attributes, that every draw lies in its prior's support and that
    the stored (n, c) pairs are those of the stored data.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    SavedFitError
        If any check fails; the message names the file and the check.
    """
    tree, model = read_tree(path)
    return Fit(tree, model=model, warn=warn)
