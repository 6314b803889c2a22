"""The backtest as a measuring instrument: paired differences against least squares with a
bootstrap over cases (oracle against a hand computation, and a negative control), and the
refusal of degenerate subsamples recorded as failures. No sampling: fast tier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.evaluation.backtest import paired_comparison, stack_tables
from monkeypower.evaluation.backtest.paired import paired_differences
from monkeypower.intervals import IntervalConvention

LSQ = "least_squares"

# A toy table: 5 seeds, errors chosen by hand. Seed 4: "other" failed (NaN error).
TOY = pd.DataFrame({
    "estimator": [LSQ] * 5 + ["other"] * 5,
    "n_problems": 128,
    "n_attempts": 100,
    "seed": list(range(5)) * 2,
    "squared_log_error": [0.04, 0.01, 0.09, 0.5, 0.2,
                          0.01, 0.01, 0.36, 0.05, np.nan],
})


def test_paired_table_against_a_hand_computation():
    ratios = np.log([0.01 / 0.04, 0.01 / 0.01, 0.36 / 0.09, 0.05 / 0.5])  # seed 4 unpaired
    convention = IntervalConvention(0.9, "eti")
    row = paired_comparison(TOY, interval=convention, n_boot=500, seed=7).iloc[0]
    assert row.estimator == "other" and row.baseline == LSQ
    assert row.n_cases == 4 and row.n_unpaired == 1
    assert row.median_log_ratio == pytest.approx(np.median(ratios), rel=1e-12)
    assert row.wins == pytest.approx((2 + 0.5) / 4)  # two wins, one tie (half), one loss
    # the bootstrap by hand: the documented generator, n_boot rows of 4 indices each
    key = mp.seeding.child_seed(7, mp.seeding.text_key("other"), 128, 100)
    index = np.random.default_rng([key]).integers(0, 4, size=(500, 4))
    medians = np.median(ratios[index], axis=1)
    lower, upper = np.quantile(medians, [0.05, 0.95])
    assert (row.lower, row.upper) == (pytest.approx(lower, rel=1e-12),
                                      pytest.approx(upper, rel=1e-12))
    per_case = paired_differences(TOY)
    assert np.allclose(per_case.log_ratio.to_numpy()[:4], ratios)
    assert np.isnan(per_case.log_ratio.iloc[4])


def _two_estimators(factor: float, seed: int, cases: int = 60) -> pd.DataFrame:
    """LSQ and "other" with independent errors from the same law, "other" scaled by factor."""
    rng = np.random.default_rng(seed)
    base = np.exp(rng.normal(-4, 1.5, cases))
    other = factor * np.exp(rng.normal(-4, 1.5, cases))
    return pd.DataFrame({"estimator": [LSQ] * cases + ["other"] * cases, "n_problems": 64,
                         "n_attempts": 100, "seed": list(range(cases)) * 2,
                         "squared_log_error": np.concatenate([base, other])})


def test_negative_control_equal_and_better_estimators():
    """Same error law: the interval covers 0; ten times smaller errors: it excludes 0.
    Errors are log-normal with sd 1.5 on the log scale, so a log ratio has sd ~2.1 and the
    median of 60 has a standard error ~0.34: a 90% interval is about ±0.6 wide around the truth
    (0, or -log 10 = -2.3)."""
    same = paired_comparison(_two_estimators(1.0, 3), interval=0.9, n_boot=1000).iloc[0]
    assert same.lower < 0 < same.upper
    identical = _two_estimators(1.0, 3)
    identical.loc[identical.estimator == "other", "squared_log_error"] = (
        identical.loc[identical.estimator == LSQ, "squared_log_error"].to_numpy())
    tied = paired_comparison(identical, interval=0.9, n_boot=200).iloc[0]
    assert tied.lower == tied.median_log_ratio == tied.upper == 0 and tied.wins == 0.5
    better = paired_comparison(_two_estimators(0.1, 3), interval=0.9, n_boot=1000).iloc[0]
    # P(d < 0) = Phi(2.3 / 2.1) = 0.86; its standard error over 60 cases is 0.045
    assert better.upper < 0 and better.wins > 0.86 - 3 * 0.045
    assert better.lower < np.log(0.1) < better.upper


def test_pooled_backtests_need_the_case_column():
    pooled = stack_tables({"model A": TOY, "model B": TOY})
    with pytest.raises(ValueError, match="cases must be unique"):
        paired_comparison(pooled)
    row = paired_comparison(pooled, case_columns=("case", "seed"), n_boot=100).iloc[0]
    assert row.n_cases == 8 and row.n_unpaired == 2
    with pytest.raises(ValueError, match="baseline 'ols' is not among"):
        paired_comparison(TOY, baseline="ols")
    with pytest.raises(ValueError, match="n_boot"):
        paired_comparison(TOY, n_boot=0)


@pytest.fixture(scope="module")
def thin_result():
    """128 problems, two of them ever solved: every baseline must refuse every subsample."""
    c = np.zeros(128, dtype=int)
    c[:2] = [40, 3]
    thin = mp.Outcomes(problem=range(128), n=[1000] * 128, c=c)
    return mp.backtest(thin, estimators=["least_squares", "discretized_beta",
                                         "beta_binomial_mle"],
                       attempts=[500, 1000], problems=None, seeds=[0], progress=False)


def test_degenerate_subsamples_are_failures_not_numbers(thin_result):
    table = thin_result.table
    assert (table.failure == "degenerate").all()
    assert table.error.str.startswith("DegenerateDataError: ").all()
    assert table.error.str.contains(r"only [0-2] of 128 problems had a success").all()
    assert table.estimate.isna().all() and table.squared_log_error.isna().all()
    summary = thin_result.summary()
    assert (summary.n_degenerate == 1).all() and (summary.n_failed == 1).all()
    assert summary.paired_cases.fillna(0).eq(0).all()
    notes = summary.attrs["notes"]
    assert "Failures (6 of 6 rows, never scored)" in notes
    assert sum(note.startswith("failed (degenerate): ") for note in notes) == 6
    assert "n_degenerate" in " ".join(notes)
    paired = thin_result.paired()
    assert (paired.n_cases == 0).all() and (paired.n_unpaired == 1).all()
    text = thin_result.to_markdown()
    assert "failed (degenerate): beta_binomial_mle" in text
