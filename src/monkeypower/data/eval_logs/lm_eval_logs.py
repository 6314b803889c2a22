"""lm-evaluation-harness sample logs: a per-document metric over R repeats becomes counts."""

from __future__ import annotations

import gzip
import json
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monkeypower.data.design import FIXED
from monkeypower.data.eval_logs._common import (
    LM_EVAL_FIELDS,
    _check_identity_grouped,
    _group_fields,
    _map_success,
)
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.paths import expand_paths
from monkeypower.data.readers import from_counts
from monkeypower.errors import OutcomesError

__all__ = ["lm_eval_counts", "read_lm_eval_samples"]


_LM_EVAL_NAME = re.compile(r"^samples_(?P<task>.+?)_(?P<date>\d{4}-\d{2}-\d{2}T[\d.\-:]+)$")
_LM_EVAL_BOOKKEEPING = {
    "doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
    "doc_hash", "prompt_hash", "target_hash",
}


def _lm_eval_folder(folder: Path) -> list[Path]:
    """The lm-eval sample files in a folder, recursively."""
    return sorted({p for pattern in ("samples_*.jsonl", "samples_*.jsonl.gz")
                   for p in folder.rglob(pattern)})


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
    files = expand_paths(path_or_paths, what="lm-eval sample files", in_folder=_lm_eval_folder,
                         describe_folder="looked for samples_*.jsonl(.gz), recursively")
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


