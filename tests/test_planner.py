"""The adaptive sampling planner: allocations, the preposterior against exact oracles, the
adaptive design's refusals, the CLI, and a campaign smoke run. One small beta fit per module."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.stats import betabinom

import monkeypower as mp
from monkeypower.cli import main
from monkeypower.data.passk import empirical_curve
from monkeypower.errors import DesignError
from monkeypower.estimands.registry import ESTIMANDS
from monkeypower.evaluation import baselines as bl
from monkeypower.evaluation.planning import (
    PLANNABLE,
    KnownPopulation,
    RecordedOutcomes,
    parse_target,
    preposterior,
    simulate_campaign,
)
from monkeypower.evaluation.planning.allocation import (
    concave_envelope,
    fewest_successes,
    preposterior_greedy,
    uniform,
)
from monkeypower.evaluation.planning.figure import plot_campaigns
from monkeypower.evaluation.planning.plan import candidate_attempts
from monkeypower.evaluation.planning.preposterior import variance_reduction
from monkeypower.evaluation.planning.targets import TargetDraws
from monkeypower.families import get_family
from monkeypower.fitting.model import pair_data

BETA = get_family("beta")
SMALL_FIT = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}
CAMPAIGN_FIT = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}


@pytest.fixture(scope="module")
def adaptive_data():
    """Counts of an adaptive campaign: a uniform round, then more attempts where c was 0."""
    rng = np.random.default_rng(7)
    p = rng.beta(0.3, 3.0, 60)
    n = np.full(60, 40)
    c = rng.binomial(n, p)
    more = np.where(c == 0, 120, 0)
    c = c + rng.binomial(more, p)
    return mp.Outcomes(np.arange(60), n + more, c, mp.Design("adaptive", batch_size=10))


@pytest.fixture(scope="module")
def adaptive_fit(adaptive_data):
    return mp.fit(adaptive_data, "beta", seed=3, **SMALL_FIT)


# ------------------------------------------------------------------ allocations
RULES = {
    "uniform": lambda b, n, c, caps, mb, rng: uniform(b, n, caps, mb, rng),
    "fewest_successes": lambda b, n, c, caps, mb, rng: fewest_successes(b, n, c, caps, mb, rng),
    "preposterior": lambda b, n, c, caps, mb, rng: preposterior_greedy(
        b, np.sqrt(np.outer(1.0 / (1.0 + c), np.array([10, 20, 40, 80, 160, 320]))),
        np.array([10, 20, 40, 80, 160, 320]), np.arange(len(n)), caps, mb, rng),
}


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("budget", [10, 25, 95, 1000, 1234])
def test_allocations_are_integers_summing_to_the_budget(rule, budget):
    rng = np.random.default_rng(0)
    n = np.full(12, 100)
    c = np.array([0, 0, 1, 3, 0, 2, 5, 0, 9, 1, 0, 4])
    caps = np.array([320, 40, 320, 320, 320, 320, 320, 320, 320, 320, 15, 320])
    alloc = RULES[rule](budget, n, c, caps, 10, rng)
    assert alloc.dtype.kind == "i"
    assert alloc.sum() == budget
    given = alloc[alloc > 0]
    assert (given >= 10).all(), alloc  # the minimum batch
    assert (alloc <= caps).all(), alloc  # never beyond what is available


def test_allocation_contract_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="smaller than the minimum batch"):
        uniform(5, np.ones(3), np.full(3, 100), 10, rng)
    with pytest.raises(ValueError, match="exceeds the attempts still available"):
        uniform(500, np.ones(3), np.full(3, 100), 10, rng)


def test_fewest_successes_spends_on_the_fewest_first():
    rng = np.random.default_rng(0)
    c = np.array([0, 2, 0, 1, 5])
    alloc = fewest_successes(100, np.full(5, 50), c, np.full(5, 1000), 10, rng)
    assert alloc[c == 0].sum() == 100 and alloc[c == 0].min() == 50


def test_concave_envelope_skips_points_below_the_hull():
    m = np.array([10, 20, 40, 80])
    r = np.array([0.1, 0.15, 0.9, 1.0])  # (10, .1) and (20, .15) lie below the chord to (40, .9)
    assert concave_envelope(m, r).tolist() == [2, 3]
    assert concave_envelope(m, np.zeros(4)).tolist() == []  # nothing to gain: no segment


def test_candidate_attempts_grid():
    assert candidate_attempts(10, 100).tolist() == [10, 20, 40, 80, 100]
    assert candidate_attempts(10, 80).tolist() == [10, 20, 40, 80]


# ------------------------------------------------------------------ preposterior oracles
def _log_fail(c, f, k, a, b):
    return BETA.log_moment(c, f + k, {"alpha": a, "beta": b}) - BETA.log_moment(
        c, f, {"alpha": a, "beta": b})


@pytest.mark.parametrize("c, f, m", [(0, 100, 30), (0, 500, 1000), (3, 97, 200), (40, 60, 1000)])
def test_forecast_reduction_matches_enumeration_at_a_known_theta(c, f, m):
    """With θ known, p | data is Beta(α+c, β+f), x is beta-binomial, and the reduction of
    Var(pass_D@K) is (1/M²) Σ_x P(x) (g(c+x, f+m-x) - g(c, f))² — enumerated over every x."""
    a, b, horizon, m_total = 0.3, 3.0, 1e4, 50
    flat = {"alpha": np.array([a, a]), "beta": np.array([b, b])}
    target = TargetDraws(parse_target(f"forecast:{horizon}"), np.array([0.7, 0.7]), m_total, 0.0)
    got = variance_reduction(BETA, flat, target, np.array([c]), np.array([f]), np.array([m]))
    x = np.arange(m + 1)
    prob = betabinom.pmf(x, m, a + c, b + f)
    g_new = np.exp(_log_fail(c + x, f + m - x, horizon, a, b))
    g_now = np.exp(_log_fail(c, f, horizon, a, b))
    exact = float(np.sum(prob * (g_new - g_now) ** 2)) / m_total**2
    # exact sum when the predictive's range is narrow, midpoint rule on 16 bins otherwise
    assert got[0, 0] == pytest.approx(exact, rel=0.02)


def test_exponent_reduction_matches_a_two_point_posterior():
    """θ with two values, equally likely: R = Σ_x P(x) (E[α | x] - ᾱ)², by hand."""
    alphas, b, c, f, m = np.array([0.2, 0.5]), 3.0, 0, 200, 400
    copies = 1000  # many copies of each value: the estimator's noise correction is then tiny
    flat = {"alpha": np.repeat(alphas, copies), "beta": np.full(2 * copies, b)}
    target = TargetDraws(parse_target("asymptotic_exponent"), flat["alpha"], 64, 0.0)
    got = variance_reduction(BETA, flat, target, np.array([c]), np.array([f]), np.array([m]))
    x = np.arange(m + 1)
    p1, p2 = (betabinom.pmf(x, m, a + c, b + f) for a in alphas)
    posterior_mean = (alphas[0] * p1 + alphas[1] * p2) / (p1 + p2)
    exact = float(np.sum(0.5 * (p1 + p2) * (posterior_mean - alphas.mean()) ** 2))
    assert exact > 1e-3  # the problem is informative: the check can fail
    assert got[0, 0] == pytest.approx(exact, rel=0.02)


def test_noise_correction_scores_an_uninformative_problem_near_zero():
    """Negative control: target draws unrelated to θ (which is fixed) carry no information;
    without the correction the estimate would be about Var(T)/S, with it near zero."""
    rng = np.random.default_rng(1)
    s = 400
    flat = {"alpha": np.full(s, 0.3) * np.exp(rng.normal(0, 0.3, s)), "beta": np.full(s, 3.0)}
    values = rng.normal(0.3, 0.05, s)
    target = TargetDraws(parse_target("asymptotic_exponent"), values, 64, 0.0)
    got = variance_reduction(BETA, flat, target, np.array([0]), np.array([100]), np.array([50]))
    uncorrected = np.var(values) / s
    assert abs(got[0, 0]) < 0.3 * uncorrected


def test_few_draws_resolve_the_small_reduction_of_a_few_attempts():
    """α with a continuous posterior, 10 attempts at an unsolved problem: the reduction from
    200 draws, averaged over 10 independent sets, against the same sums on 400,000 draws
    (noise correction negligible there). Subtracting the noise of the uncentred product
    a·(T - T̄) instead of the sample covariance's removed ~20× this signal: the estimate was 0."""
    rng = np.random.default_rng(5)
    c, f, m, b = 0, 100, 10, 3.0

    def draws(size):
        alpha = 0.15 * np.exp(rng.normal(0.0, 0.25, size))
        return {"alpha": alpha, "beta": np.full(size, b)}, alpha

    flat, alpha = draws(400_000)
    x = np.arange(m + 1)
    a = betabinom.pmf(x[None, :], m, alpha[:, None] + c, b + f)  # P(x | θ_s), (S, m + 1)
    cov = np.mean(a * (alpha - alpha.mean())[:, None], axis=0)
    exact = float(np.sum(cov**2 / a.mean(axis=0)))
    variance = float(np.var(alpha))
    estimates = []
    for _ in range(10):
        flat, alpha = draws(200)
        target = TargetDraws(parse_target("asymptotic_exponent"), alpha, 64, 0.0)
        estimates.append(variance_reduction(BETA, flat, target, np.array([c]), np.array([f]),
                                            np.array([m]))[0, 0])
    assert exact > 5e-4 * variance  # informative: the check can fail
    assert np.mean(estimates) == pytest.approx(exact, rel=0.25), (estimates, exact)


def test_chunks_on_threads_give_the_numbers_of_one_pass(monkeypatch):
    """Many small chunks over four threads against one chunk on one thread: the same bits."""
    rng = np.random.default_rng(3)
    copies = 100  # a two-point posterior of α, as above: every problem is informative
    flat = {"alpha": np.repeat([0.2, 0.5], copies), "beta": np.full(2 * copies, 3.0)}
    target = TargetDraws(parse_target("forecast:1e4"), flat["alpha"], 300, 0.0)
    c, f = np.zeros(300, dtype=int), rng.integers(100, 300, 300)  # unsolved: informative
    m_grid = np.array([100, 400])
    one = variance_reduction(BETA, flat, target, c, f, m_grid)
    monkeypatch.setattr(preposterior, "_CHUNK_ELEMENTS", 7 * 2 * copies * 24)  # 43 chunks per m
    monkeypatch.setattr(preposterior, "_MAX_THREADS", 4)
    threaded = variance_reduction(BETA, flat, target, c, f, m_grid)
    assert (one > 0).all()  # equal zeros would prove nothing
    np.testing.assert_array_equal(threaded, one)


# ------------------------------------------------------------------ targets and plans
def test_targets_are_registry_names():
    assert set(PLANNABLE) <= set(ESTIMANDS)
    assert parse_target("forecast:1e5").label == "forecast_pass_at_k (K = 100,000)"
    assert parse_target("asymptotic").name == "asymptotic_exponent"
    assert parse_target("effective_exponent:1,1000").window == (1, 1000)
    for bad, match in [("nonsense", "expected one of"), ("forecast", "horizon"),
                       ("effective_exponent:5,2", "window"), ("asymptotic_exponent:3", "no arg")]:
        with pytest.raises(ValueError, match=match):
            parse_target(bad)


@pytest.mark.parametrize("target", ["asymptotic_exponent", "forecast:1e5",
                                    "effective_exponent:1,1000"])
def test_plan_spends_the_budget_and_beats_uniform_in_expectation(adaptive_fit, target):
    result = mp.plan(adaptive_fit, 1500, target, min_batch=10, unattempted=5)
    spent = result.attempts.sum() + result.new_attempts.sum()
    assert spent == 1500
    given = np.concatenate([result.attempts, result.new_attempts])
    assert (given[given > 0] >= 10).all()
    sd = result.expected_sd
    # the planner optimises the expected sd it reports; it cannot lose to uniform on it
    assert sd["preposterior"] <= sd["uniform"] * (1 + 1e-9) < result.current_sd
    table = result.summary()
    assert table.attrs["title"].startswith("Plan: 1,500 attempts")
    assert (table["attempts"] * table["problems"]).sum() == 1500


def test_forecast_target_draws_are_the_registry_forecast(adaptive_fit):
    from monkeypower.evaluation.planning.targets import target_draws

    post = adaptive_fit.posterior_draws()
    flat, _ = post.flat(50)
    draws = target_draws(parse_target("forecast:1e4"), post, flat)
    registry = adaptive_fit.forecast_pass_at_k(1e4, max_draws=50).draws.reshape(-1)
    np.testing.assert_allclose(draws.values, registry, rtol=1e-12)
    assert draws.within > 0  # the per-problem part of Var(pass_D@K)


def test_plan_errors(adaptive_fit):
    with pytest.raises(ValueError, match="allocation must be one of"):
        mp.plan(adaptive_fit, 100, allocation="random")
    with pytest.raises(ValueError, match="smaller than the minimum batch"):
        mp.plan(adaptive_fit, 5)
    with pytest.raises(ValueError, match="available must hold 60"):
        mp.plan(adaptive_fit, 100, available=np.ones(3))
    with pytest.raises(ValueError, match=r"available must be whole numbers .*got 5.5 \(position"):
        mp.plan(adaptive_fit, 100, available=np.full(60, 5.5))  # was read as 5
    for kwargs in ({"budget": 100.5}, {"budget": -1}, {"budget": 100, "min_batch": 0},
                   {"budget": 100, "unattempted": -2}, {"budget": 100, "max_per_problem": 2.5}):
        name = [k for k in kwargs if k != "budget"] or ["budget"]
        with pytest.raises(ValueError, match=f"{name[0]} must be a whole number"):
            mp.plan(adaptive_fit, **kwargs)
    assert int(mp.plan(adaptive_fit, 100.0).attempts.sum()) == 100  # a whole float is fine
    with pytest.raises(ValueError, match="whole numbers of attempts"):
        mp.plan(adaptive_fit, 100, target="effective_exponent:1.5,100")


# ------------------------------------------------------------------ the adaptive design
def test_adaptive_design_records_and_round_trips(adaptive_data):
    design = adaptive_data.design
    assert design.is_adaptive and design.depends_on_outcomes and not design.is_sequential
    assert str(design) == "adaptive(batch_size=10)"
    assert mp.Design.from_dict(design.to_dict()) == design
    with pytest.raises(ValueError, match="cap describes a sequential design"):
        mp.Design("adaptive", cap=100)
    with pytest.raises(ValueError, match="'fixed', 'sequential', 'adaptive'"):
        mp.Design("dynamic")


def test_adaptive_design_refuses_what_needs_a_fixed_design(adaptive_data):
    message = "not valid for an adaptive design"
    with pytest.raises(DesignError, match=f"unbiased estimator.*{message}"):
        empirical_curve(adaptive_data)
    with pytest.raises(DesignError, match=f"least-squares.*{message}"):
        bl.least_squares(adaptive_data)
    with pytest.raises(DesignError, match=message):
        bl.discretized_beta(adaptive_data)
    with pytest.raises(DesignError, match=f"subsampling attempts.*{message}"):
        mp.subsample(adaptive_data, n_attempts=10, seed=0)
    with pytest.raises(DesignError, match=rf"n = 1, c = 1 sets s = 1.*{message}"):
        bl.beta_binomial_mle(adaptive_data)
    with pytest.raises(DesignError, match=message):
        mp.backtest(adaptive_data, estimators=["least_squares"], attempts=[10], seeds=[0])
    # the plain Beta-Binomial likelihood stays valid, and says why
    res = bl.beta_binomial_mle(adaptive_data, scaled=False)
    assert "adaptive design" in res.extras["note"]


def test_adaptive_fit_drops_the_binomial_coefficient(adaptive_fit, adaptive_data):
    assert not (pair_data(adaptive_fit.stats)["log_binomial_coefficient"]).any()
    fixed = mp.Outcomes(adaptive_data.problem, adaptive_data.n, adaptive_data.c)
    assert (pair_data(fixed.compress())["log_binomial_coefficient"] > 0).any()  # control


# ------------------------------------------------------------------ CLI, campaign, figure
def test_cli_plan_end_to_end(tmp_path, capsys):
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=30, n_attempts=50, seed=1)
    out.to_dataframe().to_csv(tmp_path / "counts.csv", index=False)
    args = [str(tmp_path / "counts.csv"), "--problem", "problem", "--n", "n", "--c", "c",
            "--seed", "1", "--chains", "2", "--draws", "300", "--tune", "300", "--no-progress",
            "--model", "beta"]
    code = main(["plan", *args, "--budget", "600", "--target", "forecast:1e4",
                 "--out", str(tmp_path / "plan.csv")])
    captured = capsys.readouterr()
    printed = captured.out
    assert code == 0 and "Plan: 600 attempts for forecast_pass_at_k (K = 10,000)" in printed
    assert "fitting model 'beta' (seed 1)" in captured.err
    table = pd.read_csv(tmp_path / "plan.csv")
    assert len(table) == 30 and table["attempts"].sum() == 600
    code = main(["plan", *args, "--budget", "600", "--target", "nonsense"])
    assert code == 2 and "--target" in capsys.readouterr().err


def test_a_known_population_out_of_its_family_s_range_is_refused_when_made():
    with pytest.raises(ValueError, match=r"scale = 1.5 \(must be a number in \(0, 1\]\)"):
        KnownPopulation("scaled_beta", {"alpha": 0.3, "beta": 3.0, "scale": 1.5}, 40)
    with pytest.raises(ValueError, match=r"parameters are \['alpha', 'beta'\]; missing \['beta'\]"):
        KnownPopulation("beta", {"alpha": 0.3}, 40)
    with pytest.raises(ValueError, match="n_problems must be a whole number of at least 1"):
        KnownPopulation("beta", {"alpha": 0.3, "beta": 3.0}, 0)
    assert KnownPopulation("beta", {"alpha": 0.3, "beta": 3.0}, 40).n_problems == 40


# a smoke test of the campaign's mechanics: tiny refits may show R-hat just above 1.01
@pytest.mark.filterwarnings("ignore::monkeypower.fitting.diagnostics.SamplingWarning")
def test_campaign_smoke_known_and_recorded():
    known = simulate_campaign(
        KnownPopulation("beta", {"alpha": 0.3, "beta": 3.0}, 40), "preposterior", "forecast:1e4",
        rounds=1, budget=400, initial=20, seed=2, initial_problems=35,
        track=["asymptotic_exponent", "forecast:1e4"], model="beta", fit_kwargs=CAMPAIGN_FIT,
        max_draws=100)
    rows = known.rows
    assert len(rows) == 4 and rows["attempts"].tolist() == [700, 700, 1100, 1100]
    assert rows["truth"].iloc[0] == pytest.approx(0.3)
    assert np.isfinite(rows["error"]).all()
    pool = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=30, n_attempts=60, seed=4)
    truth = {"asymptotic_exponent": 0.3}
    recorded = simulate_campaign(
        RecordedOutcomes(pool, truth), "fewest_successes", rounds=1, budget=300, initial=20,
        seed=2, model="beta", fit_kwargs=CAMPAIGN_FIT)
    assert recorded.rows["attempts"].tolist() == [600, 900]
    fig = plot_campaigns([known, recorded])
    assert isinstance(fig, Figure)
    assert "Simulated campaign" in known.to_markdown()
