"""Converters from the ways outcome data arrive to :class:`~monkeypower.data.outcomes.Outcomes`.

* :func:`from_counts` — one row per problem with attempts and successes;
* :func:`from_attempts` — one row per attempt (problem, success, optional attempt index);
* :func:`from_matrix` — a boolean matrix, problems × attempts;
* :func:`from_llmonkeys` — the Large Language Monkeys layout: one row per problem with a
  list-of-booleans column of outcomes;
* :func:`read_outcomes` — any of these from a CSV, Parquet or JSONL file.

A table with group columns (``group_by=["model", "benchmark"]``) gives an
:class:`~monkeypower.data.outcomes.OutcomesGroups` with one :class:`Outcomes` per group.
Nothing here modifies the caller's data.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from monkeypower.data.design import DESIGN_KINDS, Design, parse_design
from monkeypower.data.design_detection import warn_if_not_fixed
from monkeypower.data.frames import as_frame, check_present, require_columns
from monkeypower.data.outcomes import MAX_COUNT, Outcomes, OutcomesGroups
from monkeypower.errors import OutcomesError, describe_rows

__all__ = ["from_counts", "from_attempts", "from_matrix", "from_llmonkeys", "read_outcomes"]

Layout = Literal["counts", "attempts", "llmonkeys"]


def _as_group_keys(group_by: str | Sequence[str] | None) -> tuple[str, ...]:
    if group_by is None:
        return ()
    if isinstance(group_by, str):
        return (group_by,)
    return tuple(group_by)


def _designs_by_group(
    frame: pd.DataFrame, group_cols: tuple[str, ...], design: Design | str | None,
    design_column: str | None,
) -> dict[tuple, Design]:
    """One design per group: from ``design``, or read from ``design_column`` (must not mix)."""
    if design_column is None:
        fixed = parse_design(design)
        if not group_cols:
            return {(): fixed}
        return {key: fixed for key in _group_index(frame, group_cols)}
    if design is not None:
        raise ValueError("give either design= or design_column=, not both")
    values = frame[design_column]
    bad = np.flatnonzero(~values.isin(DESIGN_KINDS).to_numpy())
    if bad.size:
        raise OutcomesError(
            f"column {design_column!r}: expected 'fixed', 'sequential' or 'adaptive', got "
            f"{values.iloc[bad[:3]].tolist()} in {describe_rows(frame.index[bad])}"
        )
    groups = frame.groupby(list(group_cols), sort=False, dropna=False) if group_cols else [
        ((), frame)
    ]
    result = {}
    for key, part in groups:
        kinds = pd.unique(part[design_column])
        key = key if isinstance(key, tuple) else (key,)
        if len(kinds) > 1:
            raise OutcomesError(
                f"column {design_column!r}: mixed designs {sorted(kinds)} within group "
                f"{dict(zip(group_cols, key, strict=True)) or 'of the whole table'}; a group must "
                "have one design"
            )
        result[key] = Design(kinds[0])
    return result


def _prepare(
    data: Any, roles: dict[str, str | None], group_by: str | Sequence[str] | None,
    design: Design | str | None, design_column: str | None,
) -> tuple[pd.DataFrame, tuple[str, ...], dict[tuple, Design]]:
    """Shared first steps of the table readers: columns present, groups, one design each."""
    frame = as_frame(data)
    group_cols = _as_group_keys(group_by)
    roles = {**roles, "design_column": design_column}
    roles.update({f"group_by[{i}]": col for i, col in enumerate(group_cols)})
    require_columns(frame, roles)
    return frame, group_cols, _designs_by_group(frame, group_cols, design, design_column)


def _group_index(frame: pd.DataFrame, group_cols: tuple[str, ...]) -> list[tuple]:
    missing = np.flatnonzero(frame[list(group_cols)].isna().any(axis=1).to_numpy())
    if missing.size:
        raise OutcomesError(
            f"group columns {list(group_cols)}: missing values in "
            f"{describe_rows(frame.index[missing])}"
        )
    return list(dict.fromkeys(map(tuple, frame[list(group_cols)].itertuples(index=False))))


def _split_groups(
    frame: pd.DataFrame, group_cols: tuple[str, ...]
) -> list[tuple[tuple, pd.DataFrame]]:
    if not group_cols:
        return [((), frame)]
    _group_index(frame, group_cols)
    return [
        (key if isinstance(key, tuple) else (key,), part)
        for key, part in frame.groupby(list(group_cols), sort=False)
    ]


def _assemble(
    built: dict[tuple, Outcomes], group_cols: tuple[str, ...]
) -> Outcomes | OutcomesGroups:
    if not group_cols:
        return built[()]
    return OutcomesGroups(group_cols, built)


def _outcomes_for_group(
    problem: np.ndarray, n: np.ndarray, c: np.ndarray, design: Design,
    labels: dict[str, Any], row_labels: pd.Index,
) -> Outcomes:
    """Build one group's Outcomes, translating positional row numbers back to table rows."""
    try:
        return Outcomes(problem, n, c, design, labels)
    except OutcomesError as err:
        message = str(err)
        if labels:
            message += f" (group {labels})"
        if not isinstance(row_labels, pd.RangeIndex) or row_labels.start != 0:
            message += "; row numbers count from 0 within the group"
        raise OutcomesError(message) from None


def from_counts(
    data: Any,
    *,
    problem: str = "problem",
    n: str = "n",
    c: str = "c",
    group_by: str | Sequence[str] | None = None,
    design: Design | str | None = None,
    design_column: str | None = None,
) -> Outcomes | OutcomesGroups:
    """Outcomes from a counts table: one row per problem (and group).

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or mapping of columns
        The table. It is read, never modified.
    problem, n, c : str
        Names of the problem-id, attempts and successes columns.
    group_by : str or sequence of str, optional
        Group columns (model, benchmark, ...): one :class:`Outcomes` per distinct key.
    design : Design or {"fixed", "sequential"}, optional
        The sampling design of every group (default fixed).
    design_column : str, optional
        A column holding ``"fixed"``/``"sequential"`` per row instead; a group may not mix them.

    Returns
    -------
    Outcomes or OutcomesGroups
        An :class:`OutcomesGroups` when ``group_by`` is given.

    Examples
    --------
    >>> import pandas as pd, monkeypower as mp
    >>> table = pd.DataFrame({"id": [1, 2], "tries": [10, 10], "wins": [0, 4]})
    >>> mp.from_counts(table, problem="id", n="tries", c="wins").n_problems
    2
    """
    frame, group_cols, designs = _prepare(
        data, {"problem": problem, "n": n, "c": c}, group_by, design, design_column
    )
    built = {}
    for key, part in _split_groups(frame, group_cols):
        try:
            n_values = _checked_counts(part, n)
            c_values = _checked_counts(part, c)
            _check_count_rows(part, problem, n, c, n_values, c_values)
        except OutcomesError as err:
            where = dict(zip(group_cols, key, strict=True))
            raise OutcomesError(f"{err}" + (f" (group {where})" if key else "")) from None
        built[key] = _outcomes_for_group(
            part[problem].to_numpy(), n_values, c_values, designs[key],
            dict(zip(group_cols, key, strict=True)), part.index,
        )
    return _assemble(built, group_cols)


def _checked_counts(part: pd.DataFrame, column: str) -> np.ndarray:
    """Validate one counts column, naming rows by the table's own index labels."""
    values = part[column]
    numeric = pd.to_numeric(values, errors="coerce")
    checks = [
        (values.isna(), "missing values (NaN)"),
        # a True / False cell among numbers (an object column) is no count, as a boolean column
        # is not: to_numeric would read it as 1 / 0
        (values.map(lambda v: isinstance(v, (bool, np.bool_))), "boolean values"),
        (numeric.isna() & ~values.isna(), "non-numeric values"),
        (numeric.notna() & (numeric.abs() > MAX_COUNT),
         "values above 2**53 (the largest count float64 holds exactly)"),
        (numeric.notna() & (numeric != numeric.round()), "non-integer values"),
    ]
    if values.dtype == bool:
        raise OutcomesError(f"column {column!r}: expected integer counts, got booleans")
    for mask, what in checks:
        mask = mask.to_numpy()
        if mask.any():
            rows = part.index[mask]
            raise OutcomesError(
                f"column {column!r}: expected integer counts, found {what} in "
                f"{describe_rows(rows)}: {values[mask].head(3).tolist()}"
            )
    negative = (numeric < 0).to_numpy()
    if negative.any():
        raise OutcomesError(
            f"column {column!r}: expected non-negative counts, found "
            f"{numeric[negative].head(3).astype(int).tolist()} in "
            f"{describe_rows(part.index[negative])}"
        )
    return numeric.to_numpy(dtype=np.float64).astype(np.int64)


def _check_count_rows(
    part: pd.DataFrame, problem: str, n_column: str, c_column: str,
    n_values: np.ndarray, c_values: np.ndarray,
) -> None:
    """Row checks of a counts table, reported with the table's own row labels."""
    ids = part[problem]
    duplicated = ids.duplicated(keep=False).to_numpy()
    checks = [
        (ids.isna().to_numpy(), f"column {problem!r}: missing problem ids"),
        (duplicated,
         f"column {problem!r}: duplicate problem ids {pd.unique(ids[duplicated])[:5].tolist()} "
         "(expected one row per problem; pass group_by= if the table holds several models or "
         "benchmarks)"),
        (n_values < 1, f"column {n_column!r}: expected at least 1 attempt, found n = 0"),
        (c_values > n_values, f"column {c_column!r}: successes exceed attempts (c > n)"),
    ]
    for mask, what in checks:
        if mask.any():
            raise OutcomesError(f"{what} in {describe_rows(part.index[mask])}")


def _checked_success(part: pd.DataFrame, column: str) -> np.ndarray:
    """Success values must be booleans or 0/1; return a bool array."""
    values = part[column]
    if values.dtype == bool:
        return values.to_numpy()
    missing = values.isna().to_numpy()
    if missing.any():
        raise OutcomesError(
            f"column {column!r}: expected booleans or 0/1, found missing values in "
            f"{describe_rows(part.index[missing])}"
        )
    ok = values.isin([0, 1, True, False]).to_numpy()
    if not ok.all():
        numeric = pd.to_numeric(values, errors="coerce")
        fractional = bool(((numeric > 0) & (numeric < 1)).any())
        hint = (
            "; fractional values look like per-problem scores or pass@k estimates, not one "
            "outcome per attempt: an attempt log needs one row per attempt with a boolean or 0/1 "
            "success (a per-problem table of successes and attempts is read with the counts "
            "layout, n=... and c=...)" if fractional else "")
        raise OutcomesError(
            f"column {column!r}: expected booleans or 0/1, found {values[~ok].head(3).tolist()} "
            f"in {describe_rows(part.index[~ok])}{hint}"
        )
    return values.astype(int).to_numpy().astype(bool)


def from_attempts(
    data: Any,
    *,
    problem: str = "problem",
    success: str = "success",
    attempt: str | None = None,
    group_by: str | Sequence[str] | None = None,
    design: Design | str | None = None,
    design_column: str | None = None,
) -> Outcomes | OutcomesGroups:
    """Outcomes from an attempt log: one row per attempt.

    Parameters
    ----------
    data : pandas.DataFrame, polars.DataFrame or mapping of columns
        The log. It is read, never modified.
    problem : str
        Problem-id column.
    success : str
        Outcome column: booleans or 0/1.
    attempt : str, optional
        Attempt-index column; when given, a repeated (problem, attempt) pair is an error.
    group_by, design, design_column
        As in :func:`from_counts`.

    Returns
    -------
    Outcomes or OutcomesGroups
        Counts ``n`` (rows per problem) and ``c`` (successes per problem).
    """
    frame, group_cols, designs = _prepare(
        data, {"problem": problem, "success": success, "attempt": attempt}, group_by, design,
        design_column,
    )
    built = {}
    for key, part in _split_groups(frame, group_cols):
        ok = _checked_success(part, success)
        ids = part[problem]
        missing = ids.isna().to_numpy()
        if missing.any():
            raise OutcomesError(
                f"column {problem!r}: missing problem ids in {describe_rows(part.index[missing])}"
            )
        if attempt is not None:
            repeated = part.duplicated([problem, attempt], keep=False).to_numpy()
            if repeated.any():
                raise OutcomesError(
                    f"column {attempt!r}: the same attempt of the same problem appears more than "
                    f"once in {describe_rows(part.index[repeated])}; expected one row per attempt"
                )
        counts = (
            pd.DataFrame({"problem": ids.to_numpy(), "ok": ok})
            .groupby("problem", sort=False)["ok"]
            .agg(["size", "sum"])
        )
        built[key] = _outcomes_for_group(
            counts.index.to_numpy(), counts["size"].to_numpy(), counts["sum"].to_numpy(),
            designs[key], dict(zip(group_cols, key, strict=True)), counts.index,
        )
    if design is None and design_column is None:  # fixed assumed: say if the log looks otherwise
        warn_if_not_fixed(frame, problem=problem, success=success, attempt=attempt,
                          group_by=group_cols)
    return _assemble(built, group_cols)


def from_matrix(
    matrix: Any,
    *,
    problem: Sequence[Any] | None = None,
    design: Design | str | None = None,
    labels: Mapping[str, Any] | None = None,
) -> Outcomes:
    """Outcomes from a problems × attempts matrix of outcomes.

    Parameters
    ----------
    matrix : array_like, shape (M, N)
        Booleans or 0/1. A float matrix may use NaN for "not attempted", so problems may have
        different numbers of attempts.
    problem : sequence, optional
        Problem ids (default ``0..M-1``).
    design : Design or {"fixed", "sequential"}, optional
        The sampling design (default fixed).
    labels : mapping, optional
        Group labels for the result.

    Returns
    -------
    Outcomes
    """
    try:
        arr = np.asarray(matrix)
    except ValueError:  # NumPy's "inhomogeneous shape" for rows of different lengths
        raise OutcomesError("matrix: rows of different lengths; pad the attempts a problem did "
                            "not get with NaN (not attempted)") from None
    if arr.ndim != 2:
        raise OutcomesError(f"matrix: expected 2-D (problems × attempts), got shape {arr.shape}")
    if arr.size == 0:
        raise OutcomesError(f"empty input: matrix has shape {arr.shape}")
    if arr.dtype == bool:
        attempted = np.ones(arr.shape, dtype=bool)
        ok = arr
    else:
        try:
            values = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise OutcomesError("matrix: expected booleans or 0/1 (NaN = not attempted)") from None
        attempted = ~np.isnan(values)
        bad = attempted & ~np.isin(values, (0.0, 1.0))
        if bad.any():
            rows, cols = np.nonzero(bad)
            raise OutcomesError(
                f"matrix: expected booleans or 0/1 (NaN = not attempted), found "
                f"{values[rows[0], cols[0]].item()!r} at (row {rows[0]}, attempt {cols[0]}); "
                f"{describe_rows(np.unique(rows))} affected"
            )
        ok = values == 1.0
    ids = np.arange(arr.shape[0]) if problem is None else np.asarray(problem)
    return Outcomes(ids, attempted.sum(axis=1), (ok & attempted).sum(axis=1),
                    parse_design(design), labels or {})


def from_llmonkeys(
    data: Any,
    *,
    problem: str = "orig_dset_idx",
    outcomes: str = "is_corrects",
    group_by: str | Sequence[str] | None = None,
    design: Design | str | None = None,
) -> Outcomes | OutcomesGroups:
    """Outcomes from the Large Language Monkeys layout (Brown et al. 2024, arXiv 2407.21787).

    One row per problem, with a column holding the list of per-attempt booleans, as in the
    ``monkey_business`` dataset (``orig_dset_idx``, ``is_corrects``).

    Parameters
    ----------
    data : DataFrame, mapping of columns, or path to a Parquet file
        The table; a path is read with :func:`pandas.read_parquet`.
    problem : str, default "orig_dset_idx"
        Problem-id column.
    outcomes : str, default "is_corrects"
        Column of list-of-booleans outcomes.
    group_by, design
        As in :func:`from_counts`.

    Returns
    -------
    Outcomes or OutcomesGroups
    """
    if isinstance(data, (str, Path)):
        data = pd.read_parquet(data)
    frame = as_frame(data)
    group_cols = _as_group_keys(group_by)
    roles = {"problem": problem, "outcomes": outcomes}
    roles.update({f"group_by[{i}]": col for i, col in enumerate(group_cols)})
    require_columns(frame, roles)
    n_values = np.empty(len(frame), dtype=np.int64)
    c_values = np.empty(len(frame), dtype=np.int64)
    for pos, (label, cell) in enumerate(frame[outcomes].items()):
        values = np.asarray(cell) if cell is not None else np.asarray([])
        if values.ndim != 1 or values.size == 0:
            raise OutcomesError(
                f"column {outcomes!r}: expected a non-empty list of booleans per row, got "
                f"{type(cell).__name__} in row {label!r}"
            )
        if values.dtype != bool and not np.isin(values, (0, 1)).all():
            raise OutcomesError(
                f"column {outcomes!r}: expected booleans or 0/1 in each list, row {label!r} holds "
                f"{values[~np.isin(values, (0, 1))][:3].tolist()}"
            )
        n_values[pos] = values.size
        c_values[pos] = int(values.astype(bool).sum())
    counts = frame[[problem, *group_cols]].copy()
    counts["__n"] = n_values
    counts["__c"] = c_values
    return from_counts(counts, problem=problem, n="__n", c="__c", group_by=group_by or None,
                       design=design)


_READERS = {"counts": from_counts, "attempts": from_attempts, "llmonkeys": from_llmonkeys}


def _suffix(path: Path) -> str:
    return "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()


def _read_jsonl(path: Path) -> pd.DataFrame:
    """One JSON object per line; errors name the line."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    records = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise OutcomesError(f"{path}, line {number}: not valid JSON ({err.msg} at column "
                                    f"{err.colno}); expected one JSON object per line") from None
            if not isinstance(record, dict):
                raise OutcomesError(f"{path}, line {number}: expected a JSON object "
                                    f"({{\"column\": value, ...}}), got {type(record).__name__}")
            records.append(record)
    return pd.DataFrame.from_records(records)


def _read_table(path: Path, columns: list[str] | None) -> pd.DataFrame:
    suffix = _suffix(path)
    try:
        if suffix in (".csv", ".csv.gz"):
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path, columns=columns)
        if suffix in (".jsonl", ".ndjson", ".jsonl.gz"):
            return _read_jsonl(path)
    except pd.errors.EmptyDataError:
        raise OutcomesError(f"{path}: the file is empty (expected a header line and one row "
                            "per problem)") from None
    except pd.errors.ParserError as err:
        raise OutcomesError(f"{path}: not a readable CSV table ({str(err).strip()})") from None
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile) as err:
        raise OutcomesError(f"{path}: cannot be decoded as {suffix} text ({err})") from None
    except (OSError, ValueError) as err:
        if isinstance(err, (OutcomesError, FileNotFoundError, PermissionError)):
            raise
        raise OutcomesError(f"{path}: not a readable {suffix} file ({type(err).__name__}: "
                            f"{str(err).splitlines()[0] if str(err) else 'no detail'})") from None
    raise OutcomesError(
        f"{path}: unknown file type {suffix!r}; expected .csv, .parquet or .jsonl"
    )


def _parquet_columns(path: Path, columns: Mapping[str, Any]) -> list[str] | None:
    """The columns to read from a Parquet file; a missing one is reported with the whole schema."""
    keys = ("problem", "n", "c", "success", "attempt", "outcomes", "design_column")
    roles = {k: columns[k] for k in keys if isinstance(columns.get(k), str)}
    roles.update({f"group_by[{i}]": col
                  for i, col in enumerate(_as_group_keys(columns.get("group_by")))})
    if not roles:
        return None
    try:
        present = pq.ParquetFile(path).schema_arrow.names
    except (OSError, ValueError) as err:
        raise OutcomesError(f"{path}: not a readable Parquet file ({str(err).splitlines()[0]})") \
            from None
    try:
        check_present(present, roles)
    except OutcomesError as err:
        raise OutcomesError(f"{path}: {err}") from None
    return list(dict.fromkeys(roles.values()))


def read_outcomes(
    path: str | Path | Any,
    layout: Layout = "counts",
    **columns: Any,
) -> Outcomes | OutcomesGroups:
    """Read outcomes from a CSV, Parquet or JSONL file, or from a table already in memory.

    Parameters
    ----------
    path : str, Path, or a table
        The file; its suffix picks the format (``.csv``, ``.parquet``, ``.jsonl``). A pandas or
        polars DataFrame, or a mapping of columns, is read as it is (the converter of
        ``layout`` directly, as :func:`from_counts` and its siblings).
    layout : {"counts", "attempts", "llmonkeys"}, default "counts"
        One row per problem (:func:`from_counts`), per attempt (:func:`from_attempts`), or per
        problem with a list of outcomes (:func:`from_llmonkeys`).
    **columns
        Column names and options passed to the converter (``problem=``, ``n=``, ``c=``,
        ``success=``, ``attempt=``, ``group_by=``, ``design=``...).

    Returns
    -------
    Outcomes or OutcomesGroups

    Examples
    --------
    Best-of-N jailbreaking logs, drawn in batches of 60 until a success, capped at 10,020::

        out = mp.read_outcomes(
            "attempts.parquet", layout="attempts", problem="Problem Idx", success="Score",
            attempt="Scaling Parameter", design=mp.Design("sequential", batch_size=60, cap=10020),
        )
    """
    if layout not in _READERS:
        raise ValueError(f"layout must be one of {sorted(_READERS)}, got {layout!r}")
    if hasattr(path, "columns") or isinstance(path, Mapping):
        return _READERS[layout](path, **columns)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_outcomes: expected a file path (str or Path), a DataFrame or a "
                        f"mapping of columns, got {type(path).__name__}")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise OutcomesError(f"{path}: is a folder; expected a CSV, Parquet or JSONL file")
    wanted = _parquet_columns(path, columns) if _suffix(path) in (".parquet", ".pq") else None
    frame = _read_table(path, wanted)
    try:
        return _READERS[layout](frame, **columns)
    except OutcomesError as err:
        lines = {".csv": 2, ".csv.gz": 2, ".jsonl": 1, ".ndjson": 1, ".jsonl.gz": 1}
        where = ""
        if "rows [" in str(err) and _suffix(path) in lines:
            where = (f" (rows count data rows from 0: row r is line r + {lines[_suffix(path)]} "
                     "of the file)")
        raise OutcomesError(f"{path}: {err}{where}") from None
