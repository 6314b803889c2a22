r"""Simulation-based calibration of a model: :func:`sbc`.

SBC (Talts et al. 2018) checks the whole inference pipeline of a model, prior to posterior, on
data simulated from the model itself: for :math:`i = 1..N`

1. draw :math:`\theta^{(i)}` from the model's prior (the spec's priors, as
   :func:`monkeypower.fit` uses them);
2. simulate a benchmark from the family: :math:`p_j \sim f(\cdot; \theta^{(i)})`,
   :math:`c_j \sim \text{Binomial}(n, p_j)` for :math:`M` problems
   (:func:`monkeypower.simulate`);
3. fit it with :func:`monkeypower.fit`;
4. rank each true quantity among thinned posterior draws
   (:mod:`~monkeypower.evaluation.calibration.ranks`).

If the posterior is right, every rank is uniform over simulations. Deviations have shapes: a
U (posterior too narrow), a hump (too wide), a slope (biased). Failures of the sampler show
up here too, which is the point: SBC checks the code as run, not the maths as written.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from monkeypower.arguments import whole_number
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.simulate import simulate
from monkeypower.evaluation.calibration.ranks import (
    DEFAULT_RANK_DRAWS,
    rank_bins,
    rank_of_truth,
    thin_draws,
    uniformity_test,
)
from monkeypower.evaluation.calibration.result import SBCResult
from monkeypower.families import NUMPY
from monkeypower.fitting import fit
from monkeypower.fitting.settings import DEFAULT_SAMPLER
from monkeypower.fitting.spec import ResolvedModel, resolve_model
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.seeding import checked_seed, child_seed

__all__ = ["B_INF", "DEFAULT_LEVEL", "prior_draws", "sbc"]

B_INF = "b_inf"
"""Name of the derived quantity :math:`b_\\infty` (the asymptotic exponent) in SBC tables."""

DEFAULT_LEVEL = 0.01
"""Family-wise level of the uniformity tests (Bonferroni over the quantities tested)."""


def prior_draws(model: ResolvedModel, n_draws: int, seed: int) -> dict[str, np.ndarray]:
    """``n_draws`` joint draws of the spec's prior variables (``pymc.draw``, seeded)."""
    names = list(model.family.prior_variables)
    with pm.Model():
        variables = [model.spec.priors[name].build(name) for name in names]
    values = pm.draw(variables, draws=int(n_draws), random_seed=int(seed))
    return {name: np.asarray(v, dtype=np.float64).reshape(-1)
            for name, v in zip(names, values, strict=True)}


def true_quantities(model: ResolvedModel, variables: dict[str, np.ndarray]) -> pd.DataFrame:
    r"""Every quantity SBC ranks, per simulation.

    The prior variables, the family's other natural parameters and :math:`b_\infty` (only for
    a family with a power-law tail).
    """
    family = model.family
    natural = family.natural_params(variables, NUMPY)
    columns = dict(variables)
    for name in family.params:
        if name not in columns:
            columns[name] = np.asarray(natural[name], dtype=np.float64)
    tail = family.tail(natural)
    if tail.kind == "power_law":
        columns[B_INF] = np.broadcast_to(np.asarray(tail.exponent, dtype=np.float64),
                                         next(iter(variables.values())).shape).copy()
    return pd.DataFrame(columns)


def _fit_all(data: dict[int, Outcomes], model: str, fit_kwargs: dict[str, Any], seed: int
             ) -> tuple[dict[int, Any], int]:
    """Every simulation's fit (compiled once); an error where a fit failed; warnings counted.

    One grouped :func:`monkeypower.fit` (seed ``child_seed(seed, 2)``; simulation ``i`` gets
    ``child_seed(child_seed(seed, 2), i)``); if it raises, each simulation is fitted alone with
    that same seed.
    """
    groups = OutcomesGroups(["simulation"], {(i,): out for i, out in data.items()})
    batch_seed = child_seed(seed, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fitted = fit(groups, model, seed=batch_seed, **fit_kwargs)
            fits: dict[int, Any] = {i: fitted[(i,)] for i in data}
        except Exception:  # noqa: BLE001 - isolate the failure: one fit at a time
            fits = {}
            for i, out in data.items():
                try:
                    fits[i] = fit(out, model, seed=child_seed(batch_seed, i), **fit_kwargs)
                except Exception as err:  # noqa: BLE001 - recorded in the result
                    fits[i] = err
    return fits, len(caught)


def sbc(
    model: str,
    *,
    n_problems: int,
    n_attempts: int,
    n_sims: int,
    seed: int,
    priors: Mapping[str, Any] | None = None,
    fit_priors: Mapping[str, Any] | None = None,
    simulation_priors: Mapping[str, Any] | None = None,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    sampler: str = DEFAULT_SAMPLER,
    cores: int | None = 1,
    n_rank_draws: int = DEFAULT_RANK_DRAWS,
    n_bins: int | None = None,
    level: float = DEFAULT_LEVEL,
    interval: IntervalConvention | float | None = None,
) -> SBCResult:
    r"""Simulation-based calibration (Talts et al. 2018) of a built-in model.

    For :math:`i = 1..N` (``n_sims``): :math:`\theta^{(i)}` from the spec's prior
    (``pymc.draw``, seed ``child_seed(seed, 0)``), a benchmark of ``n_problems`` ×
    ``n_attempts`` simulated from the family (:func:`monkeypower.simulate`, seed
    ``child_seed(seed, 1, i)``), a fit (:func:`monkeypower.fit`, all simulations as one group
    collection, compiled once: seed ``child_seed(seed, 2)``), and the rank of every true
    quantity among :math:`L` = ``n_rank_draws`` posterior draws evenly spaced over the chains
    (thinning factor ``chains × draws / L``; ties broken at random with seed
    ``child_seed(seed, 3)``). Quantities: the spec's prior variables, the family's other
    natural parameters, and :math:`b_\infty` (``"b_inf"``, the asymptotic exponent) for a
    family with a power-law tail.

    Each quantity's ranks are tested for uniformity with Pearson's :math:`\chi^2` on
    :math:`B` equal bins (:func:`~monkeypower.evaluation.calibration.ranks.rank_bins`);
    a quantity is flagged non-uniform when its p-value is below ``level`` divided by the
    number of quantities (Bonferroni). The ranks are close to independent draws when the
    thinned draws are (:math:`L \le` the fit's smallest bulk ESS): the result says in how many
    simulations that held (``ess_ok``).

    Parameters
    ----------
    model : str
        A built-in model name (:func:`monkeypower.available_models`) or spec path: the model
        whose sampler is checked (required; hundreds of fits, so no model is picked for you).
    n_problems, n_attempts : int
        Size of every simulated benchmark :math:`M` × :math:`n`.
    n_sims : int
        Simulations :math:`N` (at least 10; Talts et al. use 1,000, the tests 40–60).
    seed : int
        Required; every random step derives its seed from it (above).
    priors : mapping, optional
        Prior overrides of the spec, used both to simulate and to fit.
    fit_priors : mapping, optional
        Prior overrides used **only** to fit: the fitting prior then differs from the
        simulating one, and SBC must flag it (a negative control).
    simulation_priors : mapping, optional
        Prior overrides used **only** to simulate (the other negative control; it keeps the
        fitted model, and so its compiled sampler, the same).
    draws, tune, chains : int
        Sampler settings of every fit (default 2 chains × 500 draws after 500 tuning steps).
    sampler : str, default "nutpie"
        The NUTS implementation.
    cores : int or None, default 1
        Chains run in parallel per fit.
    n_rank_draws : int, default 99
        Thinned draws :math:`L` per simulation (at most ``chains × draws``).
    n_bins : int, optional
        Bins of the :math:`\chi^2` test (a divisor of :math:`L + 1`); default
        :func:`~monkeypower.evaluation.calibration.ranks.rank_bins`.
    level : float, default 0.01
        Family-wise level of the uniformity tests.
    interval : IntervalConvention or float, optional
        The probability of the simultaneous ECDF band of the figure (default: the convention
        in force).

    Returns
    -------
    SBCResult
        ``ranks`` (one row per simulation × quantity), ``tests`` (one per quantity),
        ``summary()``, ``plot()`` (rank ECDF differences with simultaneous bands).

    Raises
    ------
    ValueError
        For fewer than 10 simulations, ``n_rank_draws`` above the draws kept, or ``n_bins``
        that does not divide :math:`L + 1`.

    Examples
    --------
    >>> import monkeypower as mp
    >>> result = mp.sbc("beta", n_problems=64, n_attempts=100, n_sims=50,
    ...                 seed=1)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP

    References
    ----------
    S. Talts, M. Betancourt, D. Simpson, A. Vehtari, A. Gelman (2018), "Validating Bayesian
    Inference Algorithms with Simulation-Based Calibration", arXiv:1804.06788.
    T. Säilynoja, P.-C. Bürkner, A. Vehtari (2022), "Graphical test for discrete uniformity
    and its applications in goodness-of-fit evaluation and multiple sample comparison",
    Statistics and Computing 32, 32 (the simultaneous ECDF bands of the figure).
    """
    seed = checked_seed(seed, "SBC")
    n_sims = whole_number(n_sims, "n_sims", 10)
    n_problems, n_attempts = (whole_number(n_problems, "n_problems", 1),
                              whole_number(n_attempts, "n_attempts", 1))
    draws, tune, chains = (whole_number(v, name, 1) for v, name in
                           ((draws, "draws"), (tune, "tune"), (chains, "chains")))
    n_rank_draws = whole_number(n_rank_draws, "n_rank_draws", 1)
    if not 1 <= n_rank_draws <= chains * draws:
        raise ValueError(f"n_rank_draws = {n_rank_draws} must be in [1, chains × draws = "
                         f"{chains * draws}]")
    bins = rank_bins(n_rank_draws, n_sims) if n_bins is None else whole_number(n_bins, "n_bins")
    if bins < 2 or (n_rank_draws + 1) % bins:
        raise ValueError(f"n_bins = {bins} must be at least 2 and divide L + 1 = "
                         f"{n_rank_draws + 1} (equal bins of the rank values)")
    convention = resolve_interval(interval)
    simulating = resolve_model(model, {**(priors or {}), **(simulation_priors or {})} or None)
    fit_overrides = {**(priors or {}), **(fit_priors or {})}
    fitting = resolve_model(model, fit_overrides or None)
    truths = true_quantities(simulating, prior_draws(simulating, n_sims, child_seed(seed, 0)))
    family = simulating.family
    data = {
        i: simulate(family.name, {p: float(truths[p].iloc[i]) for p in family.params},
                    n_problems=n_problems, n_attempts=n_attempts,
                    seed=child_seed(seed, 1, i))
        for i in range(n_sims)
    }
    fit_kwargs = {"draws": draws, "tune": tune, "chains": chains,
                  "sampler": sampler, "cores": cores, "progressbar": False,
                  "priors": fit_overrides or None}
    fits, n_warnings = _fit_all(data, model, fit_kwargs, seed)
    ranks = _rank_table(fits, truths, data, n_rank_draws, child_seed(seed, 3))
    tests = _tests(ranks, list(truths.columns), n_rank_draws, bins, level)
    settings = {
        "model": simulating.spec.name, "family": family.name, "n_problems": n_problems,
        "n_attempts": n_attempts, "n_sims": n_sims, "seed": seed,
        "draws": draws, "tune": tune, "chains": chains, "sampler": sampler,
        "n_rank_draws": n_rank_draws, "n_bins": bins, "level": float(level),
        "thinning": chains * draws / n_rank_draws,
        "simulating_priors": {k: str(v) for k, v in simulating.spec.priors.items()},
        "fitting_priors": {k: str(v) for k, v in fitting.spec.priors.items()},
        "n_warnings": n_warnings,
    }
    return SBCResult(ranks, tests, settings, convention)


def _rank_table(fits: dict[int, Any], truths: pd.DataFrame, data: dict[int, Outcomes],
                n_rank_draws: int, tie_seed: int) -> pd.DataFrame:
    """One row per simulation × quantity: truth, rank, posterior median, fit health."""
    generator = np.random.default_rng(tie_seed)
    rows = []
    for i, outcome in fits.items():
        solved = int((np.asarray(data[i].c) > 0).sum())
        if isinstance(outcome, BaseException):
            rows += [{"simulation": i, "quantity": q, "truth": float(truths[q].iloc[i]),
                      "rank": pd.NA, "posterior_median": np.nan, "healthy": pd.NA,
                      "ess_ok": pd.NA, "solved": solved,
                      "error": f"{type(outcome).__name__}: {outcome}"} for q in truths.columns]
            continue
        posterior = outcome.posterior
        draws = {q: posterior[q].values for q in truths.columns if q in posterior}
        draws.update(outcome.params())
        if B_INF in truths.columns:
            draws[B_INF] = np.asarray(outcome.asymptotic_exponent().draws)
        ess_ok = bool(outcome.diagnostics.min_ess_bulk >= n_rank_draws)
        for q in truths.columns:
            thinned = thin_draws(draws[q], n_rank_draws)
            truth = float(truths[q].iloc[i])
            rows.append({"simulation": i, "quantity": q, "truth": truth,
                         "rank": rank_of_truth(thinned, truth, generator),
                         "posterior_median": float(np.median(draws[q])),
                         "healthy": bool(outcome.diagnostics.ok), "ess_ok": ess_ok,
                         "solved": solved, "error": ""})
    table = pd.DataFrame(rows)
    table["rank"] = table["rank"].astype("Int64")
    for column in ("healthy", "ess_ok"):
        table[column] = table[column].astype("boolean")
    return table


def _tests(ranks: pd.DataFrame, quantities: list[str], n_rank_draws: int, n_bins: int,
           level: float) -> pd.DataFrame:
    """The uniformity test of every quantity's ranks."""
    threshold = level / len(quantities)
    rows = []
    for q in quantities:
        valid = ranks.loc[(ranks["quantity"] == q) & ranks["rank"].notna(), "rank"]
        values = valid.to_numpy(dtype=np.int64)
        statistic, p_value = uniformity_test(values, n_rank_draws, n_bins)
        rows.append({
            "quantity": q, "n_sims": int(values.size), "n_rank_draws": n_rank_draws,
            "n_bins": n_bins, "chi2": statistic, "df": n_bins - 1, "p_value": p_value,
            "threshold": threshold,
            "uniform": bool(p_value >= threshold) if np.isfinite(p_value) else pd.NA,
            "mean_rank_fraction": float(values.mean() / n_rank_draws) if values.size
            else float("nan"),
        })
    out = pd.DataFrame(rows)
    out["uniform"] = out["uniform"].astype("boolean")
    return out
