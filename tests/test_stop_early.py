"""Stopping a sequential campaign early from its counts (monkeypower.data.subsample.stop_early)."""

import numpy as np
import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.data.subsample import stop_early

BATCH, CAP = 20, 400


def campaign_log(p: np.ndarray, seed: int, cap: int = CAP, batch: int = BATCH) -> pd.DataFrame:
    """An attempt log of a sequential campaign: batches until a batch holds a success."""
    rng = np.random.default_rng(seed)
    rows = []
    for problem, p_i in enumerate(p):
        outcomes = rng.random(cap) < p_i
        hits = np.flatnonzero(outcomes)
        n = cap if hits.size == 0 else min(cap, (hits[0] // batch + 1) * batch)
        rows += [(problem, j, bool(outcomes[j])) for j in range(n)]
    return pd.DataFrame(rows, columns=["problem", "attempt", "success"])


def counts(log: pd.DataFrame, cap: int) -> mp.Outcomes:
    design = mp.Design("sequential", batch_size=BATCH, cap=cap)
    return mp.from_attempts(log[log.attempt < cap], attempt="attempt", design=design)


@pytest.mark.parametrize("cap", [BATCH, 60, 140, 380, CAP])
def test_stopping_the_counts_equals_stopping_the_log(cap):
    # the oracle: the same campaign's attempt log cut at the cap, counted
    p = np.random.default_rng(0).beta(0.4, 8.0, size=300)
    log = campaign_log(p, seed=1)
    full = counts(log, CAP)
    assert full.c.max() > 1 and (full.c == 0).any()  # multi-success last batches and unsolved
    early = stop_early(full, cap)
    expected = counts(log, cap)
    np.testing.assert_array_equal(early.problem, expected.problem)
    np.testing.assert_array_equal(early.n, expected.n)
    np.testing.assert_array_equal(early.c, expected.c)
    assert early.design == mp.Design("sequential", batch_size=BATCH, cap=cap)
    assert early.labels == full.labels


def test_a_cap_inside_a_solved_problems_last_batch_is_refused_naming_it():
    design = mp.Design("sequential", batch_size=60, cap=10_020)
    out = mp.from_counts({"problem": ["a", "b", "c"], "n": [120, 480, 10_020],
                          "c": [1, 2, 0]}, design=design)
    assert stop_early(out, 420).n.tolist() == [120, 420, 420]  # 420 <= 480 - 60: all failures
    with pytest.raises(ValueError, match=r"cap = 450 falls inside the last batch of problem "
                                         r"'b' \(row 1: n = 480, c = 2, batch size 60\)"):
        stop_early(out, 450)
    # an unsolved problem never straddles: every one of its attempts failed
    stopped = stop_early(out, 9_990)
    assert stopped.n.tolist() == [120, 480, 9_990] and stopped.c.tolist() == [1, 2, 0]


def test_stop_early_refuses_what_the_counts_cannot_say():
    fixed = mp.from_counts({"problem": [0, 1], "n": [100, 100], "c": [3, 0]})
    with pytest.raises(mp.DesignError, match="needs a sequential design, got fixed"):
        stop_early(fixed, 50)
    no_batch = mp.from_counts({"problem": [0, 1], "n": [40, 100], "c": [1, 0]},
                              design=mp.Design("sequential", cap=100))
    with pytest.raises(mp.DesignError, match="needs the sequential design's batch_size"):
        stop_early(no_batch, 50)
    sequential = mp.from_counts({"problem": [0, 1], "n": [40, 100], "c": [1, 0]},
                                design=mp.Design("sequential", batch_size=20, cap=100))
    with pytest.raises(ValueError, match=r"cap = 120 exceeds .* \(max n = 100\)"):
        stop_early(sequential, 120)
    with pytest.raises(ValueError, match="cap must be a whole number of at least 1, got 0"):
        stop_early(sequential, 0)
    with pytest.raises(ValueError, match="cap must be a whole number, got 40.5"):
        stop_early(sequential, 40.5)
