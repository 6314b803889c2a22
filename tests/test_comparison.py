"""Side-by-side diagnostics (monkeypower.evaluation.side_by_side): paired estimand rows, each
row the value of the estimand it names, the result protocol, and the figures that go with it."""

from __future__ import annotations

import copy
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import monkeypower
from monkeypower.evaluation import baselines
from monkeypower.evaluation.side_by_side import SideBySide, side_by_side
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.output.figures import plot_population, plot_scaling


@pytest.fixture(scope="module")
def data_and_fit():
    out = monkeypower.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=128,
                               n_attempts=1000, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        fit = monkeypower.fit(out, "beta", seed=1, draws=300, tune=300, chains=2,
                              progressbar=False)
    return out, fit


pytestmark = pytest.mark.filterwarnings("ignore::monkeypower.fitting.diagnostics.SamplingWarning")


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
    with pytest.raises(ValueError, match="whole numbers of attempts"):  # was read as (1, 100)
        side_by_side(out, fit, window=(1.5, 100))


def test_side_by_side_rows_equal_the_named_estimands(data_and_fit):
    # every row holds the value of the estimand it names: for the Bayesian rows the fit's own
    # estimand median, for the baselines the baseline's value (forecast_pass_at_k is pass_D@K
    # itself, not -log pass_D@K)
    out, fit = data_and_fit
    result = side_by_side(out, fit, max_draws=100)
    K, win = result.horizon, result.window
    assert (K, win) == (10_000, (1, 1000))
    effective = {d.detail: float(d.median())
                 for d in (fit.effective_exponent(win, curve=c, max_draws=100)
                           for c in ("population", "forecast"))}
    assert len(effective) == 2  # the detail tells the two curves apart
    bayes_value = {
        "asymptotic_exponent": lambda detail: float(fit.asymptotic_exponent().median()),
        "effective_exponent": lambda detail: effective[detail],
        "forecast_pass_at_k":
            lambda detail: float(fit.forecast_pass_at_k(K, max_draws=100).median()[0]),
    }
    direct = {
        "least_squares": baselines.least_squares(out, window=win),
        "discretized_beta": baselines.discretized_beta(out),
        "beta_binomial_mle": baselines.beta_binomial_mle(out, window=win),
    }
    baseline_value = {
        "asymptotic_exponent": lambda res: res.estimate,
        "effective_exponent": lambda res: res.estimate,
        "forecast_pass_at_k": lambda res: res.forecast_pass_at_k(K),
    }
    table = result.summary()
    for row in table.itertuples(index=False):
        if row.estimator.startswith("bayesian"):
            expected = bayes_value[row.estimand](row.detail)
        else:
            expected = baseline_value[row.estimand](direct[row.estimator])
        assert row.estimate == pytest.approx(expected, rel=1e-12), row
    forecasts = table[table["estimand"] == "forecast_pass_at_k"]
    assert len(forecasts) == 6
    assert forecasts["detail"].str.startswith("pass_D@K, K = 10,000").all()
    # pass_D@K, not -log pass_D@K (the row once held 0.068 for a pass_D@K of 0.934)
    assert ((forecasts["estimate"] > 0.5) & (forecasts["estimate"] < 1)).all()
    for res in direct.values():
        assert res.forecast_pass_at_k(K) == pytest.approx(
            np.exp(-res.forecast_neg_log_pass(K)), rel=1e-12)


def test_side_by_side_follows_the_result_protocol(data_and_fit):
    out, fit = data_and_fit
    result = side_by_side(out, fit, estimators=("least_squares", "beta_binomial_mle"),
                          max_draws=100)
    assert isinstance(result, SideBySide)
    table = result.summary()
    assert isinstance(table, pd.DataFrame)
    assert "same estimand" in table.attrs["title"]
    assert table.attrs["interval"] == monkeypower.intervals.get_interval().to_dict()
    assert any("K = 10,000" in note for note in table.attrs["notes"])
    assert [r.estimator for r in result.baselines] == ["least_squares", "beta_binomial_mle"]
    text = str(result)
    assert text.startswith("**Baselines beside the posterior") and "| estimator |" in text
    assert "<table" in result._repr_html_()
    assert "\\begin{table}" in result.to_latex()
    assert result.to_dict()["rows"][0]["estimator"] == "least_squares"
    # the DataFrame API of the former return value still works
    assert len(result) == len(table)
    assert list(result.columns) == list(table.columns)
    pd.testing.assert_frame_equal(result.drop(columns="pair"), table.drop(columns="pair"))
    pd.testing.assert_series_equal(result["estimate"], table["estimate"])
    assert result.attrs["horizon"] == 10_000


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
