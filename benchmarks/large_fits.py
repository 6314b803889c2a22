"""Benchmark: a warm fit of many problems with variable n against a warm fit of 128 with fixed n.

A checkpoint sweep gives every problem its own number of attempts, so nearly every problem is a
distinct (n, c) pair and the cost of a gradient grows with the problems, not with n + 1. Each row
is a fresh process that first fits 128 problems with n = 1,000 (compiling the model), times a
second such fit on new data (*warm, 128 fixed n*), then times a warm fit of ``--problems``
problems whose n is drawn log-uniformly between 10 and ``--max-attempts`` (as in
``family_logp_cost.py``). Populations: Beta(0.3, 3) for both. Package defaults: nutpie, 4 chains
× 1,000 draws after 1,000 tuning steps; then the large fit's PSIS-LOO and ``summary()``.
*Peak RSS* is the process's own high-water mark (VmHWM): before the large fit (imports,
compilation, the small fits), after it, and after its LOO and summary.

Run:  python benchmarks/large_fits.py [--models beta scaled_beta] [--problems 10000]
      [--max-attempts 4000000] [--fresh] [--page]
Results are cached outside the repository (the script resumes); ``--page`` writes the table
into docs/benchmarks.md between the ``large_fits`` markers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load, publish, run_child, save  # noqa: E402

CHILD = r"""
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
import monkeypower as mp

def hwm_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

cfg = json.loads(sys.argv[1])
truth = {"alpha": 0.3, "beta": 3.0}
fixed = [mp.simulate("beta", truth, n_problems=128, n_attempts=1000, seed=s) for s in (1, 2)]
rng = np.random.default_rng(12345)
n = np.round(np.exp(rng.uniform(np.log(10), np.log(cfg["max_attempts"]), cfg["problems"])))
large = mp.simulate("beta", truth, n_problems=cfg["problems"], n_attempts=n.astype(np.int64),
                    seed=3)
kw = dict(seed=1, progressbar=False)
mp.fit(fixed[0], cfg["model"], **kw)  # compiles
t0 = time.perf_counter()
mp.fit(fixed[1], cfg["model"], **kw)
small = time.perf_counter() - t0
before = hwm_mib()
t0 = time.perf_counter()
fit = mp.fit(large, cfg["model"], **kw)
seconds = time.perf_counter() - t0
after_fit = hwm_mib()
t0 = time.perf_counter()
fit.loo(warn=False)
loo = time.perf_counter() - t0
t0 = time.perf_counter()
fit.summary()
summary = time.perf_counter() - t0
d = fit.diagnostics
print("RESULT" + json.dumps({
    "small": small, "large": seconds, "pairs": int(fit.stats.n_pairs),
    "hwm_before": before, "hwm": after_fit, "hwm_after": hwm_mib(), "loo": loo,
    "summary": summary, "load": os.getloadavg()[0], "divergences": int(d.n_divergent),
    "max_rhat": float(d.max_rhat), "min_ess": float(d.min_ess_bulk)}))
"""


def run(model: str, problems: int, max_attempts: int) -> dict:
    """One fresh process; its RESULT line."""
    return run_child(CHILD, {"model": model, "problems": problems,
                             "max_attempts": max_attempts}, model)


def table(rows: list[tuple[str, int, int, dict]]) -> str:
    """Markdown table, one row per model."""
    loads = ", ".join(f"{model} {r['load']:.1f}" for model, _, _, r in rows)
    out = [f"Warm fits, package defaults (nutpie, 4 chains × 1,000 draws after 1,000 tuning "
           f"steps); load average at the end of each run ({loads}) on {os.cpu_count()} "
           "cores.", "",
           "| model | warm, 128 problems, n = 1,000 (s) | warm, M problems, variable n (s) | M "
           "| n | distinct pairs | ratio | then LOO (s) | then summary() (s) "
           "| peak RSS: before → after the fit → after LOO and summary (MiB) | divergences "
           "| max R-hat |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, problems, max_attempts, r in rows:
        out.append(
            f"| {model} | {r['small']:.2f} | {r['large']:.1f} | {problems:,} "
            f"| 10 – {max_attempts:,} | {r['pairs']:,} | {r['large'] / r['small']:.0f}× "
            f"| {r['loo']:.1f} | {r['summary']:.1f} "
            f"| {r['hwm_before']:.0f} → {r['hwm']:.0f} → {r['hwm_after']:.0f} "
            f"| {r['divergences']} | {r['max_rhat']:.3f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["beta", "scaled_beta"])
    parser.add_argument("--problems", type=int, default=10_000)
    parser.add_argument("--max-attempts", type=int, default=4_000_000)
    parser.add_argument("--fresh", action="store_true", help="ignore cached results")
    parser.add_argument("--page", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    rows = []
    for model in args.models:
        key = f"large_fits-{model}-{args.problems}-{args.max_attempts}"
        result = None if args.fresh else load(key)
        if result is None:
            print(f"running {model}...", file=sys.stderr, flush=True)
            result = run(model, args.problems, args.max_attempts)
            save(key, result)
        rows.append((model, args.problems, args.max_attempts, result))
    text = table(rows)
    publish("large_fits", text, args.page)


if __name__ == "__main__":
    main()
