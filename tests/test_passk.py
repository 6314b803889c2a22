from fractions import Fraction
from itertools import combinations
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import monkeypower as mp
from monkeypower.data.passk import log_fail_at_k
from monkeypower.errors import DesignError


def brute_force_pass_at_k(n: int, c: int, k: int) -> Fraction:
    """Share of k-subsets of n attempts (the first c successful) holding a success."""
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    hits = sum(any(outcomes[i] for i in s) for s in subsets)
    return Fraction(hits, len(subsets))


def test_matches_enumeration_of_k_subsets_for_all_small_n():
    for n in range(1, 13):
        for c in range(n + 1):
            for k in range(1, n + 1):
                expected = float(brute_force_pass_at_k(n, c, k))
                assert mp.pass_at_k(n, c, k) == pytest.approx(expected, rel=1e-13, abs=1e-15)


def test_large_n_against_exact_rational_arithmetic():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    cases = [(10**7, 1, 10**4), (10**7, 100, 100), (10**7, 5000, 3000), (10**7, 33, 33),
             (10**7, 40, 10**6), (10**6, 500, 2000), (12_345, 6_000, 6_000)]
    for n, c, k in cases:
        exact = 1 - mpmath.binomial(n - c, k) / mpmath.binomial(n, k)
        assert mp.pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12)


def test_k_above_n_is_nan_never_one():
    assert np.isnan(mp.pass_at_k(10, 0, 11))
    assert np.isnan(mp.pass_at_k(10, 10, 11))
    assert mp.pass_at_k(10, 0, 10) == 0.0


def test_broadcasting_shapes():
    n = np.array([100, 200, 300])[:, None]
    c = np.array([0, 5, 300])[:, None]
    k = np.array([1, 10, 100])[None, :]
    out = mp.pass_at_k(n, c, k)
    assert out.shape == (3, 3)
    assert (out[0] == 0).all() and (out[2] == 1).all()


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 10**7),
    c_frac=st.floats(0, 1),
    k_frac=st.lists(st.floats(0, 1.2), min_size=2, max_size=6),
)
def test_properties(n, c_frac, k_frac):
    c = int(round(c_frac * n))
    k = np.sort(np.unique(np.maximum(1, np.round(np.array(k_frac) * n).astype(np.int64))))
    values = mp.pass_at_k(n, c, k)
    defined = k <= n
    assert np.isnan(values[~defined]).all()
    v = values[defined]
    assert ((v >= 0) & (v <= 1)).all()
    assert (np.diff(v) >= -1e-15).all()
    certain = (k[defined] > n - c)
    assert (v[certain] == 1.0).all()


@pytest.mark.shared_data
def test_matches_reference_score_column_for_every_row(shared_data):
    import pandas as pd

    table = pd.read_parquet(shared_data / "llmonkeys_pythia_math" / "pass_at_k.parquet")
    ours = mp.pass_at_k(
        table["Num. Samples Total"].to_numpy(), table["Num. Samples Correct"].to_numpy(),
        table["Scaling Parameter"].to_numpy(),
    )
    assert len(table) == 90_496
    np.testing.assert_allclose(ours, table["Score"].to_numpy(), rtol=0, atol=1e-9)


def test_reference_grid_matches_protocol():
    grid = mp.reference_k_grid(10_000)
    expected = np.unique(np.logspace(0, 4, 100).astype(int))
    np.testing.assert_array_equal(grid, expected)


def test_empirical_curve_is_mean_of_per_problem_estimates():
    out = mp.Outcomes(problem=[0, 1, 2], n=[10, 10, 10], c=[0, 1, 5])
    curve = mp.empirical_curve(out, k=[1, 2, 10])
    per_problem = np.array([
        [0.0, 0.0, 0.0],
        [0.1, 1 - comb(9, 2) / comb(10, 2), 1.0],
        [0.5, 1 - comb(5, 2) / comb(10, 2), 1.0],
    ])
    expected = per_problem.mean(axis=0)
    np.testing.assert_allclose(curve["pass_at_k"], expected)
    np.testing.assert_allclose(curve["neg_log_pass_at_k"], -np.log(expected))


def test_empirical_curve_refuses_sequential_design():
    out = mp.Outcomes(problem=[0, 1], n=[60, 120], c=[1, 2], design="sequential")
    with pytest.raises(DesignError, match="sequential"):
        mp.empirical_curve(out)


@pytest.mark.parametrize(
    "args,name",
    [((10, 2, 3.5), "k"), ((10.5, 2, 3), "n"), ((10, 2.25, 3), "c"), ((10, np.nan, 3), "c"),
     ((10, 2, np.inf), "k"), ((10, 2, [3, 4.5]), "k"), ((10, "2", 3), "c")],
)
def test_pass_at_k_refuses_non_integer_counts(args, name):
    """k = 3.5 used to be read silently as k = 3; every argument is now checked by name."""
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        mp.pass_at_k(*args)
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        log_fail_at_k(*args)


def test_pass_at_k_accepts_integer_valued_floats():
    assert mp.pass_at_k(10.0, 2.0, 3.0) == mp.pass_at_k(10, 2, 3)
    np.testing.assert_array_equal(mp.pass_at_k(np.array([10.0]), 0, [5.0, 11.0]), [0.0, np.nan])
