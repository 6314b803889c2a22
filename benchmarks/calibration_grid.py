"""Calibration of the b∞ interval on the paper's synthetic grid (docs/calibration_grid.md).

Truths (the synthetic grid of Schaeffer, Kazdan et al., ICML 2025): Beta(a, b) and Kumaraswamy(a, b)
populations scaled by s, p = s·X, for a ∈ {0.15, 0.4}, b ∈ {3.5, 5}, s ∈ {0.1, 0.8}: 16 truths.
Every truth's density near p = 0 is ∝ p^(a−1), so its asymptotic exponent b∞
(``asymptotic_exponent``) is a.  Each dataset: 128 problems drawn from the truth, n′ attempts
each (binomial counts; the paper subsamples a pool of 1,000 × 100,000, which has the same
distribution up to sampling without replacement).  Each candidate model is fitted and scored:

* whether the 90% equal-tailed interval of b∞ covers a;
* the relative error |median − a| / a of the posterior median;
* fit health (``Fit.diagnostics``: divergences, R-hat, bulk/tail ESS, fitting/diagnostics.py).
  An unhealthy fit is refitted once with the backtest's boosted settings (twice the draws and
  tuning steps, target acceptance halfway to 1, a child seed); if the refit is unhealthy too the
  case counts as *failed*: neither a hit nor a miss, and the table shows how many there were.

Resumable: every fit is cached (outside the repository, benchmarks/_data.py) under its
(truth, n′, seed, model) key, so a rerun skips what is done; the work is ordered seed by seed
so that an interrupted run covers every truth and model evenly.  The scored rows (one line per
fit: interval, median, health, seconds; no draws) are also kept in the repository,
``benchmarks/results/calibration_grid.csv`` (synthetic data only), so that runs on different
machines add up to the grid's many seeds: ``export`` writes it from the caches, and ``run`` and
``page`` read it with them.

Run: ``python benchmarks/calibration_grid.py run --seeds 3 --attempts 1000 100`` (add
``--models`` to choose), then ``python benchmarks/calibration_grid.py export`` and
``python benchmarks/calibration_grid.py page``.  ``explain`` refits the default model's misses
at one n′ (10,000 unless ``--attempts`` says otherwise) to show where its interval went wrong:
the posterior of its bend, and the truth's own family fitted to the same counts (one row per
miss in ``benchmarks/results/calibration_grid_misses.csv``, which the page shows).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _data import CACHE, fit_gated, load, pct, save

import monkeypower as mp
from monkeypower.errors import DegenerateDataError
from monkeypower.evaluation.backtest.plan import average_components, average_prefix
from monkeypower.evaluation.backtest.stacked import average_fits
from monkeypower.evaluation.baselines import BASELINES
from monkeypower.fitting.spec import DEFAULT_MODEL, load_spec
from monkeypower.seeding import child_seed

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "calibration_grid.md"
RESULTS = ROOT / "benchmarks" / "results" / "calibration_grid.csv"
"""The scored rows of every run so far (synthetic truths only; ``export`` writes it)."""
PART = "calibration_grid/fits-4x1000"
STACK = "stack:scaled_beta+scaled_kumaraswamy"
PLATEAU_STACK = "stack:beta+zero_inflated_beta"
"""A power law stacked with a plateau (Pythia/MATH candidate, docs/backtest.md): is its b∞
honest where there is no plateau?"""
TAIL_KIND_BMA = "bma:bridged_beta+logit_normal"
"""The default averaged with a tail lighter than any power law by pseudo-BMA+ weights: the
candidate from the best-of-N campaign (docs/backtest.md), where the two fit alike."""
STACK_TEXT = {
    STACK: f"`{STACK}` is the LOO stacking mixture (Yao et al. 2018) of the two fits of the same "
           "dataset (`mp.compare`), healthy only when both are. ",
    PLATEAU_STACK: f"`{PLATEAU_STACK}` stacks the Beta with its zero-inflated form (a plateau: "
                   "a share of problems never solvable, b∞ = 0), a candidate for benchmarks "
                   "with problems that are never solved (Pythia/MATH, docs/backtest.md); like "
                   "every stack, healthy only when both fits are. ",
    TAIL_KIND_BMA: f"`{TAIL_KIND_BMA}` averages the default with the logit-normal (b∞ = ∞: a "
                   "tail lighter than any power law) by Bayesian-bootstrap pseudo-BMA+ weights "
                   "(`mp.compare(..., method=\"BB-pseudo-BMA\")`), the candidate that covered "
                   "the best-of-N campaign's measured value (docs/backtest.md); its interval "
                   "reaches ∞ whenever the logit-normal keeps more than 5% of the weight. ",
}
"""What the page says of each stack it shows."""
BAYES_MODELS = ("beta", "scaled_beta", "scaled_kumaraswamy", "generalized_beta",
                "bridged_beta", "tailed_logit_normal", STACK, PLATEAU_STACK, TAIL_KIND_BMA)
MODELS = (*BAYES_MODELS, "least_squares", "beta_binomial_mle", "discretized_beta")
MISSES = ROOT / "benchmarks" / "results" / "calibration_grid_misses.csv"
"""The default's misses refitted by ``explain``, one row each (synthetic truths only), kept in
the repository like ``RESULTS`` so that the page's table survives a new machine's empty cache."""
"""Refits of the default's healthy misses (``explain``): its bend posterior, and the interval of
the truth's own family fitted to the same counts."""
OWN_FAMILY = {"beta": "scaled_beta", "kumaraswamy": "scaled_kumaraswamy"}
"""The model whose family each truth was drawn from (the grid's truths are its members)."""
N_PROBLEMS = 128
INTERVAL = 0.9
FIT = {"draws": 1000, "tune": 1000, "chains": 4}
"""The package's defaults (what a user gets), written out for the health gate's doubling; the
default model's spec asks for twice the draws, which the gate's refit gives it when these fail."""
TRUTHS = [(fam, a, b, s) for fam in ("beta", "kumaraswamy") for a in (0.15, 0.4)
          for b in (3.5, 5.0) for s in (0.1, 0.8)]


def truth_label(fam: str, a: float, b: float, s: float) -> str:
    """E.g. ``Kumaraswamy(0.15, 5)·0.1``."""
    return f"{fam.capitalize()}({a:g}, {b:g})·{s:g}"


def simulate(truth: tuple, attempts: int, seed: int) -> mp.Outcomes:
    """128 problems with ``attempts`` attempts each from the scaled truth."""
    fam, a, b, s = truth
    if fam == "beta":
        family, params = "scaled_beta", {"alpha": a, "beta": b, "scale": s}
    else:
        family, params = "scaled_kumaraswamy", {"a": a, "b": b, "scale": s}
    rng_seed = child_seed(2025, int(fam == "kumaraswamy"), int(a * 100), int(b * 10),
                          int(s * 10), attempts, seed)
    return mp.simulate(family, params, n_problems=N_PROBLEMS, n_attempts=attempts, seed=rng_seed)


def truth_local_exponent(truth: tuple, p: float) -> float:
    """The local exponent 1 + d log g / d log p of the truth's density at ``p``.

    Both truth families are scaled generalized Betas (``monkeypower.families.generalized_beta``:
    (p/s)^ν ~ Beta(α/ν, β)), whose local exponent is α − (β − 1)·ν·u/(1 − u) with u = (p/s)^ν:
    ν = 1 for Beta(a, b) and ν = a for Kumaraswamy(a, b) (X^a ~ Beta(1, b)), α = a in both.
    """
    fam, a, b, s = truth
    nu = 1.0 if fam == "beta" else a
    u = (p / s) ** nu
    return a - (b - 1.0) * nu * u / (1.0 - u)


DEEP_P = 1e-6
"""A success probability far below every n′'s resolution, for the table of local exponents."""


def explain(attempts: int) -> None:
    """Refit every healthy miss of the default at ``attempts`` and fit the truth's own family.

    The refit uses the grid's seed and settings, so it is the same fit (checked: its interval
    must equal the scored row's); what it adds is the posterior of the bend (where the truth,
    a Beta's ν = 1 or a Kumaraswamy's ν = α, lies at an edge of the prior), α among the draws
    with bend > 0.9 (a Kumaraswamy-like tail), and whether the truth's own family, fitted to
    the same counts, covers. Each refit adds a row to ``MISSES``; resumable.
    """
    explained = _explained()
    done = set(zip(explained["truth"], explained["attempts"], explained["seed"], strict=True))
    for key, row in sorted(cached().items(), key=str):
        truth, n_att, seed, model = key
        if (model != DEFAULT_MODEL or n_att != attempts or not row["healthy"]
                or row["covered"] or (truth_label(*truth), n_att, seed) in done):
            continue
        data = simulate(truth, n_att, seed)
        fit, _ = fit_gated(data, DEFAULT_MODEL, seed, FIT)
        lower, upper = (float(x) for x in fit.asymptotic_exponent().interval(INTERVAL))
        if abs(lower - row["lower"]) > 1e-6 or abs(upper - row["upper"]) > 1e-6:
            raise SystemExit(f"{key}: the refit's interval [{lower}, {upper}] is not the scored "
                             f"row's [{row['lower']}, {row['upper']}]")
        bend = fit.posterior["bend"].values.ravel()
        alpha = fit.posterior["alpha"].values.ravel()
        kumaraswamy_like = alpha[bend > 0.9]
        alpha_bounds = (np.quantile(kumaraswamy_like, [0.05, 0.95])
                        if len(kumaraswamy_like) >= 100 else [np.nan, np.nan])
        own_fit, _ = fit_gated(data, OWN_FAMILY[truth[0]], seed, FIT)
        own = _score_interval(own_fit.asymptotic_exponent(), own_fit.diagnostics, truth[1])
        new_row = {
            "truth": truth_label(*truth), "attempts": n_att, "seed": seed,
            "default_lower": row["lower"], "default_upper": row["upper"],
            **dict(zip(("bend_q05", "bend_q50", "bend_q95"),
                       np.quantile(bend, [0.05, 0.5, 0.95]), strict=True)),
            "alpha_given_bend_lower": alpha_bounds[0], "alpha_given_bend_upper": alpha_bounds[1],
            "own_lower": own["lower"], "own_upper": own["upper"],
            "own_covered": bool(own["covered"]), "own_healthy": bool(own["healthy"])}
        print(new_row, flush=True)
        explained = pd.concat([explained, pd.DataFrame([new_row])], ignore_index=True)
        tmp = MISSES.with_suffix(".tmp")
        explained.to_csv(tmp, index=False, float_format="%.6g")
        tmp.replace(MISSES)


def _explained() -> pd.DataFrame:
    """The rows of ``MISSES`` (none before the first ``explain``)."""
    if MISSES.exists():
        return pd.read_csv(MISSES)
    return pd.DataFrame(columns=["truth", "attempts", "seed"])


def _misses_explained() -> list[str]:
    """The page's table of the default's misses, refitted (``explain``), if any."""
    explained = _explained()
    if explained.empty:
        return []
    interval = "[{:.3f}, {:.3f}]".format
    rows = [{"truth": e.truth, "n′": f"{e.attempts:,}", "seed": e.seed,
             "default's 90% interval": interval(e.default_lower, e.default_upper),
             "bend: 5%, median, 95%": f"{e.bend_q05:.2f}, {e.bend_q50:.2f}, {e.bend_q95:.2f}",
             "α among draws with bend > 0.9 (90%)":
                 "–" if np.isnan(e.alpha_given_bend_lower)
                 else interval(e.alpha_given_bend_lower, e.alpha_given_bend_upper),
             "truth's own family's 90% interval":
                 interval(e.own_lower, e.own_upper) + ("" if e.own_healthy else " (unhealthy)"),
             "own family covers": "yes" if e.own_covered else "no"}
            for e in explained.itertuples()]
    own_hits = int(explained["own_covered"].sum())
    return [
        "### The default's misses, refitted", "",
        f"Each healthy miss of the default at the largest n′ refitted with the grid's seed and "
        f"settings (the same fit; `calibration_grid.py explain`, rows in "
        f"`benchmarks/results/{MISSES.name}`): the posterior of its bend "
        f"(a Beta truth is bend = 0, a Kumaraswamy truth bend = 1), α among the draws whose "
        f"bend exceeds 0.9, and the truth's own family (`scaled_beta` or "
        f"`scaled_kumaraswamy`) fitted to the same counts, whose interval covered the truth in "
        f"{own_hits} of these {len(explained)} cases.", "",
        pd.DataFrame(rows).to_markdown(index=False), ""]


def _below_the_data(table: pd.DataFrame, attempts: list[int]) -> list[str]:
    """The page's section on how far below the data b∞ lies, with the default's record."""
    default = table[(table["model"] == DEFAULT_MODEL)]
    rows, misses, far = {}, 0, 0
    for truth in TRUTHS:
        row = {}
        for n in attempts:
            local = truth_local_exponent(truth, 1.0 / n)
            cell = default[(default["truth"] == truth_label(*truth)) & (default["attempts"] == n)
                           & default["healthy"]]
            row[f"local exponent at p = 1/{n:,}"] = f"{local:.2f}"
            row[f"default, n′ = {n:,}: hits / fits"] = (
                f"{int(cell['covered'].sum())}/{len(cell)}" if len(cell) else "–")
            n_miss = int((~cell["covered"]).sum())
            misses += n_miss
            far += n_miss if truth[1] - local > 0.1 else 0
        row[f"local exponent at p = {DEEP_P:g}"] = f"{truth_local_exponent(truth, DEEP_P):.2f}"
        rows[truth_label(*truth)] = row
    return [
        "## How far below the data b∞ lies", "",
        "b∞ is the exponent of the truth's density as p → 0; counts with n′ attempts per "
        "problem see the density down to about p = 1/n′, where its *local* exponent "
        "1 + d log g / d log p can still be far from b∞ = a (`truth_local_exponent`: the "
        "generalized Beta's α − (β − 1)·ν·u/(1 − u), u = (p/s)^ν, ν = 1 for a Beta truth and "
        "ν = a for a Kumaraswamy truth). The Beta truths' tails are straight well above "
        "1/n′ except where s = 0.1 and n′ = 100; the Kumaraswamy truths' still bend at "
        f"p = {DEEP_P:g}. What the default says below 1/n′ is its prior on the bend, uniform "
        "between a tail straight where the data end (ν = 1) and one that bends like a "
        "Kumaraswamy's (ν = α): every truth of the grid lies at one edge of that prior, a "
        "Beta's at bend = 0 and a Kumaraswamy's at bend = 1. Where the data cannot tell the "
        "two apart, the posterior keeps mass between them: on a Kumaraswamy truth straighter "
        "tails, whose α is lower, on a Beta truth bending ones, whose α is higher, and the "
        "interval can end on that side of the truth. "
        f"Of the default's {misses} healthy misses in this table, {far} are on truths whose "
        "local exponent at p = 1/n′ is more than 0.1 below a.", "",
        pd.DataFrame(rows).T.rename_axis("truth").to_markdown(), "", *_misses_explained()]


def _score_interval(exponent, health, truth_a: float) -> dict:
    """A b∞ posterior's 90% interval and median against ``truth_a``, with the fit's health."""
    lower, upper = (float(x) for x in exponent.interval(INTERVAL))
    median = float(exponent.median())
    return {"lower": lower, "upper": upper, "median": median,
            "covered": bool(lower <= truth_a <= upper), "below": bool(upper < truth_a),
            "rel_error": abs(median - truth_a) / truth_a, "healthy": bool(health.ok),
            "divergences": health.n_divergent, "max_rhat": health.max_rhat,
            "min_ess_bulk": health.min_ess_bulk, "min_ess_tail": health.min_ess_tail}


def _score_baseline(data: mp.Outcomes, name: str, truth_a: float) -> dict:
    """A baseline's point estimate against ``truth_a``; a refusal counts as a failed case."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimate = float(BASELINES[name](data).estimate)
    except DegenerateDataError:
        estimate = float("nan")
    ok = estimate == estimate
    return {"lower": float("nan"), "upper": float("nan"), "median": estimate,
            "covered": False, "below": False,
            "rel_error": abs(estimate - truth_a) / truth_a if ok else float("nan"),
            "healthy": ok, "refitted": False, "seconds": time.perf_counter() - start}


def score_dataset(data: mp.Outcomes, models: list[str], truth_a: float, seed: int) -> dict:
    """Rows for every model of ``models`` on one dataset: Bayesian fits (health-gated),
    averages of them (``"stack:a+b"``, ``"bma:a+b"``: healthy only when every component is)
    and baselines."""
    components = sorted({c for m in models if average_prefix(m) for c in average_components(m)}
                        | {m for m in models if not average_prefix(m) and m not in BASELINES})
    fits = {m: fit_gated(data, m, seed, FIT) for m in components}
    rows = {}
    for model in models:
        if model in BASELINES:
            rows[model] = _score_baseline(data, model, truth_a)
        elif average_prefix(model):
            parts = average_components(model)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stacked = average_fits(model, {m: fits[m][0] for m in parts})
                row = _score_interval(stacked.asymptotic_exponent(), stacked.diagnostics,
                                      truth_a)
            row["weights"] = dict(stacked.comparison.weights)
            row["seconds"] = (time.perf_counter() - start
                              + sum(fits[m][1]["seconds"] for m in parts))
            row["refitted"] = any(fits[m][1]["refitted"] for m in parts)
            rows[model] = row
        else:
            fit, book = fits[model]
            rows[model] = {**_score_interval(fit.asymptotic_exponent(), fit.diagnostics,
                                             truth_a), **book}
    return rows


def _key(row: dict) -> tuple:
    """A row's (truth, n′, seed, model) key."""
    truth = (row["truth_family"], float(row["a"]), float(row["b"]), float(row["s"]))
    return truth, int(row["attempts"]), int(row["seed"]), row["model"]


def _committed() -> dict:
    """The rows kept in the repository (``RESULTS``), by key."""
    if not RESULTS.exists():
        return {}
    table = pd.read_csv(RESULTS)
    rows = {}
    for row in table.to_dict("records"):
        weights = row.pop("weights", None)
        row = {k: v for k, v in row.items() if v == v}  # a NaN cell: the row has no such field
        if isinstance(weights, str):
            row["weights"] = json.loads(weights)
        rows[_key(row)] = row
    return rows


def cached() -> dict:
    """Every scored row: the repository's (``RESULTS``), then the unsharded cache and each
    shard's (``run --shard``), a later source replacing an earlier one's row of the same key."""
    done = _committed()
    for path in sorted(CACHE.glob(f"{PART}*.pkl")):
        done.update(load(str(path.relative_to(CACHE).with_suffix(""))) or {})
    return done


def export() -> None:
    """Write every scored row to ``RESULTS`` (sorted; the weights of a stack as JSON)."""
    done = cached()
    if not done:
        raise SystemExit("nothing cached yet: run `calibration_grid.py run` first")
    table = pd.DataFrame([{**row, "weights": json.dumps(row["weights"], sort_keys=True)}
                          if "weights" in row else row for row in done.values()])
    table = table.sort_values(["seed", "attempts", "truth_family", "a", "b", "s", "model"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".tmp")
    table.to_csv(tmp, index=False, float_format="%.6g")
    tmp.replace(RESULTS)
    print(f"wrote {len(table)} rows to {RESULTS}")


def run(seeds: int, attempts: list[int], models: list[str], shard: tuple[int, int] = (0, 1)
        ) -> None:
    """Score every (seed, n′, truth) dataset not yet cached for ``models``; save after each.

    ``shard = (i, n)``: this process takes every n-th pair of datasets from the i-th and keeps
    its own cache file, so n processes can share the grid.
    """
    index, count = shard
    part = PART if count == 1 else f"{PART}-shard{index}of{count}"
    done = cached()
    mine: dict = load(part) or {}
    # Beta and Kumaraswamy truths alternate, so a run stopped early covers both families
    interleaved = sorted(TRUTHS, key=lambda t: (t[1], t[2], t[3], t[0]))
    datasets = [(seed, n_att, truth) for seed, n_att in itertools.product(range(seeds), attempts)
                for truth in interleaved]
    # shard by pairs of consecutive datasets (one Beta, one Kumaraswamy truth), so that every
    # shard, too, covers both families evenly when stopped early
    mine_only = [d for j, d in enumerate(datasets) if (j // 2) % count == index]
    for seed, n_att, truth in mine_only:
        missing = [m for m in models if (truth, n_att, seed, m) not in done]
        if not missing:
            continue
        rows = score_dataset(simulate(truth, n_att, seed), missing, truth[1], seed)
        for model, row in rows.items():
            done[(truth, n_att, seed, model)] = mine[(truth, n_att, seed, model)] = {
                "truth": truth_label(*truth), "truth_family": truth[0], "a": truth[1],
                "b": truth[2], "s": truth[3], "attempts": n_att, "seed": seed,
                "model": model, **row}
            print(f"{truth_label(*truth)} n'={n_att} seed={seed} {model}: "
                  f"[{row['lower']:.3f}, {row['upper']:.3f}] median {row['median']:.3f} "
                  f"{'hit' if row['covered'] else 'MISS'} "
                  f"{'ok' if row['healthy'] else 'UNHEALTHY'}"
                  f"{' (refitted)' if row['refitted'] else ''} {row['seconds']:.0f} s",
                  flush=True)
        save(part, mine)


def _cell(rows: pd.DataFrame) -> str:
    healthy = rows[rows["healthy"]]
    hits = int(healthy["covered"].sum())
    below = int(healthy["below"].sum())
    failed = len(rows) - len(healthy)
    return (f"{hits}/{len(healthy)} ({pct(hits / len(healthy)) if len(healthy) else '–'}); "
            f"{below} below; {failed} failed")


def _targets(table: pd.DataFrame, models: list[str]) -> str:
    """Each model against the calibration targets, met or missed, in words and a table.

    Targets: the 90% interval covers the truth in 85–95% of all healthy fits and in at least 80%
    for each truth family; median relative error at most 0.15 overall.
    """
    rows = {}
    for model in models:
        healthy = table[(table["model"] == model) & table["healthy"]]
        if healthy.empty:
            continue
        overall = healthy["covered"].mean()
        by_family = {fam: healthy[healthy["truth_family"] == fam]["covered"]
                     for fam in ("beta", "kumaraswamy")}
        per_family_ok = all(len(v) and v.mean() >= 0.80 for v in by_family.values())
        error = healthy["rel_error"].median()
        failed = int((table["model"] == model).sum() - len(healthy))
        versus = {}
        for fam in ("beta", "kumaraswamy"):
            own = healthy[healthy["truth_family"] == fam]["rel_error"].median()
            best = min((table[(table["model"] == b) & (table["truth_family"] == fam)]
                        ["rel_error"].median(), b) for b in BASELINES
                       if b in set(table["model"]))
            versus[fam] = (own, *best)
        rows[model] = {
            "healthy fits": len(healthy), "failed fits": failed,
            "coverage, all (target 85–95%)":
                f"{pct(overall)} {'met' if 0.85 <= overall <= 0.95 else 'MISSED'}",
            "coverage per truth family (target ≥ 80% each)":
                ", ".join(f"{fam} {pct(v.mean()) if len(v) else '–'}"
                          for fam, v in by_family.items())
                + (" met" if per_family_ok else " MISSED"),
            "median relative error (target ≤ 0.15)":
                f"{error:.2f} {'met' if error <= 0.15 else 'MISSED'}",
            "median relative error vs the best baseline, per truth family (target ≤)":
                "; ".join(f"{fam} {own:.2f} vs {best:.2f} ({name})"
                          f" {'met' if own <= best else 'MISSED'}"
                          for fam, (own, best, name) in versus.items()),
        }
    return pd.DataFrame(rows).T.rename_axis("model").to_markdown()


def write_page() -> None:
    """docs/calibration_grid.md from the cached fits."""
    done = cached()
    if not done:
        raise SystemExit("nothing cached yet: run `calibration_grid.py run` first")
    table = pd.DataFrame(done.values())
    # unhealthy fits cached before the health gate existed wait for their refit: not counted
    refitted = table["refitted"] if "refitted" in table else pd.Series(pd.NA, index=table.index)
    pending = ~table["healthy"] & refitted.isna()
    n_pending = int(pending.sum())
    table = table[~pending]
    every = [m for m in MODELS if m in set(table["model"])]
    models = [m for m in every if m not in BASELINES]
    seeds = sorted(table["seed"].unique())
    attempts = sorted(table["attempts"].unique())
    lines = [
        "# Calibration of the b∞ interval on the synthetic grid",
        "",
        "Does the 90% interval of the asymptotic exponent b∞ cover the truth when the population",
        "family is wrong? The truths are the paper's synthetic grid (Schaeffer, Kazdan et al.,",
        "ICML 2025): Beta(a, b) and Kumaraswamy(a, b) populations scaled by s, p = s·X, with",
        "a ∈ {0.15, 0.4}, b ∈ {3.5, 5}, s ∈ {0.1, 0.8}; every one has b∞ = a. Each dataset is",
        f"{N_PROBLEMS} problems drawn from the truth with n′ binomial attempts each.",
        "",
        f"**What was run:** n′ ∈ {{{', '.join(str(x) for x in attempts)}}}; seeds "
        f"{{{', '.join(str(int(x)) for x in seeds)}}}; {len(table)} fits in all; each fit "
        f"{FIT['chains']} chains × {FIT['draws']} draws after {FIT['tune']} tuning steps "
        "(nutpie, each model's own target_accept; the package's default draws for every "
        f"model but the default, `{DEFAULT_MODEL}`, whose spec asks for "
        f"{load_spec(DEFAULT_MODEL).sampler_defaults['draws']:,} draws per chain because its "
        "bend mixes slowly: here its fits that fail the health checks at "
        f"{FIT['draws']:,} draws are refitted with twice as many by the health gate below). "
        + "".join(text for name, text in STACK_TEXT.items() if name in models)
        + "The baselines "
        f"({', '.join(b for b in every if b in BASELINES)}) give point estimates only; "
        "least squares estimates the effective slope over [1, n′], which the table scores "
        "against b∞ as the paper reports it. A fit that `Fit.diagnostics` flags (any",
        "divergence, R-hat > 1.01, or bulk/tail ESS below 100 per chain) is refitted once with",
        "twice the draws and tuning steps and the target acceptance halfway to 1 (the backtest's",
        "health gate); if the refit is flagged too, the case counts as *failed* (neither hit nor",
        "miss). Cells: hits / healthy fits (rate); how many healthy misses lay entirely below the",
        "truth; failed fits. Some cells may hold fewer fits than others if the run was stopped",
        f"early (the counts say how many). {n_pending} cached unhealthy fits still wait for",
        "their refit and are not counted.",
        "",
        "Reference: Y. Yao, A. Vehtari, D. Simpson, A. Gelman (2018), \"Using stacking to "
        "average Bayesian predictive distributions\", Bayesian Analysis 13, 917–1007.",
        "",
        "Written by `benchmarks/calibration_grid.py` (cached, resumable).",
        "",
        "## Coverage of the 90% interval of b∞",
        "",
    ]
    cov = {}
    for model in models:
        sub = table[table["model"] == model]
        cov[model] = {fam.capitalize() + " truths": _cell(sub[sub["truth_family"] == fam])
                      for fam in ("beta", "kumaraswamy")}
        cov[model]["all"] = _cell(sub)
    lines += [pd.DataFrame(cov).T.rename_axis("model").to_markdown(), ""]
    lines += ["## Against the targets", "", _targets(table, models), ""]
    lines += ["## Coverage by n′", ""]
    by_n = {}
    for model in models:
        sub = table[table["model"] == model]
        by_n[model] = {f"{fam.capitalize()}, n′ = {n}": _cell(
            sub[(sub["truth_family"] == fam) & (sub["attempts"] == n)])
            for fam in ("beta", "kumaraswamy") for n in attempts}
    lines += [pd.DataFrame(by_n).T.rename_axis("model").to_markdown(), ""]
    lines += ["## Median relative error |median − a| / a (healthy fits)", ""]
    err = {}
    for model in every:
        sub = table[(table["model"] == model) & table["healthy"]]
        err[model] = {
            f"{fam.capitalize()} truths":
                f"{sub[sub['truth_family'] == fam]['rel_error'].median():.2f}"
            for fam in ("beta", "kumaraswamy")
        }
        seconds = table[table["model"] == model]["seconds"].median()
        err[model]["median seconds per fit"] = f"{seconds:.1f}"
        err[model]["failed or refused"] = int((table["model"] == model).sum() - len(sub))
    lines += [pd.DataFrame(err).T.rename_axis("model").to_markdown(), ""]
    lines += ["By n′ (healthy fits; in parentheses how many):", ""]
    err_n = {}
    for model in every:
        sub = table[(table["model"] == model) & table["healthy"]]
        err_n[model] = {}
        for fam in ("beta", "kumaraswamy"):
            for n in attempts:
                cell = sub[(sub["truth_family"] == fam) & (sub["attempts"] == n)]["rel_error"]
                err_n[model][f"{fam.capitalize()}, n′ = {n}"] = (
                    f"{cell.median():.2f} ({len(cell)})" if len(cell) else "–")
    lines += [pd.DataFrame(err_n).T.rename_axis("model").to_markdown(), ""]
    stacked = table[(table["model"] == STACK) & table["healthy"]]
    if not stacked.empty:
        kuma = stacked.apply(lambda r: r["weights"].get("scaled_kumaraswamy", 0.0), axis=1)
        cell = {(fam, n): kuma[(stacked["truth_family"] == fam) & (stacked["attempts"] == n)]
                for fam in ("beta", "kumaraswamy") for n in attempts}
        weights = {f"{fam.capitalize()} truths, n′ = {n}":
                   {"mean stacking weight of scaled_kumaraswamy": f"{w.mean():.2f}",
                    "datasets": len(w)} for (fam, n), w in cell.items()}
        lines += ["## Stacking weights", "",
                  pd.DataFrame(weights).T.rename_axis("datasets").to_markdown(), ""]
    if DEFAULT_MODEL in models:
        lines += _below_the_data(table, attempts)
    lines += ["## Per truth (all models; hits / healthy fits)", ""]
    per = {}
    for truth, sub in table.groupby("truth", sort=False):
        per[truth] = {m: _cell(sub[sub["model"] == m]).split(";")[0] for m in models}
    lines += [pd.DataFrame(per).T.rename_axis("truth").to_markdown(), ""]
    PAGE.write_text("\n".join(lines))
    print(f"wrote {PAGE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="fit what is not cached yet")
    r.add_argument("--seeds", type=int, default=3)
    r.add_argument("--attempts", type=int, nargs="+", default=[1000, 100])
    r.add_argument("--models", nargs="+", default=list(MODELS))
    r.add_argument("--shard", type=int, nargs=2, default=(0, 1), metavar=("I", "N"),
                   help="take every N-th pair of datasets from the I-th (N processes share "
                        "the grid)")
    sub.add_parser("export", help=f"write the scored rows to {RESULTS.relative_to(ROOT)}")
    sub.add_parser("page", help="write docs/calibration_grid.md from the rows and the cache")
    e = sub.add_parser("explain", help="refit the default's misses at one n′: its bend "
                                       "posterior, and the truth's own family on the same counts")
    e.add_argument("--attempts", type=int, default=10000)
    args = parser.parse_args()
    if args.command == "run":
        run(args.seeds, args.attempts, args.models, tuple(args.shard))
    elif args.command == "explain":
        explain(args.attempts)
    elif args.command == "export":
        export()
    else:
        write_page()


if __name__ == "__main__":
    main()
