"""Checks of the command line's options and inputs, all run before any sampling.

Every check raises :class:`UsageError` with one line naming the option, the value given and
what was expected; :func:`cli_spelling` rewrites the library's Python spellings in a message
(``group_by=``) as the options a command-line user types (``--group-by``).
"""

from __future__ import annotations

import argparse
import math
import re
import shlex
from collections.abc import Sequence

from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.seeding import MAX_SEED

__all__ = ["UsageError", "check_options", "check_pool_options", "cli_spelling", "pick_group",
           "shared_window"]


class UsageError(ValueError):
    """An option or input of the command line that cannot be used as given."""


def _int_at_least(value: int | None, option: str, minimum: int) -> None:
    if value is not None and value < minimum:
        raise UsageError(f"{option} {value}: expected an integer >= {minimum}")


def _probability(value: float | None, option: str, what: str) -> None:
    if value is not None and not 0 < value < 1:
        raise UsageError(f"{option} {value:g}: expected {what} strictly between 0 and 1")


def _positive(values: Sequence[float] | float | None, option: str, what: str) -> None:
    for value in [values] if isinstance(values, (int, float)) else values or ():
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"{option} {value:g}: expected {what} (a finite number > 0)")


def _window(window: Sequence[int] | None) -> None:
    if window is not None and not 1 <= window[0] < window[1]:
        raise UsageError(f"--window {window[0]} {window[1]}: expected 1 <= K1 < K2 (attempts "
                         "per problem)")


_INT_OPTIONS = {  # attribute: (option, minimum)
    "draws": ("--draws", 1), "tune": ("--tune", 1), "chains": ("--chains", 1),
    "batch_size": ("--batch-size", 1), "cap": ("--cap", 1), "seeds": ("--seeds", 1),
    "workers": ("--workers", 1), "cores": ("--cores", 1), "seed": ("--seed", 0),
}


def check_options(args: argparse.Namespace) -> None:
    """Check every numeric option of ``args`` that the command has; raise :class:`UsageError`.

    Counts (``--draws``, ``--tune``, ``--chains`` >= 1, ...), probabilities
    (``--interval``, ``--target``, ``--target-accept`` in (0, 1)), k values (``--horizon``,
    ``--attempts``, ``--problems`` > 0), the ``--window`` (1 <= K1 < K2), the demo's
    population (``--alpha``, ``--beta`` > 0) and the design options (``--batch-size`` and
    ``--cap`` only with ``--design sequential``).
    """
    for name, (option, minimum) in _INT_OPTIONS.items():
        _int_at_least(getattr(args, name, None), option, minimum)
    if (getattr(args, "seed", None) or 0) > MAX_SEED:
        raise UsageError(f"--seed {args.seed}: expected an integer below 2**64")
    models = getattr(args, "models", None)
    if models is not None and len(set(models)) < 2:
        raise UsageError(f"--models {' '.join(models)}: expected at least two different models "
                         "to compare")
    _probability(getattr(args, "interval", None), "--interval", "a credible probability")
    _probability(getattr(args, "target_accept", None), "--target-accept", "an acceptance rate")
    for target in getattr(args, "target", None) or ():
        _probability(target, "--target", "a pass_D@k target")
    _window(getattr(args, "window", None))
    _positive(getattr(args, "horizon", None), "--horizon", "a number of attempts k")
    _positive(getattr(args, "truth", None), "--truth", "an exponent")
    for name in ("alpha", "beta"):
        _positive(getattr(args, name, None), f"--{name}", "a Beta parameter")
    for name in ("attempts", "problems"):
        values = getattr(args, name, None)
        for value in [values] if isinstance(values, int) else values or ():
            _int_at_least(value, f"--{name}", 1)
    design = getattr(args, "design", None)
    if design == "fixed":
        given = [o for o, a in (("--batch-size", "batch_size"), ("--cap", "cap"))
                 if getattr(args, a, None) is not None]
        if given:
            raise UsageError(f"{' and '.join(given)}: only for --design sequential (the design "
                             "is fixed)")


def check_pool_options(args: argparse.Namespace) -> None:
    """``fit --pool``'s options: each only with ``--pool``, no Dask, an existing covariates file.

    ``--covariates`` and ``--compare-independent`` need ``--pool``; ``--pool`` refuses
    ``--workers`` and ``--scheduler``.

    Raises
    ------
    UsageError
        Naming the option.
    """
    pool, covariates = getattr(args, "pool", False), getattr(args, "covariates", None)
    if covariates is not None and not pool:
        raise UsageError(f"--covariates {covariates}: only with --pool (covariates of a pooled "
                         "model)")
    if getattr(args, "compare_independent", False) and not pool:
        raise UsageError("--compare-independent: only with --pool (compares the pooled model "
                         "with each group fitted alone)")
    if pool and (getattr(args, "workers", None) or getattr(args, "scheduler", None)):
        raise UsageError("--pool fits every group in one model in this process; drop --workers "
                         "and --scheduler")
    if covariates is not None and not covariates.is_file():
        raise UsageError(f"--covariates {covariates}: no such file")


def pick_group(data: Outcomes | OutcomesGroups, group: Sequence[str] | None,
               required: bool) -> Outcomes | OutcomesGroups:
    """The group named by ``--group`` (values compared as text), or all when none is named.

    Raises
    ------
    UsageError
        If ``--group`` names no group of the file, has the wrong number of values, is given
        without ``--group-by``, or is missing where one group is ``required``.
    """
    if not isinstance(data, OutcomesGroups):
        if group:
            raise UsageError(f"--group {shlex.join(group)}: the file was read without "
                             "--group-by, so it holds a single group")
        return data
    example = f"--group {shlex.join(map(str, next(iter(data))))}"
    if not group:
        if required and len(data) == 1:  # one group (an eval log of one model and task)
            return data[next(iter(data))]
        if required:
            raise UsageError(f"the file holds {len(data)} groups by "
                             f"{', '.join(data.group_names)}; choose one with --group (e.g. "
                             f"{example})")
        return data
    if len(group) != len(data.group_names):
        raise UsageError(f"--group {shlex.join(group)}: expected {len(data.group_names)} "
                         f"value(s), one per --group-by column ({', '.join(data.group_names)}); "
                         f"e.g. {example}")
    for key in data:
        if tuple(map(str, key)) == tuple(group):
            return data[key]
    known = "; ".join(shlex.join(map(str, key)) for key in list(data)[:8])
    raise UsageError(f"--group {shlex.join(group)}: no such group; the file's groups include "
                     f"{known}" + (" ..." if len(data) > 8 else ""))


def shared_window(data: Outcomes | OutcomesGroups,
                  window: Sequence[int] | None) -> tuple[int, int] | None:
    """The effective-exponent window: ``--window``, else ``[1, largest n of any group]``.

    A single fit keeps its own default (``None``). Groups share one window so that their
    effective exponents are the same estimand and can be compared.
    """
    if window is not None:
        return int(window[0]), int(window[1])
    if isinstance(data, OutcomesGroups):
        return 1, max(out.max_attempts for out in data.values())
    return None


_PYTHON_SPELLINGS = re.compile(
    r"\b(problem|n|c|success|attempt|outcomes|group_by|design|batch_size|cap)"
    r"=(\.\.\.)?(?![\w'\"\[(.-])")  # an argument's name, not a value such as c=5
_CLI_OPTIONS = {"group_by": "--group-by", "batch_size": "--batch-size"}


def cli_spelling(message: str) -> str:
    """Rewrite Python argument spellings (``group_by=``, ``problem=...``) as CLI options."""

    def option(match: re.Match[str]) -> str:
        name = match.group(1)
        return _CLI_OPTIONS.get(name, f"--{name}") + (" ..." if match.group(2) else "")

    message = _PYTHON_SPELLINGS.sub(option, message)
    return message.replace("(for group_by[", "(for --group-by[")

