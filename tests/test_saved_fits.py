"""Saved fits are checked on load; group outputs never collide; health reaches every summary;
what the data cannot support is said, never printed as a confident interval; --out is atomic.

One tiny group fit (four groups, compiled once) serves every test.
"""

import shutil
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.estimands import EstimandDraws
from monkeypower.fitting.diagnostics import DataSupportWarning, SamplingWarning
from monkeypower.fitting.groups import FitGroups, group_stems
from monkeypower.fitting.persistence import SavedFitError, save_tree
from monkeypower.output import report as report_module
from monkeypower.output.atomic import MARKER, OutputFolderError, atomic_folder
from monkeypower.output.report import write_report

FAST = {"draws": 50, "tune": 50, "chains": 2, "progressbar": False}
# sampling health of 50-draw chains is honestly poor, and the zero-success group is reported
pytestmark = pytest.mark.filterwarnings(
    "ignore::monkeypower.fitting.diagnostics.SamplingWarning",
    "ignore::monkeypower.fitting.diagnostics.DataSupportWarning")


@pytest.fixture(scope="module")
def groups():
    parts = []
    for seed, name in enumerate(["a b", "a_b", "x/y", "x-y"]):
        out = mp.simulate("beta", {"alpha": 0.4, "beta": 3}, n_problems=25, n_attempts=60,
                          seed=seed, labels={"model": name})
        frame = out.to_dataframe()
        if name == "a_b":
            frame["c"] = 0  # a group with no success at all
        parts.append(frame)
    data = mp.from_counts(pd.concat(parts), group_by="model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return mp.fit(data, "beta", seed=3, **FAST)


@pytest.fixture(scope="module")
def one(groups):
    return groups["a b"]


def test_group_stems_never_collide():
    keys = [("a b",), ("a_b",), ("x/y",), ("x-y",), ("X-Y",), ("",), ("..",), ("ok",)]
    stems = group_stems(keys)
    assert len({s.lower() for s in stems.values()}) == len(keys)
    assert stems[("ok",)] == "ok" and stems[("..",)].startswith("group-")  # "" also -> group
    assert all("/" not in s and " " not in s for s in stems.values())
    assert group_stems([()]) == {(): "fit"}
    assert group_stems(keys) == stems  # deterministic


def test_group_save_writes_one_file_per_group(tmp_path, groups):
    paths = groups.save(tmp_path)
    assert len(set(paths)) == 4 and all(p.exists() for p in paths)
    for key, path in zip(groups, paths, strict=True):
        assert mp.load_fit(path).outcomes.labels == {"model": key[0]}


def test_save_over_a_loaded_fit_and_reload(tmp_path, one):
    path = tmp_path / "fit.nc"
    one.save(path)
    loaded = mp.load_fit(path)
    one.save(path)  # the loaded fit keeps no handle open on the file
    again = mp.load_fit(path)
    np.testing.assert_array_equal(again.posterior["alpha"].values, one.posterior["alpha"].values)
    assert loaded.outcomes == one.outcomes
    assert not list(tmp_path.glob(".*partial*"))


def _copy(tmp_path, one, name="f.nc"):
    path = tmp_path / name
    one.save(path)
    return path


def test_a_flipped_value_is_caught_by_the_checksum(tmp_path, one):
    path = _copy(tmp_path, one)
    with h5py.File(path, "r+") as handle:
        values = handle["posterior/alpha"][...]
        values[0, 3] = np.frombuffer(
            (np.frombuffer(values[0, 3].tobytes(), np.uint64) ^ np.uint64(1 << 60)).tobytes())[0]
        handle["posterior/alpha"][...] = values
    with pytest.raises(SavedFitError, match="does not match its checksum"):
        mp.load_fit(path)


@pytest.mark.parametrize("edit, match", [
    (lambda t: t.attrs.update(family="scaled_beta"), "attribute 'family' says 'scaled_beta'"),
    (lambda t: t["posterior"].dataset["alpha"].values.__imul__(-1), "outside the support"),
    (lambda t: t["constant_data"].dataset["pair_c"].values.__iadd__(1), "pair_c"),
    (lambda t: t.attrs.update(labels="{not json"), "'labels' is not valid JSON"),
])
def test_edited_and_re_signed_fits_are_refused(tmp_path, one, edit, match):
    """A file whose checksum was recomputed after the edit is still checked for sense."""
    tree = one.tree.copy(deep=True)
    edit(tree)
    path = save_tree(tree, tmp_path / "edited.nc")
    with pytest.raises(SavedFitError, match=match):
        mp.load_fit(path)


def test_missing_attribute_and_junk_files(tmp_path, one):
    path = _copy(tmp_path, one)
    with h5py.File(path, "r+") as handle:
        del handle.attrs["seed"]
    with pytest.raises(SavedFitError, match="attribute 'seed' is missing"):
        mp.load_fit(path)
    junk = tmp_path / "junk.nc"
    junk.write_bytes(b"not a netcdf file")
    with pytest.raises(SavedFitError, match="not a readable NetCDF fit"):
        mp.load_fit(junk)
    with pytest.raises(FileNotFoundError):
        mp.load_fit(tmp_path / "absent.nc")


def test_saving_to_a_folder_or_into_a_missing_one_is_refused_by_name(tmp_path, one):
    """Both failed inside h5netcdf or at the rename, in words of the temporary file."""
    with pytest.raises(IsADirectoryError, match=r"is a folder; save the fit to a file in it"):
        one.save(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing does not exist"):
        one.save(tmp_path / "missing" / "fit.nc")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_health_and_pareto_k_in_every_summary(groups, one):
    health = one.summary().attrs["diagnostics"]
    for key in ("n_divergent", "max_rhat", "min_ess_bulk", "min_ess_tail", "ok", "problems",
                "max_pareto_k", "n_high_pareto_k", "pareto_k_threshold", "data_problems"):
        assert key in health
    assert 0 <= health["n_high_pareto_k"] <= one.outcomes.n_problems
    table = groups.summary()
    per_group = table.attrs["diagnostics"]
    assert set(per_group) == {"a b", "a_b", "x/y", "x-y"}
    assert per_group["a b"]["max_rhat"] == health["max_rhat"]
    assert one.to_dict()["diagnostics"]["max_pareto_k"] == health["max_pareto_k"]


def test_a_group_without_success_is_not_estimable(groups):
    empty = groups["a_b"]
    with pytest.warns(DataSupportWarning, match="no success in any of the 1,500 attempts"):
        table = empty.summary()
    exponents = table[table.estimand.isin(["asymptotic_exponent", "prefactor",
                                           "effective_exponent"])]
    assert exponents[["median", "eti95_lower", "eti95_upper"]].isna().all().all()
    assert any("not estimable" in note for note in table.attrs["notes"])
    assert not table.attrs["diagnostics"]["ok"]
    rest = table[table.estimand == "forecast_pass_at_k"]
    assert rest["median"].notna().all()  # pass_D@k rows stay: the data bound them


def test_nan_draws_make_a_row_not_estimable():
    draws = np.linspace(0.1, 1, 200).reshape(2, 100)
    draws[0, :26] = np.nan
    rows = EstimandDraws("effective_exponent", "k in [1, 10]", draws).rows(0.95)
    assert all(np.isnan(rows[0][k]) for k in ("median", "eti95_lower", "eti95_upper"))
    clean = EstimandDraws("effective_exponent", "", np.linspace(0.1, 1, 200).reshape(2, 100))
    assert clean.rows(0.95)[0]["eti95_lower"] > 0


def test_atomic_folder_keeps_the_old_folder_on_failure(tmp_path):
    out = tmp_path / "out"
    with atomic_folder(out) as work:
        (work / "a.txt").write_text("first")
    assert (out / "a.txt").read_text() == "first" and (out / MARKER).exists()
    with pytest.raises(RuntimeError), atomic_folder(out) as work:
        (work / "a.txt").write_text("second")
        raise RuntimeError("fails half-way")
    assert (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(OutputFolderError, match="did not write"):
        atomic_folder(tmp_path / "mine").__enter__()
    with pytest.raises(OutputFolderError, match="is a file"):
        atomic_folder(tmp_path / "mine" / "notes.txt").__enter__()


def test_write_report_failure_leaves_no_partial_folder(tmp_path, monkeypatch, groups):
    # two of the four groups (one with no success at all): each group's figures cost seconds
    two = FitGroups(group_names=groups.group_names,
                    fits={key: groups[key] for key in [("a b",), ("a_b",)]})
    out = tmp_path / "report"
    write_report(two, out, progress=False, summary_kwargs={"max_draws": 20})
    names = sorted(p.name for p in out.iterdir())
    assert len([n for n in names if n.endswith(".nc")]) == 2 and "report.md" in names
    report = (out / "report.md").read_text()
    assert "Pareto k" in report and "no success in any" in report

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    # the second figure of the first group: its posterior and first figure are already written
    monkeypatch.setattr(report_module.figures, "plot_exponents", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        write_report(two, out, progress=False, summary_kwargs={"max_draws": 20})
    assert sorted(p.name for p in out.iterdir()) == names  # the old report, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_old_files_without_checksum_load_with_a_warning(tmp_path, one):
    path = _copy(tmp_path, one)
    with h5py.File(path, "r+") as handle:
        del handle.attrs["content_sha256"]
    with pytest.warns(UserWarning, match="no content_sha256"):
        mp.load_fit(path)
    shutil.rmtree(tmp_path)
