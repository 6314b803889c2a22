"""The ``monkeypower`` command's entry point: the top-level help at once, the commands on demand.

``monkeypower --help`` (or no command) needs only the list of commands, so it is answered here
with :mod:`argparse` alone; any command is handed to :func:`monkeypower.cli.main`, imported by
name (:func:`importlib.import_module`) only then, with PyMC and the fitting stack below it.
Measured on the shared 2-core development machine (load average 4): ``monkeypower --help``
takes 0.4 s, against 12.2 s for the full parser of :mod:`monkeypower.cli` with PyMC imported.

A command run as its own process (``argv`` not given: the installed ``monkeypower``, or
``python -m monkeypower.cli_entry``) keeps Python's cyclic garbage collector out of the way of a
short process. The imports build a few million objects that live until exit (modules,
functions, classes, PyTensor's and numba's registries), and each full collection walks all of
them again: measured by ``gc.callbacks`` in a second ``monkeypower fit --model beta`` process,
8 full collections took 1.2 s and the collection at exit another 0.3 s, a quarter of the
process. So the imports run with the collector paused, what they built is frozen
(:func:`gc.freeze`: moved where no collection looks) before the collector resumes for the
command, and what the command leaves is frozen again when it returns, so the collection at
exit has nothing to walk. The command itself is collected as usual. A caller that passes
``argv`` (a test, another program) keeps its own collector untouched.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from importlib import import_module

__all__ = ["COMMANDS", "DESCRIPTION", "EXAMPLES", "main", "top_level_parser"]

DESCRIPTION = "Bayesian analysis of repeated-sampling (pass@k) scaling laws."

COMMANDS = {
    "demo": "simulate a benchmark, fit it, compare with the truth",
    "fit": "fit a model to outcome data in a file",
    "backtest": "score estimators on subsamples of the data (the protocol of Schaeffer, "
                "Kazdan et al., arXiv:2502.17578)",
    "compare": "fit several families, compare them by LOO and say whether the data support a "
               "power law",
    "plan": "fit the counts so far, then plan the next round of attempts: how many more at each "
            "problem to shrink a target estimand most",
    "models": "list the built-in models with their priors and the reason for each",
}
"""Each command and its one-line help, as ``monkeypower --help`` lists them (the full parser in
:mod:`monkeypower.cli` gives each the same line; a test keeps the two lists equal)."""

EXAMPLES = """\
examples:
  monkeypower demo
      simulate a benchmark from a known Beta population, fit it and print the exponent
      posterior next to the truth
  monkeypower fit counts.csv --problem problem_idx --n n --c c --group-by model \\
      --model scaled_beta --seed 1 --format markdown
  monkeypower fit counts.csv --problem problem_idx --n n --c c --group-by model \\
      --group "Pythia 12B" --model scaled_beta --seed 1
  # many groups on a local Dask cluster of 4 worker processes (or --scheduler ADDRESS)
  monkeypower fit counts.csv --problem problem_idx --n n --c c \\
      --group-by model benchmark checkpoint --model beta --seed 1 --workers 4
  # every group in one pooled model, with the exponent's trend in a group covariate
  monkeypower fit counts.csv --problem problem_idx --n n --c c --group-by model \\
      --model beta --seed 1 --pool --covariates sizes.csv
  # an attempt log: one row per attempt, success boolean or 0/1 (not a per-problem score)
  monkeypower fit attempts.parquet --layout attempts --problem "Problem Idx" \\
      --success Score --attempt "Scaling Parameter" --design sequential \\
      --batch-size 60 --cap 10020 --model scaled_beta --seed 1 --format json --out results/
  # evaluation logs (Inspect AI .eval files, lm-eval samples_*.jsonl): one fit per model x task
  monkeypower fit logs/ --layout log --scorer match --model beta --seed 1
  monkeypower backtest counts.csv --problem problem_idx --n n --c c --group-by model \\
      --group "Pythia 12B" --attempts 100 1000 --seeds 3 --out backtest/
  monkeypower compare counts.csv --problem problem_idx --n n --c c --group-by model \\
      --group "Pythia 12B" --models beta scaled_beta logit_normal --seed 1 --out compare/
  monkeypower models

--out folders are written whole: into a temporary folder beside them, renamed into place once
everything succeeded, so a failure leaves an existing --out as it was.
"""


def top_level_parser() -> argparse.ArgumentParser:
    """The parser of ``monkeypower`` without a command: the commands named, none built."""
    parser = argparse.ArgumentParser(prog="monkeypower", description=DESCRIPTION,
                                     epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``monkeypower`` command.

    Without a command (``--help``, nothing, or an option first) the top-level parser answers
    here; otherwise :func:`monkeypower.cli.main` parses and runs the command. Without ``argv``
    (the command line of this process) the collector is paused for the imports and what is
    built is frozen (see the module's notes); with ``argv`` nothing about it changes.
    """
    own_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-"):
        top_level_parser().parse_args(argv)  # prints the help or the usage error, then exits
    if not own_process:
        return import_module("monkeypower.cli").main(argv)
    command_line = _import_uncollected("monkeypower.cli")
    status = command_line.main(argv)
    gc.freeze()  # the process ends: the collection at exit need not walk every object again
    return status


def _import_uncollected(name: str):
    """Import module ``name`` with the cyclic collector paused, then freeze what it built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return import_module(name)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


if __name__ == "__main__":
    raise SystemExit(main())
