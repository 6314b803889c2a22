"""Benchmark: a model's NUTS target acceptance and draws against the cost and health of its fits.

For one model (default ``bridged_beta``), datasets of the synthetic grid (``calibration_grid.py``:
Beta and Kumaraswamy truths, 128 problems, here n′ = 1,000; by default the 8 truths with
(b, s) = (3.5, 0.1) or (5, 0.8), so both families and both levels of each of a, b and s appear
equally, b and s varying together; with ``--all-truths`` all 16) are each
fitted with the package's defaults (nutpie, 4 chains after 1,000 tuning steps, the same seed) at
each setting: a target acceptance, and draws per chain (1,000 unless the setting says
``target_accept/draws``). Recorded per fit: wall seconds, leapfrog steps per
draw (the cost that does not depend on the machine's load), divergent transitions, the largest
R-hat, the smallest bulk and tail ESS, whether it passes the health checks of
``Fit.diagnostics``, and the 90% interval and median of the asymptotic exponent.

The table has one row per setting, over the datasets fitted with it; *shift* compares each
fit's median and interval ends with the first setting's on the same dataset, in units of that
interval's width (mean ± standard deviation over datasets): what the setting moves beyond
Monte Carlo noise.

Run: ``python benchmarks/target_accept.py [--model M] [--settings 0.99 0.95 0.9 0.95/2000 ...]
[--seeds 2] [--all-truths] [--cached] [--page]`` (resumable: fits are cached one per line;
``--cached`` tabulates what is cached without fitting the rest; ``--page``
writes the table into docs/benchmarks.md between the ``<!-- target_accept:start -->`` and
``<!-- target_accept:end -->`` markers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from _data import CACHE, load_note, publish
from calibration_grid import TRUTHS, simulate, truth_label

import monkeypower as mp

# (b, s) of the default truths: both levels of a, b and s, b and s varying together
DEFAULT_BS = {(3.5, 0.1), (5.0, 0.8)}

def _cache(model: str, attempts: int):
    path = CACHE / "target_accept" / f"{model}-n{attempts}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _setting(text: str) -> tuple[float, int]:
    """``"0.95"`` or ``"0.95/2000"``: the target acceptance and the draws per chain."""
    accept, _, draws = text.partition("/")
    return float(accept), int(draws or 1000)


def measure(model: str, truth: tuple, attempts: int, seed: int, target_accept: float,
            draws: int) -> dict:
    """One fit at one setting: its cost, its health and its b-infinity interval."""
    data = simulate(truth, attempts, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mp.fit(data, model=model, seed=seed, progressbar=False,
                     target_accept=target_accept, draws=draws)
    seconds = time.perf_counter() - start
    return {"truth": list(truth), "attempts": attempts, "seed": seed, "ta": target_accept,
            "draws": draws, **fit_record(fit, seconds)}


def fit_record(fit: mp.Fit, seconds: float) -> dict:
    """A fit's cost, health and 90% b∞ interval: the fields the tables read."""
    health = fit.diagnostics
    exponent = fit.asymptotic_exponent()
    lower, upper = (float(np.ravel(v)[0]) for v in exponent.interval(0.9))
    return {"sec": seconds, "steps": float(fit.tree["sample_stats"]["n_steps"].values.mean()),
            "div": int(health.n_divergent), "rhat": float(health.max_rhat),
            "ess": float(health.min_ess_bulk), "ess_tail": float(health.min_ess_tail),
            "ok": bool(health.ok), "lo": lower, "hi": upper,
            "med": float(np.ravel(exponent.median())[0])}


def run(model: str, settings: list[tuple[float, int]], attempts: int, seeds: int,
        all_truths: bool, fit_missing: bool = True) -> list[dict]:
    """Fit what is not cached yet; every row of the requested datasets and settings."""
    path = _cache(model, attempts)
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    for row in rows:
        row.setdefault("draws", 1000)
    done = {(tuple(r["truth"]), r["seed"], r["ta"], r["draws"]) for r in rows}
    chosen = [t for t in TRUTHS if all_truths or t[2:] in DEFAULT_BS]
    with path.open("a") as cache:
        for seed in range(seeds):
            for truth in chosen:
                for ta, draws in settings:
                    if (truth, seed, ta, draws) in done or not fit_missing:
                        continue
                    row = measure(model, truth, attempts, seed, ta, draws)
                    print(json.dumps(row), file=cache, flush=True)
                    print(f"{truth_label(*truth)} seed {seed} target_accept {ta}, {draws} draws: "
                          f"{row['steps']:.1f} steps/draw, {row['div']} divergent, R-hat "
                          f"{row['rhat']:.3f}, ESS {row['ess']:.0f}", flush=True)
                    rows.append(row)
    wanted = {(truth, seed) for truth in chosen for seed in range(seeds)}
    return [r for r in rows
            if (tuple(r["truth"]), r["seed"]) in wanted and (r["ta"], r["draws"]) in settings]


def interval_shift(by_dataset: dict, variant, reference, key: str) -> str:
    """How far ``variant`` moved a fit's b∞ ``key`` from ``reference`` on the same dataset.

    In units of the reference interval's width; mean ± sd over the datasets fitted with both.
    """
    moved = [(fits[variant][key] - fits[reference][key])
             / (fits[reference]["hi"] - fits[reference]["lo"])
             for fits in by_dataset.values() if variant in fits and reference in fits]
    if not moved:
        return "–"
    spread = statistics.stdev(moved) if len(moved) > 1 else float("nan")
    return f"{statistics.mean(moved):+.3f} ± {spread:.3f}"


def table(rows: list[dict], settings: list[tuple[float, int]]) -> pd.DataFrame:
    """One row per setting, on every dataset fitted with it (the shifts: on those also fitted
    with the first setting)."""
    by_dataset: dict = {}
    for r in rows:
        by_dataset.setdefault((tuple(r["truth"]), r["seed"]), {})[r["ta"], r["draws"]] = r
    reference = settings[0]

    def shift(setting: tuple[float, int], key: str) -> str:
        return interval_shift(by_dataset, setting, reference, key)

    out = []
    for setting in settings:
        fits = [f[setting] for f in by_dataset.values() if setting in f]
        draws = 4 * setting[1]
        out.append({
            "target_accept": setting[0], "draws": f"4 × {setting[1]:,}", "fits": len(fits),
            "healthy": sum(f["ok"] for f in fits),
            "with divergences": sum(f["div"] > 0 for f in fits),
            "R-hat > 1.01": sum(f["rhat"] > 1.01 for f in fits),
            "steps per draw (mean)": statistics.mean(f["steps"] for f in fits),
            "bulk ESS (median of the smallest)": statistics.median(f["ess"] for f in fits),
            "bulk ESS per 1,000 steps (median)":
                statistics.median(1000 * f["ess"] / (f["steps"] * draws) for f in fits),
            "seconds (sum)": sum(f["sec"] for f in fits),
            "shift of median": shift(setting, "med"),
            "shift of lower end": shift(setting, "lo"),
            "shift of upper end": shift(setting, "hi"),
        })
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bridged_beta")
    parser.add_argument("--settings", nargs="+",
                        default=["0.99", "0.95", "0.9", "0.95/2000", "0.99/2000"],
                        help="target_accept or target_accept/draws per chain")
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--all-truths", action="store_true",
                        help="all 16 truths, not the default 8")
    parser.add_argument("--cached", action="store_true",
                        help="tabulate the cached fits only, fitting nothing")
    parser.add_argument("--page", action="store_true",
                        help="write the table into docs/benchmarks.md between its markers")
    args = parser.parse_args()
    settings = [_setting(text) for text in args.settings]
    rows = run(args.model, settings, args.attempts, args.seeds, args.all_truths,
               fit_missing=not args.cached)
    truths = len(TRUTHS) if args.all_truths else 4 * len(DEFAULT_BS)
    shown = table(rows, settings).to_markdown(index=False, floatfmt=".3g")
    text = (f"`{args.model}`, n′ = {args.attempts:,}, {truths} truths × {args.seeds} "
            f"seeds; ESS per 1,000 steps = bulk ESS × 1,000 / (steps per draw × draws); at "
            f"the end {load_note()}.\n\n{shown}")
    publish("target_accept", text, args.page)


if __name__ == "__main__":
    main()
