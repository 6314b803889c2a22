"""Benchmark: cost of one log-likelihood + gradient evaluation per family (what NUTS pays per step).

For each family: sum_i L(c_i, f_i; θ) over the distinct (c, f) pairs of a dataset simulated from
the family at its prior medians, and its gradient in θ, compiled once with PyTensor's numba
backend (the one nutpie uses). A dataset is ``--problems`` problems with either a fixed number
of attempts n (``--attempts``) or, with ``--max-attempts N``, a per-problem n drawn
log-uniformly between 10 and N (the variable n of a checkpoint sweep; nearly every problem is a
distinct pair). The table gives the median wall time of one call over ``--repeats`` calls, the
number of distinct pairs and the cost per pair in µs.

Run: ``python benchmarks/family_logp_cost.py [--attempts 1000 100000000]
[--max-attempts 4000000] [--problems 1000] [--variable-problems 1000 10000]
[--families beta ...] [--page]`` (``--page`` writes the table into
docs/benchmarks.md between the ``<!-- family_logp_cost:start -->`` and
``<!-- family_logp_cost:end -->`` markers).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt

import monkeypower as mp
from monkeypower.families import FAMILIES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _data import load_note, publish  # noqa: E402

from test_family_contract import median_params  # noqa: E402  (the spec's prior medians)

DEFAULT = tuple(FAMILIES)
MIN_VARIABLE_N = 10


def attempts_per_problem(design: str, size: int, problems: int) -> int | np.ndarray:
    """A fixed n, or per-problem n log-uniform on [10, size] (seeded)."""
    if design == "fixed":
        return size
    rng = np.random.default_rng(12345)
    logn = rng.uniform(np.log(MIN_VARIABLE_N), np.log(size), problems)
    return np.round(np.exp(logn)).astype(np.int64)


def cost(name: str, design: str, size: int, problems: int, repeats: int) -> dict:
    """Median seconds of one logp + gradient call, and the compile time."""
    fam = FAMILIES[name]
    theta0 = median_params(name)
    data = mp.simulate(name, theta0, n_problems=problems,
                       n_attempts=attempts_per_problem(design, size, problems), seed=0)
    pairs = np.unique(np.stack([data.c, data.n - data.c], axis=1), axis=0).astype(float)
    theta = {k: pt.dscalar(k) for k in fam.params}
    total = fam.log_moment(pt.as_tensor(pairs[:, 0]), pt.as_tensor(pairs[:, 1]), theta,
                           "pytensor").sum()
    grads = pytensor.grad(total, list(theta.values()))
    start = time.perf_counter()
    fn = pytensor.function(list(theta.values()), [total, *grads], mode="NUMBA")
    args = [theta0[k] for k in fam.params]
    fn(*args)
    compile_s = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    per_call = float(np.median(times))
    n_label = f"{size:,}" if design == "fixed" else f"10 – {size:,} (log-uniform)"
    return {"family": name, "problems": problems, "n": n_label, "pairs": len(pairs),
            "logp+grad (ms)": 1e3 * per_call, "µs per pair": 1e6 * per_call / len(pairs),
            "compile + first call (s)": compile_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, nargs="*", default=[1000],
                        help="fixed n per problem (one table row per value)")
    parser.add_argument("--max-attempts", type=int, nargs="*", default=[],
                        help="variable n: per-problem n log-uniform on [10, N]")
    parser.add_argument("--problems", type=int, nargs="+", default=[1000],
                        help="problems per dataset with a fixed n")
    parser.add_argument("--variable-problems", type=int, nargs="+", default=[1000, 10000],
                        help="problems per dataset with a variable n")
    parser.add_argument("--families", nargs="+", default=list(DEFAULT))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--page", action="store_true",
                        help="write the table into docs/benchmarks.md between its markers")
    args = parser.parse_args()
    runs = [("fixed", n, m) for n in args.attempts for m in args.problems]
    runs += [("variable", n, m) for n in args.max_attempts for m in args.variable_problems]
    rows = []
    for (design, size, problems), name in itertools.product(runs, args.families):
        row = cost(name, design, size, problems, args.repeats)
        print(" | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()),
              file=sys.stderr, flush=True)
        rows.append(row)
    table = pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g")
    text = (f"Median of {args.repeats} calls; one thread; at the end {load_note()}.\n\n"
            f"{table}")
    publish("family_logp_cost", text, args.page)


if __name__ == "__main__":
    main()
