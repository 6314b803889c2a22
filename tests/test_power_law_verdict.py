"""The power-law verdict and LOO's choice of family on simulated data (slow statistical tier).

Fixed seeds, M = 500 problems × n = 1,000 attempts (the setting the issue asks the rates for).
The full table of recovery rates for every family is produced by benchmarks/loo_recovery.py.
"""

from __future__ import annotations

import warnings

import pytest

import monkeypower as mp
from monkeypower.evaluation.comparison import power_law_verdict
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.fitting.loo import LOOWarning

pytestmark = pytest.mark.slow

FIT = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}
# one family of each tail kind (the scaled Beta of the default set is slower to sample)
MODELS = ("beta", "logit_normal", "zero_inflated_beta")
M, N = 500, 1000
SEEDS = range(6)  # LOO's pick over seeds (test_loo_recovery.py)


def _quiet_fit(data, model, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return mp.fit(data, model, seed=seed, **FIT)


def _compare(fits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LOOWarning)
        return mp.compare(fits)


@pytest.fixture(scope="module")
def beta_data():
    return mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=M, n_attempts=N, seed=7)


@pytest.fixture(scope="module")
def logit_normal_data():
    return mp.simulate("logit_normal", {"mu": -2.0, "sigma": 1.0}, n_problems=M, n_attempts=N,
                       seed=8)


def _verdict(data, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        warnings.simplefilter("ignore", LOOWarning)
        return power_law_verdict(data, seed=seed, models=MODELS, **FIT)


def test_beta_population_gets_a_power_law(beta_data):
    verdict = _verdict(beta_data, seed=1)
    assert verdict.verdict == "power law", verdict.reason
    assert verdict.tail == "power_law"
    assert verdict.elpd_diff > 2 * verdict.dse
    exponent = verdict.exponent()
    assert exponent is not None and abs(float(exponent.median()) - 0.3) < 0.06
    assert "ELPD" in verdict.reason and verdict.to_dict()["verdict"] == "power law"


def test_logit_normal_population_gets_no_power_law(logit_normal_data):
    verdict = _verdict(logit_normal_data, seed=2)
    assert verdict.verdict == "no power law", verdict.reason
    assert verdict.tail == "faster_than_power_law"
    assert verdict.best_light == "logit_normal"
    assert verdict.exponent() is None


def test_ties_within_two_standard_errors_are_inconclusive(beta_data):
    verdict = _verdict(beta_data, seed=1)  # same fits as above: the runner cache is warm
    strict = power_law_verdict(verdict.comparison, z_threshold=abs(verdict.elpd_diff)
                               / verdict.dse + 0.5)
    assert strict.verdict == "inconclusive"
    assert strict.elpd_diff == pytest.approx(verdict.elpd_diff)


def test_verdict_without_a_light_family_is_inconclusive(beta_data):
    fits = {"beta": _quiet_fit(beta_data, "beta", 3),
            "zero_inflated_beta": _quiet_fit(beta_data, "zero_inflated_beta", 4)}
    verdict = power_law_verdict(_compare(fits))
    assert verdict.verdict == "inconclusive" and "lighter" in verdict.reason
