"""Benchmark: many groups in one pooled model (``mp.fit_pooled``): recovery, Pythia, speed.

Parts (each cached under ~/.cache/monkeypower-benchmarks/pooled/, so the script resumes):

``recovery``
    10 simulated groups whose log b∞ rises linearly in a covariate x (x = 7.85 … 10.08, like
    log10 parameters of Pythia 70M … 12B) by ``TREND`` per unit with between-group sd ``SPREAD``
    (beta family, mean success probability 0.1, 128 problems × n = 1,000 per group). Per seed:
    does the 90% interval of the trend coefficient cover the truth (and the 90% interval of the
    between-group sd)? Target: ≥ 85% of ≥ 20 seeds.
``pythia``
    Pythia/MATH (7 sizes, 128 problems, n = 10,000; shared data): the pooled beta model with
    covariate log10(parameters): the trend of log b∞ per decade, each model's b∞ pooled beside
    its independent fit, and leave-one-model-out: each model's b∞ predicted from the other six
    (``predict_group``), covered or not by the 90% predictive interval, against its independent
    fit's median. Figures: the trend (docs/figures/pooled_pythia.png) and the forest of each
    model's b∞ pooled beside alone (docs/figures/pooled_pythia_forest.png), both from the
    pooled and independent fits with seed 0 (the cache keeps numbers, not fits: a figure whose
    cache entry is missing is drawn from a refit with the same seeds).
``forecast``
    Pythia/MATH subsampled to n' = 100 attempts per problem (15 seeds): the forecast of
    -log pass_D@10,000 of each model, pooled against independent fits, scored by squared log
    error against the full data; paired difference with a bootstrap interval.
``speed``
    One pooled fit of 30 groups × 128 problems (n = 1,000) against one group's warm fit, same
    settings (4 chains × 1,000 draws after 1,000 tuning), both warm (compiled in this process).
``large``
    One pooled fit of 1,000 groups × 128 problems: time and peak memory.

Run:  python3 -m uv run python benchmarks/pooled.py [--seeds 20]
      [--parts recovery pythia forecast speed large]
Prints Markdown tables and writes them to docs/benchmarks/pooled.md (included in docs/pooled.md).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load, pythia_counts, save, wilson  # noqa: E402

import monkeypower as mp  # noqa: E402

TABLE = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "pooled.md"
FIGURE = Path(__file__).resolve().parents[1] / "docs" / "figures" / "pooled_pythia.png"
FOREST = FIGURE.with_name("pooled_pythia_forest.png")
TREND, SPREAD, N_GROUPS = 0.5, 0.15, 10
X = np.linspace(7.85, 10.08, N_GROUPS)
PYTHIA_PARAMS = {"Pythia 70M": 70e6, "Pythia 160M": 160e6, "Pythia 410M": 410e6,
                 "Pythia 1B": 1e9, "Pythia 2.8B": 2.8e9, "Pythia 6.9B": 6.9e9,
                 "Pythia 12B": 12e9}
"""Nominal parameter counts, as the model names state them."""
SETTINGS = dict(draws=1000, tune=1000, chains=2, progressbar=False)


def _health(fit) -> dict:
    d = fit.diagnostics
    return {"divergences": d.n_divergent, "max_rhat": d.max_rhat, "min_ess": d.min_ess_bulk}


def recovery_seed(seed: int) -> dict:
    """One simulated set of 10 groups, fitted; whether the 90% intervals cover the truth."""
    rng = np.random.default_rng([2026, seed])
    log_alpha = np.log(0.15) + TREND * (X - X.mean()) + SPREAD * rng.standard_normal(N_GROUPS)
    groups = {}
    for g, la in enumerate(log_alpha):
        alpha = float(np.exp(la))
        groups[f"g{g}"] = mp.simulate("beta", {"alpha": alpha, "beta": 9 * alpha},
                                      n_problems=128, n_attempts=1000, seed=seed * 100 + g)
    table = pd.DataFrame({"x": X}, index=pd.Index(list(groups), name="group"))
    start = time.perf_counter()
    pooled = mp.fit_pooled(groups, "beta", table, seed=seed, **SETTINGS)
    seconds = time.perf_counter() - start
    coef = pooled.coefficient("x")
    lo, hi = coef.interval(0.9)
    sd = pooled.between_group_sd("alpha")
    sd_lo, sd_hi = sd.interval(0.9)
    return {"seed": seed, "seconds": seconds, "median": float(coef.median()),
            "lower": float(lo), "upper": float(hi), "covered": bool(lo <= TREND <= hi),
            "sd_covered": bool(sd_lo <= SPREAD <= sd_hi), "sd_median": float(sd.median()),
            **_health(pooled)}


def recovery(seeds: int) -> list[dict]:
    results = []
    for seed in range(seeds):
        key = f"pooled/recovery-{seed}"
        result = load(key)
        if result is None:
            result = recovery_seed(seed)
            save(key, result)
            print(f"recovery seed {seed}: {result}", flush=True)
        results.append(result)
    return results


def recovery_table(results: list[dict]) -> str:
    n = len(results)
    k = sum(r["covered"] for r in results)
    k_sd = sum(r["sd_covered"] for r in results)
    lo, hi = wilson(k, n)
    lo_sd, hi_sd = wilson(k_sd, n)
    medians = np.array([r["median"] for r in results])
    return "\n".join([
        "| quantity | truth | seeds | 90% interval covers truth | 95% Wilson CI of coverage "
        "| median of posterior medians | divergent fits | median seconds per fit |",
        "|---|---|---|---|---|---|---|---|",
        f"| trend of log b∞ per unit of x | {TREND} | {n} | {k}/{n} ({k / n:.0%}) "
        f"| [{lo:.0%}, {hi:.0%}] | {np.median(medians):.3f} "
        f"| {sum(r['divergences'] > 0 for r in results)} "
        f"| {np.median([r['seconds'] for r in results]):.1f} |",
        f"| between-group sd of log b∞ | {SPREAD} | {n} | {k_sd}/{n} ({k_sd / n:.0%}) "
        f"| [{lo_sd:.0%}, {hi_sd:.0%}] | {np.median([r['sd_median'] for r in results]):.3f} "
        "| | |",
    ])


def _covariates(models) -> pd.DataFrame:
    return pd.DataFrame({"log10_params": [np.log10(PYTHIA_PARAMS[m]) for m in models]},
                        index=pd.Index(list(models), name="model"))


def _pythia_fits(data) -> tuple:
    """Each model fitted alone and all seven pooled (seed 0), and the pooled fit's seconds."""
    models = [k[0] for k in data]
    independent = mp.fit(data, "beta", seed=0, **SETTINGS)
    start = time.perf_counter()
    pooled = mp.fit_pooled(data, "beta", _covariates(models), seed=0, **SETTINGS)
    return independent, pooled, time.perf_counter() - start


def _draw_forest(pooled, independent) -> dict:
    """The forest figure (rows by model size), and what it shows as a cache entry."""
    figure = mp.plot_group_exponents(pooled, independent, covariate="log10_params",
                                     interval=0.9)
    mp.save_figure(figure, FOREST, formats=["png"], dpi=150)
    result = {"pooled": pooled.exponents(interval=0.9).to_dict("records"),
              "health": _health(pooled)}
    save("pooled/pythia-forest", result)
    return result


def pythia_forest(result: dict) -> dict:
    """The forest figure from the pythia part's fits, refitted (seed 0) when not cached.

    Prints the largest difference between the refit's pooled medians and the table's: the same
    seeds give the same draws up to the last bits of compiled code (see the pythia test notes).
    """
    cached = load("pooled/pythia-forest")
    if cached is not None and FOREST.exists():
        return cached
    independent, pooled, _ = _pythia_fits(pythia_counts())
    forest = _draw_forest(pooled, independent)
    table = {r["model"]: r["pooled"] for r in result["rows"]}
    gap = max(abs(r["median"] - table[r["model"]]) for r in forest["pooled"])
    print(f"pythia forest: largest |pooled median - table's| = {gap:.2g}", flush=True)
    return forest


def pythia() -> dict:
    cached = load("pooled/pythia")
    if cached is not None:
        return cached
    data = pythia_counts()
    models = [k[0] for k in data]
    independent, pooled, seconds = _pythia_fits(data)
    indep = {m: independent[m].asymptotic_exponent() for m in models}
    coef = pooled.coefficient("log10_params")
    figure = mp.plot_exponent_trend(pooled, "log10_params", independent=independent, seed=3,
                                    interval=0.9)
    mp.save_figure(figure, FIGURE, formats=["png"], dpi=150)
    _draw_forest(pooled, independent)
    rows = []
    for m in models:
        held = {k: v for k, v in data.items() if k[0] != m}
        loo = mp.fit_pooled(mp.OutcomesGroups(["model"], held), "beta",
                            _covariates(models), seed=1, **SETTINGS)
        pred = loo.predict_group({"log10_params": np.log10(PYTHIA_PARAMS[m])}, seed=2)
        b = pred.asymptotic_exponent()
        lo, hi = b.interval(0.9)
        truth = float(indep[m].median())
        own = pooled[m].asymptotic_exponent()
        rows.append({"model": m, "independent": truth,
                     "independent_interval": [float(v) for v in indep[m].interval(0.9)],
                     "pooled": float(own.median()),
                     "pooled_interval": [float(v) for v in own.interval(0.9)],
                     "lomo_median": float(b.median()), "lomo_interval": [float(lo), float(hi)],
                     "lomo_covered": bool(lo <= truth <= hi), "lomo_health": _health(loo)})
        print(f"pythia leave-one-out {m}: {rows[-1]}", flush=True)
    result = {"coef_median": float(coef.median()),
              "coef_90": [float(v) for v in coef.interval(0.9)],
              "coef_95": [float(v) for v in coef.interval(0.95)],
              "sd": float(pooled.between_group_sd("alpha").median()),
              "seconds": seconds, "health": _health(pooled), "rows": rows}
    save("pooled/pythia", result)
    return result


def pythia_table(result: dict) -> str:
    lo90, hi90 = result["coef_90"]
    lo95, hi95 = result["coef_95"]
    factor = np.exp(result["coef_median"])
    head = (f"Trend of log b∞ per decade of parameters: {result['coef_median']:.3f} "
            f"(90% [{lo90:.3f}, {hi90:.3f}]; 95% [{lo95:.3f}, {hi95:.3f}]), i.e. b∞ × "
            f"{factor:.2f} per decade; between-group sd of log b∞ (median) {result['sd']:.3f}. "
            f"Pooled fit of 7 models: {result['seconds']:.0f} s, {result['health']['divergences']}"
            f" divergences, max R-hat {result['health']['max_rhat']:.3f}.")
    rows = ["| model | b∞ independent (90%) | b∞ pooled (90%) | b∞ predicted from the other six "
            "(90%) | covered |", "|---|---|---|---|---|"]
    for r in result["rows"]:
        rows.append(
            f"| {r['model']} | {r['independent']:.3f} [{r['independent_interval'][0]:.3f}, "
            f"{r['independent_interval'][1]:.3f}] | {r['pooled']:.3f} "
            f"[{r['pooled_interval'][0]:.3f}, {r['pooled_interval'][1]:.3f}] "
            f"| {r['lomo_median']:.3f} [{r['lomo_interval'][0]:.3f}, {r['lomo_interval'][1]:.3f}]"
            f" | {'yes' if r['lomo_covered'] else 'no'} |")
    covered = sum(r["lomo_covered"] for r in result["rows"])
    return head + "\n\n" + "\n".join(rows) + (
        f"\n\nLeave-one-model-out: {covered} of {len(result['rows'])} held-out models' "
        "independent b∞ medians inside the 90% predictive interval.")


HORIZON, SUBSAMPLE = 10_000, 100


def forecast_seed(data, seed: int) -> dict:
    """Subsample every model to n' = 100 attempts; forecast -log pass_D@10,000, pooled and alone.

    Truth: the full data's -log pass_D@10,000 (n = 10,000: the share of problems with a
    success). Score: squared log error of the forecast's posterior median.
    """
    models = [k[0] for k in data]
    sub = mp.OutcomesGroups(["model"], {
        k: mp.subsample(out, n_attempts=SUBSAMPLE, seed=seed * 10 + i)
        for i, (k, out) in enumerate(data.items())})
    pooled = mp.fit_pooled(sub, "beta", _covariates(models), seed=seed, **SETTINGS)
    alone = mp.fit(sub, "beta", seed=seed, **SETTINGS)
    rows = []
    for k, out in data.items():
        truth = float(-np.log(np.mean(np.asarray(out.c) > 0)))
        p = float(pooled[k].forecast_pass_at_k(HORIZON, neg_log=True).median()[0])
        a = float(alone[k].forecast_pass_at_k(HORIZON, neg_log=True).median()[0])
        rows.append({"model": k[0], "seed": seed, "truth": truth,
                     "pooled_sle": float(np.log(p / truth) ** 2),
                     "alone_sle": float(np.log(a / truth) ** 2)})
    return {"rows": rows, "health": _health(pooled)}


def forecast(seeds: int) -> list[dict]:
    data = pythia_counts()
    results = []
    for seed in range(seeds):
        key = f"pooled/forecast-{seed}"
        result = load(key)
        if result is None:
            result = forecast_seed(data, seed)
            save(key, result)
            print(f"forecast seed {seed}: {result['health']}", flush=True)
        results.append(result)
    return results


def forecast_table(results: list[dict]) -> str:
    rows = [r for res in results for r in res["rows"]]
    diff = np.array([r["alone_sle"] - r["pooled_sle"] for r in rows])
    rng = np.random.default_rng(0)
    boot = np.array([rng.choice(diff, diff.size).mean() for _ in range(4000)])
    lo, hi = np.quantile(boot, [0.025, 0.975])
    pooled = np.array([r["pooled_sle"] for r in rows])
    alone = np.array([r["alone_sle"] for r in rows])
    return "\n".join([
        f"Pythia/MATH subsampled to n' = {SUBSAMPLE} attempts ({len(results)} seeds × 7 models): "
        f"squared log error of the forecast of −log pass_D@{HORIZON:,} (posterior median) "
        "against the full data's value.", "",
        "| fit | median SLE | mean SLE |", "|---|---|---|",
        f"| pooled (trend in log10 parameters) | {np.median(pooled):.4f} | {pooled.mean():.4f} |",
        f"| independent | {np.median(alone):.4f} | {alone.mean():.4f} |", "",
        f"Mean paired difference independent − pooled: {diff.mean():.4f} (95% bootstrap "
        f"interval over model×seed pairs [{lo:.4f}, {hi:.4f}]; positive favours pooling); "
        f"pooled better in {int((diff > 0).sum())} of {diff.size} pairs.",
    ])


def _speed_groups(count: int, offset: int = 0) -> mp.OutcomesGroups:
    return mp.OutcomesGroups(["g"], {
        (i,): mp.simulate("beta", {"alpha": 0.2 + 0.4 * (i % 50) / 50, "beta": 3.0},
                          n_problems=128, n_attempts=1000, seed=offset + i)
        for i in range(count)})


def speed(n_groups: int = 30) -> dict:
    key = f"pooled/speed-{n_groups}"
    cached = load(key)
    if cached is not None:
        return cached
    settings = dict(SETTINGS, chains=4)
    single = _speed_groups(2, offset=10**6)
    start = time.perf_counter()
    mp.fit(single[(0,)], "beta", seed=0, **settings)
    single_cold = time.perf_counter() - start
    start = time.perf_counter()
    mp.fit(single[(1,)], "beta", seed=1, **settings)
    single_warm = time.perf_counter() - start
    data = _speed_groups(n_groups)
    start = time.perf_counter()
    mp.fit_pooled(data, "beta", seed=0, **settings)
    pooled_cold = time.perf_counter() - start
    start = time.perf_counter()
    pooled = mp.fit_pooled(data, "beta", seed=1, **settings)
    pooled_warm = time.perf_counter() - start
    mp.fit_pooled(data, "beta", seed=0, centred=True, **settings)
    start = time.perf_counter()
    centred = mp.fit_pooled(data, "beta", seed=1, centred=True, **settings)
    centred_warm = time.perf_counter() - start
    start = time.perf_counter()
    mp.fit(data, "beta", seed=1, **settings)
    independent_all = time.perf_counter() - start
    result = {"groups": n_groups, "single_cold": single_cold, "single_warm": single_warm,
              "pooled_cold": pooled_cold, "pooled_warm": pooled_warm,
              "centred_warm": centred_warm, "independent_all": independent_all,
              "ess_noncentred": pooled.diagnostics.min_ess_bulk,
              "ess_centred": centred.diagnostics.min_ess_bulk,
              "steps": float(pooled.sample_stats["n_steps"].mean()),
              "pairs": int(len(pooled.structure.pair_group)), **_health(pooled),
              "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    save(key, result)
    print(f"speed: {result}", flush=True)
    return result


def speed_table(results: list[dict]) -> str:
    rows = ["| groups × problems | distinct pairs | one group, warm (s) | all groups fitted alone, "
            "warm (s) | pooled non-centred, warm (s) | pooled centred, warm (s) | pooled / one "
            "group | pooled / all groups alone | leapfrog steps per draw, pooled "
            "| pooled, first fit incl. compile (s) | min bulk ESS non-centred / centred "
            "| peak RSS (MB) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r['groups']} × 128 | {r['pairs']:,} | {r['single_warm']:.1f} "
                    f"| {r['independent_all']:.1f} | {r['pooled_warm']:.1f} "
                    f"| {r['centred_warm']:.1f} | {r['pooled_warm'] / r['single_warm']:.0f}x "
                    f"| {r['pooled_warm'] / r['independent_all']:.1f}x | {r['steps']:.1f} "
                    f"| {r['pooled_cold']:.0f} | {r['ess_noncentred']:.0f} / "
                    f"{r['ess_centred']:.0f} | {r['max_rss_mb']:.0f} |")
    r = results[0]
    rows += ["", f"Read-off: one pooled gradient evaluates all {r['pairs']:,} distinct pairs of "
             f"the {r['groups']} groups, and NUTS took {r['steps']:.1f} leapfrog steps per draw "
             "on the pooled posterior (a few hyperparameters plus one unconstrained value per "
             "group and variable), so the pooled fit costs "
             f"{r['pooled_warm'] / r['independent_all']:.1f}× fitting every group alone, and "
             f"{r['pooled_warm'] / r['single_warm']:.0f}× one group: the goal of 3× one group "
             "is not reached (it would need a pooled gradient cheaper than the groups' data)."]
    return "\n".join(rows)


def large(n_groups: int) -> dict:
    """One pooled fit of many groups (128 problems each; 2 chains x 500 draws after 500 tuning,
    to bound the time): wall seconds including compilation, and the process's peak memory."""
    key = f"pooled/large-{n_groups}"
    cached = load(key)
    if cached is not None:
        return cached
    data = _speed_groups(n_groups)
    start = time.perf_counter()
    pooled = mp.fit_pooled(data, "beta", seed=0, draws=500, tune=500, chains=2,
                           progressbar=False)
    seconds = time.perf_counter() - start
    result = {"groups": n_groups, "pairs": int(len(pooled.structure.pair_group)),
              "seconds": seconds, **_health(pooled),
              "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    save(key, result)
    print(f"large: {result}", flush=True)
    return result


def large_table(results: list[dict]) -> str:
    rows = ["| groups × problems | distinct pairs | seconds (incl. compile; 2 chains × 500 draws) "
            "| divergences | max R-hat | min bulk ESS | peak RSS (MB) |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r['groups']:,} × 128 | {r['pairs']:,} | {r['seconds']:.0f} "
                    f"| {r['divergences']} | {r['max_rhat']:.3f} | {r['min_ess']:.0f} "
                    f"| {r['max_rss_mb']:.0f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--parts", nargs="+",
                        default=["recovery", "pythia", "forecast", "speed", "large"])
    parser.add_argument("--speed-groups", type=int, nargs="+", default=[30])
    parser.add_argument("--forecast-seeds", type=int, default=15)
    parser.add_argument("--large-groups", type=int, nargs="+", default=[1000])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sections = []
    if "recovery" in args.parts:
        sections.append("### Recovery of a known trend\n\n" + recovery_table(recovery(args.seeds)))
    if "pythia" in args.parts:
        result = pythia()
        pythia_forest(result)
        sections.append("### Pythia/MATH: the exponent against model size\n\n"
                        + pythia_table(result))
    if "forecast" in args.parts:
        sections.append("### Pythia/MATH: forecasts from 100 attempts, pooled against "
                        "independent\n\n" + forecast_table(forecast(args.forecast_seeds)))
    if "speed" in args.parts:
        text = speed_table([speed(n) for n in args.speed_groups])
        sections.append("### Speed\n\n" + text)
    if "large" in args.parts:
        sections.append("### Many groups\n\n" + large_table([large(n) for n in
                                                                args.large_groups]))
    text = "\n\n".join(sections) + "\n"
    print(text)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(text)


if __name__ == "__main__":
    main()
