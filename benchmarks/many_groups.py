"""Benchmark: many groups fitted in one process against a 2-worker Dask LocalCluster.

Each configuration runs in a fresh subprocess. It first fits two groups (imports are excluded;
this compiles the model), then times ``fit_many`` on N further groups of 128 problems
(n = 1,000 attempts each, Beta populations with alpha from 0.2 to 0.6), model ``beta``, nutpie,
4 chains x 1,000 draws after 1,000 tuning steps (the package defaults). The cluster's time
includes starting it (its workers fork from the warm process) and building every ``Fit`` here.

CPU seconds count this process's threads and, for the cluster, its worker processes (reaped when
the cluster closes): groups per CPU second is what a dedicated core would give, whatever else
shares the machine.

Configurations: one process with chains on one core (``cores=1``), one process with the default
``cores`` (2 chains at a time), and ``fit_many(n_workers=2)`` (one core per worker). Each is
cached (outside the repository), so the script resumes where it stopped.

Run:  python3 -m uv run python benchmarks/many_groups.py [--groups 200] [--fresh]
Prints a Markdown table and writes it to docs/benchmarks/many_groups.md (included in
docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import CACHE, load, run_child, save  # noqa: E402

TABLE = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "many_groups.md"

CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import monkeypower as mp

cfg = json.loads(sys.argv[1])

def groups(start, count):
    return mp.OutcomesGroups(["g"], {
        (i,): mp.simulate("beta", {"alpha": 0.2 + 0.4 * (i % 50) / 50, "beta": 3.0},
                          n_problems=128, n_attempts=1000, seed=i)
        for i in range(start, start + count)})

def main():
    kw = dict(seed=1, progressbar=False, cores=cfg["cores"])
    t0 = time.perf_counter()
    mp.fit_many(groups(10**6, 2), "beta", **kw)  # compiles here
    t1 = time.perf_counter()
    data = groups(0, cfg["groups"])

    def cpu():  # this process's threads, plus its workers once the cluster has reaped them
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    c2, t2 = cpu(), time.perf_counter()
    fits = mp.fit_many(data, "beta", n_workers=cfg["workers"], **kw)
    t3 = time.perf_counter()
    cpu_seconds = cpu() - c2
    divergences = sum(f.diagnostics.n_divergent for f in fits.values())
    print("RESULT" + json.dumps({"warmup": t1 - t0, "seconds": t3 - t2, "cpu": cpu_seconds,
                                 "divergences": int(divergences), "fits": len(fits)}))

if __name__ == "__main__":
    main()
"""

CONFIGS = {  # name: (label, workers, cores per fit, cores used)
    "serial-1core": ("one process, chains one after another", None, 1, 1),
    "serial-default": ("one process, default cores (2 chains at a time)", None, None, 2),
    "cluster-2": ("LocalCluster, 2 workers x 1 core", 2, 1, 2),
}


def run(name: str, groups: int) -> dict:
    _, workers, cores, _ = CONFIGS[name]
    return run_child(CHILD, {"groups": groups, "workers": workers, "cores": cores}, name)


def table(results: dict[tuple[int, str], dict]) -> str:
    """One row per (groups, configuration) run; ratios against one process, same N: the
    default one (``mp.fit``) and the fastest one-process configuration measured."""
    rows = ["| configuration | cores | groups | seconds | groups/s | groups/s per core "
            "| vs one process (default) | vs fastest one process | CPU s | groups per CPU s "
            "| divergences |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for groups in sorted({n for n, _ in results}):
        base = results.get((groups, "serial-default"))
        serial = [results[(groups, n)]["seconds"] for n in ("serial-1core", "serial-default")
                  if (groups, n) in results]
        for name, (label, _, _, cores) in CONFIGS.items():
            res = results.get((groups, name))
            if res is None:
                continue
            rate = groups / res["seconds"]
            ratio = f"{base['seconds'] / res['seconds']:.2f}x" if base else "–"
            fastest = f"{min(serial) / res['seconds']:.2f}x" if serial else "–"
            cpu = res.get("cpu")
            cpu_cells = f"{cpu:.1f} | {groups / cpu:.2f}" if cpu else "– | –"
            rows.append(f"| {label} | {cores} | {groups:,} | {res['seconds']:.1f} | {rate:.2f} "
                        f"| {rate / cores:.2f} | {ratio} | {fastest} | {cpu_cells} "
                        f"| {res['divergences']} |")
    return "\n".join(rows)


def cached_runs() -> dict[tuple[int, str], dict]:
    """Every run in the cache, keyed by (groups, configuration)."""
    runs = {}
    for path in CACHE.glob("many_groups-*.pkl"):
        name, groups = path.stem.removeprefix("many_groups-").rsplit("-", 1)
        if name in CONFIGS:
            runs[(int(groups), name)] = load(path.stem)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="ignore cached results")
    parser.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    args = parser.parse_args()
    for name in args.only:
        key = f"many_groups-{name}-{args.groups}"
        cached = None if args.fresh else load(key)
        if cached is None:
            print(f"running {name} ({args.groups} groups)...", file=sys.stderr, flush=True)
            cached = run(name, args.groups)
            save(key, cached)
    text = table(cached_runs())
    print(text)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(text + "\n")


if __name__ == "__main__":
    main()
