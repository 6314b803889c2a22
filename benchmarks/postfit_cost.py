"""Benchmark: cost of the post-fit estimands against the fit's own time.

For each family: 128 problems simulated at the family's prior medians with n = 1,000 attempts,
fitted with the default sampler and the model's own draws (4 chains × 1,000 after 1,000 tuning
steps unless its spec says more: ``bridged_beta`` 4 × 2,000); the fit is run twice and the
second (warm: compiled model reused) is the fit's own time. Then, on all its draws, timed once
each:

- ``forecast_pass_at_k`` on a 100-point k grid up to 10^6;
- ``attempts_for_target(0.99)`` (forecast curve);
- ``effective_exponent`` of the forecast curve over [1, 10^6];
- ``summary()`` (first call in the process).

Run: ``python benchmarks/postfit_cost.py [--families beta scaled_beta kumaraswamy] [--page]``
(``--page`` keeps the rows in ``benchmarks/results/postfit_cost.csv``, replacing those of the
families just measured and keeping the others with the load and threads of their own run, and
writes the table into docs/benchmarks.md between the ``<!-- postfit_cost:start -->`` and
``<!-- postfit_cost:end -->`` markers).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

import monkeypower as mp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _data import load_note, publish  # noqa: E402

from test_family_contract import median_params  # noqa: E402  (the spec's prior medians)

RESULTS = Path(__file__).resolve().parent / "results" / "postfit_cost.csv"
K_GRID = np.unique(np.round(np.geomspace(1, 1e6, 100)).astype(np.int64))


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def costs(name: str, seed: int) -> list[dict]:
    """Seconds of the warm fit and of each post-fit operation on it."""
    data = mp.simulate(name, median_params(name), n_problems=128, n_attempts=1000, seed=seed)
    mp.fit(data, name, seed=seed, progressbar=False)  # compiles
    fit_s, fit = _timed(lambda: mp.fit(data, name, seed=seed + 1, progressbar=False))
    operations = {
        "forecast_pass_at_k (100 k ≤ 10^6)": lambda: fit.forecast_pass_at_k(K_GRID),
        "attempts_for_target(0.99)": lambda: fit.attempts_for_target(0.99),
        "effective_exponent (forecast, [1, 10^6])":
            lambda: fit.effective_exponent((1, 1_000_000), curve="forecast"),
        "summary() (first call)": lambda: fit.summary(),
    }
    settings = fit.sampler_settings
    rows = [{"family": name,
             "operation": f"warm fit ({settings['chains']} × {settings['draws']:,} draws)",
             "seconds": fit_s, "% of fit": 100.0}]
    for label, op in operations.items():
        seconds, _ = _timed(op)
        rows.append({"family": name, "operation": label, "seconds": seconds,
                     "% of fit": 100.0 * seconds / fit_s})
        print(f"{name}: {label} {seconds:.3g} s", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=["beta", "scaled_beta", "kumaraswamy"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page", action="store_true",
                        help="write the table into docs/benchmarks.md between its markers")
    args = parser.parse_args()
    rows = pd.DataFrame([row for name in args.families for row in costs(name, args.seed)])
    rows["run"] = (f"{datetime.date.today():%Y-%m-%d}, {load_note()}, "
                   f"{numba.config.NUMBA_NUM_THREADS} threads")
    if args.page:
        kept = pd.read_csv(RESULTS) if RESULTS.exists() else rows.iloc[:0]
        rows = pd.concat([kept[~kept["family"].isin(args.families)], rows], ignore_index=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        rows.to_csv(RESULTS, index=False, float_format="%.4g")
    table = rows.to_markdown(index=False, floatfmt=".3g")
    text = ("128 problems, n = 1,000; every draw of the fit; *run*: when, the load average at "
            f"its end, and the threads the post-fit kernels could use.\n\n{table}")
    publish("postfit_cost", text, args.page)


if __name__ == "__main__":
    main()
