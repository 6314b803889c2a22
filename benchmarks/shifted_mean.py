"""Benchmark: the default model's ``mean`` sampled on a shifted logit scale, against plain logit.

``bridged_beta`` samples its ``mean`` as logit(mean) + bend·log(alpha)
(:mod:`monkeypower.fitting.shifted_logit`); the model is the same. The plain-logit
coordinates are reached by giving ``mean`` the identical prior under another name,
Uniform(0, 1), which PyMC samples on logit(mean). Same datasets as ``target_accept.py`` (the
synthetic grid's 8 default truths, 128 problems, n′ = 1,000 by default), the same seed per
dataset, the package's sampler settings but 4 × 1,000 draws (the calibration grid's first
fit; the spec's 2,000 are what these numbers argue about). Per fit: leapfrog steps per draw,
the smallest bulk ESS, the bend's bulk ESS, R-hat, health (``Fit.diagnostics``) and the 90%
interval of b∞; *shift* is each shifted fit's median and interval ends against the plain fit's
on the same dataset, in units of the plain interval's width (mean ± sd over datasets): the
posterior must not move beyond Monte Carlo noise, since the model is the same.

Run: ``python benchmarks/shifted_mean.py [--seeds 1] [--attempts 1000] [--cached] [--page]``
(resumable, one cached line per fit; ``--page`` writes the table into docs/benchmarks.md
between the ``<!-- shifted_mean:start -->`` and ``<!-- shifted_mean:end -->`` markers, or for
another n′ those of ``shifted_mean_n<n′>``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import arviz_stats as azs
import pandas as pd
from _data import CACHE, load_note, publish
from calibration_grid import TRUTHS, simulate, truth_label
from target_accept import DEFAULT_BS, fit_record, interval_shift

import monkeypower as mp

COORDINATES = {
    "logit(mean)": {"mean": {"distribution": "Uniform", "lower": 0.0, "upper": 1.0}},
    "logit(mean) + bend·log(alpha)": None,
}


def measure(coordinates: str, truth: tuple, attempts: int, seed: int) -> dict:
    """One ``bridged_beta`` fit in the given coordinates: cost, health, bend ESS, b∞."""
    data = simulate(truth, attempts, seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mp.fit(data, model="bridged_beta", priors=COORDINATES[coordinates], seed=seed,
                     progressbar=False, draws=1000)
    seconds = time.perf_counter() - start
    bend_ess = float(azs.ess(fit.tree["posterior"].to_dataset()[["bend"]])["bend"])
    return {"coordinates": coordinates, "truth": list(truth), "attempts": attempts,
            "seed": seed, "bend_ess": bend_ess, **fit_record(fit, seconds)}


def run(attempts: int, seeds: int, fit_missing: bool) -> list[dict]:
    """Fit what is not cached yet; every row of the requested datasets."""
    path = CACHE / "shifted_mean" / f"n{attempts}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    done = {(r["coordinates"], tuple(r["truth"]), r["seed"]) for r in rows}
    chosen = [t for t in TRUTHS if t[2:] in DEFAULT_BS]
    with path.open("a") as cache:
        for seed in range(seeds):
            for truth in chosen:
                for coordinates in COORDINATES:
                    if (coordinates, truth, seed) in done or not fit_missing:
                        continue
                    row = measure(coordinates, truth, attempts, seed)
                    print(json.dumps(row), file=cache, flush=True)
                    print(f"{truth_label(*truth)} seed {seed} {coordinates}: "
                          f"{row['steps']:.1f} steps/draw, ESS {row['ess']:.0f}, bend ESS "
                          f"{row['bend_ess']:.0f}, R-hat {row['rhat']:.3f}", flush=True)
                    rows.append(row)
    wanted = {(truth, seed) for truth in chosen for seed in range(seeds)}
    return [r for r in rows if (tuple(r["truth"]), r["seed"]) in wanted]


def table(rows: list[dict]) -> pd.DataFrame:
    """One row per coordinate system; shifts on the datasets fitted in both."""
    by_dataset: dict = {}
    for r in rows:
        by_dataset.setdefault((tuple(r["truth"]), r["seed"]), {})[r["coordinates"]] = r
    reference = next(iter(COORDINATES))

    def shift(coordinates: str, key: str) -> str:
        return interval_shift(by_dataset, coordinates, reference, key)

    out = []
    for coordinates in COORDINATES:
        fits = [f[coordinates] for f in by_dataset.values() if coordinates in f]
        if not fits:
            continue
        out.append({
            "mean sampled as": coordinates, "fits": len(fits),
            "healthy": sum(f["ok"] for f in fits),
            "R-hat > 1.01": sum(f["rhat"] > 1.01 for f in fits),
            "with divergences": sum(f["div"] > 0 for f in fits),
            "steps per draw (mean)": statistics.mean(f["steps"] for f in fits),
            "bulk ESS of bend (median)": statistics.median(f["bend_ess"] for f in fits),
            "smallest bulk ESS (median)": statistics.median(f["ess"] for f in fits),
            "smallest bulk ESS per 1,000 steps (median)":
                statistics.median(1000 * f["ess"] / (f["steps"] * 4000) for f in fits),
            "seconds (sum)": sum(f["sec"] for f in fits),
            "shift of median": shift(coordinates, "med"),
            "shift of lower end": shift(coordinates, "lo"),
            "shift of upper end": shift(coordinates, "hi"),
        })
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--cached", action="store_true",
                        help="tabulate the cached fits only, fitting nothing")
    parser.add_argument("--page", action="store_true",
                        help="write the table into docs/benchmarks.md between its markers")
    args = parser.parse_args()
    rows = run(args.attempts, args.seeds, fit_missing=not args.cached)
    shown = table(rows).to_markdown(index=False, floatfmt=".3g")
    text = (f"`bridged_beta`, n′ = {args.attempts:,}, {4 * len(DEFAULT_BS)} truths × "
            f"{args.seeds} seed(s), 4 × 1,000 draws after 1,000 tuning steps, target_accept "
            f"0.99; ESS per 1,000 steps = smallest bulk ESS × 1,000 / (steps per draw × "
            f"4,000); at the end {load_note()}.\n\n{shown}")
    publish("shifted_mean" if args.attempts == 1000 else f"shifted_mean_n{args.attempts}", text,
            args.page)


if __name__ == "__main__":
    main()
