"""Benchmark: a cold ``monkeypower fit`` as a user meets it, against a hand-written PyMC script.

Every row is a whole process (``subprocess``): imports, compilation, sampling, output. The
first process runs with empty compile caches (PyTensor's ``base_compiledir`` and numba's cache
directory pointed at a new temporary folder: a fresh machine); three later processes reuse
what the first left on disk, as any later run on the machine does (the median is shown). The
reference is a 20-line PyMC script fitting the same Beta-Binomial model with ``pm.sample``
(4 chains × 1,000 draws after 1,000 tuning steps, as ``monkeypower fit`` runs). 128 problems,
n = 1,000 attempts each.

CPU is user+system time of the process and its children (``resource``); wall is elapsed time.
The row ``import pymc, nutpie`` is what a plain ``import nutpie`` costs: nutpie imports ArviZ
whole (its statistics with SciPy's, its plots with Matplotlib); the package imports nutpie with
ArviZ's plots deferred (``monkeypower.fitting.nutpie_import``) and Matplotlib only when it draws.

Python bytecode: the rows run with ``.pyc`` files allowed and already written (as after any
``pip install``, or after the first import on a machine that lets Python write them). Machines
that set ``PYTHONDONTWRITEBYTECODE=1`` with uv (which installs no ``.pyc``) compile every imported
module from source in every process; the last row shows what that costs ``import pymc``.

Run:  python3 -m uv run python benchmarks/cold_start.py [--page]
(``--page`` rewrites the table between the ``<!-- cold_start:start -->`` and
``<!-- cold_start:end -->`` markers of docs/benchmarks.md.)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _data import publish

HAND_WRITTEN = r"""
import time
start = time.perf_counter()
import sys, numpy as np, pandas as pd, pymc as pm
imported = time.perf_counter() - start
df = pd.read_csv(sys.argv[1])
with pm.Model():
    alpha = pm.LogNormal("alpha", -1.0, 1.0)
    mean = pm.Beta("mean", 1.0, 1.0)
    pm.BetaBinomial("c", n=df["n"].to_numpy(), alpha=alpha, beta=alpha * (1 - mean) / mean,
                    observed=df["c"].to_numpy())
    idata = pm.sample(draws=1000, tune=1000, chains=4, random_seed=1, progressbar=False)
print(float(idata.posterior["alpha"].mean()))
print(f"TIMES {imported} {idata.posterior.attrs['sampling_time']}")
"""
#: The hand-written script prints ``TIMES <import s> <sampling s>``: its imports, and PyMC's own
#: ``sampling_time`` (the draws, without building and compiling the model).

#: Later processes timed per row; the table shows the one of median wall time (a single later
#: run varied by 0.8 s on the loaded 2-core machine, the first after a fresh compile slowest).
LATER_RUNS = 3

IMPORT_PYMC = "import pymc"
IMPORT_NUTPIE = "import pymc, nutpie"


def _write_counts(folder: Path) -> Path:
    import monkeypower as mp

    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=128, n_attempts=1000,
                      seed=0)
    path = folder / "counts.csv"
    path.write_text("problem,n,c\n" + "".join(
        f"{i},{n},{c}\n" for i, (n, c) in enumerate(zip(out.n, out.c, strict=True))))
    return path


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one whole process, and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="store_true",
                        help="write the table into docs/benchmarks.md between its markers")
    args = parser.parse_args()
    python = sys.executable
    cli = [python, "-m", "monkeypower.cli_entry"]  # the console script's own entry point
    bytecode = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([python, "-c", "import monkeypower.cli, pymc, nutpie"], env=bytecode,
                   check=True)  # the .pyc files, written once
    rows = []
    script_times = [float("nan"), float("nan")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counts = _write_counts(folder)
        script = folder / "hand_written.py"
        script.write_text(HAND_WRITTEN)
        commands = {
            "import pymc": [python, "-c", IMPORT_PYMC],
            "import pymc, nutpie": [python, "-c", IMPORT_NUTPIE],
            "monkeypower --help": [*cli, "--help"],
            "hand-written PyMC script (beta-binomial)": [python, str(script), str(counts)],
            "monkeypower fit --model beta": [
                *cli, "fit", str(counts), "--problem", "problem", "--n", "n", "--c", "c",
                "--model", "beta", "--seed", "1", "--no-progress"],
            "monkeypower fit --model scaled_beta": [
                *cli, "fit", str(counts), "--problem", "problem", "--n", "n", "--c", "c",
                "--model", "scaled_beta", "--seed", "1", "--no-progress"],
            "import pymc, no .pyc (PYTHONDONTWRITEBYTECODE=1)": [python, "-c", IMPORT_PYMC],
        }
        for label, command in commands.items():
            caches = folder / f"caches-{len(rows)}"
            env = dict(bytecode, MPLBACKEND="Agg", NUMBA_CACHE_DIR=str(caches / "numba"),
                       PYTENSOR_FLAGS=f"base_compiledir={caches / 'pytensor'}")
            if "PYTHONDONTWRITEBYTECODE" in label:
                env["PYTHONDONTWRITEBYTECODE"] = "1"
                env["PYTHONPYCACHEPREFIX"] = str(caches / "no-pyc")  # .pyc of the venv unseen
            *first, _ = _timed(command, env)
            later = sorted((_timed(command, env) for _ in range(LATER_RUNS)),
                           key=lambda run: run[0])
            *second, printed = later[LATER_RUNS // 2]  # the run of median wall time
            rows.append((label, *first, *second))
            if command[1] == str(script):
                script_times = [float(x) for x in printed.split("TIMES")[1].split()]
            print(f"{label}: first {first[0]:.1f} s wall / {first[1]:.1f} s CPU, "
                  f"later (median) {second[0]:.1f} s wall / {second[1]:.1f} s CPU", flush=True)
    load = os.getloadavg()[0]
    lines = [
        f"128 problems, n = 1,000; 4 chains × 1,000 draws after 1,000 tuning steps; "
        f"load average at the end {load:.1f} on {os.cpu_count()} cores. Python's .pyc files "
        "present (see the last row for a process without them).",
        "",
        "| whole process | first process, fresh caches: wall s | CPU s "
        f"| later process (median of {LATER_RUNS}): wall s | CPU s |",
        "|---|---|---|---|---|",
        *(f"| {label} | {w1:.1f} | {c1:.1f} | {w2:.1f} | {c2:.1f} |"
          for label, w1, c1, w2, c2 in rows),
    ]
    second = {label: (w2, c2) for label, _, _, w2, c2 in rows}
    fit_beta = second["monkeypower fit --model beta"]
    script = second["hand-written PyMC script (beta-binomial)"]
    plain_import = second["import pymc, nutpie"]
    lines += [
        "",
        f"Read-off, later processes: `monkeypower fit --model beta` {fit_beta[0]:.1f} s wall "
        f"({fit_beta[1]:.1f} s CPU), {fit_beta[0] / script[0]:.2f}× the hand-written script "
        f"({script[0]:.1f} s); {fit_beta[0] - plain_import[0]:+.1f} s against "
        "`import pymc, nutpie` "
        f"({plain_import[0]:.1f} s), which imports ArviZ whole, plots and Matplotlib included "
        "(monkeypower imports nutpie with them deferred: `monkeypower.fitting.nutpie_import`). "
        f"The script's own import took {script_times[0]:.1f} s and PyMC's sampling "
        f"{script_times[1]:.1f} s (its `sampling_time`, without compiling): twice their sum is "
        f"{2 * sum(script_times):.1f} s; `monkeypower fit` took {fit_beta[0]:.1f} s (`beta`) and "
        f"{second['monkeypower fit --model scaled_beta'][0]:.1f} s (`scaled_beta`).",
    ]
    table = "\n".join(lines)
    publish("cold_start", table, args.page)


if __name__ == "__main__":
    main()
