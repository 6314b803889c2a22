"""Derived quantities on fake posteriors against closed forms — no MCMC."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import betaln

import monkeypower as mp
from monkeypower import estimands as est

BETA = mp.get_family("beta") if hasattr(mp, "get_family") else None
DRAWS = {"alpha": np.array([0.2, 0.3, 0.5]), "beta": np.array([2.0, 3.0, 8.0])}


def test_population_curve_is_betabinomial_zero_mass():
    k = np.array([1, 10, 1000, 10**6])
    ours = np.exp(est.population_log_fail(mp.get_family("beta"), DRAWS, k))
    for s in range(3):
        expected = stats.betabinom.pmf(0, k, DRAWS["alpha"][s], DRAWS["beta"][s])
        np.testing.assert_allclose(ours[s], expected, rtol=1e-10)


def test_forecast_is_weighted_posterior_predictive():
    n, c, w = np.array([100, 100, 50]), np.array([0, 7, 50]), np.array([3, 1, 2])
    k = np.array([10, 10_000])
    ours = est.forecast_log_fail(mp.get_family("beta"), DRAWS, k, n, c, w)
    for s in range(3):
        a, b = DRAWS["alpha"][s], DRAWS["beta"][s]
        per_pair = np.exp(betaln(a + c[:, None], b + n[:, None] - c[:, None] + k)
                          - betaln(a + c[:, None], b + n[:, None] - c[:, None]))
        expected = np.log((w[:, None] * per_pair).sum(0) / w.sum())
        np.testing.assert_allclose(ours[s], expected, rtol=1e-10)


def test_effective_exponent_is_ols_on_the_curve_and_differs_from_alpha():
    family = mp.get_family("beta")
    window = (1, 10_000)
    ours = est.effective_exponent(family, DRAWS, window)
    grid = mp.reference_k_grid(10_000)
    for s in range(3):
        fail = stats.betabinom.pmf(0, grid, DRAWS["alpha"][s], DRAWS["beta"][s])
        slope = np.polyfit(np.log(grid), np.log(-np.log1p(-fail)), 1)[0]
        assert ours[s] == pytest.approx(-slope, rel=1e-8)
    assert not np.allclose(ours, DRAWS["alpha"], rtol=0.05)  # the estimand mismatch of BRIEF §4


def test_attempts_for_target_is_the_smallest_k():
    family = mp.get_family("beta")
    k = est.attempts_for_target(family, DRAWS, 0.5, curve="population")
    for s in range(3):
        a, b = DRAWS["alpha"][s], DRAWS["beta"][s]
        assert 1 - stats.betabinom.pmf(0, k[s], a, b) >= 0.5
        assert 1 - stats.betabinom.pmf(0, k[s] - 1, a, b) < 0.5


def test_estimand_rows_follow_the_interval_convention():
    rng = np.random.default_rng(0)
    draws = est.EstimandDraws("asymptotic_exponent", "power_law", rng.normal(0.3, 0.05, (4, 500)))
    row = draws.rows()[0]
    assert {"eti95_lower", "eti95_upper"} <= set(row)
    flat = draws.draws.ravel()
    assert row["eti95_lower"] == pytest.approx(np.quantile(flat, 0.025))
    with mp.interval_convention(0.9, "hdi"):
        row = draws.rows()[0]
        assert {"hdi90_lower", "hdi90_upper"} <= set(row)
    assert 0.99 < row["r_hat"] < 1.01 and row["ess_bulk"] > 1000


def test_measured_pass_predictive_matches_brute_force_simulation():
    """The predictive of the measured pass_D@K against simulating p_i | data and the attempts."""
    family = mp.get_family("beta")
    a, b = 0.3, 3.0
    n, c, w = np.array([100, 100]), np.array([0, 4]), np.array([30, 5])
    K, M_total, S = 2_000, 120, 40_000
    params = {"alpha": np.full(S, a), "beta": np.full(S, b)}
    ours = est.measured_neg_log_pass(family, params, K, n, c, w, n_problems=M_total,
                                     rng=np.random.default_rng(0))
    solved_ours = np.rint(M_total * np.exp(-ours))
    rng = np.random.default_rng(1)
    p_unsolved = rng.beta(a, b + 100, size=(S, 30))  # p | 0 of 100
    later = rng.binomial(K - 100, p_unsolved) > 0
    p_new = rng.beta(a, b, size=(S, M_total - 35))
    fresh = rng.binomial(K, p_new) > 0
    solved_brute = 5 + later.sum(1) + fresh.sum(1)
    assert solved_ours.mean() == pytest.approx(solved_brute.mean(), rel=0.01)
    assert solved_ours.var() == pytest.approx(solved_brute.var(), rel=0.05)
    # its mean is the expected curve of the same benchmark (seen problems' forecast + population)
    fail_seen = np.exp(est.forecast_log_fail(family, params, [K - 100], n[:1], c[:1], w[:1]))
    fail_new = np.exp(est.population_log_fail(family, params, [K]))
    expected = 5 + 30 * (1 - fail_seen[0, 0]) + (M_total - 35) * (1 - fail_new[0, 0])
    assert solved_ours.mean() == pytest.approx(expected, rel=0.01)
    # negative control: leaving out one noise source (the unseen problems) is detected
    seen_only = est.measured_neg_log_pass(family, params, K, n, c, w,
                                          rng=np.random.default_rng(0))
    solved_seen = np.rint(35 * np.exp(-seen_only))
    brute_seen = 5 + later.sum(1)
    assert solved_seen.var() == pytest.approx(brute_seen.var(), rel=0.05)
    assert solved_seen.var() < 0.8 * solved_brute.var()


def test_measured_pass_refuses_impossible_totals():
    family = mp.get_family("beta")
    with pytest.raises(ValueError, match="below the largest n"):
        est.measured_neg_log_pass(family, DRAWS, 50, np.array([100]), np.array([1]),
                                  np.array([3]), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="problems already seen"):
        est.measured_neg_log_pass(family, DRAWS, 200, np.array([100]), np.array([1]),
                                  np.array([3]), n_problems=2, rng=np.random.default_rng(0))


def test_the_registry_is_the_one_list_of_estimands():
    """Fit, the stacked comparison and the JSON schema doc all follow ESTIMANDS."""
    import pathlib
    import re

    from monkeypower.estimands import ESTIMANDS, STACKABLE

    doc = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "json_schema.md").read_text()
    documented = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", doc.split("## Estimands")[1], re.M))
    assert documented == {name: e.definition for name, e in ESTIMANDS.items()}
    for name in ESTIMANDS:
        assert callable(getattr(mp.Fit, name)), f"Fit has no method for estimand {name}"
    assert set(STACKABLE) <= set(ESTIMANDS)
