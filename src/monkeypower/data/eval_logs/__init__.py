"""Readers for the sample logs of evaluation frameworks: Inspect AI and lm-evaluation-harness.

Both frameworks can draw several attempts at each problem:

* **Inspect AI** (``inspect_ai``) runs every sample of a task ``epochs`` times; each epoch is one
  attempt, scored by one or more scorers. :func:`read_inspect_log` reads the logs through Inspect's
  own log API (:func:`inspect_ai.log.read_eval_log_sample_summaries`), so every log format Inspect
  writes (``.eval``, ``.json``) is read the way Inspect reads it.
* **lm-evaluation-harness** (``lm_eval --log_samples``) writes one JSON line per document and filter
  to ``samples_<task>_<date>.jsonl``; a task with ``repeats: R`` stores the R responses of each
  document in ``resps`` and the per-document metric computed from them. :func:`read_lm_eval_samples`
  turns such a metric (a mean over the repeats, e.g. ``pass@1``) back into counts.

:func:`read_log` reads either, deciding from the file which it is (the entry point of
``monkeypower fit LOGFILE``).

Attempts of both are drawn before any outcome is seen, so the design is fixed
(:data:`monkeypower.data.design.FIXED`). Generic one-row-per-attempt tables are read by
:func:`monkeypower.from_attempts` / :func:`monkeypower.read_outcomes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from glob import glob
from pathlib import Path
from typing import Any, Literal

from monkeypower.data.eval_logs._common import (
    SuccessMapping,
)
from monkeypower.data.eval_logs.inspect_ai_logs import inspect_attempts, read_inspect_log
from monkeypower.data.eval_logs.lm_eval_logs import lm_eval_counts, read_lm_eval_samples
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.errors import OutcomesError

__all__ = [
    "inspect_attempts",
    "read_inspect_log",
    "lm_eval_counts",
    "read_lm_eval_samples",
    "read_log",
    "log_kind",
    "SuccessMapping",
]


LogKind = Literal["inspect", "lm-eval"]


def log_kind(path: str | Path) -> LogKind:
    """Which framework wrote a log file: ``"inspect"`` or ``"lm-eval"``.

    ``.eval`` files are Inspect's; ``samples_*.jsonl`` (or ``.jsonl.gz``) lm-eval's; a
    ``.json`` file is Inspect's when it holds an ``"eval"`` header. A folder is judged by the
    files in it (Inspect logs first).

    Raises
    ------
    OutcomesError
        When the file or folder is neither (naming what was expected).
    """
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        if any(path.rglob("*.eval")) or any(path.rglob("*.json")):
            return "inspect"
        if any(path.rglob("samples_*.jsonl")) or any(path.rglob("samples_*.jsonl.gz")):
            return "lm-eval"
    elif name.endswith(".eval"):
        return "inspect"
    elif name.startswith("samples_") and name.endswith((".jsonl", ".jsonl.gz")):
        return "lm-eval"
    elif name.endswith(".json") and path.is_file():
        with open(path, encoding="utf-8") as handle:
            head = handle.read(4096)
        if '"eval"' in head:
            return "inspect"
    elif not path.exists():
        raise OutcomesError(f"{path}: no such file or folder")
    raise OutcomesError(
        f"{path}: not an evaluation log this package reads; expected an Inspect AI log (.eval, "
        "or .json with an 'eval' header) or lm-evaluation-harness samples_<task>_<date>.jsonl "
        "(or a folder of them); pass log= to say which"
    )


def read_log(
    path_or_paths: str | Path | Iterable[str | Path],
    *,
    log: LogKind | None = None,
    scorer: str | None = None,
    metric: str | None = None,
    filter: str | None = None,
    success: SuccessMapping = None,
    group_by: str | Sequence[str] | None = ("model", "task"),
    **options: Any,
) -> Outcomes | OutcomesGroups:
    """Outcomes from evaluation logs of either framework, deciding from the file which it is.

    Parameters
    ----------
    path_or_paths : str, Path or iterable of them
        Log files, folders or glob patterns (all of one framework).
    log : {"inspect", "lm-eval"}, optional
        The framework; default decided by :func:`log_kind` from the (first) path.
    scorer, success
        Inspect only: as in :func:`read_inspect_log`.
    metric, filter
        lm-eval only: as in :func:`read_lm_eval_samples`.
    group_by : str or sequence of str, optional
        As in either reader (default ``("model", "task")``).
    **options
        Further options of :func:`read_inspect_log` (``combine_runs``, ``drop_errored``,
        ``allow_incomplete``).

    Returns
    -------
    Outcomes or OutcomesGroups
        A fixed design (epochs and repeats are drawn before any outcome is seen).

    Raises
    ------
    OutcomesError
        An option of the other framework (e.g. ``metric=`` for an Inspect log), or a file of
        neither kind.
    """
    items = [path_or_paths] if isinstance(path_or_paths, (str, Path)) else list(path_or_paths)
    if not items:
        raise OutcomesError("no log files given (an empty list of paths)")
    kind = log if log is not None else log_kind(_first_existing(items[0]))
    if kind == "inspect":
        wrong = {"metric": metric, "filter": filter}
        _refuse_options(wrong, kind, "scorer=, success=")
        return read_inspect_log(path_or_paths, scorer=scorer, success=success,
                                group_by=group_by, **options)
    if kind == "lm-eval":
        wrong = {"scorer": scorer, "success": success, **options}
        _refuse_options(wrong, kind, "metric=, filter=")
        return read_lm_eval_samples(path_or_paths, metric=metric, filter=filter,
                                    group_by=group_by)
    raise ValueError(f"log must be 'inspect' or 'lm-eval', got {log!r}")


def _first_existing(item: str | Path) -> Path:
    """The path itself, or the first file a glob pattern matches."""
    if any(ch in str(item) for ch in "*?[") and not Path(item).exists():
        found = sorted(glob(str(item), recursive=True))
        if not found:
            raise OutcomesError(f"{item}: the pattern matches no file")
        return Path(found[0])
    return Path(item)


def _refuse_options(given: Mapping[str, Any], kind: str, allowed: str) -> None:
    wrong = [name for name, value in given.items() if value is not None]
    if wrong:
        raise OutcomesError(
            f"{', '.join(f'{name}=' for name in wrong)} do not apply to {kind} logs (they take "
            f"{allowed})"
        )
