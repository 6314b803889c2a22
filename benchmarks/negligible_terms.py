"""Benchmark: what skipping the terms that no longer count saves on the forecast curve.

The forecast curve of a benchmark is a weighted sum over its distinct (n, c) pairs of terms
that fall with k (``monkeypower.estimands.curves``); a term below the sum's rounding unit is not
evaluated again. For each family: 128 problems simulated at the family's prior medians with
n = 1,000 attempts, one fit (4 chains × 1,000 draws), then on 1,000 of its draws (every fourth),
each timed with the skipping on and off (``curves._LOG_NEGLIGIBLE = -inf``), in alternation:

- ``forecast_log_fail`` on the 100-point k grid up to 10^6 of ``postfit_cost.py``;
- ``attempts_for_target(0.99)`` on the forecast curve.

Besides the seconds, the evaluations of L each made (independent of the machine's load) and
whether the two answers agree (the largest difference of the curves; the same k for every draw).

Run: ``python benchmarks/negligible_terms.py [--families ...] [--page]`` (``--page`` writes the
table into docs/benchmarks.md between the ``<!-- negligible_terms:start -->`` and
``<!-- negligible_terms:end -->`` markers).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import monkeypower as mp
from monkeypower.estimands import curves

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _data import load_note, publish  # noqa: E402

from test_family_contract import median_params  # noqa: E402  (the spec's prior medians)

K_GRID = np.unique(np.round(np.geomspace(1, 1e6, 100)).astype(np.int64)).astype(np.float64)
SKIPPING = curves._LOG_NEGLIGIBLE


class _Counting:
    """The family, counting the elements of L it evaluates."""

    def __init__(self, family) -> None:
        self.family, self.elements = family, 0

    def log_moment(self, c, f, params, backend):
        out = self.family.log_moment(c, f, params, backend)
        self.elements += int(np.size(out))
        return out


def _run(operation, family, log_negligible: float) -> tuple[float, int, np.ndarray]:
    curves._LOG_NEGLIGIBLE = log_negligible
    counting = _Counting(family)
    try:
        start = time.perf_counter()
        out = operation(counting)
        return time.perf_counter() - start, counting.elements, out
    finally:
        curves._LOG_NEGLIGIBLE = SKIPPING


def measure(name: str, seed: int) -> list[dict]:
    """Seconds and evaluations of L with and without the skipping, one family."""
    data = mp.simulate(name, median_params(name), n_problems=128, n_attempts=1000, seed=seed)
    fit = mp.fit(data, name, seed=seed, progressbar=False)
    post = fit.posterior_draws()
    flat, _ = post.flat(250)
    operations = {
        "forecast curve (100 k ≤ 10^6)":
            lambda fam: curves.forecast_log_fail(fam, flat, K_GRID, *post.data),
        "attempts_for_target(0.99)":
            lambda fam: curves.attempts_for_target(fam, flat, 0.99, data=post.data),
    }
    rows = []
    for label, operation in operations.items():
        skip_s, skip_n, skip_out = _run(operation, post.family, SKIPPING)
        every_s, every_n, every_out = _run(operation, post.family, -np.inf)
        if label.startswith("attempts"):
            agree = "same k" if np.array_equal(skip_out, every_out) else "k differ"
        else:
            agree = f"{np.max(np.abs(skip_out - every_out)):.1e}"
        rows.append({"family": name, "operation": label, "pairs": len(post.data[0]),
                     "L evaluated (skipping)": skip_n, "L evaluated (every term)": every_n,
                     "seconds (skipping)": skip_s, "seconds (every term)": every_s,
                     "speed-up": every_s / skip_s, "largest difference": agree})
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+",
                        default=["beta", "scaled_beta", "kumaraswamy", "bridged_beta"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page", action="store_true",
                        help="write the table into docs/benchmarks.md between its markers")
    args = parser.parse_args()
    rows = pd.DataFrame([row for name in args.families for row in measure(name, args.seed)])
    table = rows.to_markdown(index=False, floatfmt=".3g", intfmt=",")
    text = f"1,000 draws; run {datetime.date.today():%Y-%m-%d}, {load_note()}.\n\n{table}"
    publish("negligible_terms", text, args.page)


if __name__ == "__main__":
    main()
