"""Model comparison by leave-one-problem-out PSIS-LOO: the compressed computation against
ArviZ on the materialised array, memory at 10^5 problems, Pareto-k warnings (with a negative
control), stacking and reports. The verdict and family-recovery tiers are in
test_power_law_verdict.py."""

from __future__ import annotations

import warnings

import arviz_stats as azs
import numpy as np
import pytest

import monkeypower as mp
from monkeypower.evaluation.comparison import ModelComparison
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.fitting.loo import LOOWarning, problem_loo

FIT = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def data():
    return mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=300, n_attempts=500,
                       seed=11)


@pytest.fixture(scope="module")
def fits(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return {"beta": mp.fit(data, "beta", seed=1, **FIT),
                "scaled_beta": mp.fit(data, "scaled_beta", seed=2, **FIT)}


@pytest.mark.parametrize("block_pairs", [None, 7])
def test_compressed_loo_equals_arviz_on_the_materialised_array(fits, block_pairs, monkeypatch):
    # block_pairs=7: PSIS on seven pairs at a time (a ragged last block) must not change a value
    from monkeypower.fitting import loo

    for one in fits.values():
        if block_pairs:
            n_samples = one.posterior.sizes["chain"] * one.posterior.sizes["draw"]
            monkeypatch.setattr(loo, "PAIR_BLOCK_VALUES", block_pairs * n_samples)
            assert one.stats.n_pairs % block_pairs
        ours = problem_loo(one, warn=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = azs.loo(one.to_datatree(), pointwise=True)
        assert ours.elpd == pytest.approx(reference.elpd, rel=1e-12)
        assert ours.se == pytest.approx(reference.se, rel=1e-10)
        assert ours.p == pytest.approx(reference.p, rel=1e-8)
        np.testing.assert_allclose(ours.elpd_i.values, reference.elpd_i.values, rtol=1e-12)
        np.testing.assert_allclose(ours.pareto_k.values, reference.pareto_k.values, rtol=1e-12)
        assert list(ours.elpd_i.problem.values) == list(one.outcomes.problem)


def test_compare_table_weights_and_differences(fits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LOOWarning)
        comparison = mp.compare(fits)
    table = comparison.table
    assert isinstance(comparison, ModelComparison)
    assert set(table.index) == {"beta", "scaled_beta"}
    assert table["elpd"].iloc[0] >= table["elpd"].iloc[1]
    assert sum(comparison.weights.values()) == pytest.approx(1.0, abs=1e-6)
    assert (table["tail"] == "power_law").all()
    # the difference and its paired SE, recomputed from the pointwise values
    worse, best = table.index[1], table.index[0]
    diff, se = comparison.difference(worse, best)
    assert diff == pytest.approx(table.loc[worse, "elpd_diff"], rel=1e-9)
    assert se == pytest.approx(table.loc[worse, "dse"], rel=1e-6)
    d = comparison.loo[worse].elpd_i.values - comparison.loo[best].elpd_i.values
    assert se == pytest.approx(np.sqrt(len(d) * d.var()), rel=1e-12)
    text = comparison.to_markdown()
    assert "one problem at a time" in text and "stacking" in text
    latex = comparison.to_latex()
    assert latex.count(r"\begin{") == latex.count(r"\end{") == 2 and r"\toprule" in latex
    assert "scaled\\_beta" in latex


def test_stacked_draws_follow_the_weights(fits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LOOWarning)
        comparison = mp.compare(fits, stacked=True)
    stacked = comparison.stacked("asymptotic_exponent")
    n_total = min(one.asymptotic_exponent().draws.size for one in fits.values())
    assert stacked.draws.shape == (1, n_total)
    # every stacked draw comes from one of the models, in proportion to the weights
    sources = {name: set(one.asymptotic_exponent().draws.ravel().tolist())
               for name, one in fits.items()}
    counts = {name: sum(v in pool for v in stacked.draws.ravel().tolist())
              for name, pool in sources.items()}
    for name, weight in comparison.weights.items():
        assert counts[name] == pytest.approx(weight * n_total, abs=1.5)
    again = comparison.stacked("asymptotic_exponent")
    np.testing.assert_array_equal(stacked.draws, again.draws)  # seeded
    table = comparison.stacked_table
    assert set(table.estimand) == {"asymptotic_exponent", "effective_exponent",
                                   "population_pass_at_k", "forecast_pass_at_k"}
    assert table.detail.str.contains("stacking of").all()


def test_compare_refuses_different_data(fits, data):
    other = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=300, n_attempts=500,
                        seed=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        third = mp.fit(other, "beta", seed=3, **FIT)
    with pytest.raises(ValueError, match="different data"):
        mp.compare({"a": fits["beta"], "b": third})
    with pytest.raises(ValueError, match="at least two"):
        mp.compare({"a": fits["beta"]})


def test_loo_at_1e5_problems_without_the_draws_by_problems_array():
    big = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=100_000, n_attempts=100,
                      seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        one = mp.fit(big, "beta", seed=1, **FIT)
    with pytest.raises(MemoryError, match="distinct"):
        one.to_datatree(max_elements=10_000_000)  # 600 draws × 1e5 problems = 6e7 values
    loo = one.loo()
    assert loo.elpd_i.shape == (100_000,)
    stats = one.stats
    pair_elpd = np.zeros(stats.n_pairs)
    pair_elpd[stats.pair_of_problem] = loo.elpd_i.values
    assert loo.elpd == pytest.approx(float((stats.weight * pair_elpd).sum()), rel=1e-12)


@pytest.fixture(scope="module")
def outlier_data():
    """A hard benchmark (p rarely above 0.05) plus one problem solved every time."""
    rng = np.random.default_rng(3)
    base = mp.simulate("beta", {"alpha": 0.5, "beta": 40}, n_problems=200, n_attempts=300,
                       seed=rng)
    n = np.append(base.n, 300)
    c = np.append(base.c, 300)
    return base, mp.from_counts({"problem": np.arange(len(n)), "n": n, "c": c})


def test_pareto_k_warning_names_the_outlying_problem(outlier_data):
    base, with_outlier = outlier_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        clean = mp.fit(base, "beta", seed=4, **FIT)
        dirty = mp.fit(with_outlier, "beta", seed=4, **FIT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LOOWarning)
        clean.loo()  # negative control: no problem stands out
    with pytest.warns(LOOWarning, match=r"problem 200 \(n=300, c=300"):
        loo = dirty.loo()
    assert loo.pareto_k.values[-1] > loo.good_k
    assert loo.warning


def test_comparison_figure_renders_and_leaves_matplotlib_alone(fits, tmp_path):
    import matplotlib

    before = dict(matplotlib.rcParams)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LOOWarning)
        comparison = mp.compare(fits)
    figure = comparison.plot()
    paths = mp.save_figure(figure, tmp_path / "compare")
    assert {p.suffix for p in paths} >= {".png", ".pdf"}
    assert all(p.stat().st_size > 1000 for p in paths)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert any("beta" in text and "power law" in text for text in labels)
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after.get(k)} == set()


@pytest.mark.slow
def test_cli_compare_writes_table_verdict_and_figure(tmp_path, data):
    import json

    from monkeypower.cli import main

    path = tmp_path / "counts.csv"
    import pandas as pd

    pd.DataFrame({"problem": data.problem, "n": data.n, "c": data.c}).to_csv(path, index=False)
    out = tmp_path / "out"
    code = main([
        "compare", str(path), "--problem", "problem", "--n", "n", "--c", "c",
        "--models", "beta", "logit_normal", "--seed", "3", "--draws", "300", "--tune", "300",
        "--chains", "2", "--no-progress", "--out", str(out),
    ])
    assert code == 0
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["verdict"] in {"power law", "no power law", "inconclusive"}
    assert set(verdict["loo"]) == {"beta", "logit_normal"}
    for name in ("comparison.md", "comparison.tex", "comparison.csv", "compare.png",
                 "compare.pdf"):
        assert (out / name).stat().st_size > 0


def test_compare_repeats_each_fits_sampler_problems(fits, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        # 1 chain x 50 draws cannot reach ESS 100 (ESS stays below ~1.5 x draws): a fit that
        # fails its own health checks
        short = mp.fit(data, "beta", seed=5, draws=50, tune=50, chains=1, progressbar=False)
    assert short.diagnostics.problems
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LOOWarning)
        comparison = mp.compare({"beta": fits["beta"], "short": short})
        clean = mp.compare(fits)
    assert any(text.startswith("short: ") for text in comparison.sampler_problems)
    assert "Sampler problems" in comparison.to_markdown()
    assert "Sampler problems" in comparison.to_latex()
    assert any("short" in note for note in comparison.summary().attrs["notes"])
    # negative control: fits that passed their checks produce no such note
    if not any(one.diagnostics.problems for one in fits.values()):
        assert "Sampler problems" not in clean.to_markdown()
