"""The command line's shared vocabulary: the options several commands take, and how counts are read.

Every command that reads data takes the same data options (:func:`add_data_file_options`); every
command that samples, the same sampling options; a count is read by the package's one
whole-number rule (:func:`count`). :mod:`monkeypower.cli` builds each command from these.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from monkeypower.arguments import whole_number
from monkeypower.data.design import DESIGN_KINDS
from monkeypower.fitting.settings import DEFAULT_SAMPLER, SAMPLERS

__all__ = ["HelpFormatter", "add_command", "add_data_file_options", "add_design_options",
           "add_group_options", "add_report_options", "add_sampler_options", "count"]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written; each option's default stated once, when it has one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if ("default" in text or default in (None, False, (), [], argparse.SUPPRESS)
                or not action.option_strings):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, (list, tuple)) else default
        return f"{text} (default: {shown})".strip()


def count(text: str) -> int:
    """A count on the command line: an integer, or a whole number written as a float (1e5).

    The package's one rule (:func:`monkeypower.arguments.whole_number`), as ``--target
    forecast:1e5`` already read it; ``--budget 1e4`` was "invalid int value".
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return whole_number(float(text), "count")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_sampler_options(parser: argparse.ArgumentParser, draws: int | None = None) -> None:
    """The sampler, draws, tuning, chains, target acceptance and progress bar."""
    group = parser.add_argument_group("sampling")
    group.add_argument("--sampler", choices=SAMPLERS, default=DEFAULT_SAMPLER)
    group.add_argument("--draws", type=count, default=draws,
                       help="draws per chain" if draws else
                       "draws per chain (default: the model's, else 1000)")
    group.add_argument("--tune", type=count, default=1000, help="tuning steps per chain")
    group.add_argument("--chains", type=count, default=4, help="independent chains")
    group.add_argument("--target-accept", type=float, default=None,
                       help="NUTS target acceptance rate (default: the model's, else 0.9)")
    group.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The interval convention, the effective exponent's window, horizons and targets."""
    group = parser.add_argument_group("reporting")
    group.add_argument("--interval", type=float, default=None,
                       help="credible interval probability (default 0.95)")
    group.add_argument("--interval-kind", choices=("eti", "hdi"), default=None,
                       help="equal-tailed (default) or highest-density interval")
    group.add_argument("--window", type=count, nargs=2, metavar=("K1", "K2"),
                       help="window of the effective exponent (default: 1 to the largest n; "
                            "one shared window for all groups)")
    group.add_argument("--horizon", type=float, nargs="+", metavar="K",
                       help="k values for the pass@k rows (default max n x 1, 10, 100)")
    group.add_argument("--target", type=float, nargs="+", default=(), metavar="PASS",
                       help="pass_D@k targets for attempts_for_target rows")


def add_design_options(parser: argparse.ArgumentParser) -> None:
    """How the attempts were allocated, with a sequential design's batch size and cap."""
    parser.add_argument("--design", choices=DESIGN_KINDS, default="fixed",
                        help="how attempts were allocated: a fixed number per problem, "
                             "sequentially until a success, or adaptively in rounds")
    parser.add_argument("--batch-size", type=count, help="batch size of a sequential design")
    parser.add_argument("--cap", type=count, help="attempt cap of a sequential design")


def add_group_options(parser: argparse.ArgumentParser, what: str) -> None:
    """The columns that tell groups apart, and the group to ``what``."""
    parser.add_argument("--group-by", nargs="+", metavar="COL",
                        help="columns telling models or benchmarks apart (one fit per group)")
    parser.add_argument("--group", nargs="+", metavar="VALUE",
                        help=f"which group to {what} (values of the --group-by columns)")


def add_data_file_options(parser: argparse.ArgumentParser, what: str) -> None:
    """The data file, its layout and columns, the group(s) and the design.

    Every command that reads data takes the same ones (read by :func:`_read_data`).
    """
    parser.add_argument("file", type=Path,
                        help="CSV, Parquet or JSONL file, or an eval log / folder")
    parser.add_argument("--layout", choices=("counts", "attempts", "llmonkeys", "log"),
                        default="counts",
                        help="one row per problem (counts), per attempt (attempts), per problem "
                             "with a list of outcomes (llmonkeys), or an evaluation log (log: "
                             "Inspect AI .eval/.json, lm-eval samples_*.jsonl; groups by model "
                             "and task unless --group-by says otherwise)")
    parser.add_argument("--problem", help="problem-id column (every layout but log)")
    parser.add_argument("--scorer", help="Inspect scorer whose value is the success (log "
                                         "layout; needed when the log has several scorers)")
    parser.add_argument("--metric", help="lm-eval per-document metric, e.g. pass@1 (log layout)")
    parser.add_argument("--n", help="attempts column (counts layout)")
    parser.add_argument("--c", help="successes column (counts layout)")
    parser.add_argument("--success", help="success column, boolean or 0/1 (attempts layout)")
    parser.add_argument("--attempt", help="attempt-index column (attempts layout)")
    parser.add_argument("--outcomes", help="list-of-booleans column (llmonkeys layout)")
    add_group_options(parser, what)
    add_design_options(parser)


def add_command(sub: Any, name: str, text: str,
                epilog: str | None = None) -> argparse.ArgumentParser:
    """A command's parser, its one-line help also its description."""
    return sub.add_parser(name, help=text, description=text, epilog=epilog,
                          formatter_class=HelpFormatter)
