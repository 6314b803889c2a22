"""The published baselines (least squares, discretized Beta, scaled Beta-Binomial MLE) and the
subsampler: reproduction of the Pythia/MATH numbers of Schaeffer, Kazdan et al. (ICML 2025,
arXiv:2502.17578) on the shared data, oracles, error paths."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import monkeypower as mp
from monkeypower.data.design import Design
from monkeypower.data.subsample import subsample
from monkeypower.errors import DegenerateDataError, DesignError
from monkeypower.estimands import ESTIMANDS
from monkeypower.evaluation import baselines as bl

# ----------------------------------------------------------------------------- BRIEF §10
# model: (LSQ b, scaled-BB alpha, scaled-BB s, effective slope of the BB fit for k <= 10^4)
BRIEF_10 = {
    "Pythia 70M": (0.194, 0.055, 0.035, 0.188),
    "Pythia 160M": (0.285, 0.150, 0.037, 0.271),
    "Pythia 410M": (0.289, 0.153, 0.095, 0.268),
    "Pythia 1B": (0.316, 0.186, 0.137, 0.291),
    "Pythia 2.8B": (0.340, 0.217, 0.318, 0.308),
    "Pythia 6.9B": (0.352, 0.232, 0.245, 0.323),
    "Pythia 12B": (0.372, 0.250, 0.235, 0.337),
}


@pytest.fixture(scope="module")
def pythia_fits(pythia_counts):
    return {
        model: (bl.least_squares(pythia_counts[model]), bl.beta_binomial_mle(pythia_counts[model]))
        for model in BRIEF_10
    }


@pytest.mark.shared_data
@pytest.mark.parametrize("model", list(BRIEF_10))
def test_reproduces_brief_table(pythia_fits, model):
    lsq_b, bb_alpha, bb_scale, bb_effective = BRIEF_10[model]
    lsq, bb = pythia_fits[model]
    assert lsq.estimand == "effective_exponent"
    assert lsq.estimate == pytest.approx(lsq_b, abs=0.005)
    assert bb.estimand == "asymptotic_exponent"
    assert bb.estimate == pytest.approx(bb_alpha, abs=0.01)
    # s is a deterministic plug-in, (M+1)/M * max c/n: only the brief's rounding to 3 decimals.
    assert bb.extras["scale"] == pytest.approx(bb_scale, abs=0.0005 + 1e-12)
    # The brief's column is the OLS slope of the fitted population curve on the reference code's
    # 20-point grid unique(int(logspace(0, 4, 20))): 3-decimal rounding (5e-4) plus optimiser
    # error in alpha (< 1e-4 at the tolerances used).
    assert bb.extras["effective_exponent_paper_grid"] == pytest.approx(bb_effective, abs=6e-4)
    # The package's 100-point grid gives the same estimand on a finer grid: up to ~0.0045 apart.
    assert bb.extras["effective_exponent"] == pytest.approx(bb_effective, abs=0.006)
    assert bb.extras["effective_exponent_window"] == "k in [1, 10,000]"


@pytest.mark.shared_data
def test_brief_section4_window_on_pythia_12b(pythia_counts):
    res = bl.beta_binomial_mle(pythia_counts["Pythia 12B"], window=(100, 100_000))
    assert res.extras["effective_exponent"] == pytest.approx(0.286, abs=6e-4)


@pytest.mark.shared_data
def test_discretized_beta_on_pythia_uses_reference_bins(pythia_counts):
    out = pythia_counts["Pythia 12B"]
    res = bl.discretized_beta(out)
    assert res.estimand == "asymptotic_exponent"
    assert res.extras["n_bins"] == 1000  # edges: 0 and logspace(-4, 0, 10000 // 10)
    assert res.extras["scale"] == pytest.approx((out.c / out.n).max())
    # every start reached a local optimum no better than the kept one
    assert all(s["neg_log_likelihood"] >= res.extras["neg_log_likelihood"] - 1e-9
               for s in res.extras["starts"])
    assert 0.1 < res.estimate < 0.4


# ------------------------------------------------------------------------------ oracles
def _observed_information_se(n, c, a, b):
    """Standard errors of (alpha, beta) from scipy's Beta-Binomial log-likelihood Hessian."""
    def loglik(t):
        return stats.betabinom.logpmf(c, n, t[0], t[1]).sum()

    x = np.array([a, b])
    h = 1e-4 * x
    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h[i], np.eye(2)[j] * h[j]
            hess[i, j] = (loglik(x + ei + ej) - loglik(x + ei - ej) - loglik(x - ei + ej)
                          + loglik(x - ei - ej)) / (4 * h[i] * h[j])
    return np.sqrt(np.diag(np.linalg.inv(-hess)))


def test_beta_binomial_mle_recovers_beta_population():
    # 20,000 problems: the MLE's standard errors (observed information, via scipy's betabinom,
    # an independent implementation) are ~0.003 for alpha and ~0.05 for beta. Asymptotically
    # normal, so |error| < 4 SE fails with probability < 1e-4; the seed is fixed anyway.
    truth = {"alpha": 0.3, "beta": 3.0}
    out = mp.simulate("beta", truth, n_problems=20_000, n_attempts=100, seed=3)
    res = bl.beta_binomial_mle(out, scaled=False)
    a, b = res.extras["alpha"], res.extras["beta"]
    se = _observed_information_se(out.n, out.c, a, b)
    assert se[0] < 0.01 and se[1] < 0.2  # the tolerance is not vacuous
    assert abs(a - truth["alpha"]) < 4 * se[0]
    assert abs(b - truth["beta"]) < 4 * se[1]
    assert res.estimate == a and res.extras["scale"] == 1.0
    # the maximised log-likelihood is scipy's Beta-Binomial log-likelihood
    expected = stats.betabinom.logpmf(out.c, out.n, a, b).sum()
    assert res.extras["log_likelihood"] == pytest.approx(expected, rel=1e-10)
    # population forecast: -log(1 - P(0 successes in K)) in closed form
    K = np.array([10, 1000, 10**6])
    closed = -np.log1p(-stats.betabinom.pmf(0, K, a, b))
    np.testing.assert_allclose(res.forecast_neg_log_pass(K, curve="population"), closed,
                               rtol=1e-9)


def test_discretized_beta_recovers_scaled_beta_roughly():
    # An approximate estimator (binning, s = max c/n): a loose check that it targets alpha.
    out = mp.simulate("scaled_beta", {"alpha": 0.3, "beta": 3.0, "scale": 0.5},
                      n_problems=1000, n_attempts=10_000, seed=0)
    res = bl.discretized_beta(out)
    assert res.estimate == pytest.approx(0.3, abs=0.05)
    # the paper's forecast: alpha fixed, log-prefactor = mean residual on the empirical grid
    curve = mp.empirical_curve(out)
    y = np.log(curve["neg_log_pass_at_k"].to_numpy())
    fitted = np.log(res.forecast_neg_log_pass(curve["k"].to_numpy()))
    assert np.mean(y - fitted) == pytest.approx(0.0, abs=1e-10)


def test_least_squares_is_ols_of_the_empirical_curve():
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=200, n_attempts=1000,
                      seed=5)
    res = bl.least_squares(out)
    curve = mp.empirical_curve(out)
    slope, intercept = np.polyfit(np.log(curve["k"]), np.log(curve["neg_log_pass_at_k"]), 1)
    assert res.estimate == pytest.approx(-slope, rel=1e-12)
    assert res.extras["prefactor"] == pytest.approx(np.exp(intercept), rel=1e-12)
    assert res.forecast_neg_log_pass(100) == pytest.approx(np.exp(intercept) * 100**slope)
    assert res.detail.startswith("k in [1, 1,000]")
    # a window uses the estimands' grid, so LSQ on data and on a model are the same regression
    windowed = bl.least_squares(out, window=(10, 500))
    np.testing.assert_array_equal(windowed.extras["k"], mp.reference_k_grid(500, k_min=10))
    assert windowed.detail.startswith("k in [10, 500]")


def test_least_squares_drops_infinite_points_with_a_note():
    # every problem has c = 60 of n = 100: pass@k = 1 for k > 40, and 1.0 to double precision
    # from k ~ 31 on; log(-log pass_D@k) is infinite there and the point is dropped
    out = mp.Outcomes(problem=range(5), n=[100] * 5, c=[60, 60, 60, 60, 60])
    res = bl.least_squares(out)
    curve = mp.empirical_curve(out)
    at_one = curve["k"].to_numpy()[curve["pass_at_k"].to_numpy() == 1.0]
    assert (at_one > 40).any()
    np.testing.assert_array_equal(res.extras["dropped_k"], at_one)
    assert "dropped" in res.extras["note"]
    assert res.extras["n_points"] == len(curve) - len(at_one)


def test_least_squares_bootstrap_interval():
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=128, n_attempts=1000,
                      seed=7)
    a = bl.least_squares(out, bootstrap=300, seed=11)
    b = bl.least_squares(out, bootstrap=300, seed=11)
    assert a.interval == b.interval and a.interval is not None
    assert a.interval[0] < a.estimate < a.interval[1]
    narrow = bl.least_squares(out, bootstrap=300, seed=11, interval=0.5)
    assert a.interval[0] < narrow.interval[0] < narrow.interval[1] < a.interval[1]
    row = a.to_row()
    assert row["eti95_lower"] == a.interval[0] and row["interval"] == "95% ETI"
    assert "bootstrap_draws" not in row  # arrays stay out of table rows


def test_baseline_result_follows_the_result_protocol():
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=128, n_attempts=1000,
                      seed=7)
    lsq = bl.least_squares(out, bootstrap=50, seed=1)
    table = lsq.summary()
    assert len(table) == 1
    assert list(table.columns[:4]) == ["estimator", "estimand", "detail", "estimate"]
    assert table["estimate"].iloc[0] == lsq.estimate
    assert (table["eti95_lower"].iloc[0], table["eti95_upper"].iloc[0]) == lsq.interval
    # the raw k grid, bootstrap draws and optimiser starts stay out of the table
    assert not {"k", "bootstrap_draws", "dropped_k", "starts"} & set(table.columns)
    assert "effective_exponent" in table.attrs["title"]
    assert table.attrs["interval"] == lsq.interval_convention.to_dict()
    assert table.attrs["notes"] == []
    # what a notebook cell ending in `baselines.least_squares(...)` shows: a table
    html = lsq._repr_html_()
    assert "<table" in html and "effective_exponent" in html
    assert str(lsq).startswith("**Baseline least_squares")
    assert lsq.headline.startswith("least_squares: effective_exponent [k in [1, 1,000]")
    assert lsq.to_dict()["rows"][0]["estimator"] == "least_squares"
    bb = bl.beta_binomial_mle(out)
    bb_table = bb.summary()
    assert "interval" not in bb_table.attrs
    assert {"alpha", "beta", "scale", "effective_exponent", "effective_exponent_window"} <= set(
        bb_table.columns
    )
    assert "starts" not in bb_table.columns
    assert bb.forecast_pass_at_k(5000) == pytest.approx(
        np.exp(-bb.forecast_neg_log_pass(5000)), rel=1e-15
    )
    assert -np.log(bb.forecast_pass_at_k(5000)) == pytest.approx(
        bb.forecast_neg_log_pass(5000), rel=1e-12
    )


def test_baseline_note_goes_to_the_summary_notes(sequential):
    res = bl.beta_binomial_mle(sequential, scaled=False)
    table = res.summary()
    assert "note" not in table.columns
    assert table.attrs["notes"] == [res.extras["note"]]


def test_registry_and_result_rows():
    out = mp.simulate("scaled_beta", {"alpha": 0.3, "beta": 3.0, "scale": 0.5},
                      n_problems=64, n_attempts=200, seed=2)
    assert set(bl.BASELINES) == {"least_squares", "discretized_beta", "beta_binomial_mle"}
    for name, estimator in bl.BASELINES.items():
        res = estimator(out)
        assert isinstance(res, bl.BaselineResult) and res.estimator == name
        assert res.estimand in ESTIMANDS
        row = res.to_row()
        assert {"estimator", "estimand", "detail", "estimate"} <= set(row)
        assert np.isfinite(res.forecast_neg_log_pass(10_000))
        assert res.estimand in str(res)


def test_beta_binomial_in_sample_forecast_matches_data_at_observed_k():
    # at k = n the in-sample forecast of a problem with c > 0 is ~certain success; the
    # pooled forecast should track the empirical curve within the data's range
    out = mp.simulate("scaled_beta", {"alpha": 0.3, "beta": 3.0, "scale": 0.5},
                      n_problems=500, n_attempts=1000, seed=4)
    res = bl.beta_binomial_mle(out)
    k = np.array([10, 100, 1000])
    empirical = mp.empirical_curve(out, k)["neg_log_pass_at_k"].to_numpy()
    np.testing.assert_allclose(res.forecast_neg_log_pass(k), empirical, rtol=0.1)
    assert res.default_curve == "forecast"


def test_scaled_beta_binomial_optimum_is_a_maximum_of_the_family_likelihood():
    # The optimiser uses the numba kernel's analytic gradients; the reported log-likelihood and
    # this check use the family's log_moment: the optimum must be a maximum of the latter.
    out = mp.simulate("scaled_beta", {"alpha": 0.3, "beta": 3.0, "scale": 0.5},
                      n_problems=300, n_attempts=1000, seed=8)
    res = bl.beta_binomial_mle(out)
    fam = mp.get_family("scaled_beta")
    stats_ = mp.compress(out)
    a, b, s = res.extras["alpha"], res.extras["beta"], res.extras["scale"]
    assert s == pytest.approx(min(1.0, 301 / 300 * (out.c / out.n).max()))

    def loglik(alpha, beta):
        f = stats_.n - stats_.c
        lm = fam.log_moment(stats_.c, f, {"alpha": alpha, "beta": beta, "scale": s})
        log_binom = (stats.binom.logpmf(stats_.c, stats_.n, 0.5)
                     - stats_.n * np.log(0.5))  # log C(n, c)
        return float((stats_.weight * (lm + log_binom)).sum())

    best = loglik(a, b)
    assert res.extras["log_likelihood"] == pytest.approx(best, rel=1e-12)
    for da, db in ((1.001, 1), (0.999, 1), (1, 1.001), (1, 0.999)):
        assert loglik(a * da, b * db) <= best + 1e-9
    assert mp.baselines.BASELINES["beta_binomial_mle"] is bl.beta_binomial_mle


# -------------------------------------------------------------------------- subsampler
def _hypergeom_chi2_pvalue(draws, n, c, n_sub):
    """Chi-square goodness of fit of draws to Hypergeometric(n, c, n_sub), tails pooled so
    that every cell expects at least 5 (draws outside the support land in the tail cells)."""
    support = np.arange(max(0, n_sub - (n - c)), min(c, n_sub) + 1)
    expected = len(draws) * stats.hypergeom.pmf(support, n, c, n_sub)
    lo, hi = 0, len(support) - 1
    while expected[: lo + 1].sum() < 5:
        lo += 1
    while expected[hi:].sum() < 5:
        hi -= 1
    exp_cells = np.r_[expected[: lo + 1].sum(), expected[lo + 1 : hi], expected[hi:].sum()]
    obs_cells = np.r_[
        (draws <= support[lo]).sum(),
        [(draws == j).sum() for j in support[lo + 1 : hi]],
        (draws >= support[hi]).sum(),
    ]
    assert obs_cells.sum() == len(draws)
    return stats.chisquare(obs_cells, exp_cells).pvalue


def test_subsampled_counts_are_hypergeometric():
    n, c, n_sub, draws = 20, 8, 10, 20_000
    out = mp.Outcomes(problem=np.arange(draws), n=np.full(draws, n), c=np.full(draws, c))
    sub = subsample(out, n_attempts=n_sub, seed=123)
    assert (sub.n == n_sub).all()
    assert _hypergeom_chi2_pvalue(sub.c, n, c, n_sub) > 1e-3
    # negative control: with replacement (Binomial(n', c/n)) differs clearly at small n
    # (variance 2.4 against 1.26) and must fail the same test
    control = np.random.default_rng(123).binomial(n_sub, c / n, size=draws)
    assert _hypergeom_chi2_pvalue(control, n, c, n_sub) < 1e-3


def test_subsample_problems_without_replacement():
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=100, n_attempts=50,
                      seed=1)
    sub = subsample(out, n_problems=40, seed=9)
    assert sub.n_problems == 40 and len(set(sub.problem.tolist())) == 40
    idx = np.searchsorted(out.problem, sub.problem)
    np.testing.assert_array_equal(sub.c, out.c[idx])  # counts untouched without n_attempts
    again = subsample(out, n_problems=40, n_attempts=10, seed=9)
    np.testing.assert_array_equal(again.problem, sub.problem)  # same seed, same problems
    assert (again.c <= np.minimum(sub.c, 10)).all()
    assert subsample(out, n_problems=100, n_attempts=50, seed=0) == out


def test_subsample_bad_arguments():
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=10, n_attempts=50, seed=1)
    with pytest.raises(ValueError, match=r"n_attempts = 51 .*min n = 50"):
        subsample(out, n_attempts=51, seed=0)
    with pytest.raises(ValueError, match=r"n_problems = 11 .*M = 10"):
        subsample(out, n_problems=11, seed=0)
    with pytest.raises(ValueError, match="at least 1"):
        subsample(out, n_problems=0, seed=0)
    with pytest.raises(ValueError, match="n_attempts must be a whole number, got 2.5"):
        subsample(out, n_attempts=2.5, seed=0)
    assert subsample(out, n_attempts=2e1, seed=0).max_attempts == 20  # one rule: 2e1 is 20
    with pytest.raises(TypeError, match="seed"):
        subsample(out, n_attempts=5, seed=None)


# ------------------------------------------------------------------- designs and errors
@pytest.fixture(scope="module")
def sequential():
    design = Design("sequential", batch_size=10, cap=200)
    return mp.simulate("beta", {"alpha": 0.5, "beta": 5.0}, n_problems=50, n_attempts=200,
                       seed=3, design=design)


def test_sequential_design_is_refused(sequential):
    with pytest.raises(DesignError, match="sequential"):
        subsample(sequential, n_attempts=10, seed=0)
    with pytest.raises(DesignError, match="sequential"):
        bl.least_squares(sequential)
    with pytest.raises(DesignError, match="sequential"):
        bl.discretized_beta(sequential)
    # the paper's scaled MLE plugs in max c/n, biased under sequential stopping: refused
    with pytest.raises(DesignError, match="scaled Beta-Binomial MLE.*sequential"):
        bl.beta_binomial_mle(sequential)
    # the plain Beta-Binomial likelihood is valid for a sequential design: it runs, and says
    # what it dropped
    res = bl.beta_binomial_mle(sequential, scaled=False)
    assert "sequential" in res.extras["note"]
    # drawing whole problems keeps each record intact: valid for a sequential design
    sub = subsample(sequential, n_problems=20, seed=0)
    assert sub.n_problems == 20 and sub.design == sequential.design
    assert set(sub.problem) <= set(sequential.problem)


def test_baseline_bad_arguments():
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=20, n_attempts=100,
                      seed=1)
    with pytest.raises(TypeError, match="seed"):
        bl.least_squares(out, bootstrap=10)
    with pytest.raises(ValueError, match="bootstrap"):
        bl.least_squares(out, bootstrap=-1)
    with pytest.raises(ValueError, match="beyond the smallest number of attempts"):
        bl.least_squares(out, window=(1, 1000))
    with pytest.raises(ValueError, match="1 <= k1 < k2"):
        bl.least_squares(out, window=(50, 10))
    with pytest.raises(ValueError, match=r"outside \[1, 100\]"):
        bl.least_squares(out, k=[1, 10, 200])
    unsolved = mp.Outcomes(problem=range(4), n=[100] * 4, c=[0] * 4)
    with pytest.raises(DegenerateDataError, match="only 0 of 4 problems had a success"):
        bl.least_squares(unsolved)
    all_solved = mp.Outcomes(problem=range(4), n=[100] * 4, c=[100] * 4)
    with pytest.raises(ValueError, match="at least two grid points"):
        bl.least_squares(all_solved)
    # none solved is the degenerate case for every baseline (the calibration grid scores a
    # DegenerateDataError as the estimator's failure; a plain ValueError stopped its run)
    for name in ("beta_binomial_mle", "discretized_beta"):
        with pytest.raises(DegenerateDataError, match="only 0 of 4 problems had a success"):
            bl.BASELINES[name](unsolved)
    with pytest.raises(ValueError, match="n >= 20"):
        bl.discretized_beta(mp.Outcomes(problem=range(3), n=[10] * 3, c=[1, 2, 3]))
    res = bl.least_squares(out)
    with pytest.raises(ValueError, match="no 'population' curve"):
        res.forecast_neg_log_pass(10, curve="population")
    with pytest.raises(ValueError, match="positive"):
        res.forecast_neg_log_pass(0)


@pytest.mark.parametrize("solved", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(bl.BASELINES))
def test_baselines_refuse_too_few_solved_problems(name, solved):
    """With one or two of 128 problems ever solved, the unguarded estimators returned their
    bound (Beta-Binomial MLE: alpha = 1000) or their start (discretized Beta: 0.5), "converged";
    now each refuses and says how many problems had a success."""
    c = np.zeros(128, dtype=int)
    c[:solved] = [3, 1][:solved]
    thin = mp.Outcomes(problem=range(128), n=[1000] * 128, c=c)
    with pytest.raises(DegenerateDataError,
                       match=rf"^{name} refuses these data: only {solved} of 128 problems"):
        bl.BASELINES[name](thin)


def test_optimum_on_a_bound_or_at_the_start_is_refused():
    from monkeypower.evaluation.baselines.degenerate import require_interior_optimum

    bounds = {"alpha": (1e-4, 1e3)}
    with pytest.raises(DegenerateDataError, match="alpha = 1000 lies on the upper bound 1000"):
        require_interior_optimum("beta_binomial_mle", {"alpha": 1e3}, bounds)
    with pytest.raises(DegenerateDataError, match="never left its start"):
        require_interior_optimum("discretized_beta", {"alpha": 0.5}, {}, {"alpha": 0.5})
    require_interior_optimum("x", {"alpha": 0.3}, bounds, {"alpha": 0.5})  # interior, moved
