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
so that an interrupted run covers every truth and model evenly.

Run: ``python benchmarks/calibration_grid.py run --seeds 3 --attempts 1000 100`` (add
``--models`` to choose), then ``python benchmarks/calibration_grid.py page``.
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings
from pathlib import Path

import pandas as pd
from _data import load, pct, save

import monkeypower as mp
from monkeypower.evaluation.backtest.health import REFIT_KEY, boosted_settings
from monkeypower.seeding import child_seed

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "calibration_grid.md"
PART = "calibration_grid/fits"
MODELS = ("beta", "scaled_beta", "kumaraswamy", "scaled_kumaraswamy", "generalized_beta")
N_PROBLEMS = 128
INTERVAL = 0.9
FIT = {"draws": 500, "tune": 500, "chains": 2}
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


def _fit_and_score(data: mp.Outcomes, model: str, truth_a: float, seed: int,
                   settings: dict) -> dict:
    """One fit of ``model`` with ``settings``; its b∞ interval against ``truth_a``."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # health is recorded below, not warned
        fit = mp.fit(data, model=model, seed=seed, progressbar=False, **settings)
    exponent = fit.asymptotic_exponent()
    lower, upper = (float(x) for x in exponent.interval(INTERVAL))
    median = float(exponent.median())
    health = fit.diagnostics
    return {"model": model, "lower": lower, "upper": upper, "median": median,
            "covered": bool(lower <= truth_a <= upper), "below": bool(upper < truth_a),
            "rel_error": abs(median - truth_a) / truth_a, "healthy": bool(health.ok),
            "divergences": health.n_divergent, "max_rhat": health.max_rhat,
            "min_ess_bulk": health.min_ess_bulk, "min_ess_tail": health.min_ess_tail,
            "seconds": time.perf_counter() - start}


def refit_if_unhealthy(row: dict, data: mp.Outcomes, model: str, truth_a: float,
                       seed: int) -> dict:
    """The health gate: an unhealthy first fit is replaced by one boosted refit's row."""
    if row["healthy"] or row.get("refitted"):
        return {**row, "refitted": row.get("refitted", False)}
    refit = _fit_and_score(data, model, truth_a, child_seed(seed, REFIT_KEY),
                           boosted_settings(model, FIT))
    return {**refit, "refitted": True, "first_seconds": row["seconds"],
            "seconds": row["seconds"] + refit["seconds"]}


def score(data: mp.Outcomes, model: str, truth_a: float, seed: int) -> dict:
    """Fit ``model``, refit once if unhealthy, and score its b∞ interval against ``truth_a``."""
    row = _fit_and_score(data, model, truth_a, seed, FIT)
    return refit_if_unhealthy(row, data, model, truth_a, seed)


def run(seeds: int, attempts: list[int], models: list[str]) -> None:
    """Fit every (seed, n′, truth, model) not yet cached, saving after each fit."""
    done: dict = load(PART) or {}
    # Beta and Kumaraswamy truths alternate, so a run stopped early covers both families
    interleaved = sorted(TRUTHS, key=lambda t: (t[1], t[2], t[3], t[0]))
    for seed, n_att in itertools.product(range(seeds), attempts):
        for truth in interleaved:
            data = None
            for model in models:
                key = (truth, n_att, seed, model)
                cached = done.get(key)
                if cached is not None and (cached["healthy"] or cached.get("refitted")):
                    continue
                data = simulate(truth, n_att, seed) if data is None else data
                if cached is None:
                    row = score(data, model, truth[1], seed)
                else:  # cached before the health gate existed: refit it now
                    row = refit_if_unhealthy(cached, data, model, truth[1], seed)
                done[key] = {"truth": truth_label(*truth), "truth_family": truth[0],
                             "a": truth[1], "b": truth[2], "s": truth[3], "attempts": n_att,
                             "seed": seed, **row}
                save(PART, done)
                print(f"{truth_label(*truth)} n'={n_att} seed={seed} {model}: "
                      f"[{row['lower']:.3f}, {row['upper']:.3f}] "
                      f"{'hit' if row['covered'] else 'MISS'} "
                      f"{'ok' if row['healthy'] else 'UNHEALTHY'}"
                      f"{' (refitted)' if row['refitted'] else ''} {row['seconds']:.0f} s",
                      flush=True)


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
        }
    return pd.DataFrame(rows).T.rename_axis("model").to_markdown()


def write_page() -> None:
    """docs/calibration_grid.md from the cached fits."""
    done = load(PART)
    if not done:
        raise SystemExit("nothing cached yet: run `calibration_grid.py run` first")
    table = pd.DataFrame(done.values())
    # unhealthy fits cached before the health gate existed wait for their refit: not counted
    refitted = table["refitted"] if "refitted" in table else pd.Series(pd.NA, index=table.index)
    pending = ~table["healthy"] & refitted.isna()
    n_pending = int(pending.sum())
    table = table[~pending]
    models = [m for m in MODELS if m in set(table["model"])]
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
        "(nutpie, each model's own target_accept). A fit that `Fit.diagnostics` flags (any",
        "divergence, R-hat > 1.01, or bulk/tail ESS below 100 per chain) is refitted once with",
        "twice the draws and tuning steps and the target acceptance halfway to 1 (the backtest's",
        "health gate); if the refit is flagged too, the case counts as *failed* (neither hit nor",
        "miss). Cells: hits / healthy fits (rate); how many healthy misses lay entirely below the",
        "truth; failed fits. Some cells may hold fewer fits than others if the run was stopped",
        f"early (the counts say how many). {n_pending} cached unhealthy fits still wait for",
        "their refit and are not counted.",
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
    for model in models:
        sub = table[(table["model"] == model) & table["healthy"]]
        err[model] = {
            f"{fam.capitalize()} truths":
                f"{sub[sub['truth_family'] == fam]['rel_error'].median():.2f}"
            for fam in ("beta", "kumaraswamy")
        }
        seconds = table[table["model"] == model]["seconds"].median()
        err[model]["median seconds per fit"] = f"{seconds:.0f}"
    lines += [pd.DataFrame(err).T.rename_axis("model").to_markdown(), ""]
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
    sub.add_parser("page", help="write docs/calibration_grid.md from the cache")
    args = parser.parse_args()
    if args.command == "run":
        run(args.seeds, args.attempts, args.models)
    else:
        write_page()


if __name__ == "__main__":
    main()
