"""Benchmark: cold and warm fit times by problem count and sampler, and a naive latent-p model.

Each configuration runs in a fresh subprocess so "cold" includes imports and compilation; "warm"
is a second fit on new data of the same size in the same process (the compiled model reused,
as ``fit`` does for a group collection). 4 chains x 1,000 draws after 1,000 tuning steps.

Run:  python3 -m uv run python benchmarks/fit_times.py [--quick] [--samplers pymc nutpie ...]
Prints a Markdown table; numbers in docs/benchmarks.md come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import monkeypower as mp
warnings.simplefilter("ignore")
cfg = json.loads(sys.argv[1])
kw = dict(draws=cfg["draws"], tune=cfg["tune"], chains=4, progressbar=False)

def data(seed):
    return mp.simulate(cfg["family"], cfg["params"], n_problems=cfg["M"], n_attempts=cfg["n"],
                       seed=seed)

def naive_fit(out, seed):
    import pymc as pm
    with pm.Model():
        alpha = pm.LogNormal("alpha", -1.2, 1.0)
        mean = pm.Beta("mean", 1.0, 1.0)
        p = pm.Beta("p", alpha, alpha * (1 - mean) / mean, shape=out.n_problems)
        pm.Binomial("c", n=out.n, p=p, observed=out.c)
        return pm.sample(random_seed=seed, nuts_sampler=cfg["sampler"], cores=2, **kw)

first, second = data(1), data(2)
t1 = time.perf_counter()
if cfg["naive"]:
    naive_fit(first, 1)
    t2 = time.perf_counter()
    res = {"cold": t2 - t0, "warm": None}
else:
    groups = mp.OutcomesGroups(["rep"], {(1,): first, (2,): second})
    import monkeypower.fitting.fit as fitting
    stats = [mp.compress(first), mp.compress(second)]
    spec = mp.load_spec(cfg["model"])
    settings = fitting.SamplerSettings(cfg["sampler"], cfg["draws"], cfg["tune"], 4, 0.9, False)
    runner = fitting._Runner(stats[0], spec, settings)
    runner.sample(stats[0], 1)
    t2 = time.perf_counter()
    tree = runner.sample(stats[1], 2)
    t3 = time.perf_counter()
    div = int(np.asarray(tree["sample_stats"]["diverging"]).sum())
    res = {"cold": t2 - t0, "warm": t3 - t2, "pairs": stats[1].n_pairs, "divergences": div}
print("RESULT" + json.dumps(res))
"""


def run(cfg: dict, timeout: int) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"cold": None, "warm": None, "note": f"killed at {timeout} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[6:])
    return {"cold": None, "warm": None, "note": proc.stderr.strip().splitlines()[-1][:80]}


def fmt(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samplers", nargs="+", default=["pymc", "nutpie", "numpyro", "blackjax"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 10_000, 1_000_000])
    parser.add_argument("--model", default="beta")
    parser.add_argument("--naive", action="store_true", help="also time the latent-p model")
    parser.add_argument("--quick", action="store_true", help="250 draws / 250 tune")
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()
    draws = 250 if args.quick else 1000
    family = "beta" if args.model == "beta" else "scaled_beta"
    params = ({"alpha": 0.3, "beta": 3.0} if family == "beta"
              else {"alpha": 0.3, "beta": 3.0, "scale": 0.5})
    print(f"model {args.model}; population {family}{params}; n = 1,000 attempts; 4 chains x "
          f"{draws} draws + {draws} tune; 2 cores; seconds (cold = new process incl. imports "
          "and compilation; warm = compiled model reused on new data)\n")
    print("| model | problems M | distinct pairs | sampler | cold s | warm s | divergences |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for sampler in args.samplers:
            cfg = {"family": family, "params": params, "M": size, "n": 1000, "model": args.model,
                   "sampler": sampler, "draws": draws, "tune": draws, "naive": False}
            res = run(cfg, args.timeout)
            print(f"| {args.model} (p integrated out) | {size:,} | {res.get('pairs', '–')} | "
                  f"{sampler} | {fmt(res['cold'])} | {fmt(res['warm'])} | "
                  f"{res.get('divergences', res.get('note', '–'))} |", flush=True)
    if args.naive:
        for sampler in args.samplers:
            cfg = {"family": "beta", "params": {"alpha": 0.3, "beta": 3.0}, "M": 10_000,
                   "n": 1000, "model": "beta", "sampler": sampler, "draws": draws,
                   "tune": draws, "naive": True}
            res = run(cfg, args.timeout)
            print(f"| naive latent p per problem | 10,000 | – | {sampler} | {fmt(res['cold'])} | "
                  f"– | {res.get('note', '')} |", flush=True)


if __name__ == "__main__":
    start = time.time()
    main()
    print(f"\n(total {time.time() - start:.0f} s)")
