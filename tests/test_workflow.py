"""The Bayesian workflow on a fit: posterior predictive checks, each problem's p, pass^k, and the
design warning of the attempt-log readers. Real (tiny) fits, shared by the module."""

from __future__ import annotations

import copy
import warnings
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import monkeypower as mp
from monkeypower.data.design_detection import DesignWarning
from monkeypower.evaluation.checks import (
    TEST_STATISTICS,
    PosteriorPredictiveCheck,
    count_bins,
    posterior_predictive,
)

FIT = {"draws": 250, "tune": 250, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def zero_inflated_fit():
    """A plain Beta fitted to data from a zero-inflated population (30% never solvable)."""
    out = mp.simulate("zero_inflated_beta", {"pi0": 0.3, "alpha": 5.0, "beta": 5.0},
                      n_problems=200, n_attempts=50, seed=1)
    return mp.fit(out, "beta", seed=1, **FIT)


@pytest.fixture(scope="module")
def beta_fit():
    """A Beta fitted to data from a Beta population: the model is right."""
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 1.0}, n_problems=200, n_attempts=50,
                      seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mp.SamplingWarning)  # 250 draws may nudge R-hat > 1.01
        return mp.fit(out, "beta", seed=1, **FIT)


# --------------------------------------------------------------------------- PPC
@pytest.mark.parametrize("kind", ["new_problems", "same_problems"])
def test_ppc_flags_zero_inflation_and_passes_the_right_model(zero_inflated_fit, beta_fit, kind):
    """Negative control: a Beta cannot make 30% of problems never solvable and the rest
    Beta(5, 5); its replicates have too few c = 0 problems. Data from a Beta pass. (Measured on
    seeds 1-3: the zero-inflated ppp <= 0.004, the Beta ppp >= 0.77.)"""
    wrong = posterior_predictive(zero_inflated_fit, kind=kind).summary().set_index("statistic")
    right = posterior_predictive(beta_fit, kind=kind).summary().set_index("statistic")
    assert wrong.loc["problems with c = 0", "ppp"] < 0.01
    assert wrong.loc["problems with c = 0", "p_ge"] < 0.01  # the data have more than replicates
    assert (right["ppp"] > 0.1).all(), right


def test_ppc_statistics_and_protocol(beta_fit):
    check = posterior_predictive(beta_fit, seed=3)
    assert isinstance(check, PosteriorPredictiveCheck)
    assert check.c_rep.shape == (2, 250, 200) and (check.n_rep == 50).all()
    observed, replicated = check.statistic("problems with c = 0")
    assert observed == np.sum(beta_fit.outcomes.c == 0)
    np.testing.assert_array_equal(replicated, (check.c_rep == 0).sum(-1))
    table = check.summary()
    assert list(table["statistic"]) == list(TEST_STATISTICS)
    assert {"eti95_lower", "eti95_upper", "p_ge", "p_le", "ppp"} <= set(table.columns)
    row = table.iloc[2]  # sd of c/n, by hand
    sd = np.std(check.c_rep / 50, axis=-1, ddof=1).ravel()
    assert row["p_ge"] == pytest.approx(np.mean(sd >= np.std(beta_fit.outcomes.c / 50, ddof=1)))
    assert check.p_value("sd of c/n") == pytest.approx(row["ppp"])
    assert "Posterior predictive check" in table.attrs["title"]
    assert "Intervals: 95% equal-tailed" in check.to_markdown()
    assert r"\begin{table}" in check.to_latex()
    # reproducible from the seed; another seed gives other replicates
    np.testing.assert_array_equal(posterior_predictive(beta_fit, seed=3).c_rep, check.c_rep)
    assert not np.array_equal(posterior_predictive(beta_fit, seed=4).c_rep, check.c_rep)
    tree = check.to_datatree()
    assert set(tree.children) == {"posterior_predictive", "observed_data"}
    assert tree["posterior_predictive"]["c"].dims == ("chain", "draw", "problem")


def test_rootogram_is_drawn_by_arviz_without_touching_rcparams(beta_fit, tmp_path):
    check = posterior_predictive(beta_fit)
    before = copy.deepcopy(dict(matplotlib.rcParams))
    fig = check.plot()
    assert dict(matplotlib.rcParams) == before
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert "c/n in bins" in ax.get_xlabel()  # n = 50 > max_bins: binned
    assert len(ax.collections) + len(ax.lines) > 0
    written = mp.save_figure(fig, tmp_path / "rootogram")
    assert all(path.stat().st_size > 0 for path in written)
    assert "successes c" in check.plot(max_bins=60).axes[0].get_xlabel()  # one bin per count


def test_count_bins_keep_never_and_always_solved_apart():
    c, n = np.array([0, 1, 5, 9, 10, 100]), np.array([10, 10, 10, 10, 10, 100])
    bins, _ = count_bins(c, n, max_bins=5)
    assert list(bins) == [0, 1, 5, 9, 11, 11]
    same, label = count_bins(c[:5], n[:5], max_bins=40)
    assert list(same) == list(c[:5]) and label == "successes c"


def _stand_in(outcomes, family="beta", params=None, draws=50):
    """Just what posterior_predictive reads from a Fit, with known parameters (no MCMC)."""
    family = mp.get_family(family)
    params = params or {"alpha": 0.5, "beta": 4.0}
    values = {k: np.full((1, draws), v) for k, v in params.items()}
    post = SimpleNamespace(flat=lambda max_draws: ({k: v.ravel() for k, v in values.items()},
                                                   (1, draws)))
    return SimpleNamespace(outcomes=outcomes, family=family, seed=0, spec=SimpleNamespace(
        name="beta"), posterior_draws=lambda: post)


def test_sequential_designs_replicate_the_stopping_rule():
    design = mp.Design("sequential", batch_size=20, cap=400)
    out = mp.simulate("beta", {"alpha": 0.5, "beta": 4.0}, n_problems=60, n_attempts=0, seed=2,
                      design=design)
    check = posterior_predictive(_stand_in(out))
    n_rep, c_rep = check.n_rep, check.c_rep
    assert ((n_rep % 20 == 0) | (n_rep == 400)).all()
    assert (n_rep[c_rep == 0] == 400).all() and (c_rep[n_rep < 400] >= 1).all()
    with pytest.raises(mp.DesignError, match="sequential design"):
        posterior_predictive(_stand_in(out), kind="same_problems")
    with pytest.raises(ValueError, match="kind must be"):
        posterior_predictive(_stand_in(out), kind="prior")


# --------------------------------------------------------------------------- per-problem p
def test_problem_posterior_on_a_real_fit(beta_fit):
    result = beta_fit.problem_posterior()
    table = result.summary()
    assert len(table) == 200 and table["mean"].is_monotonic_increasing  # hardest first
    assert result.method == "exact" and "ess" not in table
    # the exact mean: E over the posterior of (alpha + c) / (alpha + beta + n)
    params = beta_fit.params()
    a, b = (params[k][:, ::1].reshape(-1) for k in ("alpha", "beta"))
    first = table.iloc[0]
    thin = beta_fit.posterior_draws().flat(250)[0]
    exact = np.mean((thin["alpha"] + first["c"]) / (thin["alpha"] + thin["beta"] + first["n"]))
    assert first["mean"] == pytest.approx(exact, rel=1e-10)
    assert a.size == 500 and b.size == 500
    # shrinkage: a problem never solved is not given p = 0, a problem always solved not p = 1
    assert (table["mean"] > 0).all() and (table["mean"] < 1).all()
    assert (table["eti95_lower"] <= table["median"]).all()
    assert (table["median"] <= table["eti95_upper"]).all()
    hardest = result.hardest(5)
    assert len(hardest) == 5 and hardest.attrs["title"] == table.attrs["title"]
    assert "p_i" in result.to_markdown()


# --------------------------------------------------------------------------- pass^k
def test_pass_all_k_on_a_real_fit(beta_fit):
    k = [1, 2, 10, 100]
    population = beta_fit.population_pass_all_k(k)
    forecast = beta_fit.forecast_pass_all_k(k)
    # k = 1: all-of-one and at-least-one-of-one are the same event
    np.testing.assert_allclose(population.draws[..., 0],
                               beta_fit.population_pass_at_k([1]).draws[..., 0], rtol=1e-12)
    np.testing.assert_allclose(forecast.draws[..., 0],
                               beta_fit.forecast_pass_at_k([1]).draws[..., 0], rtol=1e-12)
    assert (np.diff(population.draws, axis=-1) < 0).all()
    assert (population.draws[..., 1:] < beta_fit.population_pass_at_k(k[1:]).draws).all()
    # the in-sample pass^1 is the mean of the problems' posterior means of p
    problems = beta_fit.problem_posterior().summary()
    assert forecast.draws[..., 0].mean() == pytest.approx(problems["mean"].mean(), rel=1e-9)
    rows = population.summary()
    assert list(rows["detail"]) == ["k = 1, pass^k", "k = 2, pass^k", "k = 10, pass^k",
                                    "k = 100, pass^k"]


# --------------------------------------------------------------------------- design warning
def _sequential_attempts(seed: int) -> pd.DataFrame:
    """An attempt log of a sequential design (batches of 10 until a success, cap 300)."""
    out = mp.simulate("beta", {"alpha": 0.4, "beta": 5.0}, n_problems=80, n_attempts=0,
                      seed=seed, design=mp.Design("sequential", batch_size=10, cap=300))
    rng = np.random.default_rng(seed)
    rows = []
    for pid, n, c in zip(out.problem, out.n, out.c, strict=True):
        ok = np.zeros(n, dtype=bool)
        if c:
            start = ((n - 1) // 10) * 10
            ok[rng.choice(np.arange(start, n), size=c, replace=False)] = True
        rows.append(pd.DataFrame({"problem": pid, "attempt": np.arange(n), "success": ok}))
    return pd.concat(rows, ignore_index=True)


def test_attempt_log_read_without_a_design_warns_when_it_looks_sequential():
    table = _sequential_attempts(3)
    with pytest.warns(DesignWarning, match=r"no design was recorded, so fixed is assumed, but "
                      r"the data look like a sequential design \(batch size 10, cap 300\)") as rec:
        out = mp.from_attempts(table, attempt="attempt")
    assert rec[0].filename == __file__  # points at the user's line
    assert out.design == mp.Design("fixed")  # the warning says so; nothing is changed silently
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)  # declared: no warning
        mp.from_attempts(table, attempt="attempt",
                         design=mp.Design("sequential", batch_size=10, cap=300))
    grouped = pd.concat([table.assign(model="a"), table.assign(model="b")], ignore_index=True)
    with pytest.warns(DesignWarning) as rec:
        mp.from_attempts(grouped, attempt="attempt", group_by="model")
    assert sorted(str(w.message)[:41] for w in rec) == [
        "group {'model': 'a'}: no design was recor", "group {'model': 'b'}: no design was recor"]


def test_fixed_attempt_logs_read_without_a_design_do_not_warn():
    """Negative control: equal n, and unequal n unrelated to the outcomes."""
    rng = np.random.default_rng(5)
    n = rng.choice([20, 40, 80], size=100)
    p = rng.beta(0.5, 3, size=100)
    table = pd.DataFrame({"problem": np.repeat(np.arange(100), n),
                          "success": rng.uniform(size=n.sum()) < np.repeat(p, n)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)
        mp.from_attempts(table)
        mp.from_attempts(table[table.groupby("problem").cumcount() < 20])


@pytest.mark.shared_data
def test_best_of_n_log_without_design_warns_and_the_declared_design_refuses(shared_data):
    path = shared_data / "bon_gemini_flash" / "attempts.parquet"
    columns = {"problem": "Problem Idx", "success": "Score", "attempt": "Scaling Parameter"}
    with pytest.warns(DesignWarning, match=r"fixed is assumed, but the data look like a "
                      r"sequential design \(batch size 60, cap 10020\).*every solved problem "
                      r"stops at the end of the batch holding its first success"):
        assumed = mp.read_outcomes(path, layout="attempts", **columns)
    assert assumed.design == mp.Design("fixed")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)
        declared = mp.read_outcomes(path, layout="attempts", **columns,
                                    design=mp.Design("sequential", batch_size=60, cap=10020))
    with pytest.raises(mp.DesignError, match="not valid for a sequential design"):
        mp.baselines.least_squares(declared, window=(1, 60))
