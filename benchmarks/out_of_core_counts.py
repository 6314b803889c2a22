"""Benchmark: counting a 10^8-row Parquet attempt log out of core (monkeypower.data.out_of_core).

Writes the log in chunks (never the whole table in memory), from a child process, to a
temporary folder outside the repository: ``--files`` Parquet files, 4 models x 25,000 problems x
1,000 attempts by default (10^8 rows), each file holding 50 attempts of every problem in random
order. Then, in a fresh child process per setting, runs
:func:`monkeypower.data.out_of_core.count_attempts` grouped by model and reports wall time and the
child's own peak resident memory (VmHWM from /proc/self/status; ``ru_maxrss`` of a child would
also count the parent's pages at fork), next to a child that only imports the modules (the
baseline). Checks that every problem has n = 1,000 and that the successes add up. The folder is
deleted at the end unless ``--keep``.

Run:  python3 -m uv run python benchmarks/out_of_core_counts.py [--rows 1e8] [--limits 1GB 256MB]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHILD = r"""
import json, sys, time

def hwm_mib():  # this process's own peak RSS (VmHWM is reset by exec, unlike ru_maxrss)
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

cfg = json.loads(sys.argv[1])
from monkeypower.data.out_of_core import count_attempts
if cfg["limit"] is None:
    print(json.dumps({"seconds": 0.0, "hwm_mib": hwm_mib()}))
    sys.exit()
t0 = time.perf_counter()
counts = count_attempts(cfg["glob"], problem="problem", success="success", group_by="model",
                        memory_limit=cfg["limit"], threads=cfg["threads"])
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "groups": int(len(counts)),
                  "n_min": int(counts["n"].min()), "n_max": int(counts["n"].max()),
                  "n_sum": int(counts["n"].sum()), "c_sum": int(counts["c"].sum()),
                  "hwm_mib": hwm_mib()}))
"""


def write_log(folder: Path, rows: int, files: int, models: int, problems: int, seed: int) -> int:
    """Write the attempt log in ``files`` chunks; returns the total number of successes."""
    rng = np.random.default_rng(seed)
    cells = models * problems
    per_file = rows // files
    if per_file % cells:
        raise SystemExit(f"rows per file ({per_file}) must be a multiple of {cells}")
    repeats = per_file // cells
    p = rng.beta(0.3, 3.0, size=cells)  # one success probability per (model, problem)
    names = pa.array([f"model-{m}" for m in range(models)])
    total_c = 0
    for i in range(files):
        cell = np.repeat(np.arange(cells, dtype=np.int32), repeats)
        rng.shuffle(cell)
        success = rng.random(per_file) < p[cell]
        total_c += int(success.sum())
        model = pa.DictionaryArray.from_arrays(pa.array(cell // problems, pa.int32()), names)
        table = pa.table({"model": model, "problem": pa.array(cell % problems),
                          "success": pa.array(success)})
        pq.write_table(table, folder / f"attempts-{i:03d}.parquet", row_group_size=1_000_000)
        del cell, success, model, table
    return total_c


def run_child(cfg: dict) -> dict:
    """Run CHILD; its peak RSS is the VmHWM it reports (ru_maxrss of a child also counts the
    parent's pages at fork time, so it is printed only as a cross-check)."""
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cfg)], capture_output=True,
                          text=True, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    result = json.loads(proc.stdout.strip().splitlines()[-1].strip())
    result["children_maxrss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e8)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--models", type=int, default=4)
    parser.add_argument("--problems", type=int, default=25_000)
    parser.add_argument("--limits", nargs="+", default=["256MB", "1GB"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--write-only", help=argparse.SUPPRESS)
    args = parser.parse_args()

    rows = int(args.rows)
    if args.write_only:
        print(write_log(Path(args.write_only), rows, args.files, args.models, args.problems,
                        seed=1))
        return
    folder = Path(tempfile.mkdtemp(prefix="monkeypower-ooc-"))
    try:
        t0 = time.perf_counter()
        # written by a child process, so this parent stays small while the counts run
        writer = subprocess.run(
            [sys.executable, __file__, "--write-only", str(folder), "--rows", str(rows),
             "--files", str(args.files), "--models", str(args.models),
             "--problems", str(args.problems)], capture_output=True, text=True, check=False)
        if writer.returncode:
            raise SystemExit(writer.stderr)
        total_c = int(writer.stdout.strip().splitlines()[-1])
        size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
        print(f"wrote {rows:,} rows in {args.files} files, {size / 2**20:.0f} MiB, "
              f"in {time.perf_counter() - t0:.0f} s ({folder})")
        glob = str(folder / "*.parquet")
        base = run_child({"glob": glob, "limit": None, "threads": args.threads})
        print(f"baseline child (imports only): peak RSS {base['hwm_mib']:.0f} MiB")
        print("| memory_limit | threads | time (s) | peak RSS (MiB) | above baseline (MiB) | "
              "groups | n per problem |")
        print("|---|---|---|---|---|---|---|")
        for limit in args.limits:
            res = run_child({"glob": glob, "limit": limit, "threads": args.threads})
            assert res["n_sum"] == rows and res["c_sum"] == total_c, res
            expected_n = rows // (args.models * args.problems)
            assert res["n_min"] == res["n_max"] == expected_n, res
            print(f"| {limit} | {args.threads} | {res['seconds']:.1f} | {res['hwm_mib']:.0f} | "
                  f"{res['hwm_mib'] - base['hwm_mib']:.0f} | {res['groups']:,} | "
                  f"{expected_n:,} |")
        print(f"(cross-check: largest ru_maxrss of any child {res['children_maxrss_mib']:.0f} "
              "MiB, which includes the parent's pages at fork)")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
