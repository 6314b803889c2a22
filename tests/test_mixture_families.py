"""Zero-inflated (scaled) Beta and the two-component Beta mixture: closed forms, the
pi0 -> 0 limit, label ordering and the shape of their tails (plateau; smallest alpha wins)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy.special import gammaln

from _mp_oracles import MP_DPS, _assert_close, _local_slope, mp_beta_log_moment
from monkeypower.families import get_family

ZIB = get_family("zero_inflated_beta")
ZISB = get_family("zero_inflated_scaled_beta")
MIX = get_family("beta_mixture")
BETA = get_family("beta")

# one parameter point per family (natural parameters) for the closed-form checks below
EXAMPLES = {
    "zero_inflated_beta": {"pi0": 0.2, "alpha": 0.3, "beta": 3.0},
    "zero_inflated_scaled_beta": {"pi0": 0.2, "alpha": 0.3, "beta": 3.0, "scale": 0.4},
    "beta_mixture": {"tail_weight": 0.3, "alpha_tail": 0.2, "beta_tail": 20.0,
                     "alpha_body": 1.5, "beta_body": 3.0},
}


ZI_COUNTS = np.array([(0, 0), (0, 1), (0, 1e6), (0, 4e6), (3, 97), (37, 9963), (1e4, 0)], float)


@pytest.mark.parametrize("fam", [ZIB, ZISB], ids=lambda f: f.name)
def test_zero_inflated_closed_form_and_limit(fam):
    base = fam.base
    theta = {k: v for k, v in EXAMPLES[fam.name].items() if k != "pi0"}
    c, f = ZI_COUNTS.T
    l_base = base.log_moment(c, f, theta)
    for pi0 in (0.0, 1e-12, 0.3, 0.999):
        got = fam.log_moment(c, f, {"pi0": pi0, **theta})
        with mpmath.workdps(MP_DPS):
            expect = [
                float(mpmath.log(pi0 * (ci == 0)
                                 + (1 - mpmath.mpf(pi0)) * mpmath.exp(mpmath.mpf(lb))))
                for ci, lb in zip(c, l_base, strict=True)
            ]
        _assert_close(got, expect, 1e-13, (fam.name, pi0))
    # pi0 -> 0 reduces to the base family (exactly at 0)
    np.testing.assert_array_equal(fam.log_moment(c, f, {"pi0": 0.0, **theta}), l_base)
    near = fam.log_moment(c, f, {"pi0": 1e-300, **theta})
    np.testing.assert_allclose(near, l_base, rtol=1e-15, atol=0)
    # c > 0 never sees the point mass: log(1 - pi0) + L_base
    got = fam.log_moment(c, f, {"pi0": 0.25, **theta})
    mask = c > 0
    np.testing.assert_allclose(got[mask], math.log(0.75) + l_base[mask], rtol=1e-15)


def test_mixture_equals_weighted_sum_of_betas():
    theta = EXAMPLES["beta_mixture"]
    c, f = ZI_COUNTS.T
    got = MIX.log_moment(c, f, theta)
    with mpmath.workdps(MP_DPS):
        w = mpmath.mpf(theta["tail_weight"])
        expect = [
            float(mpmath.log(
                w * mpmath.exp(mp_beta_log_moment(ci, fi, theta["alpha_tail"], theta["beta_tail"]))
                + (1 - w) * mpmath.exp(
                    mp_beta_log_moment(ci, fi, theta["alpha_body"], theta["beta_body"]))))
            for ci, fi in zip(c, f, strict=True)
        ]
    _assert_close(got, expect, 1e-12, "mixture")
    # a degenerate mixture (equal components) is the Beta itself
    same = {"tail_weight": 0.4, "alpha_tail": 0.7, "beta_tail": 2.0,
            "alpha_body": 0.7, "beta_body": 2.0}
    np.testing.assert_allclose(MIX.log_moment(c, f, same),
                               BETA.log_moment(c, f, {"alpha": 0.7, "beta": 2.0}), rtol=1e-13)


def test_mixture_labels_are_ordered_by_mean():
    rng = np.random.default_rng(0)
    draws = {
        "tail_weight": rng.uniform(0, 1, 1000), "alpha_tail": rng.lognormal(-1.2, 1, 1000),
        "alpha_body": rng.lognormal(0, 1, 1000), "mean_body": rng.uniform(0, 1, 1000),
        "mean_ratio": rng.beta(1, 3, 1000),
    }
    nat = MIX.natural_params(draws)
    mean_tail = nat["alpha_tail"] / (nat["alpha_tail"] + nat["beta_tail"])
    mean_body = nat["alpha_body"] / (nat["alpha_body"] + nat["beta_body"])
    assert np.all(mean_tail < mean_body)
    np.testing.assert_allclose(mean_body, draws["mean_body"], rtol=1e-12)
    np.testing.assert_allclose(mean_tail / mean_body, draws["mean_ratio"], rtol=1e-12)




def test_mixture_tail_smallest_alpha_wins():
    theta = dict(EXAMPLES["beta_mixture"])  # alpha_tail 0.2 < alpha_body 1.5
    tail = MIX.tail(theta)
    w = theta["tail_weight"]
    expect = w * math.exp(gammaln(theta["alpha_tail"] + theta["beta_tail"])
                          - gammaln(theta["beta_tail"]))
    assert tail.kind == "power_law" and float(tail.exponent) == 0.2
    assert float(tail.prefactor) == pytest.approx(expect, rel=1e-12)
    k = 1e10
    slope, log_fail = _local_slope(MIX, theta, k)
    assert slope == pytest.approx(0.2, rel=1e-6)
    assert math.exp(log_fail) * k**0.2 == pytest.approx(expect, rel=1e-6)
    # the body wins when its alpha is smaller
    swapped = {**theta, "alpha_tail": 2.5, "alpha_body": 0.4}
    tail = MIX.tail(swapped)
    expect_b = (1 - w) * math.exp(gammaln(0.4 + 3.0) - gammaln(3.0))
    assert float(tail.exponent) == 0.4
    assert float(tail.prefactor) == pytest.approx(expect_b, rel=1e-12)
    assert _local_slope(MIX, swapped, k)[0] == pytest.approx(0.4, rel=1e-6)
    # equal alphas: the prefactors add
    equal = {**theta, "alpha_tail": 0.5, "alpha_body": 0.5}
    pref = (w * math.exp(gammaln(20.5) - gammaln(20.0))
            + (1 - w) * math.exp(gammaln(3.5) - gammaln(3.0)))
    assert float(MIX.tail(equal).prefactor) == pytest.approx(pref, rel=1e-12)
    # vectorised over draws
    draws = {k: np.array([v, v]) for k, v in theta.items()}
    draws["alpha_body"] = np.array([1.5, 0.1])
    np.testing.assert_array_equal(MIX.tail(draws).exponent, [0.2, 0.1])


@pytest.mark.parametrize("fam", [ZIB, ZISB], ids=lambda f: f.name)
def test_zero_inflated_tail_is_a_plateau(fam):
    theta = EXAMPLES[fam.name]
    tail = fam.tail(theta)
    assert tail.kind == "plateau"
    assert float(tail.exponent) == 0.0 and float(tail.prefactor) == theta["pi0"]
    fails = np.exp(fam.log_moment(0.0, np.array([1e2, 1e6, 1e10, 1e14]), theta))
    assert np.all(np.diff(fails) < 0) and np.all(fails > theta["pi0"])
    # the approach to the plateau is the base family's power law
    base_tail = fam.base.tail({k: v for k, v in theta.items() if k != "pi0"})
    excess = fails[-1] - theta["pi0"]
    expect = (1 - theta["pi0"]) * float(base_tail.prefactor) * 1e14 ** -theta["alpha"]
    assert excess == pytest.approx(expect, rel=1e-6)
    # the curve has flattened: local slope alpha * excess / (pi0 + excess) -> 0
    slope = _local_slope(fam, theta, 1e14)[0]
    assert slope == pytest.approx(theta["alpha"] * excess / fails[-1], rel=1e-2) and slope < 1e-3
    draws = fam.tail({k: np.full(3, v) for k, v in theta.items()})
    assert draws.exponent.shape == (3,) and np.all(draws.prefactor == theta["pi0"])

