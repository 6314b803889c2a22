"""Property-based tests: random malformed tables, files and options never give a traceback.

Every reader, given any table or file, either returns outcomes equal to what the table says or
raises the package's one handled error (OutcomesError, naming the file); the command line, given
any options and file, either reaches sampling with everything valid or stops first with exit
status 2, one line on stderr, and no --out folder (nor half of one). Sampling is replaced by a
sentinel that raises, so these tests need no fit.
"""

import math
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import monkeypower as mp
from monkeypower.cli import main
from monkeypower.errors import OutcomesError

CASES = {"readers": 0, "files": 0, "cli_options": 0, "cli_files": 0}
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

cells = st.one_of(
    st.integers(-3, 40), st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.booleans(), st.none(), st.text(string.ascii_letters + string.digits + " ,\"'\n", max_size=4),
)


@st.composite
def tables(draw):
    """Counts tables, mostly valid-looking, with random damage in any cell or column name."""
    rows = draw(st.integers(0, 6))
    n = draw(st.lists(st.integers(1, 30), min_size=rows, max_size=rows))
    c = [draw(st.integers(0, k)) for k in n]
    problem = draw(st.lists(st.one_of(st.integers(0, 9), st.sampled_from("abcdef")),
                            min_size=rows, max_size=rows))
    frame = {"problem": problem, "n": n, "c": c}
    for _ in range(draw(st.integers(0, 3))):
        column = draw(st.sampled_from(["problem", "n", "c"]))
        if rows:
            frame[column][draw(st.integers(0, rows - 1))] = draw(cells)
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        frame[draw(st.sampled_from(["n2", "C", "problem "]))] = frame.pop(
            draw(st.sampled_from(["problem", "n", "c"])))
    return pd.DataFrame(frame)


def _expected(frame: pd.DataFrame):
    """Oracle: the (n, c) a valid table gives, or None when the table must be refused."""
    if len(frame) == 0 or not {"problem", "n", "c"} <= set(frame):
        return None
    n = pd.to_numeric(frame["n"], errors="coerce")
    c = pd.to_numeric(frame["c"], errors="coerce")
    if frame["n"].dtype == bool or frame["c"].dtype == bool:
        return None
    ids = frame["problem"]
    kinds = {"s" if isinstance(v, str) else "num" for v in ids}
    if (n.isna().any() or c.isna().any() or (n != n.round()).any() or (c != c.round()).any()
            or (n < 1).any() or (c < 0).any() or (c > n).any() or ids.isna().any()
            or ids.duplicated().any() or len(kinds) > 1
            or ids.map(lambda v: isinstance(v, (bool, np.bool_))).any()
            or frame["n"].map(lambda v: isinstance(v, bool)).any()
            or frame["c"].map(lambda v: isinstance(v, bool)).any()):
        return None
    return n.to_numpy(), c.to_numpy()


@SETTINGS
@given(frame=tables())
def test_from_counts_gives_the_table_or_a_handled_error(frame):
    CASES["readers"] += 1
    expected = _expected(frame)
    try:
        out = mp.from_counts(frame)
    except OutcomesError as err:
        assert "\n" not in str(err)
        assert expected is None, f"refused a valid table: {err}"
        return
    assert expected is not None, "accepted a table that should be refused"
    np.testing.assert_array_equal(out.n, expected[0])
    np.testing.assert_array_equal(out.c, expected[1])


@SETTINGS
@given(frame=tables(), suffix=st.sampled_from([".csv", ".jsonl", ".parquet"]))
def test_read_outcomes_never_raises_anything_else(tmp_path_factory, frame, suffix):
    CASES["readers"] += 1
    path = tmp_path_factory.mktemp("t") / f"table{suffix}"
    try:
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".jsonl":
            frame.to_json(path, orient="records", lines=True)
        else:
            frame.astype({col: str for col in frame if frame[col].dtype == object}).to_parquet(
                path)
    except (ValueError, TypeError, OverflowError):
        return  # pandas cannot write this table; nothing to read
    try:
        out = mp.read_outcomes(path, problem="problem", n="n", c="c")
    except OutcomesError as err:
        assert str(path) in str(err)
        return
    assert out.n_problems == len(frame)
    assert (out.c <= out.n).all() and (out.n >= 1).all()


@SETTINGS
@given(content=st.one_of(st.binary(max_size=300),
                         st.text(string.printable, max_size=300)),
       suffix=st.sampled_from([".csv", ".jsonl", ".parquet", ".csv.gz", ".jsonl.gz"]))
def test_any_bytes_give_outcomes_or_one_handled_error(tmp_path_factory, content, suffix):
    CASES["files"] += 1
    path = tmp_path_factory.mktemp("f") / f"data{suffix}"
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    try:
        mp.read_outcomes(path, problem="problem", n="n", c="c")
    except OutcomesError as err:
        assert str(path) in str(err) and "\n" not in str(err)


class Sampled(Exception):
    """Raised instead of sampling: validation let the command through."""


def _no_sampling(*args, **kwargs):
    raise Sampled


options = st.fixed_dictionaries({}, optional={
    "--draws": st.integers(-2, 3), "--tune": st.integers(-2, 3), "--chains": st.integers(-1, 3),
    "--interval": st.floats(-0.5, 1.5), "--target": st.floats(-0.5, 1.5),
    "--horizon": st.floats(-10, 1e4), "--window": st.tuples(st.integers(-1, 20),
                                                            st.integers(-1, 20)),
    "--target-accept": st.floats(-0.5, 1.5), "--cap": st.integers(-1, 50),
    "--group": st.sampled_from(["a", "b", "zz", "a b"]),
})


def _valid(opts: dict) -> bool:
    ok = all(opts.get(k, 1) >= m for k, m in (("--draws", 1), ("--tune", 0), ("--chains", 1)))
    ok &= all(0 < opts[k] < 1 for k in ("--interval", "--target", "--target-accept")
              if k in opts)
    ok &= opts.get("--horizon", 1) > 0
    if "--window" in opts:
        ok &= 1 <= opts["--window"][0] < opts["--window"][1]
    ok &= "--cap" not in opts  # a fixed design takes no cap
    return ok and opts.get("--group", "a") in ("a", "b")


@SETTINGS
@given(opts=options, out_kind=st.sampled_from(["new", "file", "foreign", "ours"]))
def test_cli_options_are_checked_before_sampling(tmp_path_factory, capsys, opts, out_kind):
    CASES["cli_options"] += 1
    capsys.readouterr()  # the fixture spans every example: start from empty output
    folder = tmp_path_factory.mktemp("cli")
    table = pd.DataFrame({"m": ["a", "a", "b", "b"], "problem": [1, 2, 1, 2], "n": [5] * 4,
                          "c": [0, 2, 1, 5]})
    table.to_csv(folder / "t.csv", index=False)
    out = folder / "out"
    if out_kind == "file":
        out.write_text("x")
    elif out_kind == "foreign":
        out.mkdir()
        (out / "thesis.tex").write_text("precious")
    elif out_kind == "ours":
        out.mkdir()
        (out / ".monkeypower-output").write_text("")
    argv = ["fit", str(folder / "t.csv"), "--problem", "problem", "--n", "n", "--c", "c",
            "--group-by", "m", "--seed", "1", "--out", str(out)]
    for key, value in opts.items():  # --key=value, so that a negative number is a value
        argv += ([key, *map(str, value)] if isinstance(value, tuple) else [f"{key}={value}"])
    before = sorted(p.name for p in folder.iterdir())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mp, "fit", _no_sampling)
        patch.setattr(mp, "fit_many", _no_sampling)
        try:
            code = main(argv)
        except Sampled:
            assert _valid(opts) and out_kind in ("new", "ours"), argv
            return
        except SystemExit as exit_:  # argparse's own refusal (e.g. --window -1 5): usage + error
            code = exit_.code
            assert capsys.readouterr().err.splitlines()[-1].startswith("monkeypower fit: error:")
            assert code == 2 and not _valid(opts)
            return
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("monkeypower fit: error: ")
    assert not (_valid(opts) and out_kind in ("new", "ours")), err
    assert sorted(p.name for p in folder.iterdir()) == before  # no --out, no partial folder
    if out_kind == "foreign":
        assert (out / "thesis.tex").read_text() == "precious"


@SETTINGS
@given(frame=tables(), suffix=st.sampled_from([".csv", ".jsonl"]))
def test_cli_files_give_a_fit_or_one_line(tmp_path_factory, capsys, frame, suffix):
    CASES["cli_files"] += 1
    capsys.readouterr()
    folder = tmp_path_factory.mktemp("clif")
    path = folder / f"t{suffix}"
    try:
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_json(path, orient="records", lines=True)
    except (ValueError, TypeError, OverflowError):
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mp, "fit", _no_sampling)
        try:
            code = main(["fit", str(path), "--problem", "problem", "--n", "n", "--c", "c",
                         "--seed", "1", "--out", str(folder / "out")])
        except Sampled:
            return
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(path) in err
    assert not (folder / "out").exists()
    assert [p.name for p in folder.iterdir()] == [path.name]


def test_number_of_cases_tried():
    """Runs last in this file: every property above was tried on its examples."""
    assert CASES["readers"] >= 150 and CASES["files"] >= 100
    assert CASES["cli_options"] >= 100 and CASES["cli_files"] >= 100
    print(f"\nproperty cases tried: {CASES} (total {sum(CASES.values())})")
    assert math.isfinite(sum(CASES.values()))


def test_a_boolean_cell_among_counts_is_refused_naming_its_row():
    """Found by the property test above: an object column [False, 0] was read as counts 0, 0,
    where a boolean column is refused; so is one boolean cell, by its row."""
    frame = pd.DataFrame({"problem": [0, 1], "n": [1, 1], "c": [False, 0]})
    with pytest.raises(OutcomesError, match=r"column 'c'.*boolean values.*row"):
        mp.from_counts(frame)
    frame["c"] = [0, 0]  # the same table with a number there is read
    assert mp.from_counts(frame).c.tolist() == [0, 0]
    # and so does the canonical object built from arrays, where the cell reaches it unconverted
    with pytest.raises(OutcomesError, match=r"column 'c'.*boolean values.*row"):
        mp.Outcomes(problem=[0, 1], n=[1, 1], c=np.array([False, 0], dtype=object))
