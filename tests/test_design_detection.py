"""Designs detected from the data: sequential, adaptive, fixed (with negative controls)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.data.design_detection import DesignWarning, detect_design

SEQ = mp.Design("sequential", batch_size=20, cap=1000)


def _sequential(seed: int, design: mp.Design = SEQ, n_problems: int = 300) -> mp.Outcomes:
    return mp.simulate("beta", {"alpha": 0.4, "beta": 6}, n_problems=n_problems, n_attempts=0,
                       seed=seed, design=design)


def _attempt_table(out: mp.Outcomes, batch: int, seed: int) -> pd.DataFrame:
    """Attempt rows consistent with sequential counts: all successes in the final batch."""
    rng = np.random.default_rng(seed)
    rows = []
    for pid, n, c in zip(out.problem, out.n, out.c, strict=True):
        ok = np.zeros(n, dtype=bool)
        if c:
            start = ((n - 1) // batch) * batch
            ok[rng.choice(np.arange(start, n), size=c, replace=False)] = True
        rows.append(pd.DataFrame({"problem": pid, "attempt": np.arange(n), "success": ok}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulated_sequential_is_detected_with_batch_and_cap(seed):
    out = _sequential(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the recorded design agrees: no warning
        evidence = detect_design(out)
    assert evidence.kind == "sequential"
    assert (evidence.batch_size, evidence.cap) == (20, 1000)
    assert evidence.design == SEQ
    assert all(evidence.checks.values())


def test_sequential_read_as_fixed_warns_naming_the_evidence():
    out = _sequential(4)
    as_fixed = mp.Outcomes(out.problem, out.n, out.c)  # the design lost on the way
    with pytest.warns(DesignWarning, match=r"recorded design is fixed, but the data look like a "
                      r"sequential design \(batch size 20, cap 1000\).*problems without a "
                      r"success: all at the largest n = 1,000.*batch_size=20, cap=1000"):
        evidence = detect_design(as_fixed)
    assert evidence.kind == "sequential"


def test_wrong_batch_size_recorded_warns():
    out = _sequential(5)
    with pytest.warns(DesignWarning, match="batch_size 60 recorded, 20 found"):
        detect_design(out, declared=mp.Design("sequential", batch_size=60, cap=1000))


def test_attempt_order_makes_the_check_exact():
    out = _sequential(6, n_problems=60)
    table = _attempt_table(out, 20, seed=0)
    evidence = detect_design(table, success="success", attempt="attempt", warn=False)
    assert evidence.kind == "sequential" and evidence.checks["stops_after_first_success"]
    # move one solved problem's first success a batch earlier: it should have stopped there
    solved = out.problem[(out.c > 0) & (out.n >= 60)][0]
    rows = table.index[(table["problem"] == solved)]
    table.loc[rows[(table.loc[rows, "attempt"] == 0).to_numpy()], "success"] = True
    evidence = detect_design(table, success="success", attempt="attempt", warn=False)
    assert evidence.kind != "sequential"
    assert not evidence.checks["stops_after_first_success"]


def test_single_attempt_batches_need_exactly_one_success():
    design = mp.Design("sequential", batch_size=1, cap=200)
    out = _sequential(7, design=design)
    evidence = detect_design(out)
    assert (evidence.kind, evidence.batch_size, evidence.cap) == ("sequential", 1, 200)
    c = out.c.copy()
    c[np.flatnonzero(out.n < 200)[0]] = 2  # two successes, yet stopped at the first: impossible
    broken = detect_design(mp.Outcomes(out.problem, out.n, c), warn=False)
    assert broken.kind != "sequential" and not broken.checks["successes_in_last_batch"]


@pytest.mark.parametrize("n_attempts", [1000, "mixed"])
def test_fixed_designs_are_not_flagged(n_attempts):
    """Negative controls: equal n, and unequal n chosen independently of the outcomes."""
    rng = np.random.default_rng(11)
    n = 1000 if n_attempts == 1000 else rng.choice([100, 1000, 5000], size=400)
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=400, n_attempts=n, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)
        evidence = detect_design(out)
    assert evidence.kind == "fixed" and evidence.design == mp.Design("fixed")


def test_adaptive_allocation_is_detected():
    """A pilot of 50 attempts, then more budget for problems that looked hard."""
    rng = np.random.default_rng(3)
    p = rng.beta(0.5, 4, size=400)
    pilot = rng.binomial(50, p)
    extra = np.where(pilot < 3, 2000, np.where(pilot < 10, 500, 0))
    n = 50 + extra
    c = pilot + rng.binomial(extra, p)
    with pytest.warns(DesignWarning, match=r"adaptive design.*more attempts went to harder"):
        evidence = detect_design(pd.DataFrame({"problem": np.arange(400), "n": n, "c": c}))
    assert evidence.kind == "adaptive" and evidence.design is None
    assert evidence.statistics["corr_log_n_rate"] < 0
    assert evidence.checks["n_very_unequal"] and evidence.checks["n_tied_to_outcomes"]


def test_groups_judged_one_by_one():
    seq = _sequential(8).to_dataframe().assign(model="seq")
    fixed = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=100, n_attempts=500,
                        seed=2).to_dataframe().assign(model="fixed")
    table = pd.concat([seq, fixed], ignore_index=True)
    verdicts = detect_design(table, group_by="model", warn=False)
    assert verdicts[("seq",)].kind == "sequential" and verdicts[("fixed",)].kind == "fixed"
    groups = mp.from_counts(table, group_by="model")
    assert {k: v.kind for k, v in detect_design(groups, warn=False).items()} == {
        ("seq",): "sequential", ("fixed",): "fixed"}


def test_too_few_stopped_problems_is_not_sequential():
    out = mp.Outcomes(np.arange(4), [60, 120, 600, 600], [1, 1, 0, 0])
    evidence = detect_design(out)
    assert evidence.kind == "fixed" and not evidence.checks["enough_stopped"]
    assert "consistent with a sequential design, but only 2 problems stopped" in str(evidence)


def test_table_errors_name_columns():
    with pytest.raises(mp.OutcomesError, match=r"missing column 'passed' \(for success\)"):
        detect_design(pd.DataFrame({"problem": [1], "ok": [True]}), success="passed")
    with pytest.raises(mp.OutcomesError, match=r"column 'success': expected booleans or 0/1, "
                       r"found \['yes'\]"):
        detect_design(pd.DataFrame({"problem": [1], "success": ["yes"]}))


@pytest.mark.shared_data
def test_best_of_n_jailbreaking_is_sequential_batch_60(shared_data):
    table = pd.read_parquet(shared_data / "bon_gemini_flash" / "attempts.parquet")
    with pytest.warns(DesignWarning, match=r"sequential design \(batch size 60, cap 10020\)"):
        evidence = detect_design(table, problem="Problem Idx", success="Score",
                                 attempt="Scaling Parameter")
    assert (evidence.kind, evidence.batch_size, evidence.cap) == ("sequential", 60, 10020)
    assert evidence.checks["stops_after_first_success"]
    counts = mp.from_attempts(table, problem="Problem Idx", success="Score",
                              design=mp.Design("sequential", batch_size=60, cap=10020))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)  # recorded correctly: no warning
        assert detect_design(counts).kind == "sequential"
