"""Per-problem counts from attempt logs too large for memory, streamed through DuckDB.

An attempt log (one row per attempt: problem, success, group columns) of 10^8 rows or more does
not fit in a pandas DataFrame, but its sufficient statistics do: one ``(n, c)`` pair per problem
(see docs/concepts.md). :func:`count_attempts` runs that group-by in DuckDB over Parquet or CSV
files (a file, a folder, a glob or a list), with a hard memory limit and spilling to a temporary
folder, and returns the small counts table; :func:`read_attempt_counts` turns it into
:class:`~monkeypower.data.outcomes.Outcomes` through :func:`monkeypower.from_counts`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

try:  # optional: pip install 'monkeypower[evallogs]'
    import duckdb
except ImportError:  # pragma: no cover - the extra is installed in development
    duckdb = None

from monkeypower.data.design import Design
from monkeypower.data.design_detection import detect_design
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.data.paths import expand_paths
from monkeypower.data.readers import from_counts
from monkeypower.errors import OutcomesError

__all__ = ["count_attempts", "read_attempt_counts"]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".csv.gz", ".tsv", ".tsv.gz")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")


def _import_duckdb():
    if duckdb is None:  # pragma: no cover - the extra is installed in development
        raise ImportError("out-of-core counting needs duckdb: pip install 'monkeypower[evallogs]'")
    return duckdb


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (*_CSV, *_PARQUET):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _files(path_or_glob: str | Path | Iterable[str | Path]) -> tuple[list[Path], str]:
    """Expand to a list of files of one format; errors name the pattern or file."""
    files = expand_paths(
        path_or_glob, what="attempt files",
        in_folder=lambda folder: sorted(p for p in folder.rglob("*") if p.is_file()
                                        and _suffix(p) in (*_PARQUET, *_CSV)),
        describe_folder="looked for Parquet or CSV files, recursively",
    )
    kinds = {"parquet" if _suffix(p) in _PARQUET else "csv" if _suffix(p) in _CSV else None
             for p in files}
    if None in kinds:
        odd = [str(p) for p in files if _suffix(p) not in (*_PARQUET, *_CSV)][:3]
        raise OutcomesError(f"{odd}: unknown file type; expected .parquet or .csv(.gz)")
    if len(kinds) > 1:
        raise OutcomesError(
            f"the paths mix Parquet and CSV files ({[str(p) for p in files[:4]]}...); count "
            "each format separately"
        )
    return files, kinds.pop()


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scan(files: Sequence[Path], kind: str, *, filename: bool = False) -> str:
    listed = "[" + ", ".join(_sql_str(str(p)) for p in files) + "]"
    extra = ", filename = true" if filename else ""
    if kind == "parquet":
        return f"read_parquet({listed}, union_by_name = true{extra})"
    return f"read_csv({listed}, union_by_name = true{extra})"


def _schema_by_file(con: Any, duckdb: Any, files: list[Path], kind: str) -> dict[Path, dict]:
    """Column name → type for every file, reading Parquet footers only (CSV: sniffing)."""
    schemas: dict[Path, dict] = {}
    for path in files:
        try:
            rows = con.execute(f"DESCRIBE SELECT * FROM {_scan([path], kind)}").fetchall()
        except duckdb.Error as err:
            what = "Parquet" if kind == "parquet" else "CSV"
            raise OutcomesError(
                f"{path}: not a readable {what} file ({type(err).__name__}: "
                f"{str(err).splitlines()[0]})"
            ) from None
        schemas[path] = {name: str(dtype) for name, dtype, *_ in rows}
    return schemas


def count_attempts(
    path_or_glob: str | Path | Iterable[str | Path],
    *,
    problem: str = "problem",
    success: str = "success",
    group_by: str | Sequence[str] | None = None,
    memory_limit: str = "1GB",
    threads: int | None = None,
    temp_directory: str | Path | None = None,
) -> pd.DataFrame:
    """Attempts ``n`` and successes ``c`` per problem, counted out of core with DuckDB.

    The files are streamed, never loaded: memory stays under ``memory_limit`` (DuckDB spills
    to ``temp_directory`` beyond it) whatever the number of rows; the result has one row per
    problem and group.

    Parameters
    ----------
    path_or_glob : str, Path or iterable of them
        Parquet (``.parquet``) or CSV (``.csv``, ``.csv.gz``) attempt logs: a file, a folder
        (searched recursively), a glob such as ``"logs/**/*.parquet"`` or a list of these.
    problem : str, default "problem"
        Problem-id column.
    success : str, default "success"
        Outcome column: booleans, or numbers that are all 0 or 1.
    group_by : str or sequence of str, optional
        Group columns (model, benchmark...), kept in the result.
    memory_limit : str, default "1GB"
        DuckDB's ``memory_limit`` (e.g. ``"500MB"``, ``"4GB"``).
    threads : int, optional
        DuckDB worker threads (default: DuckDB's choice, the number of cores).
    temp_directory : str or Path, optional
        Where DuckDB may spill; default a fresh temporary folder, removed afterwards.

    Returns
    -------
    pandas.DataFrame
        Columns: the group columns, ``problem``'s column, ``n``, ``c`` (int64), sorted by group
        and problem. Pass it to :func:`monkeypower.from_counts` (or use
        :func:`read_attempt_counts`).

    Raises
    ------
    OutcomesError
        A path or glob matching nothing; an unreadable (corrupt) file, named; a missing column,
        naming the file and listing its columns; missing problem ids; success values other than
        booleans or 0/1, naming the file, the values found and how many rows hold them.

    Examples
    --------
    ::

        from monkeypower.data.out_of_core import count_attempts

        counts = count_attempts("sweep/*.parquet", problem="task_id", success="passed",
                                group_by=["model", "benchmark"], memory_limit="2GB")
        groups = mp.from_counts(counts, problem="task_id", group_by=["model", "benchmark"])
    """
    duckdb = _import_duckdb()
    files, kind = _files(path_or_glob)
    group_cols = [] if group_by is None else [group_by] if isinstance(group_by, str) \
        else list(group_by)
    for reserved in ("n", "c"):
        if reserved in (problem, *group_cols):
            raise ValueError(f"column name {reserved!r} is reserved for the counts in the result")
    spill = Path(temp_directory) if temp_directory is not None else Path(
        tempfile.mkdtemp(prefix="monkeypower-duckdb-")
    )
    con = duckdb.connect(":memory:")
    try:
        settings = {"memory_limit": _sql_str(memory_limit),
                    "temp_directory": _sql_str(str(spill)),
                    "preserve_insertion_order": "false",
                    "enable_progress_bar": "false"}
        if threads is not None:
            settings["threads"] = str(int(threads))
        for name, value in settings.items():
            try:
                con.execute(f"SET {name} = {value}")
            except duckdb.Error as err:
                raise ValueError(
                    f"DuckDB refused {name} = {value} ({str(err).splitlines()[0]})"
                ) from None
        schemas = _schema_by_file(con, duckdb, files, kind)
        wanted = {"problem": problem, "success": success}
        wanted.update({f"group_by[{i}]": col for i, col in enumerate(group_cols)})
        for path, schema in schemas.items():
            missing = {role: col for role, col in wanted.items() if col not in schema}
            if missing:
                described = ", ".join(f"{col!r} (for {role})" for role, col in missing.items())
                raise OutcomesError(
                    f"{path}: missing column {described}; the file has columns {list(schema)}"
                )
        types = {schema[success] for schema in schemas.values()}
        bad_type = [t for t in types if t != "BOOLEAN" and not t.startswith(_NUMERIC)]
        if bad_type:
            path = next(p for p, s in schemas.items() if s[success] in bad_type)
            raise OutcomesError(
                f"{path}: column {success!r} has type {schemas[path][success]}; expected booleans "
                "or 0/1 numbers"
            )
        return _aggregate(con, duckdb, files, kind, problem, success, group_cols, types)
    finally:
        con.close()
        if temp_directory is None:
            shutil.rmtree(spill, ignore_errors=True)


def _aggregate(
    con: Any, duckdb: Any, files: list[Path], kind: str, problem: str, success: str,
    group_cols: list[str], types: set[str],
) -> pd.DataFrame:
    s = _ident(success)
    keys = ", ".join(_ident(c) for c in [*group_cols, problem])
    ok = f"{s}" if types == {"BOOLEAN"} else f"({s} = 1)"
    query = f"""
        SELECT {keys},
               count(*)::BIGINT AS n,
               count(*) FILTER (WHERE {ok})::BIGINT AS c,
               count(*) FILTER (WHERE {s} IS NULL OR {s} NOT IN (0, 1))::BIGINT AS __bad
        FROM {_scan(files, kind)}
        GROUP BY ALL
        ORDER BY ALL
    """ if types != {"BOOLEAN"} else f"""
        SELECT {keys},
               count(*)::BIGINT AS n,
               count(*) FILTER (WHERE {ok})::BIGINT AS c,
               count(*) FILTER (WHERE {s} IS NULL)::BIGINT AS __bad
        FROM {_scan(files, kind)}
        GROUP BY ALL
        ORDER BY ALL
    """
    try:
        counts = con.execute(query).df()
    except duckdb.Error as err:
        culprit = _find_unreadable(con, duckdb, files, kind, [problem, success, *group_cols])
        where = f"{culprit}: " if culprit is not None else f"{len(files)} file(s): "
        raise OutcomesError(
            f"{where}reading the attempts failed ({type(err).__name__}: "
            f"{str(err).splitlines()[0]})"
        ) from None
    if counts.empty:
        raise OutcomesError(f"{[str(p) for p in files[:3]]}: no rows (expected attempts)")
    if counts["__bad"].any():
        _raise_bad_success(con, files, kind, success, types)
    no_id = counts[problem].isna()
    if no_id.any():
        lost = int(counts.loc[no_id, "n"].sum())
        where = con.execute(
            f"SELECT DISTINCT filename FROM {_scan(files, kind, filename=True)} "
            f"WHERE {_ident(problem)} IS NULL LIMIT 3"
        ).fetchall()
        raise OutcomesError(
            f"{[w[0] for w in where]}: column {problem!r} has missing problem ids in {lost} rows"
        )
    missing_group = counts[group_cols].isna().any(axis=1) if group_cols else None
    if missing_group is not None and missing_group.any():
        lost = int(counts.loc[missing_group, "n"].sum())
        raise OutcomesError(f"group columns {group_cols}: missing values in {lost} rows")
    return counts.drop(columns="__bad").reset_index(drop=True)


def _find_unreadable(
    con: Any, duckdb: Any, files: list[Path], kind: str, columns: list[str]
) -> Path | None:
    """The first file whose data pages cannot be read (a footer can be fine, the data not)."""
    if len(files) == 1:
        return files[0]
    reads = ", ".join(f"count({_ident(c)})" for c in columns)
    for path in files:
        try:
            con.execute(f"SELECT {reads} FROM {_scan([path], kind)}").fetchall()
        except duckdb.Error:
            return path
    return None


def _raise_bad_success(
    con: Any, files: list[Path], kind: str, success: str, types: set[str]
) -> None:
    s = _ident(success)
    condition = f"{s} IS NULL" if types == {"BOOLEAN"} else f"{s} IS NULL OR {s} NOT IN (0, 1)"
    rows = con.execute(
        f"SELECT filename, {s} AS value, count(*) AS rows FROM "
        f"{_scan(files, kind, filename=True)} WHERE {condition} GROUP BY ALL "
        "ORDER BY rows DESC LIMIT 5"
    ).fetchall()
    shown = "; ".join(f"{value!r} in {count} rows of {name}" for name, value, count in rows)
    raise OutcomesError(
        f"column {success!r}: expected booleans or 0/1 (no missing values), found {shown}"
    )


def read_attempt_counts(
    path_or_glob: str | Path | Iterable[str | Path],
    *,
    problem: str = "problem",
    success: str = "success",
    group_by: str | Sequence[str] | None = None,
    design: Design | str | None = None,
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> Outcomes | OutcomesGroups:
    """:func:`count_attempts` followed by :func:`monkeypower.from_counts`.

    Parameters
    ----------
    path_or_glob, problem, success, group_by, memory_limit, threads
        As in :func:`count_attempts`.
    design : Design or {"fixed", "sequential"}, optional
        The sampling design. Without one, fixed is assumed and, as the other attempt-log
        readers do, the counts are checked for the marks of a sequential or adaptive design
        (:func:`monkeypower.data.design_detection.detect_design`, from the counts alone).

    Returns
    -------
    Outcomes or OutcomesGroups
        An :class:`OutcomesGroups` when ``group_by`` is given.

    Warns
    -----
    DesignWarning
        When no design is given and the counts look sequential or adaptive (a best-of-N log
        read as fixed was fitted without a word, and the estimators that a sequential design
        invalidates ran on it).
    """
    counts = count_attempts(path_or_glob, problem=problem, success=success, group_by=group_by,
                            memory_limit=memory_limit, threads=threads)
    out = from_counts(counts, problem=problem, n="n", c="c", group_by=group_by, design=design)
    if design is None:
        detect_design(out, warn=True)
    return out
