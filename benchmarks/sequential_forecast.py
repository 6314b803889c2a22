"""Forecasts from the first attempts of a sequential Best-of-N campaign (docs/backtest.md).

The shared Best-of-N jailbreaking log (Gemini 1.5 Flash, 159 HarmBench prompts; Hughes et al.
2024) was gathered sequentially: batches of 60 attempts per prompt until a success, capped at
10,020 attempts. This benchmark stops that campaign early (``mp.stop_early``), at a cap of
``cap`` attempts per prompt: a prompt whose first success came in a batch ending at or before
the cap keeps that batch's attempts (n = 60 j, its successes in batch j), every other prompt
has n = cap and no success. Each model is fitted to these early counts with the sequential
design and forecasts -log pass_D@K at K = 10,000 for the 159 prompts: what the full log
measures there (the share of prompts with a success among their first 10,000 attempts). This
is the check of issue 11 on held-back best-of-N data (forecasts from the first 60 or 600
attempts, 90% predictive intervals), run on the one best-of-N target this repository may read.

Every Bayesian fit goes through the health gate (refitted once with doubled draws when
unhealthy; a fit still unhealthy is reported as failed and not scored). Least squares is not
valid on a sequential design; its row fits the first batch, which every prompt has in full (a
fixed design of 60 attempts), over k in [1, 60].

Intervals are 90% equal-tailed. ``predictive`` is the posterior predictive of the value the
full log will measure (``Fit.measured_pass_at_k``: binomial noise of the attempts still to run
included), the calibration check; ``curve`` is the credible interval of the expected in-sample
curve (``Fit.forecast_pass_at_k``). One target, one campaign: a coverage count here is a
handful of correlated checks (the caps share their prompts), not a calibration rate.

``simulated`` separates the design from the population: campaigns of the same shape simulated
from populations fitted to this one (a straight tail, a Kumaraswamy's, a logit-normal), stopped
early and forecast by the default model the same way.

Run: ``python benchmarks/sequential_forecast.py run`` and ``... simulated`` (resumable, cached
outside the repository), then ``... page`` writes its section of docs/backtest.md.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _data import SHARED_DATA, fit_gated, load, save, write_between_markers

import monkeypower as mp
from monkeypower.errors import DegenerateDataError
from monkeypower.evaluation.backtest.plan import average_components, average_prefix
from monkeypower.evaluation.backtest.score import score_bayes
from monkeypower.evaluation.backtest.stacked import average_fits
from monkeypower.fitting.spec import DEFAULT_MODEL
from monkeypower.seeding import child_seed, text_key

ATTEMPTS = SHARED_DATA / "bon_gemini_flash" / "attempts.parquet"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "backtest.md"
BATCH, FULL_CAP = 60, 10_020
HORIZON = 10_000
CAPS = (60, 120, 300, 600, 1200)
MODELS = ("bridged_beta", "beta", "scaled_beta", "scaled_kumaraswamy", "generalized_beta",
          "logit_normal", "tailed_logit_normal", "stack:bridged_beta+logit_normal",
          "bma:bridged_beta+logit_normal", "stack:bridged_beta+tailed_logit_normal")
"""The default model, the Beta families, the generalized Beta (its tail's bend free), the
logit-normal (a tail lighter than any power law), the logit-normal body with a power-law tail,
the default averaged with the logit-normal by LOO stacking and by Bayesian-bootstrap
pseudo-BMA, and the default stacked with the logit-normal body with a power-law tail (both
power laws: a b∞ for every weight)."""
INTERVAL = 0.9
SEED = 2026
PART = "sequential_forecast/gemini_flash"
SIM_PART = "sequential_forecast/simulated"
SIM_TRUTHS = ("scaled_beta", "scaled_kumaraswamy", "logit_normal")
"""Populations fitted to the whole campaign (posterior medians) and simulated from: a straight
tail, a Kumaraswamy's, and none (lighter than any power law)."""
SIM_CAPS = (60, 600)
SIM_SEEDS = 4


def attempts_table() -> pd.DataFrame:
    """The per-attempt log: ``problem``, ``attempt`` (from 0) and ``success``, in order."""
    if not ATTEMPTS.exists():
        raise SystemExit(f"the shared data are not at {ATTEMPTS}; this benchmark needs them")
    raw = pd.read_parquet(ATTEMPTS, columns=["Problem Idx", "Scaling Parameter", "Score"])
    table = raw.rename(columns={"Problem Idx": "problem", "Scaling Parameter": "attempt",
                                "Score": "success"})
    return table.sort_values(["problem", "attempt"], ignore_index=True)


def campaign(table: pd.DataFrame) -> mp.Outcomes:
    """The whole campaign's counts, declared as the sequential design it was."""
    design = mp.Design("sequential", batch_size=BATCH, cap=FULL_CAP)
    return mp.from_attempts(table, attempt="attempt", design=design)


def first_batch(table: pd.DataFrame) -> mp.Outcomes:
    """Every prompt's first 60 attempts, a fixed design (least squares' data)."""
    return mp.from_attempts(table[table.attempt < BATCH], attempt="attempt", design="fixed")


def measured_target(table: pd.DataFrame) -> tuple[float, int]:
    """-log pass_D@K of the full log at K = HORIZON, and the number of prompts."""
    solved = table[table.attempt < HORIZON].groupby("problem").success.any()
    return float(-np.log(solved.mean())), int(solved.size)


def score_fit(fit: mp.Fit, target: float, n_problems: int) -> dict:
    """Forecast, intervals and exponents of one fit against the full log's value (the backtest's
    scoring of a Bayesian row, :func:`~monkeypower.evaluation.backtest.score.score_bayes`)."""
    row: dict = {}
    score_bayes(row, fit, HORIZON, target, INTERVAL, None, target, n_problems)
    return {"forecast": row["forecast"], "curve_lower": row["forecast_lower"],
            "curve_upper": row["forecast_upper"], "predictive_lower": row["predictive_lower"],
            "predictive_upper": row["predictive_upper"], "covered": row["covered"],
            "log_ratio": float(np.log(row["forecast"] / target)), "b_inf": row["estimate"],
            "b_inf_lower": row["interval_lower"], "b_inf_upper": row["interval_upper"]}


def score_least_squares(table: pd.DataFrame, target: float) -> dict:
    """Least squares on the first batch (k in [1, 60]), extrapolated to K."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = mp.baselines.least_squares(first_batch(table), window=(1, BATCH))
        forecast = float(np.asarray(result.forecast_neg_log_pass(HORIZON)))
    except DegenerateDataError as err:
        return {"failure": str(err)}
    return {"forecast": forecast, "log_ratio": float(np.log(forecast / target)),
            "effective_exponent": float(result.estimate), "healthy": True}


def fit_model(data: mp.Outcomes, model: str, cap: int) -> tuple:
    """The health-gated fit of ``model`` and its bookkeeping; for an average (``"stack:a+b"``,
    ``"bma:a+b"``, as in :func:`monkeypower.backtest`) the weighted mixture of its components,
    each fitted as its own row is (the same seed, so the same fit), healthy only when all are."""
    if average_prefix(model) is None:
        return fit_gated(data, model, child_seed(SEED, text_key(model), cap), {})
    parts = {m: fit_model(data, m, cap) for m in average_components(model)}
    stack = average_fits(model, {m: fit for m, (fit, _) in parts.items()})
    book = {"seconds": sum(b["seconds"] for _, b in parts.values()),
            "first_seconds": sum(b["first_seconds"] for _, b in parts.values()),
            "refitted": any(b["refitted"] for _, b in parts.values()),
            "weights": stack.comparison.weights}
    return stack, book


def full_comparison(table: pd.DataFrame) -> dict:
    """The default model against the logit-normal on the whole log: can the tail kind be told
    apart with every attempt made? (The power-law verdict's question, ``mp.power_law_verdict``.)"""
    data = campaign(table)
    fits = {m: fit_model(data, m, FULL_CAP)[0] for m in ("bridged_beta", "logit_normal")}
    verdict = mp.power_law_verdict(fits)
    diff, se = verdict.comparison.difference("bridged_beta", "logit_normal")
    return {"elpd_difference": diff, "se": se, "verdict": verdict.verdict,
            "healthy": all(f.diagnostics.ok for f in fits.values())}


def full_tail(table: pd.DataFrame) -> dict:
    """The tailed logit-normal on the whole log: its tail exponent with every attempt made
    (to set beside the exponents it infers from the campaign stopped early) and its ELPD
    against the logit-normal's."""
    data = campaign(table)
    fits = {m: fit_model(data, m, FULL_CAP)[0] for m in ("tailed_logit_normal", "logit_normal")}
    exponent = fits["tailed_logit_normal"].asymptotic_exponent()
    lower, upper = (float(v) for v in exponent.interval(INTERVAL))
    diff, se = mp.compare(fits, warn=False).difference("tailed_logit_normal", "logit_normal")
    return {"b_inf": float(exponent.median()), "b_inf_lower": lower, "b_inf_upper": upper,
            "elpd_difference": diff, "se": se,
            "healthy": all(f.diagnostics.ok for f in fits.values())}


def simulated_truths(full: mp.Outcomes) -> dict:
    """Each truth family's posterior medians on the whole campaign (cached with the rows)."""
    params = {}
    for i, family in enumerate(SIM_TRUTHS):
        fit, _ = fit_gated(full, family, child_seed(SEED, 99, i), {})
        params[family] = {k: float(np.median(v)) for k, v in fit.params().items()}
    return params


def run_simulated(seeds: int) -> None:
    """Campaigns simulated from populations fitted to the real one, stopped early like it.

    The same 159 prompts, batches of 60, cap 10,020; the measured value is -log pass_D@10,020
    of the simulated whole campaign (the share of prompts with a success). Fitted by the
    default model at each stop in :data:`SIM_CAPS`; scored by its 90% predictive interval.
    """
    table = attempts_table()
    full = campaign(table)
    rows = load(SIM_PART) or {}
    if "truths" not in rows:
        rows["truths"] = simulated_truths(full)
        save(SIM_PART, rows)
    design = mp.Design("sequential", batch_size=BATCH, cap=FULL_CAP)
    for seed in range(seeds):
        for index, family in enumerate(SIM_TRUTHS):
            sim = mp.simulate(family, rows["truths"][family], n_problems=full.n_problems,
                              n_attempts=FULL_CAP, design=design,
                              seed=child_seed(SEED, 7, index, seed))
            target = float(-np.log(np.mean(sim.c > 0)))
            for cap in SIM_CAPS:
                key = (family, seed, cap)
                if key in rows:
                    continue
                data = mp.stop_early(sim, cap)
                fit, book = fit_gated(data, DEFAULT_MODEL, child_seed(SEED, 8, index, seed, cap),
                                      {})
                row = {"truth": family, "seed": seed, "cap": cap, "target": target,
                       "solved": int((data.c > 0).sum()), "healthy": bool(fit.diagnostics.ok),
                       **book}
                if row["healthy"]:
                    measured = fit.measured_pass_at_k(FULL_CAP, neg_log=True)
                    lo, hi = (float(np.ravel(v)[0]) for v in measured.interval(INTERVAL))
                    forecast = float(np.ravel(
                        fit.forecast_pass_at_k([FULL_CAP], neg_log=True).median())[0])
                    row.update(lower=lo, upper=hi, covered=bool(lo <= target <= hi),
                               log_ratio=float(np.log(forecast / target)))
                rows[key] = row
                save(SIM_PART, rows)
                print(f"{family} seed {seed} cap {cap}: [{row.get('lower', np.nan):.3f}, "
                      f"{row.get('upper', np.nan):.3f}] target {target:.3f} "
                      f"{'ok' if row['healthy'] else 'UNHEALTHY'} {row['seconds']:.0f} s",
                      flush=True)


def simulated_section(rows: dict) -> list[str]:
    """The simulated campaigns' lines of the page section."""
    truths = rows["truths"]
    frame = pd.DataFrame([r for k, r in rows.items() if k != "truths"])
    lines = ["", "**Campaigns simulated from populations fitted to this one** (posterior "
             "medians on the whole campaign; the same 159 prompts, batches of 60, cap 10,020; "
             f"{frame.seed.nunique()} campaigns per population), stopped early and fitted by "
             "the default model: its 90% predictive interval of the simulated campaign's "
             "-log pass_D@10,020, and the median log(forecast / measured).", "",
             "| population | parameters | cap | covers | median log ratio | failed |",
             "|---|---|---|---|---|---|"]
    for family in SIM_TRUTHS:
        described = ", ".join(f"{k} = {v:.3g}" for k, v in truths[family].items())
        for cap in SIM_CAPS:
            sub = frame[(frame.truth == family) & (frame.cap == cap)]
            scored = sub[sub.healthy.astype(bool)]
            if sub.empty:
                continue
            lines.append(f"| `{family}` | {described} | {cap} | {int(scored.covered.sum())} / "
                         f"{len(scored)} | {scored.log_ratio.median():+.2f} "
                         f"| {len(sub) - len(scored)} |")
    scored = frame[frame.healthy.astype(bool)]
    totals = "; ".join(
        f"`{family}` {int(g.covered.sum())} of {len(g)} (median log ratio "
        f"{g.log_ratio.median():+.2f})" for family, g in scored.groupby("truth", sort=False))
    rate = scored.groupby("truth").covered.mean()
    separated = rate.get("scaled_beta", 0) >= 0.8 > rate.get("logit_normal", 1)
    lines += ["", f"Covered, both stops together: {totals}."
              + (" The design is not what fails (its likelihood drops only a constant): a "
                 "population the default contains is covered, one that continues like a "
                 "logit-normal below the stop's resolution is not." if separated else "")]
    return lines


def run(caps: list[int], models: list[str]) -> None:
    """Fit what is not cached yet; the cache is saved after every fit."""
    table = attempts_table()
    target, n_problems = measured_target(table)
    rows = load(PART) or {}
    if "full" not in rows:
        rows["full"] = {"model": "full", "cap": FULL_CAP, **full_comparison(table)}
        save(PART, rows)
    if "full_tail" not in rows:
        rows["full_tail"] = {"model": "full_tail", "cap": FULL_CAP, **full_tail(table)}
        save(PART, rows)
    if "least_squares" not in rows:
        rows["least_squares"] = {"model": "least_squares", "cap": BATCH,
                                 **score_least_squares(table, target)}
        save(PART, rows)
    full = campaign(table)
    for cap in caps:
        data = mp.stop_early(full, cap)
        for model in models:
            key = f"{model}@{cap}"
            if key in rows:
                continue
            fit, book = fit_model(data, model, cap)
            row = {"model": model, "cap": cap, "solved": int((data.c > 0).sum()),
                   "healthy": bool(fit.diagnostics.ok), **book}
            if row["healthy"]:
                row.update(score_fit(fit, target, n_problems))
            rows[key] = row
            save(PART, rows)
            print(f"cap {cap} {model}: {row.get('forecast', float('nan')):.3f} "
                  f"[{row.get('predictive_lower', float('nan')):.3f}, "
                  f"{row.get('predictive_upper', float('nan')):.3f}] target {target:.3f} "
                  f"{'ok' if row['healthy'] else 'UNHEALTHY'}"
                  f"{' (refitted)' if row['refitted'] else ''} {row['seconds']:.0f} s",
                  flush=True)


def _number(x: float) -> str:
    """Three decimals; ∞ for the exponent of a tail lighter than any power law."""
    return "∞" if np.isinf(x) else f"{x:.3f}"


def _interval(row: pd.Series, name: str) -> str:
    return f"[{_number(row[f'{name}_lower'])}, {_number(row[f'{name}_upper'])}]"


def section(rows: dict, target: float, n_problems: int) -> str:
    """The markdown section of docs/backtest.md."""
    frame = pd.DataFrame(rows.values())
    bayes = frame[~frame.model.isin(["least_squares", "full", "full_tail"])].copy()
    order = {m: i for i, m in enumerate(MODELS)}
    bayes["order"] = bayes.model.map(lambda m: order.get(m, len(order)))
    bayes = bayes.sort_values(["cap", "order"])
    lines = [
        "## A sequential campaign stopped early (Best-of-N jailbreaking, Gemini 1.5 Flash)",
        "",
        "Written by `benchmarks/sequential_forecast.py` (protocol in its docstring). The shared "
        f"best-of-N log ({n_problems} prompts, batches of 60 until a success, cap 10,020) is "
        "cut at a cap of 60 to 1,200 attempts per prompt; each model, fitted to the early "
        "counts as a sequential design, forecasts -log pass_D@K at K = 10,000, which the full "
        f"log measures as **{target:.3f}**. *Forecast*: posterior median of the expected "
        "in-sample curve (`forecast_pass_at_k`); *predictive*: 90% equal-tailed posterior "
        "predictive interval of the measured value (`measured_pass_at_k`), the calibration "
        "check; *log ratio*: log(forecast / measured), positive when the forecast is "
        "pessimistic (too few prompts jailbroken); b∞: the asymptotic exponent, median and "
        "90% interval (∞ for the logit-normal, whose tail is lighter than any power law). "
        "`stack:a+b` is the mixture of the two fits with LOO stacking weights, `bma:a+b` with "
        "Bayesian-bootstrap pseudo-BMA weights (`mp.compare(..., method=\"BB-pseudo-BMA\")`; "
        "Yao et al. 2018). Fits that fail the health checks after one refit are not scored.",
        "",
        "| cap | prompts solved | model | forecast | predictive (90%) | covers | log ratio "
        "| b∞ (90%) | fit s | refitted |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, row in bayes.iterrows():
        if not row["healthy"]:
            lines.append(f"| {row.cap} | {row.solved:.0f} | `{row.model}` | failed (unhealthy "
                         f"after the refit) | | | | | {row.seconds:.0f} | yes |")
            continue
        lines.append(
            f"| {row.cap} | {row.solved:.0f} | `{row.model}` | {row.forecast:.3f} "
            f"| {_interval(row, 'predictive')} | {'yes' if row.covered else '**no**'} "
            f"| {row.log_ratio:+.2f} | {_number(row.b_inf)} {_interval(row, 'b_inf')} "
            f"| {row.seconds:.0f} | {'yes' if row.refitted else 'no'} |")
    lsq = rows.get("least_squares", {})
    if "forecast" in lsq:
        lines += ["", f"Least squares on the first batch (k in [1, 60], effective exponent "
                      f"{lsq['effective_exponent']:.3f}) forecasts {lsq['forecast']:.3f} "
                      f"(log ratio {lsq['log_ratio']:+.2f})."]
    full = rows.get("full")
    if full:
        tied = abs(full["elpd_difference"]) <= 2 * full["se"]
        lines += ["", f"On the whole log (every prompt to its first success or 10,020 attempts), "
                      f"`bridged_beta` minus `logit_normal` is {full['elpd_difference']:+.1f} ± "
                      f"{full['se']:.1f} ELPD (PSIS-LOO, one prompt left out at a time; both fits "
                      f"{'healthy' if full['healthy'] else '**not all healthy**'}); the power-law "
                      f"verdict on the two is \"{full['verdict']}\"."
                  + (" Even with every attempt made, a power-law tail and a logit-normal one fit "
                     "these prompts equally well, and below the data's resolution they continue "
                     "differently." if tied else ""), ""]
    tail = rows.get("full_tail")
    if tail:
        early = bayes[(bayes.model == "tailed_logit_normal") & bayes.healthy.astype(bool)]
        by_cap = ", ".join(f"{_number(r.b_inf)} at {r.cap}" for _, r in early.iterrows())
        lines += [f"On the whole log `tailed_logit_normal` (a logit-normal body with a power-law "
                  f"tail of its own exponent) puts b∞ at {_number(tail['b_inf'])} "
                  f"{_interval(pd.Series(tail), 'b_inf')} and scores "
                  f"{tail['elpd_difference']:+.1f} ± {tail['se']:.1f} ELPD against the "
                  f"logit-normal (both fits "
                  f"{'healthy' if tail['healthy'] else '**not all healthy**'}); from the "
                  f"campaign stopped early its medians are {by_cap}: the early counts "
                  "look like a straighter tail than the campaign goes on to show, as every "
                  "power-law family's pessimistic forecast from them says too. The counts at the "
                  "stop do not carry that information; only a prior that leans toward a bending "
                  "tail would.", ""]
    scored = bayes[bayes.healthy.astype(bool)]
    for model, sub in scored.groupby("model", sort=False):
        lines.append(f"- `{model}`: predictive interval covers at {sub.covered.sum()} of "
                     f"{len(sub)} caps; forecast pessimistic at {(sub.log_ratio > 0).sum()} "
                     f"of {len(sub)}.")
    averages = bayes[bayes.model.str.contains(":") & bayes.healthy.astype(bool)]
    for model, sub in averages.groupby("model", sort=False):
        names = list(sub.weights.iloc[0])
        by_cap = "; ".join(f"{row.cap}: " + " / ".join(f"{row.weights[m]:.2f}" for m in names)
                           for _, row in sub.iterrows())
        lines.append(f"- `{model}` weights ({' / '.join(names)}) by cap: {by_cap}.")
    return "\n".join(lines)


def write_page() -> None:
    rows = load(PART)
    if not rows:
        raise SystemExit("nothing cached yet: run first")
    target, n_problems = measured_target(attempts_table())
    text = section(rows, target, n_problems)
    simulated = load(SIM_PART)
    if simulated and len(simulated) > 1:
        text += "\n" + "\n".join(simulated_section(simulated))
    print(text)
    write_between_markers("sequential", text, PAGE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run", help="fit what is not cached yet")
    go.add_argument("--caps", type=int, nargs="+", default=list(CAPS))
    go.add_argument("--models", nargs="+", default=list(MODELS))
    sim = sub.add_parser("simulated", help="campaigns simulated from fitted populations")
    sim.add_argument("--seeds", type=int, default=SIM_SEEDS)
    sub.add_parser("page", help="write the section of docs/backtest.md")
    args = parser.parse_args()
    if args.command == "run":
        run(args.caps, args.models)
    elif args.command == "simulated":
        run_simulated(args.seeds)
    else:
        write_page()


if __name__ == "__main__":
    main()
