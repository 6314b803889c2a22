"""Out-of-core counting with DuckDB: same counts as pandas, bounded memory, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import monkeypower as mp
from monkeypower.data.out_of_core import count_attempts, read_attempt_counts
from monkeypower.errors import OutcomesError

pytest.importorskip("duckdb")


def _attempts(seed: int, n_rows: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "model": rng.choice(["m1", "m2"], n_rows),
        "task": rng.integers(0, 50, n_rows),
        "passed": rng.random(n_rows) < 0.2,
    })


@pytest.fixture
def parquet_parts(tmp_path):
    """Three Parquet files of one attempt log (the same problems appear in several files)."""
    parts = [_attempts(seed) for seed in range(3)]
    folder = tmp_path / "log"
    folder.mkdir()
    for i, part in enumerate(parts):
        part.to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder, pd.concat(parts, ignore_index=True)


def _expected(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.groupby(keys)["passed"].agg(n="size", c="sum").reset_index()
    return out.astype({"n": "int64", "c": "int64"})


def test_counts_match_pandas_across_files(parquet_parts):
    folder, frame = parquet_parts
    counts = count_attempts(folder / "*.parquet", problem="task", success="passed",
                            group_by="model", memory_limit="200MB", threads=1)
    expected = _expected(frame, ["model", "task"])
    pd.testing.assert_frame_equal(counts, expected, check_dtype=False)
    assert counts["n"].sum() == len(frame) == 60_000
    # a folder is read like a glob
    pd.testing.assert_frame_equal(
        count_attempts(folder, problem="task", success="passed", group_by="model"), counts)


def test_outcomes_through_from_counts(parquet_parts):
    folder, frame = parquet_parts
    groups = read_attempt_counts(folder, problem="task", success="passed", group_by="model")
    assert isinstance(groups, mp.OutcomesGroups)
    direct = mp.from_attempts(frame, problem="task", success="passed", group_by="model")
    for key in direct:
        a, b = groups[key], direct[key]
        order_a, order_b = np.argsort(a.problem), np.argsort(b.problem)
        np.testing.assert_array_equal(a.n[order_a], b.n[order_b])
        np.testing.assert_array_equal(a.c[order_a], b.c[order_b])


def test_csv_with_zero_one_success(tmp_path):
    frame = _attempts(7, 500).assign(passed=lambda d: d["passed"].astype(int))
    frame.to_csv(tmp_path / "a.csv", index=False)
    counts = count_attempts(tmp_path / "a.csv", problem="task", success="passed")
    expected = _expected(frame.assign(passed=frame["passed"].astype(bool)), ["task"])
    pd.testing.assert_frame_equal(counts, expected, check_dtype=False)


def test_glob_matching_nothing(tmp_path):
    with pytest.raises(OutcomesError, match=r"nothing\*\.parquet: the pattern matches no file"):
        count_attempts(str(tmp_path / "nothing*.parquet"))
    with pytest.raises(OutcomesError, match="no such file or folder"):
        count_attempts(tmp_path / "absent.parquet")


def test_corrupt_parquet_is_named(parquet_parts):
    folder, _ = parquet_parts
    (folder / "part-1.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(OutcomesError, match=r"part-1.parquet: not a readable Parquet file"):
        count_attempts(folder, problem="task", success="passed")


def test_missing_column_lists_the_files_columns(parquet_parts):
    folder, frame = parquet_parts
    frame.drop(columns="passed").head(10).to_parquet(folder / "part-9.parquet", index=False)
    with pytest.raises(OutcomesError, match=r"part-9.parquet: missing column 'passed' \(for "
                       r"success\); the file has columns \['model', 'task'\]"):
        count_attempts(folder, problem="task", success="passed")


def test_non_binary_success_names_file_and_values(parquet_parts):
    folder, _ = parquet_parts
    table = pa.table({"model": ["m1"] * 4, "task": [1, 1, 2, 2], "passed": [0, 1, 2, 2]})
    pq.write_table(table, folder / "part-x.parquet")
    other = pa.table({"model": ["m1"] * 2, "task": [1, 2], "passed": [1, 0]})
    pq.write_table(other, folder / "part-y.parquet")
    for path in ("part-0.parquet", "part-1.parquet", "part-2.parquet"):
        (folder / path).unlink()
    with pytest.raises(OutcomesError, match=r"column 'passed': expected booleans or 0/1.*found "
                       r"2 in 2 rows of .*part-x.parquet"):
        count_attempts(folder, problem="task", success="passed")
    pq.write_table(pa.table({"task": [1], "passed": ["yes"]}), folder / "part-x.parquet")
    with pytest.raises(OutcomesError, match=r"part-x.parquet: column 'passed' has type VARCHAR"):
        count_attempts(folder, problem="task", success="passed")


def test_missing_success_values_are_refused(tmp_path):
    pq.write_table(pa.table({"problem": [1, 1, 2], "success": [True, None, False]}),
                   tmp_path / "a.parquet")
    with pytest.raises(OutcomesError, match=r"found None in 1 rows of .*a.parquet"):
        count_attempts(tmp_path / "a.parquet")


def test_bad_memory_limit(tmp_path):
    pq.write_table(pa.table({"problem": [1], "success": [True]}), tmp_path / "a.parquet")
    with pytest.raises(ValueError, match=r"DuckDB refused memory_limit = 'lots'"):
        count_attempts(tmp_path / "a.parquet", memory_limit="lots")


def test_a_log_that_looks_sequential_is_flagged_as_the_other_readers_do(tmp_path):
    """Read without a design, a best-of-N style log (batches of 20 until a success, cap 200)
    was taken as fixed without a word; read_outcomes warned on the same log."""
    out = mp.simulate("beta", {"alpha": 0.5, "beta": 2.0}, n_problems=60, n_attempts=0, seed=3,
                      design=mp.Design("sequential", batch_size=20, cap=200))
    log = pd.DataFrame([{"task": p, "passed": j >= n - c}
                        for p, n, c in zip(out.problem, out.n, out.c, strict=True)
                        for j in range(n)])
    log.to_parquet(tmp_path / "log.parquet", index=False)
    with pytest.warns(mp.DesignWarning, match=r"sequential design \(batch size 20, cap 200\)"):
        read_attempt_counts(tmp_path / "log.parquet", problem="task", success="passed")
    declared = read_attempt_counts(tmp_path / "log.parquet", problem="task", success="passed",
                                   design=mp.Design("sequential", batch_size=20, cap=200))
    assert declared.design.is_sequential  # no warning: the design was given
