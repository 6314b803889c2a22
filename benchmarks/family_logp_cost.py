"""Benchmark: cost of one log-likelihood + gradient evaluation per family (what NUTS pays per step).

For each family: sum_i L(c_i, f_i; θ) over the distinct (c, f) pairs of a 128-problem dataset
simulated from the family at its prior medians (n attempts per problem), and its gradient in
θ, compiled once with PyTensor's numba backend (the one nutpie uses); the table gives the median
wall time of one call over ``--repeats`` calls, and the number of pairs.

Run: ``python benchmarks/family_logp_cost.py [--attempts 1000] [--families beta ...]``
Prints a Markdown table.
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
from test_family_contract import median_params  # noqa: E402  (the spec's prior medians)

DEFAULT = ("beta", "scaled_beta", "kumaraswamy", "scaled_kumaraswamy", "generalized_beta")


def cost(name: str, attempts: int, repeats: int) -> dict:
    """Median seconds of one logp + gradient call, and the compile time."""
    fam = FAMILIES[name]
    theta0 = median_params(name)
    data = mp.simulate(name, theta0, n_problems=128, n_attempts=attempts, seed=0)
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
    return {"family": name, "pairs": len(pairs), "logp+grad (ms)": 1e3 * float(np.median(times)),
            "compile + first call (s)": compile_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, nargs="+", default=[1000])
    parser.add_argument("--families", nargs="+", default=list(DEFAULT))
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    rows = [{"attempts": n, **cost(name, n, args.repeats)}
            for n, name in itertools.product(args.attempts, args.families)]
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))


if __name__ == "__main__":
    main()
