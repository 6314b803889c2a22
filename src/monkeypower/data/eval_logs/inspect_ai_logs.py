"""Inspect AI logs: each epoch of a sample is one attempt, scored by a named scorer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

try:  # optional: pip install 'monkeypower[evallogs]'
    import inspect_ai.log as inspect_log
except ImportError:  # pragma: no cover - the extra is installed in development
    inspect_log = None

from monkeypower.data.design import FIXED
from monkeypower.data.eval_logs._common import (
    INSPECT_FIELDS,
    SuccessMapping,
    _check_identity_grouped,
    _group_fields,
    _map_success,
)
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.paths import expand_paths
from monkeypower.data.readers import from_attempts
from monkeypower.errors import OutcomesError

__all__ = ["inspect_attempts", "read_inspect_log"]


def _import_inspect_log():
    if inspect_log is None:  # pragma: no cover - the extra is installed in development
        raise ImportError(
            "reading Inspect logs needs inspect-ai: pip install 'monkeypower[evallogs]'"
        )
    return inspect_log


def _inspect_folder(folder: Path) -> list[Path]:
    """The eval logs in a folder as Inspect lists them (skips its manifests and other JSON)."""
    infos = _import_inspect_log().list_eval_logs(str(folder), recursive=True)
    return sorted(Path(unquote(urlparse(info.name).path)) if info.name.startswith("file:")
                  else Path(info.name) for info in infos)


def _resolve_scorer(summaries: list[Any], scorer: str | None, path: Path) -> str:
    names: dict[str, None] = {}
    for sample in summaries:
        for name in sample.scores or {}:
            names[name] = None
    if not names:
        errored = [sample for sample in summaries if sample.error is not None]
        if errored:
            raise OutcomesError(
                f"{path}: no sample in this log has a score; {len(errored)} of {len(summaries)} "
                f"epochs ended in an error, e.g. sample {errored[0].id!r} epoch "
                f"{errored[0].epoch}: {_first_line(errored[0].error)}"
            )
        raise OutcomesError(
            f"{path}: no sample in this log has a score (was the task run without a scorer, or "
            "scored later into another log?)"
        )
    if scorer is None:
        if len(names) > 1:
            raise OutcomesError(
                f"{path}: the log has several scorers {list(names)}; choose one with scorer=..."
            )
        return next(iter(names))
    if scorer not in names:
        raise OutcomesError(
            f"{path}: no scorer {scorer!r} in this log; its scorers are {list(names)}"
        )
    return scorer


def inspect_attempts(
    path_or_paths: str | Path | Iterable[str | Path],
    *,
    scorer: str | None = None,
    success: SuccessMapping = None,
    drop_errored: bool = False,
    allow_incomplete: bool = False,
) -> pd.DataFrame:
    """One row per attempt (sample epoch) of one or more Inspect AI eval logs.

    Parameters
    ----------
    path_or_paths : str, Path or iterable of them
        Log files (``.eval`` or ``.json``), folders (searched recursively) or glob patterns.
    scorer : str, optional
        The scorer whose value decides success. Default: the log's only scorer; a log with several
        is an error that lists them.
    success : mapping or callable, optional
        How a score value becomes a success. Default: ``"C"``/``"I"`` (Inspect's CORRECT and
        INCORRECT), ``True``/``False`` and ``1``/``0``; any other value (``"P"``, ``0.5``, a dict)
        is an error naming the values found. A mapping must list every value that occurs; a
        callable gets each value and returns a boolean.
    drop_errored : bool, default False
        Epochs that ended in an error have no score. By default they are an error; with ``True``
        they are dropped (they are then not attempts: only scored epochs count).
    allow_incomplete : bool, default False
        Read logs whose status is not ``"success"`` (cancelled or failed runs), counting only the
        epochs that were logged.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, task, task_version, dataset, run_id, eval_id, log, problem, epoch,
        scorer, score, success``: ``problem`` is the sample id, ``epoch`` counts from 1, ``score``
        is the raw value and ``success`` the mapped boolean.

    Raises
    ------
    OutcomesError
        A missing or ambiguous scorer, a non-binary score, an errored epoch, a sample of the
        dataset with zero epochs logged, or an incomplete log; each names the file and sample.
    """
    inspect_log = _import_inspect_log()
    files = expand_paths(path_or_paths, what="Inspect log files", in_folder=_inspect_folder,
                         describe_folder="looked for Inspect logs, recursively")
    frames = []
    for path in files:
        try:
            header = inspect_log.read_eval_log(str(path), header_only=True)
            summaries = inspect_log.read_eval_log_sample_summaries(str(path))
        except Exception as err:  # inspect raises a variety of parse errors
            raise OutcomesError(
                f"{path}: not a readable Inspect eval log ({type(err).__name__}: {err})"
            ) from None
        if header.status != "success" and not allow_incomplete:
            message = f" ({header.error.message})" if header.error is not None else ""
            raise OutcomesError(
                f"{path}: the eval log has status {header.status!r}{message}, so some samples "
                "or epochs may be missing; rerun or retry the eval, or pass allow_incomplete=True "
                "to count only the epochs logged"
            )
        if not summaries:
            raise OutcomesError(f"{path}: the log holds no samples (expected at least one epoch)")
        name = _resolve_scorer(summaries, scorer, path)
        problems, epochs, values = [], [], []
        for sample in summaries:
            score = (sample.scores or {}).get(name)
            if score is None:
                if sample.error is not None:
                    if drop_errored:
                        continue
                    raise OutcomesError(
                        f"{path}: sample {sample.id!r} epoch {sample.epoch} ended in an error and "
                        f"has no {name!r} score ({_first_line(sample.error)}); pass "
                        "drop_errored=True to count only scored epochs"
                    )
                raise OutcomesError(
                    f"{path}: sample {sample.id!r} epoch {sample.epoch} has no score from scorer "
                    f"{name!r} (its scores: {list(sample.scores or {})})"
                )
            problems.append(sample.id)
            epochs.append(int(sample.epoch))
            values.append(score.value)
        expected_ids = list(header.eval.dataset.sample_ids or [])
        if expected_ids and header.status == "success":
            seen = set(problems)
            without = [sid for sid in expected_ids if sid not in seen]
            if without:
                reason = " (every epoch errored and was dropped)" if drop_errored else ""
                raise OutcomesError(
                    f"{path}: samples {without[:5]} of the dataset have zero epochs in the "
                    f"log{reason}; a problem needs at least one attempt"
                )
        ok = _map_success(values, success, f"{path}: scorer {name!r}")
        frames.append(pd.DataFrame({
            "model": header.eval.model,
            "task": header.eval.task,
            "task_version": header.eval.task_version,
            "dataset": header.eval.dataset.name,
            "run_id": header.eval.run_id,
            "eval_id": header.eval.eval_id,
            "log": str(path),
            "problem": pd.Series(problems, dtype=object),
            "epoch": np.asarray(epochs, dtype=np.int64),
            "scorer": name,
            "score": pd.Series(values, dtype=object),
            "success": ok,
        }))
    return pd.concat(frames, ignore_index=True)


def _first_line(error: Any) -> str:
    message = getattr(error, "message", str(error))
    return str(message).strip().splitlines()[0][:200] if message else "no message"


def read_inspect_log(
    path_or_paths: str | Path | Iterable[str | Path],
    *,
    scorer: str | None = None,
    success: SuccessMapping = None,
    group_by: str | Sequence[str] | None = ("model", "task"),
    combine_runs: bool = False,
    drop_errored: bool = False,
    allow_incomplete: bool = False,
) -> Outcomes | OutcomesGroups:
    """Outcomes from Inspect AI eval logs: attempts are the epochs of each sample.

    Parameters
    ----------
    path_or_paths : str, Path or iterable of them
        Log files (``.eval`` or ``.json``), folders (searched recursively) or glob patterns.
    scorer, success, drop_errored, allow_incomplete
        As in :func:`inspect_attempts`.
    group_by : str or sequence of str, optional
        Fields of the log header that define groups, from ``model``, ``task``, ``task_version``,
        ``dataset``, ``run_id``, ``eval_id`` and ``log`` (the file). Default ``("model", "task")``
        gives an :class:`OutcomesGroups`; ``None`` gives one :class:`Outcomes` and is refused
        when the logs hold several models or tasks.
    combine_runs : bool, default False
        Several logs of the same group (two runs of one task on one model) repeat each sample's
        epoch numbers. By default that is an error naming both files; with ``True`` their epochs
        are pooled as further attempts.

    Returns
    -------
    Outcomes or OutcomesGroups
        Per sample: ``n`` = scored epochs, ``c`` = successful ones; a fixed design.

    Examples
    --------
    ::

        from monkeypower.data.eval_logs import read_inspect_log

        out = read_inspect_log("logs/", scorer="match")
        out[("openai/gpt-4o", "gsm8k")]
    """
    fields = _group_fields(group_by, INSPECT_FIELDS, "read_inspect_log")
    table = inspect_attempts(
        path_or_paths, scorer=scorer, success=success, drop_errored=drop_errored,
        allow_incomplete=allow_incomplete,
    )
    _check_identity_grouped(table, fields, ("model", "task"), "read_inspect_log")
    keys = [*fields, "problem", "epoch"]
    repeated = table.duplicated(keys, keep=False)
    if repeated.any():
        clash = table[repeated]
        first = clash.iloc[0]
        logs = list(pd.unique(clash.loc[(clash["problem"] == first["problem"])
                                        & (clash["epoch"] == first["epoch"]), "log"]))
        if not combine_runs:
            raise OutcomesError(
                f"sample {first['problem']!r} epoch {first['epoch']} appears in several logs of "
                f"the same group ({dict(first[list(fields)])}): {logs}. These are separate runs; "
                "read one of them, add 'log' to group_by to keep them apart, or pass "
                "combine_runs=True to pool their epochs as further attempts"
            )
        table = table.copy()
        table["epoch"] = table.groupby([*fields, "problem"], sort=False).cumcount() + 1
    return from_attempts(
        table, problem="problem", success="success", attempt="epoch",
        group_by=list(fields) or None, design=FIXED,
    )


