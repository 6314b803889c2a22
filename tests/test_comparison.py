"""Side-by-side diagnostics: paired estimand rows and figures (monkeypower.comparison)."""

from __future__ import annotations

import copy

import matplotlib
import numpy as np
import pytest

import monkeypower
from monkeypower.comparison import plot_population, plot_scaling, side_by_side


@pytest.fixture(scope="module")
def data_and_fit():
    out = monkeypower.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=128,
                               n_attempts=1000, seed=0)
    import warnings

    from monkeypower.diagnostics import SamplingWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        fit = monkeypower.fit(out, "beta", seed=1, draws=300, tune=300, chains=2,
                              progressbar=False)
    return out, fit


pytestmark = pytest.mark.filterwarnings("ignore::monkeypower.diagnostics.SamplingWarning")


def test_side_by_side_pairs_each_estimand(data_and_fit):
    out, fit = data_and_fit
    table = side_by_side(out, fit, max_draws=100)
    assert list(table.columns[:6]) == ["estimator", "estimand", "detail", "estimate", "lower",
                                       "upper"]
    assert table.attrs["interval"] == monkeypower.intervals.get_interval().to_dict()
    assert table.attrs["horizon"] == 10_000
    bayes = table["estimator"].str.startswith("bayesian")
    for pair, group in table.groupby("pair"):
        base, post = group[~bayes[group.index]], group[bayes[group.index]]
        assert len(base) == 1 and len(post) >= 1, pair
        assert set(post["estimand"]) == set(base["estimand"]), pair
        assert np.isnan(base[["lower", "upper"]].to_numpy()).all()  # no bootstrap asked
        assert (post["lower"] <= post["estimate"]).all()
        assert (post["estimate"] <= post["upper"]).all()
    baseline_pairs = set(
        zip(table.loc[~bayes, "estimator"], table.loc[~bayes, "estimand"], strict=True)
    )
    assert baseline_pairs == {
        ("least_squares", "effective_exponent"),
        ("discretized_beta", "asymptotic_exponent"),
        ("beta_binomial_mle", "asymptotic_exponent"),
        ("least_squares", "forecast_pass_at_k"),
        ("discretized_beta", "forecast_pass_at_k"),
        ("beta_binomial_mle", "forecast_pass_at_k"),
    }
    # the posterior asymptotic exponent is near the truth (alpha = 0.3)
    asym = table[bayes & (table["estimand"] == "asymptotic_exponent")]["estimate"].iloc[0]
    assert 0.15 < asym < 0.5


def test_side_by_side_interval_and_bootstrap(data_and_fit):
    out, fit = data_and_fit
    table = side_by_side(out, fit, estimators=("least_squares",), interval=0.5, bootstrap=20,
                         seed=3, horizon=5000, max_draws=100)
    assert table.attrs["interval"]["prob"] == 0.5
    lsq = table[(table["estimator"] == "least_squares")
                & (table["estimand"] == "effective_exponent")]
    assert np.isfinite(lsq[["lower", "upper"]].to_numpy()).all()
    assert "K = 5,000" in " ".join(table["detail"])
    with pytest.raises(ValueError, match="unknown estimator"):
        side_by_side(out, fit, estimators=("nope",))


def test_plots_save_without_touching_rcparams(data_and_fit, tmp_path):
    out, fit = data_and_fit
    before = copy.deepcopy(dict(matplotlib.rcParams))
    fig1 = plot_scaling(out, fit)
    fig2 = plot_population(out, fit, max_draws=50, samples_per_draw=500)
    for name, fig in (("scaling.png", fig1), ("population.png", fig2)):
        path = tmp_path / name
        fig.savefig(path)
        assert path.stat().st_size > 0
    # the legend sits below the axes (a figure legend); labels may wrap onto several lines
    labels = [t.get_text().replace("\n  ", " ") for t in fig1.legends[0].get_texts()]
    assert any("in-sample forecast" in s for s in labels)
    assert any(s.startswith("LSQ power law (effective exponent b =") for s in labels)
    labels2 = [t.get_text().replace("\n  ", " ") for t in fig2.legends[0].get_texts()]
    assert any(s.startswith("c = 0 (") for s in labels2)
    assert fig1.axes[0].get_xscale() == "log" and fig2.axes[0].get_xscale() == "log"
    assert dict(matplotlib.rcParams) == before
