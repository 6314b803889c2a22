"""The backtest (Schaeffer, Kazdan et al., ICML 2025, arXiv:2502.17578): a small end-to-end run
on simulated Beta data, scores recomputed by hand, the figure, error rows, and refusal of
sequential designs. Fast tier (one batch of four tiny Bayesian fits, compiled once)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import monkeypower as mp
from _layout import layout_problems
from monkeypower.data.design import Design
from monkeypower.data.outcomes import OutcomesGroups
from monkeypower.data.subsample import subsample
from monkeypower.errors import DesignError
from monkeypower.estimands import EstimandDraws
from monkeypower.evaluation import baselines as bl
from monkeypower.evaluation.backtest import bayes as backtest_bayes

TRUTH = 0.3
ESTIMATORS = ("least_squares", "beta_binomial_mle", "bayes:beta")
ATTEMPTS = (100, 300)
PROBLEMS = (64,)
SEEDS = range(2)
REQUIRED = {
    "estimator", "estimand", "n_problems", "n_attempts", "seed", "estimate", "target",
    "relative_error", "forecast", "forecast_target", "squared_log_error", "interval_lower",
    "interval_upper", "covered", "relative_error_vs_truth", "exponent_covered", "sampler_ok",
    "error",
}


@pytest.fixture(scope="module")
def data():
    return mp.simulate("beta", {"alpha": TRUTH, "beta": 3}, n_problems=200, n_attempts=1000,
                       seed=20250217)


@pytest.fixture(scope="module")
def result(data):
    return mp.backtest(
        data, estimators=ESTIMATORS, attempts=ATTEMPTS, problems=PROBLEMS, seeds=SEEDS,
        truth=TRUTH, fit_kwargs={"draws": 200, "tune": 200, "chains": 2}, progress=False,
    )


def _row(table, estimator, n_attempts, seed):
    rows = table[(table.estimator == estimator) & (table.n_attempts == n_attempts)
                 & (table.seed == seed)]
    assert len(rows) == 1
    return rows.iloc[0]


def _subsample_by_hand(data, seed, m, n):
    """The documented subsampling: problems from [seed, M', 1], attempts from [seed, M', n', 2]."""
    chosen = subsample(data, n_problems=m, seed=np.random.default_rng([seed, m, 1]))
    return subsample(chosen, n_attempts=n, seed=np.random.default_rng([seed, m, n, 2]))


def test_table_shape_and_columns(result):
    table = result.table
    assert len(table) == len(ESTIMATORS) * len(ATTEMPTS) * len(PROBLEMS) * len(SEEDS)
    assert REQUIRED <= set(table.columns)
    assert list(table.estimator.unique()) == list(ESTIMATORS)
    assert (table.error == "").all(), table.error.tolist()
    assert result.horizon == 1000 and table.attrs["horizon"] == 1000
    assert set(table.estimand) == {"effective_exponent", "asymptotic_exponent"}
    assert (table.loc[table.estimator == "least_squares", "estimand"]
            == "effective_exponent").all()
    assert np.isfinite(table[["estimate", "relative_error", "squared_log_error"]]).all().all()


def test_least_squares_row_by_hand(result, data):
    row = _row(result.table, "least_squares", 300, 1)
    sub = _subsample_by_hand(data, 1, 64, 300)
    lsq = bl.least_squares(sub)
    assert row.estimate == pytest.approx(lsq.estimate, rel=1e-12)
    # effective exponent: against the same estimand on the full data, same window [1, n']
    target = bl.least_squares(data, window=(1, 300)).estimate
    assert row.target == pytest.approx(target, rel=1e-12)
    assert row.target_kind.startswith("full_data")
    assert row.relative_error == pytest.approx(abs(lsq.estimate - target) / target, rel=1e-10)
    # ... and against the truth (the estimand mismatch of least squares shows here)
    assert row.relative_error_vs_truth == pytest.approx(abs(lsq.estimate - TRUTH) / TRUTH)
    forecast_target = mp.empirical_curve(data, k=[1000])["neg_log_pass_at_k"].iloc[0]
    assert row.forecast_target == pytest.approx(forecast_target, rel=1e-12)
    assert row.forecast == pytest.approx(lsq.forecast_neg_log_pass(1000), rel=1e-12)
    expected = (np.log(row.forecast) - np.log(forecast_target)) ** 2
    assert row.squared_log_error == pytest.approx(expected, rel=1e-10)


def test_asymptotic_rows_are_scored_against_the_truth(result, data):
    row = _row(result.table, "beta_binomial_mle", 100, 0)
    mle = bl.beta_binomial_mle(_subsample_by_hand(data, 0, 64, 100))
    assert row.estimate == pytest.approx(mle.estimate, rel=1e-9)
    assert row.target == TRUTH and row.target_kind == "truth"
    assert row.relative_error == pytest.approx(abs(mle.estimate - TRUTH) / TRUTH, rel=1e-9)
    assert row.relative_error == row.relative_error_vs_truth
    bayes = result.table[result.table.estimator == "bayes:beta"]
    assert (bayes.target == TRUTH).all()
    assert np.allclose(bayes.relative_error, abs(bayes.estimate - TRUTH) / TRUTH)


def test_coverage_columns(result):
    table = result.table
    bayes = table.estimator == "bayes:beta"
    for column in ("covered", "covered_expected", "exponent_covered", "sampler_ok"):
        assert str(table[column].dtype) == "boolean"
        assert table.loc[bayes, column].notna().all()
        assert table.loc[~bayes, column].isna().all()
    b = table[bayes]
    assert ((b.interval_lower <= b.estimate) & (b.estimate <= b.interval_upper)).all()
    assert ((b.forecast_lower <= b.forecast) & (b.forecast <= b.forecast_upper)).all()
    inside = (b.forecast_lower <= b.forecast_target) & (b.forecast_target <= b.forecast_upper)
    assert (b.covered_expected.astype(bool) == inside).all()
    inside = ((b.predictive_lower <= b.forecast_target)
              & (b.forecast_target <= b.predictive_upper))
    assert (b.covered.astype(bool) == inside).all()
    # the predictive interval adds the noise of the unseen attempts and problems: it is wider
    assert ((b.predictive_upper - b.predictive_lower)
            > (b.forecast_upper - b.forecast_lower)).all()
    inside = (b.interval_lower <= TRUTH) & (TRUTH <= b.interval_upper)
    assert (b.exponent_covered.astype(bool) == inside).all()
    assert b.fit_seed.nunique() == len(b)
    assert table.loc[~bayes, ["interval_lower", "forecast_lower"]].isna().all().all()


def test_summary_and_markdown(result):
    summary = result.summary()
    assert len(summary) == len(ESTIMATORS) * len(ATTEMPTS)
    point = summary.estimator != "bayes:beta"
    assert summary.loc[point, "forecast_predictive_coverage"].isna().all()
    assert summary.loc[~point, "forecast_predictive_coverage"].between(0, 1).all()
    assert (summary.n_seeds == len(SEEDS)).all() and (summary.n_failed == 0).all()
    # every error and coverage column names the estimand it scores, and none is unexplained
    scored = [c for c in summary.columns if "error" in c or "coverage" in c]
    assert scored and all(c.startswith(("exponent_", "forecast_")) for c in scored)
    assert "estimand" not in summary.columns and "exponent_estimand" in summary.columns
    notes = " ".join(summary.attrs["notes"])
    for column in scored:
        assert column in notes or column.replace("_vs_truth", "") in notes, column
    assert "calibration check" in notes and "-log pass_D@K at K = 1,000" in notes
    text = result.to_markdown()
    assert "| estimator |" in text and "bayes:beta" in text and "K = 1,000" in text
    assert "- forecast_predictive_coverage: share of Bayesian posterior predictive" in text


def test_plot_draws_the_figure_without_touching_global_state(result, tmp_path):
    before = dict(matplotlib.rcParams)
    fig = result.plot()
    for width in ("single", "double"):  # text inside the canvas, legend clear of the data
        assert layout_problems(result.plot(width=width)) == []
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == len(ESTIMATORS)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    path = tmp_path / "backtest.png"
    fig.savefig(path)
    assert path.stat().st_size > 0
    own = Figure()
    axes = own.add_subplot()
    assert result.plot(ax=axes, metric="relative_error_vs_truth") is own
    assert len(axes.get_lines()) == len(ESTIMATORS)
    assert dict(matplotlib.rcParams) == before
    with pytest.raises(ValueError, match="metric"):
        result.plot(metric="mean_error")


def test_sequential_design_is_refused():
    seq = mp.simulate("beta", {"alpha": TRUTH, "beta": 3}, n_problems=50, n_attempts=200,
                      seed=3, design=Design("sequential", batch_size=10, cap=200))
    with pytest.raises(DesignError, match=r"the backtest \(subsampling attempts\).*sequential"):
        mp.backtest(seq, estimators=["least_squares"], attempts=[10], problems=None,
                    seeds=[0], progress=False)


def test_failing_estimator_gives_error_rows(data, monkeypatch):
    original = bl.BASELINES["beta_binomial_mle"]

    def flaky(outcomes, **kwargs):
        if outcomes.max_attempts == 100:
            raise RuntimeError("optimiser exploded")
        return original(outcomes, **kwargs)

    monkeypatch.setitem(bl.BASELINES, "beta_binomial_mle", flaky)
    result = mp.backtest(data, estimators=["least_squares", "beta_binomial_mle"],
                         attempts=[100, 300], problems=[64], seeds=[0, 1], progress=False)
    table = result.table
    assert len(table) == 8
    failed = table[table.error != ""]
    assert set(failed.estimator) == {"beta_binomial_mle"}
    assert (failed.n_attempts == 100).all() and len(failed) == 2
    assert failed.error.str.contains("RuntimeError: optimiser exploded").all()
    assert failed[["estimate", "relative_error", "squared_log_error"]].isna().all().all()
    # without a truth, the asymptotic exponent is scored against the full-data estimate
    ok = table[(table.estimator == "beta_binomial_mle") & (table.error == "")]
    assert len(ok) == 2 and (ok.target_kind == "full_data").all()
    assert np.allclose(ok.target, original(data).estimate)
    assert "relative_error_vs_truth" not in table and "exponent_covered" not in table
    summary = result.summary()
    assert summary.loc[(summary.estimator == "beta_binomial_mle")
                       & (summary.n_attempts == 100), "n_failed"].item() == 2


class _FakeDiagnostics:
    def __init__(self, problems):
        self.problems = problems
        self.ok = not problems


class _FakeFit:
    """Stands in for a Fit (no sampling): the exponent's draws are centred on 0.25 + n/2000."""

    def __init__(self, outcomes, seed, healthy=None):
        self.seed = int(seed)
        self.center = 0.25 + outcomes.max_attempts / 2000
        rng = np.random.default_rng(self.seed)
        self.draws = self.center + 0.02 * rng.standard_normal((2, 50))
        if healthy is None:
            healthy = outcomes.max_attempts != 300
        problems = [] if healthy else ["max R-hat 1.05 > 1.01: chains disagree"]
        self.diagnostics = _FakeDiagnostics(problems)

    def asymptotic_exponent(self):
        return EstimandDraws("asymptotic_exponent", "population tail: power law", self.draws)

    def forecast_pass_at_k(self, k, *, neg_log=False):
        k = np.atleast_1d(np.asarray(k, dtype=float))
        return EstimandDraws("forecast_pass_at_k", "-log pass_D@k",
                             np.repeat((self.draws - 0.1)[..., None], len(k), axis=-1), k)

    def measured_pass_at_k(self, n_total, *, n_problems=None, neg_log=False):
        return EstimandDraws("measured_pass_at_k", "-log pass_D@k",
                             (self.draws - 0.1)[..., None] * np.array([1.0]),
                             np.array([float(n_total)]))


def test_bayes_rows_without_truth_use_the_full_data_fit(data, monkeypatch):
    seen, refits = [], []

    def fake_fit(groups, model, *, seed, **kwargs):
        if not isinstance(groups, OutcomesGroups):  # the health gate's refit: still unhealthy
            refits.append((groups.max_attempts, seed, kwargs))
            return _FakeFit(groups, seed)
        assert model == "beta"
        assert kwargs["draws"] == 500 and kwargs["chains"] == 2  # the modest defaults
        out = {}
        for i, key in enumerate(groups):
            group_seed = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
            seen.append(group_seed)
            out[key] = _FakeFit(groups[key], group_seed)
        return out

    monkeypatch.setattr(backtest_bayes, "fit", fake_fit)
    result = mp.backtest(data, estimators=["bayes:beta"], attempts=[100, 300], problems=[64],
                         seeds=[0], progress=False)
    table = result.table
    assert len(seen) == 3  # two subsamples and the full data, in one batch
    full_median = float(np.median(_FakeFit(data, seen[-1]).draws))
    scored = table.iloc[:1]  # the n' = 300 fit fails the health gate (below)
    assert np.allclose(scored.target, full_median) and (scored.target_kind == "full_data").all()
    assert np.allclose(scored.relative_error, abs(scored.estimate - full_median) / full_median)
    # the unhealthy fit (n' = 300) was refitted once, alone, with more draws, a higher target
    # acceptance and the seed child_seed(its seed, 1); still unhealthy, it is failed, not scored
    ((attempts, refit_seed, refit_kwargs),) = refits
    assert attempts == 300
    assert refit_seed == int(np.random.SeedSequence([seen[1], 1]).generate_state(1)[0])
    assert refit_kwargs["draws"] == 1000 and refit_kwargs["tune"] == 1000
    assert refit_kwargs["target_accept"] == pytest.approx(0.95)
    assert table.fit_seed.iloc[0] == seen[0] and pd.isna(table.fit_seed.iloc[1])
    assert list(table.sampler_ok) == [True, False]
    assert list(table.refitted) == [False, True]
    assert list(table.failure) == ["", "unhealthy"]
    assert table.error.iloc[1].startswith("UnhealthyFitError: failed the sampler-health "
                                          "checks twice")
    assert "chains disagree" in table.error.iloc[1]
    assert np.isnan(table.estimate.iloc[1]) and pd.isna(table.covered.iloc[1])
    summary = result.summary()
    assert list(summary.n_unhealthy) == [0, 1] and list(summary.n_failed) == [0, 1]
    assert any("failed (unhealthy): bayes:beta" in note for note in summary.attrs["notes"])


def test_health_gate_scores_a_fit_that_passes_on_refit(data, monkeypatch):
    def fake_fit(groups, model, *, seed, **kwargs):
        if not isinstance(groups, OutcomesGroups):
            return _FakeFit(groups, seed, healthy=kwargs["draws"] > 500)
        return {key: _FakeFit(groups[key], child, healthy=False)
                for key, child in zip(groups, range(100, 200), strict=False)}

    monkeypatch.setattr(backtest_bayes, "fit", fake_fit)
    result = mp.backtest(data, estimators=["bayes:beta"], attempts=[100], problems=[64],
                         seeds=[0, 1], truth=TRUTH, progress=False)
    table = result.table
    assert (table.failure == "").all() and table.refitted.all() and table.sampler_ok.all()
    assert np.isfinite(table.estimate).all()
    assert (result.summary().n_refitted == 2).all()
    # without the gate the unhealthy first fits are scored (the old behaviour, on request)
    ungated = mp.backtest(data, estimators=["bayes:beta"], attempts=[100], problems=[64],
                          seeds=[0, 1], truth=TRUTH, progress=False, health_gate=False)
    assert (~ungated.table.sampler_ok).all() and (~ungated.table.refitted).all()
    assert np.isfinite(ungated.table.estimate).all()


def test_failed_batch_is_refitted_one_by_one(data, monkeypatch):
    def fake_fit(data_, model, *, seed, **kwargs):
        if isinstance(data_, OutcomesGroups):
            raise RuntimeError("batch failed")
        if data_.max_attempts == 100:
            raise ValueError("degenerate subsample")
        return _FakeFit(data_, seed, healthy=True)

    monkeypatch.setattr(backtest_bayes, "fit", fake_fit)
    result = mp.backtest(data, estimators=["bayes:beta"], attempts=[100, 300], problems=[64],
                         seeds=[0, 1], truth=TRUTH, progress=False)
    table = result.table
    failed = table[table.error != ""]
    assert list(failed.n_attempts) == [100, 100]
    assert failed.error.str.fullmatch("ValueError: degenerate subsample").all()
    assert failed.estimate.isna().all() and failed.covered.isna().all()
    ok = table[table.error == ""]
    assert np.allclose(ok.estimate, 0.25 + 300 / 2000, atol=0.02)
    assert ok.covered.notna().all() and ok.fit_seed.nunique() == 2


def test_point_estimators_are_reproducible(data):
    kwargs = dict(estimators=["least_squares", "discretized_beta"], attempts=[100],
                  problems=[32], seeds=[5], truth=TRUTH, progress=False)
    first = mp.backtest(data, **kwargs).table.drop(columns="seconds")
    second = mp.backtest(data, **kwargs).table.drop(columns="seconds")
    assert first.equals(second)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"attempts": [2000]}, ValueError, "attempts value 2000 is outside"),
        ({"problems": [500]}, ValueError, "problems value 500 is outside"),
        ({"seeds": 3}, TypeError, r"range\(3\)"),
        ({"estimators": ["ols"]}, ValueError, "unknown estimator 'ols'"),
        ({"estimators": ["bayes:gamma"]}, ValueError, "unknown Bayesian model"),
        ({"fit_kwargs": {"seed": 1}}, ValueError, "must not hold 'seed'"),
        ({"horizon": 5000}, ValueError, "horizon K = 5000"),
        ({"truth": -1.0}, ValueError, "positive exponent"),
    ],
)
def test_invalid_arguments(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        mp.backtest(data, progress=False, **{"estimators": ["least_squares"], **kwargs})


def test_a_spec_file_is_a_bayesian_estimator(data, tmp_path):
    """A user's own spec file is backtested like a built-in model; a missing one is refused."""
    spec = tmp_path / "my_beta.toml"
    spec.write_text('base = "beta"\nname = "my_beta"\n')
    kwargs = {"attempts": [100], "problems": [32], "seeds": [0], "truth": TRUTH,
              "fit_kwargs": {"draws": 100, "tune": 100, "chains": 2}, "progress": False,
              "health_gate": False}
    table = mp.backtest(data, estimators=["bayes:beta", f"bayes:{spec}"], **kwargs).table
    assert set(table.estimator) == {"bayes:beta", f"bayes:{spec}"}
    own = table[table.estimator == f"bayes:{spec}"]
    assert (own.error == "").all()
    assert np.isfinite(own.estimate).all()
    with pytest.raises(ValueError, match="existing model spec file"):
        mp.backtest(data, estimators=[f"bayes:{tmp_path / 'absent.toml'}"], **kwargs)
    with pytest.raises(ValueError, match="unknown"):
        mp.backtest(data, estimators=[f"stack:beta+{tmp_path / 'absent.toml'}"], **kwargs)
    broken = tmp_path / "broken.toml"  # refused before any fit, with the spec's own reason
    broken.write_text('base = "beta"\nname = "broken"\n[sampler]\nmass_matrix = "full"\n')
    with pytest.raises(ValueError, match="mass_matrix must be one of"):
        mp.backtest(data, estimators=[f"bayes:{broken}"], **kwargs)


@pytest.mark.slow
def test_stacked_estimator_mixes_its_components(data):
    result = mp.backtest(
        data, estimators=["bayes:beta", "bayes:scaled_beta", "stack:beta+scaled_beta",
                          "bma:beta+scaled_beta"],
        attempts=[100], problems=[64], seeds=range(2), truth=TRUTH,
        fit_kwargs={"draws": 200, "tune": 200, "chains": 2}, progress=False,
        health_gate=False)  # short scaled-Beta chains can miss R-hat 1.01: not the point here
    table = result.table.set_index(["estimator", "seed"])
    assert (result.table.error == "").all(), result.table.error.tolist()
    for seed in range(2):
        parts = [table.loc[(f"bayes:{m}", seed)] for m in ("beta", "scaled_beta")]
        for average in ("stack:beta+scaled_beta", "bma:beta+scaled_beta"):
            stack = table.loc[(average, seed)]
            # the median of a two-component mixture lies between the components' medians
            for column in ("estimate", "forecast"):
                lo, hi = sorted(p[column] for p in parts)
                assert lo - 1e-12 <= stack[column] <= hi + 1e-12
            assert pd.notna(stack.covered) and pd.notna(stack.exponent_covered)
            assert np.isfinite(stack.predictive_lower)
            assert stack.predictive_lower < stack.predictive_upper


def test_a_model_average_weighs_by_its_method(data):
    from monkeypower.evaluation.backtest.stacked import average_fits, stack_fits

    small = data.subset(np.arange(64))
    fits = {m: mp.fit(small, m, seed=i, draws=500, tune=500, chains=2, progressbar=False)
            for i, m in enumerate(("beta", "logit_normal"))}
    outcomes = {m: (f, "", False) for m, f in fits.items()}
    for method in ("stacking", "BB-pseudo-BMA"):
        stacked, _, refitted = stack_fits(outcomes, method=method)
        expected = mp.compare(fits, method=method, warn=False).weights
        assert stacked.comparison.method == method and not refitted
        assert stacked.comparison.weights == pytest.approx(expected)
        # the same average by its estimator name (what the benchmarks use)
        name = f"{'stack' if method == 'stacking' else 'bma'}:beta+logit_normal"
        assert average_fits(name, fits).comparison.weights == pytest.approx(expected)
    with pytest.raises(ValueError, match="not a model average"):
        average_fits("beta", fits)
    # stacking and pseudo-BMA+ weigh these two differently (else the test could not fail)
    assert stack_fits(outcomes)[0].comparison.weights != pytest.approx(
        stack_fits(outcomes, method="BB-pseudo-BMA")[0].comparison.weights)


def test_stack_estimator_names_are_checked(data):
    with pytest.raises(ValueError, match="two or more distinct models"):
        mp.backtest(data, estimators=["stack:beta"], progress=False)
    with pytest.raises(ValueError, match=r"two or more distinct models .* 'bma:beta\+logit"):
        mp.backtest(data, estimators=["bma:beta+beta"], progress=False)
    with pytest.raises(ValueError, match="unknown"):
        mp.backtest(data, estimators=["stack:beta+nonsense"], progress=False)


def test_real_unhealthy_fit_is_refitted_then_failed(data):
    """Twenty draws per chain cannot reach a bulk ESS of 200 (100 per chain), nor can the refit's
    forty: the fit is refitted once and then recorded as failed, never scored."""
    result = mp.backtest(data, estimators=["least_squares", "bayes:beta"], attempts=[100],
                         problems=[64], seeds=[0], truth=TRUTH, progress=False,
                         fit_kwargs={"draws": 20, "tune": 20, "chains": 2})
    row = _row(result.table, "bayes:beta", 100, 0)
    assert row.failure == "unhealthy" and row.refitted and not row.sampler_ok
    assert "draws 40, tune 40" in row.error and "ESS" in row.error
    assert np.isnan(row.estimate) and np.isnan(row.squared_log_error)
    summary = result.summary().set_index("estimator")
    assert summary.loc["bayes:beta", "n_unhealthy"] == 1
    assert summary.loc["bayes:beta", "paired_cases"] == 0


def test_paired_comparison_in_summary_markdown_and_figure(result):
    paired = result.paired()
    assert set(paired.estimator) == {"beta_binomial_mle", "bayes:beta"}
    assert (paired.n_cases == len(SEEDS)).all() and (paired.n_unpaired == 0).all()
    assert ((paired.lower <= paired.median_log_ratio)
            & (paired.median_log_ratio <= paired.upper)).all()
    assert paired.attrs["interval"]["prob"] == result.interval.prob
    by_hand = result.table.pivot_table(index=["n_attempts", "seed"], columns="estimator",
                                       values="squared_log_error")
    ratio = np.log(by_hand["bayes:beta"] / by_hand["least_squares"])
    expected = ratio.groupby(level="n_attempts").median()
    got = paired[paired.estimator == "bayes:beta"].set_index("n_attempts").median_log_ratio
    assert np.allclose(got.loc[expected.index], expected)
    summary = result.summary()
    lsq = summary.estimator == "least_squares"
    assert summary.loc[lsq, "paired_median_log_ratio"].isna().all()
    assert summary.loc[~lsq, "paired_cases"].eq(len(SEEDS)).all()
    assert "paired_median_log_ratio" in " ".join(summary.attrs["notes"])
    assert "| paired_wins |" in result.to_markdown().replace("paired_wins | ", "paired_wins |")
    before = dict(matplotlib.rcParams)
    fig = result.plot_paired()
    (ax,) = fig.axes
    assert len(ax.containers) == 2 and ax.get_xscale() == "log"
    assert layout_problems(fig) == []
    assert dict(matplotlib.rcParams) == before
