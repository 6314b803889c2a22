"""Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788): the rank machinery
against hand computations (fast), and SBC of the Beta model with a negative control that must
be flagged (slow: 40 simulations per run, one compiled model shared by both runs)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from scipy import stats

import monkeypower as mp
from _layout import layout_problems
from monkeypower.evaluation.calibration.figure import fractional_ranks
from monkeypower.evaluation.calibration.ranks import (
    rank_bins,
    rank_of_truth,
    thin_draws,
    uniformity_test,
)
from monkeypower.evaluation.calibration.sbc import prior_draws
from monkeypower.fitting.spec import resolve_model

L = 39
SBC_KW = dict(n_problems=16, n_attempts=100, n_sims=40, seed=1, draws=200, tune=200,
              chains=2, n_rank_draws=L)
# the simulating prior's alpha ~ e^1.5 = 4.5, 2.7 prior sd above the fitted prior's centre
# e^-1.2 = 0.3: with 16 problems the posterior is pulled down, so the truth ranks high
WRONG_ALPHA = {"alpha": {"distribution": "LogNormal", "mu": 1.5, "sigma": 0.1}}


def test_thinning_ranks_and_bins_by_hand():
    draws = np.arange(20.0).reshape(2, 10)  # chain-major: 0..9, 10..19
    assert list(thin_draws(draws, 4)) == [0.0, 6.0, 13.0, 19.0]  # round(linspace(0, 19, 4))
    with pytest.raises(ValueError, match="cannot be thinned"):
        thin_draws(draws, 21)
    generator = np.random.default_rng(0)
    assert rank_of_truth(np.array([0.1, 0.5, 0.9]), 0.6, generator) == 2
    tied = [rank_of_truth(np.array([0.1, 0.5, 0.5, 0.9]), 0.5, generator) for _ in range(300)]
    assert set(tied) == {1, 2, 3}  # 1 below, 2 ties: 1 + U{0, 1, 2}
    assert rank_bins(99, 40) == 5 and rank_bins(99, 60) == 10 and rank_bins(99, 5000) == 20
    assert rank_bins(39, 40) == 8 and rank_bins(39, 10) == 2


def test_uniformity_test_is_pearson_chi_square():
    ranks = np.array([0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7])  # L = 7: values 0..7, 2 bins of 4
    statistic, p_value = uniformity_test(ranks, 7, 2)
    counts = np.array([4, 8])  # ranks 0-3 | 4-7
    expected = (counts - 6.0) ** 2 / 6.0
    assert statistic == pytest.approx(expected.sum())
    assert p_value == pytest.approx(stats.chi2.sf(expected.sum(), df=1))
    u = fractional_ranks(np.array([0, 7]), 7, np.random.default_rng(1))
    assert 0 <= u[0] < 1 / 8 and 7 / 8 <= u[1] < 1


def test_prior_draws_follow_the_spec():
    model = resolve_model("beta")
    draws = prior_draws(model, 4000, seed=3)
    assert np.array_equal(draws["alpha"], prior_draws(model, 4000, seed=3)["alpha"])
    # alpha ~ LogNormal(-1.2, 1), mean ~ Beta(1, 1) (models/beta.toml); KS at 4,000 draws
    assert stats.kstest(draws["alpha"], stats.lognorm(s=1.0, scale=np.exp(-1.2)).cdf).pvalue > 1e-3
    assert stats.kstest(draws["mean"], stats.uniform().cdf).pvalue > 1e-3


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_sims must be a whole number of at least 10"):
        mp.sbc("beta", n_problems=8, n_attempts=10, n_sims=5, seed=0)
    with pytest.raises(ValueError, match="must be at least 2 and divide L"):
        mp.sbc("beta", n_problems=8, n_attempts=10, n_sims=20, seed=0, n_bins=3)
    with pytest.raises(ValueError, match="n_rank_draws = 500"):
        mp.sbc("beta", n_problems=8, n_attempts=10, n_sims=20, seed=0, draws=100,
               n_rank_draws=500)
    with pytest.raises(TypeError, match="seed"):
        mp.sbc("beta", n_problems=8, n_attempts=10, n_sims=20, seed=None)
    # each was truncated by int() before any check: 8.5 problems became 8
    for name, value in (("n_problems", 8.5), ("n_attempts", 0), ("draws", 99.5),
                        ("chains", True), ("n_bins", 2.5)):
        kwargs = {"n_problems": 8, "n_attempts": 10, "n_sims": 20, "seed": 0, name: value}
        with pytest.raises(ValueError, match=f"^{name} must be a whole number"):
            mp.sbc("beta", **kwargs)


@pytest.fixture(scope="module")
def calibrated():
    return mp.sbc("beta", **SBC_KW)


@pytest.fixture(scope="module")
def miscalibrated(calibrated):  # after `calibrated`: it reuses its compiled model
    return mp.sbc("beta", simulation_priors=WRONG_ALPHA, **SBC_KW)


@pytest.mark.slow
def test_sbc_of_the_beta_model_is_uniform(calibrated):
    tests = calibrated.tests.set_index("quantity")
    assert list(tests.index) == ["alpha", "mean", "beta", "b_inf"]
    assert calibrated.calibrated, calibrated.to_markdown()
    assert (tests.n_sims == 40).all() and (tests.n_bins == 8).all()
    # mean rank / L of 40 uniform ranks: sd 0.29 / sqrt(40) = 0.046; 3.5 sd either side
    assert tests.mean_rank_fraction.between(0.5 - 0.16, 0.5 + 0.16).all()
    ranks = calibrated.ranks
    assert ranks["rank"].between(0, L).all() and (ranks.error == "").all()
    # b_inf of a Beta is alpha: the same truth and the same ranks
    alpha = ranks[ranks.quantity == "alpha"].reset_index(drop=True)
    b_inf = ranks[ranks.quantity == "b_inf"].reset_index(drop=True)
    assert np.array_equal(alpha.truth, b_inf.truth) and alpha["rank"].equals(b_inf["rank"])
    summary = calibrated.summary()
    assert "thinning factor" in " ".join(summary.attrs["notes"])
    assert "ranks uniform for every quantity" in summary.attrs["title"]


@pytest.mark.slow
def test_negative_control_a_wrong_prior_is_flagged(miscalibrated):
    tests = miscalibrated.tests.set_index("quantity")
    assert not miscalibrated.calibrated
    assert not tests.loc["alpha", "uniform"] and not tests.loc["b_inf", "uniform"]
    assert tests.loc["alpha", "mean_rank_fraction"] > 0.7  # truth above the posterior
    assert "NON-UNIFORM" in miscalibrated.summary().attrs["title"]
    assert "LogNormal(mu=1.5, sigma=0.1)" in " ".join(miscalibrated.notes())


@pytest.mark.slow
def test_rank_ecdf_figure(calibrated, miscalibrated):
    before = dict(matplotlib.rcParams)
    for result in (calibrated, miscalibrated):
        for width in ("single", "double"):
            fig = result.plot(width=width)
            assert layout_problems(fig) == []
            assert sum(ax.get_visible() for ax in fig.axes) == 4
    titles = [ax.get_title() for ax in miscalibrated.plot().axes]
    assert any("non-uniform" in t for t in titles)
    assert dict(matplotlib.rcParams) == before
