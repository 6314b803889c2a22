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

import gzip
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from glob import glob
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

try:  # optional: pip install 'monkeypower[evallogs]'
    import inspect_ai.log as inspect_log
except ImportError:  # pragma: no cover - the extra is installed in development
    inspect_log = None

from monkeypower.data.design import FIXED
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.readers import from_attempts, from_counts
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

SuccessMapping = Mapping[Any, bool] | Callable[[Any], Any] | None
"""How score values become successes: ``None`` (the binary defaults), a mapping or a callable."""

#: Group fields available from an Inspect log header.
INSPECT_FIELDS = ("model", "task", "task_version", "dataset", "run_id", "eval_id", "log")
#: Group fields available for lm-evaluation-harness sample files.
LM_EVAL_FIELDS = ("model", "task", "filter", "log")

_TRUE_VALUES = {"C": True, "I": False}
_MAPPING_HINT = (
    "pass success= a mapping from every value to True/False, e.g. "
    "success={{'C': True, 'I': False, 'P': False}}, or a callable, e.g. "
    "success=lambda v: v >= 1"
)


# --------------------------------------------------------------------------- success values
def _default_success(value: Any) -> bool | None:
    """The binary vocabulary understood without a mapping: C/I, True/False, 1/0 (None: not it)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return _TRUE_VALUES.get(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value == 1)
    return None


def _describe_values(values: Iterable[Any], limit: int = 8) -> str:
    counts: dict[str, int] = {}
    for value in values:
        key = repr(value)
        counts[key] = counts.get(key, 0) + 1
    shown = ", ".join(f"{key} ({count}×)" for key, count in list(counts.items())[:limit])
    return shown + (f", ... ({len(counts)} distinct)" if len(counts) > limit else "")


def _map_success(values: Sequence[Any], success: SuccessMapping, where: str) -> np.ndarray:
    """Map raw score values to booleans, or raise naming the values that are not binary."""
    result = np.zeros(len(values), dtype=bool)
    bad: list[Any] = []
    for pos, value in enumerate(values):
        if success is None:
            mapped = _default_success(value)
        elif isinstance(success, Mapping):
            mapped = success.get(value) if _hashable(value) else None
            mapped = None if mapped is None else bool(mapped)
        else:
            try:
                mapped = success(value)
            except Exception as err:
                raise OutcomesError(
                    f"{where}: the success= callable failed on the value {value!r} "
                    f"({type(err).__name__}: {err})"
                ) from None
            mapped = _default_success(mapped) if not isinstance(mapped, bool) else mapped
        if mapped is None:
            bad.append(value)
        else:
            result[pos] = mapped
    if bad:
        if success is None:
            expected = "binary scores (C/I, True/False or 1/0)"
        elif isinstance(success, Mapping):
            expected = f"values listed in success= ({list(success)})"
        else:
            expected = "values that the success= callable maps to True/False"
        raise OutcomesError(
            f"{where}: expected {expected}, found {_describe_values(bad)}. To count these, "
            + _MAPPING_HINT.format()
        )
    return result


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --------------------------------------------------------------------------- paths
def _inspect_folder(folder: Path) -> list[Path]:
    """The eval logs in a folder as Inspect lists them (skips its manifests and other JSON)."""
    infos = _import_inspect_log().list_eval_logs(str(folder), recursive=True)
    return sorted(Path(unquote(urlparse(info.name).path)) if info.name.startswith("file:")
                  else Path(info.name) for info in infos)


def _expand_paths(
    path_or_paths: str | Path | Iterable[str | Path], patterns: Sequence[str], what: str,
    list_folder: Callable[[Path], list[Path]] | None = None,
) -> list[Path]:
    """Files from a file, a directory (searched recursively), a glob or a list of these."""
    items = [path_or_paths] if isinstance(path_or_paths, (str, Path)) else list(path_or_paths)
    if not items:
        raise OutcomesError(f"no {what} given (an empty list of paths)")
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = (list_folder(path) if list_folder is not None
                     else sorted({p for pattern in patterns for p in path.rglob(pattern)}))
            if not found:
                raise OutcomesError(
                    f"{path}: no {what} in this folder (looked for {list(patterns)}, recursively)"
                )
            files += found
        elif path.is_file():
            files.append(path)
        elif any(ch in str(item) for ch in "*?["):
            found = sorted(Path(p) for p in glob(str(item), recursive=True))
            if not found:
                raise OutcomesError(f"{item}: the pattern matches no file")
            files += found
        else:
            raise OutcomesError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def _group_fields(
    group_by: str | Sequence[str] | None, allowed: Sequence[str], reader: str
) -> tuple[str, ...]:
    if group_by is None:
        return ()
    fields = (group_by,) if isinstance(group_by, str) else tuple(group_by)
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise ValueError(
            f"{reader}: unknown group_by fields {unknown}; choose from {list(allowed)}"
        )
    return fields


def _check_identity_grouped(
    table: pd.DataFrame, fields: tuple[str, ...], identity: Sequence[str], reader: str
) -> None:
    """Refuse to pool problems of different models or tasks into one Outcomes silently."""
    for column in identity:
        if column in fields:
            continue
        values = pd.unique(table[column])
        if len(values) > 1:
            raise OutcomesError(
                f"{reader}: the logs hold several values of {column!r} ({list(values)[:6]}), but "
                f"group_by={list(fields)} would pool their problems into one benchmark; add "
                f"{column!r} to group_by"
            )


# --------------------------------------------------------------------------- Inspect AI
def _import_inspect_log():
    if inspect_log is None:  # pragma: no cover - the extra is installed in development
        raise ImportError(
            "reading Inspect logs needs inspect-ai: pip install 'monkeypower[evallogs]'"
        )
    return inspect_log


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
    files = _expand_paths(path_or_paths, ("*.eval", "*.json"), "Inspect log files",
                          list_folder=_inspect_folder)
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


# --------------------------------------------------------------------------- lm-evaluation-harness
_LM_EVAL_NAME = re.compile(r"^samples_(?P<task>.+?)_(?P<date>\d{4}-\d{2}-\d{2}T[\d.\-:]+)$")
_LM_EVAL_BOOKKEEPING = {
    "doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
    "doc_hash", "prompt_hash", "target_hash",
}


def _lm_eval_task(path: Path) -> str:
    stem = path.name.removesuffix(".gz").removesuffix(".jsonl")
    match = _LM_EVAL_NAME.match(stem)
    return match.group("task") if match else stem.removeprefix("samples_")


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _repeat_count(record: dict, where: str) -> int:
    resps = record.get("resps")
    if not isinstance(resps, list) or not resps:
        return 1
    counts = {len(r) if isinstance(r, list) else 1 for r in resps}
    if len(resps) > 1 and counts != {1}:
        raise OutcomesError(
            f"{where}: 'resps' holds {len(resps)} requests with {sorted(counts)} responses each; "
            "repeated sampling is read from tasks with one request per document (generate_until)"
        )
    return counts.pop() if len(resps) == 1 else 1


def _record_counts(record: dict, metric: str, where: str) -> tuple[int, int]:
    """(n, c) of one logged document, from its metric value and its repeated responses."""
    value = record[metric]
    if isinstance(value, list):
        ok = _map_success(value, None, f"{where}: metric {metric!r}")
        return len(ok), int(ok.sum())
    repeats = _repeat_count(record, where)
    if repeats == 1:
        ok = _map_success([value], None, f"{where}: metric {metric!r}")
        return 1, int(ok[0])
    filtered = record.get("filtered_resps")
    first = filtered[0] if isinstance(filtered, list) and filtered else None
    if not (isinstance(first, list) and len(first) == repeats):
        kept = len(first) if isinstance(first, list) else 1
        raise OutcomesError(
            f"{where}: filter {record.get('filter')!r} kept {kept} of the {repeats} repeated "
            f"responses (e.g. take_first or a majority vote), so metric {metric!r} scores "
            f"{kept}, not {repeats} attempts; read a filter that keeps every response"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise OutcomesError(
            f"{where}: metric {metric!r} = {value!r}; expected the fraction of the {repeats} "
            "repeated responses that succeeded (a number in [0, 1]) or a list of per-response "
            "0/1 values"
        )
    c = value * repeats
    if not math.isclose(c, round(c), abs_tol=1e-6 * repeats):
        raise OutcomesError(
            f"{where}: metric {metric!r} = {value!r} is not a multiple of 1/{repeats}, so it is "
            f"not the fraction of the {repeats} repeated responses that succeeded (pass@k with "
            "k > 1 and majority votes are not); choose a per-response metric such as pass@1 or "
            "exact_match averaged over the repeats"
        )
    return repeats, int(round(c))


def lm_eval_counts(
    path_or_paths: str | Path | Iterable[str | Path],
    *,
    metric: str | None = None,
    filter: str | None = None,
) -> pd.DataFrame:
    """Per-document counts from lm-evaluation-harness ``--log_samples`` files.

    Parameters
    ----------
    path_or_paths : str, Path or iterable of them
        ``samples_<task>_<date>.jsonl`` files (or ``.jsonl.gz``), folders (searched recursively
        for ``samples_*.jsonl``) or glob patterns.
    metric : str, optional
        The per-document metric field. Default: the only metric the records list in
        ``"metrics"``. Its value must be, per document, the fraction of the ``R`` repeated
        responses that succeeded (``c = value · R`` must be a whole number; ``pass@1`` over the
        repeats is), a list of ``R`` per-response 0/1 values, or a 0/1 value when ``R = 1``.
    filter : str, optional
        lm-eval logs one record per document *and filter*. Default: the only filter in the file.

    Returns
    -------
    pandas.DataFrame
        Columns ``model`` (the folder holding the file, which lm-eval names after the model),
        ``task`` (from the file name), ``filter``, ``log``, ``problem`` (``doc_id``), ``n``, ``c``.

    Raises
    ------
    OutcomesError
        Unreadable JSON, a missing metric or ``doc_id``, several filters or metrics to choose
        from, a filter that reduced the repeats to one answer, a metric value that is not a
        fraction of the repeats; each names the file and line.
    """
    files = _expand_paths(
        path_or_paths, ("samples_*.jsonl", "samples_*.jsonl.gz"), "lm-eval sample files"
    )
    frames = []
    all_binary = True
    with_repeats = 0
    for path in files:
        rows: list[tuple[Any, str, int, int]] = []
        filters: dict[str, None] = {}
        chosen_metric = metric
        with _open_text(path) as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}, line {line_no}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise OutcomesError(f"{where}: not valid JSON ({err.msg})") from None
                if not isinstance(record, dict) or "doc_id" not in record:
                    raise OutcomesError(
                        f"{where}: expected an lm-eval sample record with a 'doc_id' field"
                    )
                record_filter = str(record.get("filter", "none"))
                filters[record_filter] = None
                if filter is not None and record_filter != filter:
                    continue
                if chosen_metric is None:
                    listed = record.get("metrics") or [
                        k for k in record if k not in _LM_EVAL_BOOKKEEPING
                    ]
                    if len(listed) != 1:
                        raise OutcomesError(
                            f"{where}: the records carry several metrics {list(listed)}; choose "
                            "one with metric=..."
                        )
                    chosen_metric = listed[0]
                if chosen_metric not in record:
                    present = [k for k in record if k not in _LM_EVAL_BOOKKEEPING]
                    raise OutcomesError(
                        f"{where}: no metric {chosen_metric!r} in the record; its metrics are "
                        f"{present}"
                    )
                n, c = _record_counts(record, chosen_metric, where)
                with_repeats += n > 1
                all_binary &= c in (0, n)
                rows.append((record["doc_id"], record_filter, n, c))
        if filter is None and len(filters) > 1:
            raise OutcomesError(
                f"{path}: the file holds records for several filters {list(filters)}; choose one "
                "with filter=..."
            )
        if filter is not None and not rows:
            raise OutcomesError(
                f"{path}: no records for filter {filter!r}; the file's filters are "
                f"{list(filters)}"
            )
        if not rows:
            raise OutcomesError(f"{path}: no sample records (an empty file)")
        problem, filt, n_values, c_values = zip(*rows, strict=True)
        frames.append(pd.DataFrame({
            "model": path.parent.name,
            "task": _lm_eval_task(path),
            "filter": list(filt),
            "log": str(path),
            "problem": list(problem),
            "n": np.asarray(n_values, dtype=np.int64),
            "c": np.asarray(c_values, dtype=np.int64),
        }))
    if with_repeats >= 10 and all_binary:
        warnings.warn(
            "every document's metric is 0 or 1 although the documents have repeated responses: "
            "check that the metric is the fraction of repeats that succeeded, not one verdict "
            "per document (which would count every repeat as a success or every one as a failure)",
            UserWarning, stacklevel=2,
        )
    return pd.concat(frames, ignore_index=True)


def read_lm_eval_samples(
    path_or_paths: str | Path | Iterable[str | Path],
    *,
    metric: str | None = None,
    filter: str | None = None,
    group_by: str | Sequence[str] | None = ("model", "task"),
) -> Outcomes | OutcomesGroups:
    """Outcomes from lm-evaluation-harness ``--log_samples`` files of a task with ``repeats``.

    Parameters
    ----------
    path_or_paths, metric, filter
        As in :func:`lm_eval_counts`.
    group_by : str or sequence of str, optional
        From ``model``, ``task``, ``filter`` and ``log``. Default ``("model", "task")``;
        ``None`` gives one :class:`Outcomes` and is refused when the files hold several models or
        tasks.

    Returns
    -------
    Outcomes or OutcomesGroups
        Per document: ``n`` = repeats, ``c`` = successful ones; a fixed design.

    Examples
    --------
    A task config with ``repeats: 20`` and a ``pass@1`` metric over them, run with
    ``lm_eval ... --output_path out --log_samples``::

        from monkeypower.data.eval_logs import read_lm_eval_samples

        out = read_lm_eval_samples("out/", metric="pass@1")
    """
    fields = _group_fields(group_by, LM_EVAL_FIELDS, "read_lm_eval_samples")
    table = lm_eval_counts(path_or_paths, metric=metric, filter=filter)
    _check_identity_grouped(table, fields, ("model", "task"), "read_lm_eval_samples")
    repeated = table.duplicated([*fields, "problem"], keep=False)
    if repeated.any():
        first = table[repeated].iloc[0]
        logs = list(pd.unique(table.loc[repeated & (table["problem"] == first["problem"]), "log"]))
        raise OutcomesError(
            f"doc_id {first['problem']!r} appears more than once in group "
            f"{dict(first[list(fields)])}, in {logs}: separate runs of one task, or one file "
            "read twice; read one run, or add 'log' to group_by to keep them apart"
        )
    return from_counts(table, problem="problem", n="n", c="c", group_by=list(fields) or None,
                       design=FIXED)


# --------------------------------------------------------------------------- either
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
