"""The model-comparison page (docs/model_comparison.md): LOO across families, verdicts, backtests.

Parts, each cached outside the repository (``~/.cache/monkeypower-benchmarks/families``):

``loo``
    Every built-in family fitted to each Pythia/MATH model (full data), compared by
    leave-one-problem-out PSIS-LOO, with the power-law verdict (needs ../shared/data).
``backtest``
    The real-data backtest of the families and a LOO-stacked average, forecasting
    -log pass_D@10,000 from 100 to 1,000 attempts per problem (the goal of the LOO issue).
``recovery``
    Data simulated from each family (M = 500, n = 1,000, 10 seeds): how often LOO ranks the
    true family first, and how often it is within two standard errors of the first.

Run: ``python3 -m uv run python benchmarks/family_comparison.py loo backtest recovery page``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _data import load, pct, save

import monkeypower as mp

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FIT = {"draws": 500, "tune": 500, "chains": 2, "progressbar": False}
FAMILY_MODELS = ("beta", "scaled_beta", "kumaraswamy", "beta_mixture", "logit_normal",
                 "zero_inflated_beta", "zero_inflated_scaled_beta")
BACKTEST_MODELS = ("beta", "scaled_beta", "beta_mixture", "logit_normal")
STACK = "stack:" + "+".join(BACKTEST_MODELS)
TRUTHS = {
    "beta": {"alpha": 0.3, "beta": 3.0},
    "scaled_beta": {"alpha": 0.3, "beta": 2.0, "scale": 0.3},
    "kumaraswamy": {"a": 0.3, "b": 3.0},
    "beta_mixture": {"tail_weight": 0.4, "alpha_tail": 0.2, "beta_tail": 20.0,
                     "alpha_body": 2.0, "beta_body": 3.0},
    "logit_normal": {"mu": -2.0, "sigma": 1.0},
    "zero_inflated_beta": {"pi0": 0.2, "alpha": 0.4, "beta": 3.0},
    "zero_inflated_scaled_beta": {"pi0": 0.2, "alpha": 0.4, "beta": 2.0, "scale": 0.4},
}


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def run_loo() -> None:
    from _data import pythia_counts

    groups = pythia_counts()
    results = {}
    for index, (key, out) in enumerate(groups.items()):
        start = time.time()
        fits = {m: _quiet(mp.fit, out, m, seed=1000 * index + j, **FIT)
                for j, m in enumerate(FAMILY_MODELS)}
        comparison = _quiet(mp.compare, fits, stacked=True, horizons=[10_000, 100_000])
        verdict = mp.power_law_verdict(comparison)
        forecasts = {m: f.forecast_pass_at_k([100_000], neg_log=True) for m, f in fits.items()}
        forecasts["stacked"] = comparison.stacked("forecast_pass_at_k", [100_000],
                                                  neg_log=True)
        results[key[0]] = {
            "table": comparison.table, "verdict": verdict.to_dict(),
            "forecast_1e5": {m: (float(d.median()[0]), *(float(v[0]) for v in d.interval(0.9)))
                             for m, d in forecasts.items()},
            "diagnostics": {m: f.diagnostics.problems for m, f in fits.items()},
        }
        print(f"{key[0]}: {time.time() - start:.0f} s; {verdict.verdict}", flush=True)
    save("families/loo", results)


def run_backtest(seeds: int) -> None:
    from _data import pythia_counts

    results = {}
    for key, out in pythia_counts().items():
        start = time.time()
        results[key[0]] = mp.backtest(
            out, estimators=["least_squares", *(f"bayes:{m}" for m in BACKTEST_MODELS), STACK],
            attempts=(100, 215, 464, 1000), problems=None, seeds=range(seeds), interval=0.9,
            progress=False)
        print(f"{key[0]}: {time.time() - start:.0f} s", flush=True)
    save("families/backtest", results)


RIVALS = ("beta", "logit_normal", "zero_inflated_beta")
"""The rivals every truth is compared with in ``recovery``: one family of each tail kind."""


def run_recovery(seeds: int) -> None:
    previous = load("families/recovery")
    rows = [] if previous is None else previous.to_dict("records")
    done = {(r["truth"], r["seed"]) for r in rows}
    for truth, params in TRUTHS.items():
        start = time.time()
        for seed in range(seeds):
            if (truth, seed) in done:
                continue
            data = mp.simulate(truth, params, n_problems=500, n_attempts=1000,
                               seed=np.random.default_rng([7, seed, len(truth)]))
            models = list(dict.fromkeys([truth, *RIVALS]))
            fits = {m: _quiet(mp.fit, data, m, seed=100 * seed + j, **FIT)
                    for j, m in enumerate(models)}
            comparison = _quiet(mp.compare, fits)
            diff, se = ((0.0, 0.0) if comparison.best == truth
                        else comparison.difference(truth, comparison.best))
            rows.append({"truth": truth, "seed": seed, "best": comparison.best,
                         "rivals": ", ".join(m for m in models if m != truth),
                         "true_first": comparison.best == truth,
                         "true_within_2se": diff >= -2 * se,
                         "verdict": mp.power_law_verdict(comparison).verdict})
            save("families/recovery", pd.DataFrame(rows))  # after every dataset: resumable
        print(f"{truth}: {time.time() - start:.0f} s", flush=True)


# ------------------------------------------------------------------------------ the page
def _loo_section(results: dict) -> list[str]:
    lines = ["## Every family on Pythia/MATH", "",
             "Full data (128 problems × 10,000 attempts per model), every built-in family "
             "fitted (nutpie, 2 × 500 draws), compared by leave-one-problem-out PSIS-LOO. "
             "ELPD differences are to the best model (0 for it) with their paired standard "
             "errors; weights are stacking weights.", ""]
    for name, result in results.items():
        table = result["table"]
        lines += [f"### {name}", "", f"**Verdict: {result['verdict']['verdict']}.** "
                  f"{result['verdict']['reason']}", "",
                  "| model | tail | ELPD | ΔELPD ± SE | stacking weight | Pareto k > thr. | "
                  "-log pass_D@10⁵ (90% interval) |", "|---|---|---|---|---|---|---|"]
        for model, row in table.iterrows():
            med, lo, hi = result["forecast_1e5"][model]
            lines.append(f"| {model} | {row['tail']} | {row['elpd']:.1f} | "
                         f"{row['elpd_diff']:.1f} ± {row['dse']:.1f} | {row['weight']:.2f} | "
                         f"{int(row['n_high_k'])} | {med:.3g} [{lo:.3g}, {hi:.3g}] |")
        med, lo, hi = result["forecast_1e5"]["stacked"]
        lines += [f"| *stacked* | | | | | | {med:.3g} [{lo:.3g}, {hi:.3g}] |", ""]
        trouble = {m: p for m, p in result["diagnostics"].items() if p}
        if trouble:
            lines += ["Sampler warnings: " + "; ".join(f"{m}: {', '.join(p)}"
                                                         for m, p in trouble.items()), ""]
    return lines


def _backtest_section(results: dict) -> list[str]:
    frames = []
    for name, result in results.items():
        table = result.table.copy()
        table.insert(0, "case", name)
        frames.append(table)
    table = pd.concat(frames, ignore_index=True)
    budgets = sorted(table.n_attempts.unique())
    lines = ["## Forecasting -log pass_D@10,000 on Pythia/MATH", "",
             f"The backtest of `monkeypower.backtest` ({table.seed.nunique()} seeds, all 128 "
             "problems, n' attempts per problem, seven models): median squared log error of "
             "the forecast against the full data's value, and coverage of the 90% posterior "
             "predictive interval of the measured value. `stack:` is the LOO-stacking average "
             "of the listed families, refitted and re-weighted on every subsample.", "",
             "| estimator | " + " | ".join(f"SLE n'={n:,}" for n in budgets) + " | "
             + " | ".join(f"cover n'={n:,}" for n in budgets) + " |",
             "|---|" + "---|" * (2 * len(budgets))]
    med = table.groupby(["estimator", "n_attempts"]).squared_log_error.median()
    cover = table.groupby(["estimator", "n_attempts"]).covered.apply(
        lambda s: s.astype(float).mean())
    for est in dict.fromkeys(table.estimator):
        cells = [f"{med[(est, n)]:.3g}" for n in budgets]
        cells += [pct(cover[(est, n)]) if est != "least_squares" else "–" for n in budgets]
        lines.append(f"| {est} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _recovery_section(rows: pd.DataFrame) -> list[str]:
    lines = ["## Does LOO find the true family?", "",
             f"Data simulated from each family (500 problems × 1,000 attempts, "
             f"up to {rows.seed.nunique()} seeds); the true family fitted with one rival of "
             "each tail kind (Beta: power law; logit-normal: faster than any power law; "
             "zero-inflated Beta: plateau) and compared by LOO. Nested families (Beta inside "
             "the scaled, zero-inflated and mixture families) can tie with the truth, so the "
             "second column counts the truth within two standard errors of the best.", "",
             "| true family | parameters | rivals | ranked first | within 2 SE of first | "
             "verdicts |", "|---|---|---|---|---|---|"]
    for truth, g in rows.groupby("truth", sort=False):
        verdicts = ", ".join(f"{v} {n}" for v, n in g.verdict.value_counts().items())
        params = ", ".join(f"{k} = {v:g}" for k, v in TRUTHS[truth].items())
        lines.append(f"| {truth} | {params} | {g.rivals.iloc[0]} | "
                     f"{int(g.true_first.sum())}/{len(g)} | "
                     f"{int(g.true_within_2se.sum())}/{len(g)} | {verdicts} |")
    lines.append("")
    return lines


def write_page() -> None:
    lines = ["# Model comparison across population families", "",
             "Every number on this page is written by `benchmarks/family_comparison.py`; "
             "rerun it to refresh them. LOO leaves out one problem at a time with its success "
             "probability integrated out (Vehtari, Gelman & Gabry 2017, arXiv:1507.04544; see "
             "[concepts](concepts.md)), computed on the distinct (n, c) pairs "
             "(`monkeypower.compare`).", ""]
    for part, section in (("recovery", _recovery_section), ("loo", _loo_section),
                          ("backtest", _backtest_section)):
        value = load("families/" + part)
        lines += section(value) if value is not None else [f"*(part `{part}` not run)*", ""]
    (DOCS / "model_comparison.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", choices=["loo", "backtest", "recovery", "page"])
    parser.add_argument("--seeds", type=int, default=None)
    args = parser.parse_args()
    for part in args.parts:
        start = time.time()
        if part == "loo":
            run_loo()
        elif part == "backtest":
            run_backtest(args.seeds or 3)
        elif part == "recovery":
            run_recovery(args.seeds or 10)
        else:
            write_page()
        print(f"[{part}] {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
