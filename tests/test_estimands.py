"""Derived quantities on fake posteriors against closed forms — no MCMC."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import betaln, logsumexp

import monkeypower as mp
from monkeypower import estimands as est
from monkeypower.estimands import curves

BETA = mp.get_family("beta") if hasattr(mp, "get_family") else None
DRAWS = {"alpha": np.array([0.2, 0.3, 0.5]), "beta": np.array([2.0, 3.0, 8.0])}


def test_population_curve_is_betabinomial_zero_mass():
    k = np.array([1, 10, 1000, 10**6])
    ours = np.exp(est.population_log_fail(mp.get_family("beta"), DRAWS, k))
    for s in range(3):
        expected = stats.betabinom.pmf(0, k, DRAWS["alpha"][s], DRAWS["beta"][s])
        np.testing.assert_allclose(ours[s], expected, rtol=1e-10)


def test_forecast_is_weighted_posterior_predictive():
    n, c, w = np.array([100, 100, 50]), np.array([0, 7, 50]), np.array([3, 1, 2])
    k = np.array([10, 10_000])
    ours = est.forecast_log_fail(mp.get_family("beta"), DRAWS, k, n, c, w)
    for s in range(3):
        a, b = DRAWS["alpha"][s], DRAWS["beta"][s]
        per_pair = np.exp(betaln(a + c[:, None], b + n[:, None] - c[:, None] + k)
                          - betaln(a + c[:, None], b + n[:, None] - c[:, None]))
        expected = np.log((w[:, None] * per_pair).sum(0) / w.sum())
        np.testing.assert_allclose(ours[s], expected, rtol=1e-10)


class _CountingFamily:
    """A family that counts the elements of L it is asked for."""

    parallel_kernel = True  # the curve then adds no threads: one counter, no race

    def __init__(self, family):
        self.family, self.elements = family, 0

    def log_moment(self, c, f, params, backend):
        out = self.family.log_moment(c, f, params, backend)
        self.elements += np.size(out)
        return out


@pytest.mark.parametrize("successes", [False, True])
def test_forecast_curve_to_large_k_skips_only_negligible_terms(successes):
    """Mostly solved problems: their terms fall below the rounding unit of the curve long
    before k = 10^6 and are not evaluated there (under 70% of draws x pairs x k here), yet every
    column is the full weighted sum (closed form; k unsorted, with repeats) to rounding."""
    n = np.array([1000, 1000, 1000, 1000, 400, 1000])
    c = np.array([0, 1, 30, 500, 400, 990])
    w = np.array([2, 1, 3, 1, 1, 2])
    k = np.concatenate([np.round(np.geomspace(1e6, 1, 40)), [7, 0, 10**6]])
    family = _CountingFamily(mp.get_family("beta"))
    curve = est.forecast_log_pass_all if successes else est.forecast_log_fail
    ours = curve(family, DRAWS, k, n, c, w)
    a, b = DRAWS["alpha"][:, None, None], DRAWS["beta"][:, None, None]
    cc, ff, kk = c[None, :, None], (n - c)[None, :, None], k[None, None, :]
    later = betaln(a + cc + kk, b + ff) if successes else betaln(a + cc, b + ff + kk)
    per_pair = later - betaln(a + cc, b + ff)
    log_mean = logsumexp(per_pair, b=(w / w.sum())[None, :, None], axis=1)
    np.testing.assert_allclose(ours, log_mean, rtol=1e-9, atol=1e-13)  # betaln's own rounding
    params = {name: v[:, None, None] for name, v in DRAWS.items()}
    now = family.family.log_moment(cc[0], ff[0], params, "numpy")
    later = family.family.log_moment(cc[0] + kk[0], ff[0], params, "numpy") if successes else \
        family.family.log_moment(cc[0], ff[0] + kk[0], params, "numpy")
    summed = logsumexp(later - now, b=(w / w.sum())[None, :, None], axis=1)
    np.testing.assert_allclose(ours, summed, rtol=1e-13, atol=1e-14)  # summation order
    assert family.elements < 0.7 * len(DRAWS["alpha"]) * len(n) * (len(k) + 1)


def test_effective_exponent_is_ols_on_the_curve_and_differs_from_alpha():
    family = mp.get_family("beta")
    window = (1, 10_000)
    ours = est.effective_exponent(family, DRAWS, window)
    grid = mp.reference_k_grid(10_000)
    for s in range(3):
        fail = stats.betabinom.pmf(0, grid, DRAWS["alpha"][s], DRAWS["beta"][s])
        slope = np.polyfit(np.log(grid), np.log(-np.log1p(-fail)), 1)[0]
        assert ours[s] == pytest.approx(-slope, rel=1e-8)
    assert not np.allclose(ours, DRAWS["alpha"], rtol=0.05)  # the estimand mismatch of BRIEF §4


def test_attempts_for_target_is_the_smallest_k():
    family = mp.get_family("beta")
    k = est.attempts_for_target(family, DRAWS, 0.5, curve="population")
    for s in range(3):
        a, b = DRAWS["alpha"][s], DRAWS["beta"][s]
        assert 1 - stats.betabinom.pmf(0, k[s], a, b) >= 0.5
        assert 1 - stats.betabinom.pmf(0, k[s] - 1, a, b) < 0.5


SOLVED_MOSTLY = (np.array([1000.0, 1000, 1000, 1000, 400, 1000]),
                 np.array([0.0, 1, 30, 500, 400, 990]), np.array([2, 1, 3, 1, 1, 2]))


@pytest.mark.parametrize("curve,data", [
    ("population", None),
    ("forecast", (np.array([100.0, 100.0, 40.0]), np.array([0.0, 9.0, 40.0]),
                  np.array([5, 2, 1]))),
    ("forecast", SOLVED_MOSTLY),  # terms that stop counting are skipped
])
@pytest.mark.parametrize("target", [0.3, 0.9, 0.999])
def test_attempts_for_target_root_finding_is_exact_per_draw(curve, data, target):
    """The log-k root finding returns, for every draw, the smallest k that reaches the target
    (checked at k and k - 1 draw by draw), and inf where the curve plateaus below it."""
    family = mp.get_family("scaled_beta")
    rng = np.random.default_rng(5)
    size = 40
    draws = {"alpha": np.exp(rng.uniform(np.log(0.05), np.log(3), size)),
             "beta": np.exp(rng.uniform(np.log(0.5), np.log(30), size)),
             "scale": rng.uniform(0.2, 1.0, size)}
    got = est.attempts_for_target(family, draws, target, curve=curve, data=data, k_max=1e9)

    def log_fail(k, s):
        one = {name: v[s : s + 1] for name, v in draws.items()}
        if curve == "population":
            return est.population_log_fail(family, one, [k])[0, 0]
        return est.forecast_log_fail(family, one, [k], *data)[0, 0]

    plateau = 0
    for s in range(size):
        if np.isinf(got[s]):  # the curve cannot reach the target: pass@inf = scale (+ solved)
            assert log_fail(1e9, s) > np.log1p(-target)
            plateau += 1
            continue
        k = int(got[s])
        assert log_fail(k, s) <= np.log1p(-target)
        assert k == 1 or log_fail(k - 1, s) > np.log1p(-target)
    assert plateau < size


@pytest.mark.parametrize("target", [0.99, 0.999])
def test_attempts_for_target_skips_terms_that_stopped_counting(monkeypatch, target):
    """On a benchmark of mostly solved problems, for a high target, the root finding evaluates
    under 80% of the terms it evaluates with the skipping switched off (the bracket's growth
    skips none), and finds the same k for every draw."""
    c = np.array([0.0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900])
    data = (np.full(c.shape, 1000.0), c, np.ones(c.shape))
    family = _CountingFamily(mp.get_family("beta"))
    skipping = est.attempts_for_target(family, DRAWS, target, data=data)
    monkeypatch.setattr(curves, "_LOG_NEGLIGIBLE", -np.inf)
    every_term = _CountingFamily(mp.get_family("beta"))
    np.testing.assert_array_equal(
        est.attempts_for_target(every_term, DRAWS, target, data=data), skipping)
    assert family.elements < 0.8 * every_term.elements


def test_estimand_rows_follow_the_interval_convention():
    rng = np.random.default_rng(0)
    draws = est.EstimandDraws("asymptotic_exponent", "power_law", rng.normal(0.3, 0.05, (4, 500)))
    row = draws.rows()[0]
    assert {"eti95_lower", "eti95_upper"} <= set(row)
    flat = draws.draws.ravel()
    assert row["eti95_lower"] == pytest.approx(np.quantile(flat, 0.025))
    with mp.interval_convention(0.9, "hdi"):
        row = draws.rows()[0]
        assert {"hdi90_lower", "hdi90_upper"} <= set(row)
    assert 0.99 < row["r_hat"] < 1.01 and row["ess_bulk"] > 1000


def test_measured_pass_predictive_matches_brute_force_simulation():
    """The predictive of the measured pass_D@K against simulating p_i | data and the attempts."""
    family = mp.get_family("beta")
    a, b = 0.3, 3.0
    n, c, w = np.array([100, 100]), np.array([0, 4]), np.array([30, 5])
    K, M_total, S = 2_000, 120, 40_000
    params = {"alpha": np.full(S, a), "beta": np.full(S, b)}
    ours = est.measured_neg_log_pass(family, params, K, n, c, w, n_problems=M_total,
                                     rng=np.random.default_rng(0))
    solved_ours = np.rint(M_total * np.exp(-ours))
    rng = np.random.default_rng(1)
    p_unsolved = rng.beta(a, b + 100, size=(S, 30))  # p | 0 of 100
    later = rng.binomial(K - 100, p_unsolved) > 0
    p_new = rng.beta(a, b, size=(S, M_total - 35))
    fresh = rng.binomial(K, p_new) > 0
    solved_brute = 5 + later.sum(1) + fresh.sum(1)
    assert solved_ours.mean() == pytest.approx(solved_brute.mean(), rel=0.01)
    assert solved_ours.var() == pytest.approx(solved_brute.var(), rel=0.05)
    # its mean is the expected curve of the same benchmark (seen problems' forecast + population)
    fail_seen = np.exp(est.forecast_log_fail(family, params, [K - 100], n[:1], c[:1], w[:1]))
    fail_new = np.exp(est.population_log_fail(family, params, [K]))
    expected = 5 + 30 * (1 - fail_seen[0, 0]) + (M_total - 35) * (1 - fail_new[0, 0])
    assert solved_ours.mean() == pytest.approx(expected, rel=0.01)
    # negative control: leaving out one noise source (the unseen problems) is detected
    seen_only = est.measured_neg_log_pass(family, params, K, n, c, w,
                                          rng=np.random.default_rng(0))
    solved_seen = np.rint(35 * np.exp(-seen_only))
    brute_seen = 5 + later.sum(1)
    assert solved_seen.var() == pytest.approx(brute_seen.var(), rel=0.05)
    assert solved_seen.var() < 0.8 * solved_brute.var()


def test_measured_pass_refuses_impossible_totals():
    family = mp.get_family("beta")
    with pytest.raises(ValueError, match="below the largest n"):
        est.measured_neg_log_pass(family, DRAWS, 50, np.array([100]), np.array([1]),
                                  np.array([3]), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="problems already seen"):
        est.measured_neg_log_pass(family, DRAWS, 200, np.array([100]), np.array([1]),
                                  np.array([3]), n_problems=2, rng=np.random.default_rng(0))


def test_the_registry_is_the_one_list_of_estimands():
    """Fit, the stacked comparison and the JSON schema doc all follow ESTIMANDS."""
    import pathlib
    import re

    from monkeypower.estimands import ESTIMANDS, STACKABLE

    doc = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "json_schema.md").read_text()
    documented = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", doc.split("## Estimands")[1], re.M))
    assert documented == {name: e.definition for name, e in ESTIMANDS.items()}
    for name in ESTIMANDS:
        assert callable(getattr(mp.Fit, name)), f"Fit has no method for estimand {name}"
    assert set(STACKABLE) <= set(ESTIMANDS)


# --------------------------------------------------------------------------- pass^k
def test_population_pass_all_k_is_the_beta_moment():
    """pass^k = E[p^k] = B(α+k, β)/B(α, β) = Π_{j<k} (α+j)/(α+β+j), against scipy and the
    rising-factorial product (scipy's Beta moment loses accuracy beyond k ~ 10)."""
    k = np.array([0, 1, 2, 10, 1000])
    ours = np.exp(est.population_log_pass_all(mp.get_family("beta"), DRAWS, k))
    for s in range(3):
        a, b = DRAWS["alpha"][s], DRAWS["beta"][s]
        product = [np.exp(np.sum(np.log((a + np.arange(j)) / (a + b + np.arange(j)))))
                   for j in k]
        np.testing.assert_allclose(ours[s], product, rtol=1e-11)
        np.testing.assert_allclose(ours[s, :3], [stats.beta(a, b).moment(int(j))
                                                 for j in k[:3]], rtol=1e-12)
    # k = 1: pass^1 = pass@1 = E[p]
    pass_at_1 = -np.expm1(est.population_log_fail(mp.get_family("beta"), DRAWS, [1]))
    np.testing.assert_allclose(ours[:, 1], pass_at_1[:, 0], rtol=1e-12)


def test_forecast_pass_all_k_is_the_weighted_conditional_moment():
    n, c, w = np.array([100, 100, 50]), np.array([0, 7, 50]), np.array([3, 1, 2])
    k = np.array([1, 3, 100])
    ours = np.exp(est.forecast_log_pass_all(mp.get_family("beta"), DRAWS, k, n, c, w))
    for s in range(3):
        a, b = DRAWS["alpha"][s], DRAWS["beta"][s]
        # p | n, c ~ Beta(a + c, b + n - c): its k-th moment as a rising-factorial product
        per_pair = np.array([[np.prod((a + ci + np.arange(j)) / (a + b + ni + np.arange(j)))
                              for j in k] for ni, ci in zip(n, c, strict=True)])
        np.testing.assert_allclose(ours[s], (w[:, None] * per_pair).sum(0) / w.sum(),
                                   rtol=1e-11)


def test_pass_all_k_registry_entries():
    post = est.PosteriorDraws(mp.get_family("beta"),
                              {k: v.reshape(1, 3) for k, v in DRAWS.items()},
                              np.array([20]), np.array([5]), np.array([4]), 0)
    draws = est.compute("population_pass_all_k", post, [1, 5])
    assert draws.draws.shape == (1, 3, 2) and draws.detail == "pass^k"
    assert (np.diff(draws.draws, axis=-1) < 0).all()  # pass^k falls with k
    assert est.compute("forecast_pass_all_k", post, [2]).rows()[0]["detail"] == "k = 2, pass^k"
    with pytest.raises(ValueError, match="non-negative"):
        est.compute("population_pass_all_k", post, [-1])


@pytest.mark.parametrize("name", ["population_pass_at_k", "forecast_pass_at_k"])
def test_pass_at_zero_attempts_is_exactly_zero_and_bad_k_is_refused(name):
    """k = 0: pass_D@0 = 0 and -log pass_D@0 = inf exactly (the log of the failure curve used
    to round to +1e-16, a pass probability of -1e-15); no k, NaN or inf is refused by name."""
    post = est.PosteriorDraws(mp.get_family("beta"),
                              {k: v.reshape(1, 3) for k, v in DRAWS.items()},
                              np.array([20, 20]), np.array([0, 5]), np.array([3, 1]), 0)
    pass_k = est.compute(name, post, [0, 1, 1e300]).draws
    assert (pass_k[..., 0] == 0.0).all() and (pass_k[..., 2] == 1.0).all()
    assert ((pass_k[..., 1] > 0) & (pass_k[..., 1] < 1)).all()
    assert np.isposinf(est.compute(name, post, [0], neg_log=True).draws).all()
    with pytest.raises(ValueError, match="at least one"):
        est.compute(name, post, [])
    with pytest.raises(ValueError, match=r"finite numbers of attempts.*\[nan\] at positions \[1\]"):
        est.compute(name, post, [1, np.nan])
    with pytest.raises(ValueError, match=r"\[inf\] at positions \[0\]"):
        est.compute(name, post, [np.inf])


def test_windows_and_totals_of_attempts_must_be_whole_numbers_in_range():
    """One window check (``curves.checked_window``) for the estimands, the baselines and the
    planner's targets: (1.5, 100.7) used to become (1, 100) without a word, and k2 = 1e30 failed
    deep in NumPy (a Python int beyond int64)."""
    post = est.PosteriorDraws(mp.get_family("beta"),
                              {k: v.reshape(1, 3) for k, v in DRAWS.items()},
                              np.array([20]), np.array([5]), np.array([4]), 0)
    assert est.compute("effective_exponent", post, (1.0, 1e18)).draws.shape == (1, 3)
    for window, message in [((1.5, 100), "whole numbers"), ((1, 1e30), "<= 1e18"),
                            ((100, 10), "1 <= k1 < k2"), ((1, 2, 3), "two numbers"),
                            ((True, 10), "whole numbers")]:
        with pytest.raises(ValueError, match=message):
            est.compute("effective_exponent", post, window)
    with pytest.raises(ValueError, match="whole numbers"):
        mp.baselines.least_squares(mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=30,
                                                n_attempts=50, seed=0), window=(1, 10.5))
    with pytest.raises(ValueError, match="n_total must be a whole number"):
        est.compute("measured_pass_at_k", post, 1000.5)


# --------------------------------------------------------------------------- p_i | data
def _grid_quantiles(log_density, probs, hi=1.0, points=400_001):
    """Quantiles and mean of a density on (0, hi) by a trapezoid rule (the quadrature oracle).

    The grid is uniform in u = log p (from hi·1e-14), so a density like p^(α-1) with α < 1 near
    0 is resolved; the density in u is the density in p times p.
    """
    u = np.linspace(np.log(hi) - 14 * np.log(10), np.log(hi), points)[:-1]
    p = np.exp(u)
    log_d = log_density(p) + u
    d = np.exp(log_d - log_d.max())
    cdf = np.concatenate([[0.0], np.cumsum((d[1:] + d[:-1]) / 2)])
    mean = np.sum((p[1:] * d[1:] + p[:-1] * d[:-1]) / 2) / cdf[-1]
    return np.interp(probs, cdf / cdf[-1], p), mean


PROBS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


@pytest.mark.parametrize("c, f", [(0, 30), (3, 17), (12, 8)])
def test_conditional_beta_draws_are_the_conjugate_beta(c, f):
    family = mp.get_family("beta")
    params = {"alpha": np.full(4000, 0.4), "beta": np.full(4000, 2.5)}
    drawn = est.conditional_p_draws(family, params, [c], [f], size=5,
                                    rng=np.random.default_rng(1))
    assert drawn.method == "exact" and drawn.ess is None
    values = drawn.values[:, 0].ravel()
    # 20,000 exact draws: a KS test at the 0.1% level fails only by chance (fixed seed)
    assert stats.kstest(values, stats.beta(0.4 + c, 2.5 + f).cdf).pvalue > 1e-3


def test_conditional_zero_inflated_beta_has_the_point_mass_at_zero():
    family = mp.get_family("zero_inflated_beta")
    pi0, a, b, f = 0.3, 0.5, 3.0, 20
    params = {"pi0": np.full(2000, pi0), "alpha": np.full(2000, a), "beta": np.full(2000, b)}
    drawn = est.conditional_p_draws(family, params, [0, 4], [f, f], size=10,
                                    rng=np.random.default_rng(2))
    unsolved, solved = drawn.values[:, 0].ravel(), drawn.values[:, 1].ravel()
    # P(p = 0 | c = 0) = π0 / (π0 + (1-π0) B(a, b+f)/B(a, b)), by Bayes' rule
    evidence = pi0 + (1 - pi0) * np.exp(betaln(a, b + f) - betaln(a, b))
    share = np.mean(unsolved == 0)
    se = np.sqrt(share * (1 - share) / unsolved.size)
    assert share == pytest.approx(pi0 / evidence, abs=4 * se)
    assert stats.kstest(unsolved[unsolved > 0], stats.beta(a, b + f).cdf).pvalue > 1e-3
    assert (solved > 0).all()  # a success rules the point mass out
    assert stats.kstest(solved, stats.beta(a + 4, b + f).cdf).pvalue > 1e-3


def test_conditional_beta_mixture_matches_quadrature():
    family = mp.get_family("beta_mixture")
    theta = {"tail_weight": 0.3, "alpha_tail": 0.3, "beta_tail": 5.0, "alpha_body": 4.0,
             "beta_body": 4.0}
    c, f = 2, 18
    params = {k: np.full(4000, v) for k, v in theta.items()}
    drawn = est.conditional_p_draws(family, params, [c], [f], size=10,
                                    rng=np.random.default_rng(3))

    def log_density(p):
        mix = (theta["tail_weight"] * stats.beta.pdf(p, 0.3, 5.0)
               + (1 - theta["tail_weight"]) * stats.beta.pdf(p, 4.0, 4.0))
        return c * np.log(p) + f * np.log1p(-p) + np.log(mix)

    expected, _ = _grid_quantiles(log_density, PROBS)
    values = drawn.values[:, 0].ravel()
    # 40,000 exact draws: quantile standard errors are below 0.003 here
    np.testing.assert_allclose(np.quantile(values, PROBS), expected, atol=0.01)


@pytest.mark.parametrize("name, theta, log_g", [
    ("scaled_beta", {"alpha": 0.4, "beta": 3.0, "scale": 0.6},
     lambda p: stats.beta.logpdf(p / 0.6, 0.4, 3.0) - np.log(0.6)),
    ("logit_normal", {"mu": -1.5, "sigma": 1.2},
     lambda p: stats.norm.logpdf(np.log(p / (1 - p)), -1.5, 1.2) - np.log(p * (1 - p))),
])
@pytest.mark.parametrize("c, f", [(0, 40), (5, 35)])
def test_importance_draws_match_quadrature_of_the_conditional(name, theta, log_g, c, f):
    """Families without a conjugate conditional: importance sampling against quadrature of
    p^c (1-p)^f g(p) with the density written out here (g: scaled Beta / logit-normal)."""
    family = mp.get_family(name)
    params = {k: np.full(500, v) for k, v in theta.items()}
    drawn = est.conditional_p_draws(family, params, [c], [f], size=20,
                                    rng=np.random.default_rng(4), proposals=512)
    assert drawn.method == "importance" and drawn.ess[0] > 20
    hi = theta.get("scale", 1.0)
    expected, mean = _grid_quantiles(lambda p: c * np.log(p) + f * np.log1p(-p) + log_g(p),
                                     PROBS, hi=hi)
    values = drawn.values[:, 0].ravel()
    # 500 draws × (ESS ≥ 20 each): relative quantile errors of a few percent; 0.1 of the
    # quantile (plus 0.002 absolute, for quantiles near 0) is well outside that noise
    np.testing.assert_allclose(np.quantile(values, PROBS), expected, rtol=0.1, atol=0.002)
    # and the mean agrees with the primitive's exact E[p | c, f] = exp(L(c+1, f) - L(c, f))
    one = {k: np.array([v]) for k, v in theta.items()}
    # float arrays of one shape: the scaled Beta numba kernel refuses integer counts, and
    # arrays that np.broadcast_arrays had to broadcast (a NumPy FutureWarning on their flags)
    cf = (np.array([float(c)]), np.array([float(f)]))
    exact = np.exp(family.log_moment(cf[0] + 1, cf[1], one) - family.log_moment(*cf, one))[0]
    assert mean == pytest.approx(exact, rel=1e-3)  # the oracle itself is right
    assert values.mean() == pytest.approx(exact, rel=0.05)


def test_problem_posterior_mean_is_exact_and_rows_are_hardest_first():
    family = mp.get_family("beta")
    n, c, w = np.array([50, 50, 50, 80]), np.array([0, 3, 40, 0]), np.array([2, 1, 1, 1])
    post = est.PosteriorDraws(family, {k: np.tile(v, (2, 1)) for k, v in DRAWS.items()},
                              n, c, w, 7)
    problem = np.array(["a", "b", "c", "d", "e"])
    pair = np.array([2, 0, 1, 0, 3])
    result = est.problem_posterior(post, problem, pair, size=2000)
    table = result.summary()
    for pid, ni, ci in zip(table["problem"], table["n"], table["c"], strict=True):
        a, b = DRAWS["alpha"], DRAWS["beta"]
        exact = np.mean((a + ci) / (a + b + ni))  # E over draws of the conjugate mean
        row = table[table["problem"] == pid].iloc[0]
        assert row["mean"] == pytest.approx(exact, rel=1e-10)
    # 0 of 80 is hardest; then the two problems with 0 of 50 (ties keep the input order)
    assert list(table["problem"]) == ["e", "b", "d", "c", "a"]
    assert table["mean"].is_monotonic_increasing
    assert {"eti95_lower", "eti95_upper", "median"} <= set(table.columns)
    assert (table["eti95_lower"] <= table["median"]).all()
    assert (table["median"] <= table["eti95_upper"]).all()
    assert "hardest first" in table.attrs["title"] and table.attrs["interval"]["prob"] == 0.95
    assert list(result.hardest(2)["problem"]) == ["e", "b"] and len(result.hardest(99)) == 5
    for bad in (-1, 2.5):  # head(-1) used to return all rows but the last
        with pytest.raises(ValueError, match="count must be a non-negative integer"):
            result.hardest(bad)
    with mp.interval_convention(0.8):
        assert "eti80_lower" in result.summary().columns
    # the draws' mean agrees with the exact mean to Monte Carlo error (6 draws x 2000 each)
    draws_mean = result.draws.mean(axis=1)
    np.testing.assert_allclose(draws_mean, result.mean, rtol=0.05, atol=1e-3)


def test_importance_sampling_with_too_few_proposals_warns():
    family = mp.get_family("scaled_beta")
    params = {"alpha": np.full((1, 20), 0.3), "beta": np.full((1, 20), 3.0),
              "scale": np.full((1, 20), 0.5)}
    post = est.PosteriorDraws(family, params, np.array([400]), np.array([200]), np.array([1]),
                              0)
    # c/n = 0.5 at the population's edge (scale 0.5): almost no proposal lands there
    with pytest.warns(est.ConditionalSamplingWarning, match=r"1 problems have a mean effective"):
        result = est.problem_posterior(post, np.array([0]), np.array([0]), proposals=8)
    assert result.ess[0] < 20 and result.method == "importance"
