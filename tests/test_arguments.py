"""One whole-number rule (monkeypower.arguments) for every count a user passes.

Before it, nine places had their own: ``fit(draws=1.5)`` sampled 1 draw per chain,
``cores=0`` reached the sampler, ``max_draws=0`` divided by zero and ``max_draws=True`` thinned
to one draw, ``stop_early(cap=40.0)`` was a TypeError while ``plan(budget=4e4)`` was fine.
"""

from __future__ import annotations

import numpy as np
import pytest

import monkeypower as mp
from monkeypower.arguments import whole_number, whole_numbers
from monkeypower.evaluation.backtest import paired_comparison
from monkeypower.evaluation.baselines import least_squares


@pytest.mark.parametrize("value,expected", [(3, 3), (3.0, 3), (1e5, 100_000),
                                            (np.int32(7), 7), (np.float64(2.0), 2)])
def test_whole_numbers_pass_as_ints(value, expected):
    out = whole_number(value, "x")
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value,message", [
    (1.5, "x must be a whole number, got 1.5"),
    (True, "x must be a whole number, got True"),
    ("3", "x must be a whole number, got '3'"),
    (float("nan"), "x must be a whole number, got nan"),
    (float("inf"), "x must be a whole number, got inf"),
    (None, "x must be a whole number, got None"),
    (0, "x must be a whole number of at least 1, got 0"),
])
def test_anything_else_is_refused_by_name(value, message):
    with pytest.raises(ValueError, match=f"^{message}$".replace("(", r"\(")):
        whole_number(value, "x", 1)


def test_arrays_name_the_first_offending_position():
    np.testing.assert_array_equal(whole_numbers([1, 2.0, 3e3], "n"), [1, 2, 3000])
    assert whole_numbers(5, "n").shape == ()
    for values, message in [([1, 2.5, 3.5], r"got 2.5 \(position 1\)"),
                            ([[1, 2], [3, 0]], r"at least 1, got 0 \(position 3\)"),
                            ([1.0, 2.0**63], r"got 9.223372036854776e\+18 \(position 1\)"),
                            ([1.0, np.nan], r"got nan \(position 1\)"),
                            ([True, False], r"must be whole numbers, got \[True, False\]"),
                            (["a"], "must be whole numbers, got")]:
        with pytest.raises(ValueError, match=message):
            whole_numbers(values, "n", 1)


@pytest.fixture(scope="module")
def small():
    data = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=40, n_attempts=100, seed=1)
    return data, mp.fit(data, "beta", seed=1, draws=200, tune=200, chains=2, progressbar=False)


def test_every_caller_uses_the_rule(small):
    data, fit = small
    calls = {
        "draws": lambda: mp.fit(data, "beta", seed=1, draws=1.5, progressbar=False),
        "cores": lambda: mp.fit(data, "beta", seed=1, cores=0, progressbar=False),
        "max_draws": lambda: fit.forecast_pass_at_k([10], max_draws=0),
        "design batch_size": lambda: mp.Design("sequential", batch_size=2.5, cap=100),
        "n_boot": lambda: paired_comparison(mp.backtest(
            data, estimators=["least_squares", "discretized_beta"], attempts=[50],
            problems=[40], seeds=[0]).table, n_boot=1.5),
        "k": lambda: least_squares(data, k=[2, 2.5]),
        "each value of attempts": lambda: mp.backtest(data, estimators=["least_squares"],
                                                      attempts=[50.5], problems=[40],
                                                      seeds=[0]),
        "n_problems": lambda: mp.simulate("beta", {"alpha": 1, "beta": 1}, n_problems=True,
                                          n_attempts=5, seed=1),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=f"^{name} must be (a whole number|whole numbers)"):
            call()
    with pytest.raises(ValueError, match="^max_draws must be a whole number, got True"):
        mp.posterior_predictive(fit, seed=1, max_draws=True)


def test_whole_floats_are_counts_everywhere(small):
    data, fit = small
    assert fit.forecast_pass_at_k([10], max_draws=50.0).draws.shape[:2] == (2, 50)
    assert mp.Design("sequential", batch_size=20.0, cap=1e2).cap == 100
    assert mp.stop_early(mp.simulate("beta", {"alpha": 1, "beta": 2}, n_problems=5,
                                      n_attempts=0, seed=1,
                                      design=mp.Design("sequential", batch_size=20, cap=100)),
                         40.0).max_attempts <= 40


def test_an_optional_seed_is_the_fits_or_a_checked_one(small):
    """Post-fit draws that may take their own seed (plans, predictive checks, draws of p):
    1.5 was read as 1, True as 1 and -1 failed inside NumPy."""
    _, fit = small
    calls = {
        "plan": lambda seed: mp.plan(fit, 100, seed=seed),
        "posterior_predictive": lambda seed: mp.posterior_predictive(fit, seed=seed,
                                                                     max_draws=20),
        "problem_posterior": lambda seed: fit.problem_posterior(seed=seed),
    }
    for name, call in calls.items():
        for bad, error in ((1.5, TypeError), (True, TypeError), (-1, ValueError)):
            with pytest.raises(error, match="seed must be"):
                call(bad)
        assert call(None) is not None and call(7) is not None, name  # the fit's, or 7
    with pytest.raises(TypeError, match=r"seed must be an int \(campaigns must be reproducible"):
        mp.simulate_campaign(mp.KnownPopulation("beta", {"alpha": 0.3, "beta": 3}, 20),
                             rounds=1, budget=100, initial=10, seed=2.5, model="beta")
    with pytest.raises(ValueError, match="rounds must be a whole number of at least 0, got -1"):
        mp.simulate_campaign(mp.KnownPopulation("beta", {"alpha": 0.3, "beta": 3}, 20),
                             rounds=-1, budget=100, initial=10, seed=2, model="beta")
