import re

import numpy as np
import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.errors import OutcomesError


@pytest.fixture
def counts():
    return pd.DataFrame({
        "model": ["a", "a", "b", "b"],
        "problem_id": [1, 2, 1, 2],
        "tries": [10, 10, 20, 20],
        "wins": [0, 3, 5, 20],
    })


def test_counts_table_with_groups(counts):
    groups = mp.from_counts(counts, problem="problem_id", n="tries", c="wins", group_by="model")
    assert isinstance(groups, mp.OutcomesGroups)
    assert list(groups) == [("a",), ("b",)]
    assert groups["b"].c.tolist() == [5, 20]
    assert groups[{"model": "a"}].labels == {"model": "a"}
    with pytest.raises(KeyError, match="no group"):
        groups["zzz"]


def test_caller_data_is_not_modified(counts):
    before = counts.copy(deep=True)
    mp.from_counts(counts, problem="problem_id", n="tries", c="wins", group_by="model")
    pd.testing.assert_frame_equal(counts, before)


def test_outcomes_arrays_are_read_only_copies():
    n = np.array([5, 5])
    out = mp.Outcomes(problem=[0, 1], n=n, c=[1, 2])
    n[0] = 99
    assert out.n[0] == 5
    with pytest.raises(ValueError):
        out.n[0] = 3


def test_polars_input(counts):
    pl = pytest.importorskip("polars")
    out = mp.from_counts(pl.from_pandas(counts[counts.model == "a"]), problem="problem_id",
                         n="tries", c="wins")
    assert out.n.tolist() == [10, 10]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_files_round_trip(tmp_path, counts, suffix):
    path = tmp_path / f"counts{suffix}"
    {".csv": lambda p: counts.to_csv(p, index=False),
     ".parquet": lambda p: counts.to_parquet(p),
     ".jsonl": lambda p: counts.to_json(p, orient="records", lines=True)}[suffix](path)
    groups = mp.read_outcomes(path, problem="problem_id", n="tries", c="wins", group_by="model")
    assert groups["a"].c.tolist() == [0, 3]


def test_read_outcomes_takes_a_table_in_memory_as_the_layout_converter_does(counts):
    kwargs = dict(problem="problem_id", n="tries", c="wins", group_by="model")
    from_table = mp.read_outcomes(counts, **kwargs)
    assert from_table["b"] == mp.from_counts(counts, **kwargs)["b"]
    as_mapping = mp.read_outcomes(counts[counts.model == "a"].to_dict("list"),
                                  problem="problem_id", n="tries", c="wins")
    assert as_mapping.c.tolist() == [0, 3]
    log = {"q": [1, 1, 2], "ok": [True, False, False]}
    assert mp.read_outcomes(log, layout="attempts", problem="q", success="ok").n.tolist() == [2, 1]
    with pytest.raises(OutcomesError, match="missing column 'wins'"):
        mp.read_outcomes(counts.drop(columns="wins"), **kwargs)
    with pytest.raises(TypeError, match="expected a file path .* got ndarray"):
        mp.read_outcomes(np.zeros((2, 2)))


def test_attempt_log_in_memory_and_on_disk(tmp_path):
    log = pd.DataFrame({"q": [1, 1, 1, 2, 2], "ok": [True, False, True, False, False],
                        "i": [0, 1, 2, 0, 1]})
    out = mp.from_attempts(log, problem="q", success="ok", attempt="i")
    assert out.n.tolist() == [3, 2] and out.c.tolist() == [2, 0]
    log.to_parquet(tmp_path / "log.parquet")
    again = mp.read_outcomes(tmp_path / "log.parquet", layout="attempts", problem="q",
                             success="ok", attempt="i")
    assert again == out


def test_boolean_matrix_and_ragged_nan_matrix():
    m = np.array([[1, 0, 1], [0, 0, 0]], dtype=bool)
    out = mp.from_matrix(m)
    assert out.n.tolist() == [3, 3] and out.c.tolist() == [2, 0]
    ragged = np.array([[1.0, 0.0, np.nan], [0.0, 1.0, 1.0]])
    out = mp.from_matrix(ragged, problem=["x", "y"])
    assert out.n.tolist() == [2, 3] and out.c.tolist() == [1, 2]


def test_llmonkeys_layout(tmp_path):
    frame = pd.DataFrame({"orig_dset_idx": [7, 8], "is_corrects": [[True, False], [False] * 4]})
    frame.to_parquet(tmp_path / "monkeys.parquet")
    out = mp.read_outcomes(tmp_path / "monkeys.parquet", layout="llmonkeys")
    assert out.n.tolist() == [2, 4] and out.c.tolist() == [1, 0]
    assert out.problem.tolist() == [7, 8]


def test_to_dataset_round_trip():
    out = mp.Outcomes(problem=["a", "b"], n=[60, 10020], c=[2, 0],
                      design=mp.Design("sequential", batch_size=60, cap=10020),
                      labels={"model": "m"})
    assert mp.Outcomes.from_dataset(out.to_dataset()) == out


# ----------------------------------------------------------------- bad input, one test each
def test_missing_column_is_named(counts):
    with pytest.raises(OutcomesError, match=r"missing column 'attempts' \(for n\)"):
        mp.from_counts(counts, problem="problem_id", n="attempts", c="wins", group_by="model")


def test_negative_counts_name_column_and_rows(counts):
    bad = counts.assign(wins=[0, -3, 5, 20])
    with pytest.raises(OutcomesError, match=r"column 'wins'.*non-negative.*rows \[1\]"):
        mp.from_counts(bad, problem="problem_id", n="tries", c="wins", group_by="model")


def test_non_integer_counts(counts):
    bad = counts.assign(tries=[10, 10.5, 20, 20])
    with pytest.raises(OutcomesError, match=r"column 'tries'.*non-integer.*rows \[1\]"):
        mp.from_counts(bad, problem="problem_id", n="tries", c="wins", group_by="model")


def test_successes_above_attempts(counts):
    bad = counts.assign(wins=[0, 3, 25, 20])
    with pytest.raises(OutcomesError, match=r"column 'wins'.*c > n.*rows \[2\]"):
        mp.from_counts(bad, problem="problem_id", n="tries", c="wins", group_by="model")


def test_nan_counts(counts):
    bad = counts.assign(wins=[0, np.nan, 5, 20])
    with pytest.raises(OutcomesError, match=r"column 'wins'.*missing values.*rows \[1\]"):
        mp.from_counts(bad, problem="problem_id", n="tries", c="wins", group_by="model")


def test_empty_input(counts):
    with pytest.raises(OutcomesError, match="empty input"):
        mp.from_counts(counts.iloc[:0], problem="problem_id", n="tries", c="wins")
    with pytest.raises(OutcomesError, match="empty input"):
        mp.from_matrix(np.zeros((0, 3), dtype=bool))


def test_zero_attempts(counts):
    bad = counts.assign(tries=[10, 0, 20, 20], wins=[0, 0, 5, 20])
    with pytest.raises(OutcomesError, match=r"column 'tries'.*at least 1 attempt.*rows \[1\]"):
        mp.from_counts(bad, problem="problem_id", n="tries", c="wins", group_by="model")


def test_duplicate_problem_ids_within_a_group(counts):
    pattern = r"column 'problem_id'.*duplicate problem ids \[1, 2\].*rows \[0, 1, 2, 3\]"
    with pytest.raises(OutcomesError, match=pattern):
        mp.from_counts(counts, problem="problem_id", n="tries", c="wins")


def test_success_values_not_boolean():
    log = pd.DataFrame({"q": [1, 1, 2], "ok": [1, 2, 0]})
    with pytest.raises(OutcomesError, match=r"column 'ok'.*booleans or 0/1.*rows \[1\]"):
        mp.from_attempts(log, problem="q", success="ok")


def test_success_strings_rejected():
    log = pd.DataFrame({"q": [1, 2], "ok": ["yes", "no"]})
    with pytest.raises(OutcomesError, match=r"column 'ok'"):
        mp.from_attempts(log, problem="q", success="ok")


def test_repeated_attempt_index():
    log = pd.DataFrame({"q": [1, 1, 2], "ok": [1, 0, 0], "i": [0, 0, 0]})
    with pytest.raises(OutcomesError, match=r"column 'i'.*more than once.*rows \[0, 1\]"):
        mp.from_attempts(log, problem="q", success="ok", attempt="i")


def test_mixed_designs_within_a_group(counts):
    bad = counts.assign(design=["fixed", "sequential", "fixed", "fixed"])
    with pytest.raises(OutcomesError, match=r"column 'design'.*mixed designs.*'model': 'a'"):
        mp.from_counts(bad, problem="problem_id", n="tries", c="wins", group_by="model",
                       design_column="design")


def test_sequential_unsolved_problem_must_sit_at_cap():
    with pytest.raises(OutcomesError, match=r"column 'n'.*cap.*rows \[1\]"):
        mp.Outcomes(problem=[0, 1], n=[60, 120], c=[1, 0],
                    design=mp.Design("sequential", batch_size=60, cap=600))


def test_sequential_counts_obey_their_batches():
    """n a whole number of batches (or the cap), and every success in the last batch: 25
    successes in 200 attempts cannot come from a campaign that stops after the first batch of
    10 with a success (it was accepted, and fitted as if it could)."""
    design = mp.Design("sequential", batch_size=10, cap=205)
    with pytest.raises(OutcomesError, match=r"column 'n'.*multiple of the batch size.*rows \[0\]"):
        mp.Outcomes(problem=[0, 1], n=[35, 205], c=[1, 0], design=design)
    with pytest.raises(OutcomesError, match=r"column 'c'.*last batch \(at most 10 attempts\).*"
                                            r"rows \[0\]"):
        mp.Outcomes(problem=[0, 1], n=[200, 205], c=[25, 0], design=design)
    with pytest.raises(OutcomesError, match=r"column 'c'.*rows \[1\]"):  # a last batch of 5
        mp.Outcomes(problem=[0, 1], n=[200, 205], c=[10, 6], design=design)
    assert mp.Outcomes(problem=[0, 1], n=[200, 205], c=[10, 5], design=design).n_problems == 2


def test_matrix_with_bad_values():
    with pytest.raises(OutcomesError, match=r"found 3.0 at \(row 1, attempt 2\)"):
        mp.from_matrix(np.array([[0, 1, 1], [1, 0, 3]]))
    with pytest.raises(OutcomesError, match="rows of different lengths; pad .* with NaN"):
        mp.from_matrix([[0, 1], [1]])  # was NumPy's ValueError about an inhomogeneous shape


# ----------------------------------------------------------------- compression and simulation
def test_compression_round_trip_is_exact():
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=5000,
                      n_attempts=np.random.default_rng(0).choice([100, 1000], 5000), seed=3)
    stats = mp.compress(out)
    assert stats.weight.sum() == out.n_problems
    assert stats.n_pairs < out.n_problems
    assert stats.expand() == out
    assert len(set(zip(stats.n, stats.c, strict=True))) == stats.n_pairs


def test_simulation_is_reproducible_and_seed_is_required():
    kwargs = dict(n_problems=200, n_attempts=500)
    a = mp.simulate("scaled_beta", {"alpha": 0.4, "beta": 3, "scale": 0.3}, seed=11, **kwargs)
    b = mp.simulate("scaled_beta", {"alpha": 0.4, "beta": 3, "scale": 0.3}, seed=11, **kwargs)
    c = mp.simulate("scaled_beta", {"alpha": 0.4, "beta": 3, "scale": 0.3}, seed=12, **kwargs)
    assert a == b and a != c
    assert (a.c <= 0.5 * a.n).all()  # scale 0.3 caps p; 0.5 leaves room for binomial noise
    with pytest.raises(TypeError, match="seed"):
        mp.simulate("beta", {"alpha": 0.3, "beta": 3}, seed=None, **kwargs)


def test_simulation_outside_a_familys_range_and_a_cap_below_one_batch_are_refused():
    kwargs = dict(n_problems=50, n_attempts=10, seed=1)
    with pytest.raises(ValueError, match=r"beta parameters out of range: alpha = -0.3 \(must "
                                         r"be a number in \(0, inf\)\)$"):
        mp.simulate("beta", {"alpha": -0.3, "beta": 3}, **kwargs)
    with pytest.raises(ValueError, match=r"a = -0.3 .*; b = nan"):
        mp.simulate("kumaraswamy", {"a": -0.3, "b": float("nan")}, **kwargs)
    # NumPy draws these without complaint: p up to 1.5, a point mass of weight 1.5
    with pytest.raises(ValueError, match=r"scale = 1.5 \(must be a number in \(0, 1\]\)"):
        mp.simulate("scaled_beta", {"alpha": 0.3, "beta": 3, "scale": 1.5}, **kwargs)
    with pytest.raises(ValueError, match=r"pi0 = 1.5 \(must be a number in \[0, 1\]\)"):
        mp.simulate("zero_inflated_beta", {"pi0": 1.5, "alpha": 0.3, "beta": 3}, **kwargs)
    with pytest.raises(ValueError, match=r"mu = 'low' \(must be a number"):
        mp.simulate("logit_normal", {"mu": "low", "sigma": 1.0}, **kwargs)
    # the closed ends are allowed
    edges = {"pi0": 0.0, "alpha": 0.3, "beta": 3, "scale": 1.0}
    assert mp.simulate("zero_inflated_scaled_beta", edges, **kwargs).n_problems == 50
    with pytest.raises(ValueError, match="cap 10 is below one batch"):
        mp.Design("sequential", batch_size=60, cap=10)


def test_simulated_counts_of_problems_and_attempts_are_whole_numbers():
    """One rule with the estimands and the planner (monkeypower.arguments): 1.5 attempts were
    truncated to 1 without a word, and True was one problem."""
    beta = ("beta", {"alpha": 0.3, "beta": 3})
    with pytest.raises(ValueError, match=r"n_problems must be a whole number, got 1.5"):
        mp.simulate(*beta, n_problems=1.5, n_attempts=10, seed=1)
    with pytest.raises(ValueError, match=r"n_problems must be a whole number, got True"):
        mp.simulate(*beta, n_problems=True, n_attempts=10, seed=1)
    with pytest.raises(ValueError, match=r"n_attempts must be whole numbers of at least 1, "
                                         r"got 1.5$"):
        mp.simulate(*beta, n_problems=3, n_attempts=1.5, seed=1)
    with pytest.raises(ValueError, match=r"got 2.5 \(position 1\)"):
        mp.simulate(*beta, n_problems=3, n_attempts=[10, 2.5, 5], seed=1)
    with pytest.raises(ValueError, match=r"at least 1, got 0 \(position 2\)"):
        mp.simulate(*beta, n_problems=3, n_attempts=[10, 5, 0], seed=1)
    out = mp.simulate(*beta, n_problems=3.0, n_attempts=1e3, seed=1)
    assert out.n_problems == 3 and (out.n == 1000).all()


def test_simulated_sequential_design_obeys_its_rules():
    design = mp.Design("sequential", batch_size=60, cap=10020)
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=300, n_attempts=0,
                      seed=5, design=design)
    assert ((out.n % 60 == 0) | (out.n == 10020)).all()
    assert (out.n[out.c == 0] == 10020).all()
    assert (out.c >= 1).sum() > 100


@pytest.mark.shared_data
def test_gemini_attempt_log_is_sequential(shared_data):
    design = mp.Design("sequential", batch_size=60, cap=10020)
    out = mp.read_outcomes(
        shared_data / "bon_gemini_flash" / "attempts.parquet", layout="attempts",
        problem="Problem Idx", success="Score", attempt="Scaling Parameter", design=design,
    )
    assert out.n_problems == 159 and out.n.sum() == 747_420
    assert out.design.is_sequential
    import pandas as pd

    raw = pd.read_parquet(shared_data / "bon_gemini_flash" / "attempts.parquet")
    per_prompt = raw.groupby("Problem Idx")["Score"].agg(["size", "sum"])
    np.testing.assert_array_equal(per_prompt.loc[out.problem, "size"], out.n)
    np.testing.assert_array_equal(per_prompt.loc[out.problem, "sum"], out.c)
    with pytest.raises(mp.DesignError):
        mp.empirical_curve(out)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, 1e19, 2.0**63])
def test_huge_or_infinite_counts_are_named(bad):
    """n = inf or 1e19 wrapped round in the int64 cast and was reported as n = -2**63."""
    with pytest.raises(OutcomesError, match=r"column 'n': expected integer counts, found "
                       + re.escape(repr(float(bad)))):
        mp.Outcomes(problem=["a", "b"], n=[bad, 5], c=[1, 2])


@pytest.mark.parametrize("huge", [9.3e18, 2.0**53 + 2, float("inf"), 1e300])
def test_counts_beyond_exact_float64_name_column_and_rows(counts, huge):
    bad = counts.assign(tries=[10, huge, 20, 20])
    with pytest.raises(OutcomesError, match=r"column 'tries'.*above 2\*\*53.*rows \[1\]"):
        mp.from_counts(bad, problem="problem_id", n="tries", c="wins", group_by="model")
    with pytest.raises(OutcomesError, match=r"column 'n'.*2\*\*53.*rows \[1\]"):
        mp.Outcomes(problem=np.arange(2), n=np.array([10, huge]), c=np.array([1, 2]))


def test_integer_counts_beyond_exact_float64_are_refused():
    with pytest.raises(OutcomesError, match=r"column 'n'.*above 2\*\*53.*rows \[0\]"):
        mp.Outcomes(problem=np.arange(2), n=np.array([2**53 + 1, 10]), c=np.array([1, 2]))
    one = mp.Outcomes(problem=np.arange(2), n=np.array([2**53, 10]), c=np.array([1, 2]))
    assert int(one.n.max()) == 2**53
