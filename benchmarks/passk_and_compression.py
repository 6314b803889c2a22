"""Benchmark: exact pass@k on a large grid, and compression of a million problems.

Run: python3 -m uv run python benchmarks/passk_and_compression.py
Prints a Markdown table (median of 5 repeats, wall-clock seconds on this machine).
"""

from __future__ import annotations

import platform
import time

import numpy as np

import monkeypower as mp


def timed(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    n = 10_000
    problems = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=10_000, n_attempts=n,
                           seed=0)
    # 101 distinct k from 1 to n: 1..50 then 51 log-spaced values up to n
    k = np.unique(np.concatenate([np.arange(1, 51), np.geomspace(51, n, 51).astype(int)]))
    assert len(k) == 101
    grid_time = timed(lambda: mp.pass_at_k(problems.n[:, None], problems.c[:, None], k[None, :]))
    curve_time = timed(lambda: mp.empirical_curve(problems, k=k))
    million = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=1_000_000,
                          n_attempts=n, seed=1)
    compress_time = timed(lambda: mp.compress(million))
    stats = mp.compress(million)
    expand_time = timed(lambda: stats.expand())
    print(f"machine: {platform.machine()}, {platform.python_version()}, numpy {np.__version__}")
    print("| task | size | seconds |")
    print("|---|---|---|")
    size = f"10,000 problems x {len(k)} k, n = 10,000"
    print(f"| pass_at_k, per problem | {size} | {grid_time:.3f} |")
    print(f"| empirical_curve (pass_D@k) | 10,000 problems x {len(k)} k | {curve_time:.3f} |")
    print(f"| compress | 1,000,000 problems -> {stats.n_pairs:,} pairs | {compress_time:.3f} |")
    print(f"| expand (exact inverse) | {stats.n_pairs:,} pairs -> 1,000,000 problems | "
          f"{expand_time:.3f} |")


if __name__ == "__main__":
    main()
