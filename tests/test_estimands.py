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
