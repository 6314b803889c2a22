"""The extra population families: Kumaraswamy, logit-normal, zero-inflated (scaled) Beta, and
the two-component Beta mixture.

Accuracy criteria (:func:`_assert_close`): the relative error of ``L`` itself (``|dL| / |L|``,
strict where ``|L|`` is small, unlike ``|dL| / max(1, |L|)``) and, where ``|L| <= 50``, the
relative error of ``E = exp(L)`` (``|expm1(dL)|``); ``L(0, 0) = 0`` must be exact.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import gamma, gammaln

import monkeypower as mp
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.families import (
    FAMILIES,
    NUMPY,
    BetaMixtureFamily,
    KumaraswamyFamily,
    LogitNormalFamily,
    TailBehaviour,
    ZeroInflatedBetaFamily,
    ZeroInflatedScaledBetaFamily,
    get_family,
)
from monkeypower.families import _laplace as laplace
from monkeypower.families.kumaraswamy import kumaraswamy_log_moment
from monkeypower.families.logit_normal import logit_normal_log_moment

KUM = get_family("kumaraswamy")
LN = get_family("logit_normal")
ZIB = get_family("zero_inflated_beta")
ZISB = get_family("zero_inflated_scaled_beta")
MIX = get_family("beta_mixture")
BETA = get_family("beta")
SBETA = get_family("scaled_beta")
NEW = {"kumaraswamy": KUM, "logit_normal": LN, "zero_inflated_beta": ZIB,
       "zero_inflated_scaled_beta": ZISB, "beta_mixture": MIX}
MP_DPS = 30

# one representative parameter point per family (natural parameters)
EXAMPLES = {
    "kumaraswamy": {"a": 0.3, "b": 3.0},
    "logit_normal": {"mu": -2.0, "sigma": 1.5},
    "zero_inflated_beta": {"pi0": 0.2, "alpha": 0.3, "beta": 3.0},
    "zero_inflated_scaled_beta": {"pi0": 0.2, "alpha": 0.3, "beta": 3.0, "scale": 0.4},
    "beta_mixture": {"tail_weight": 0.3, "alpha_tail": 0.2, "beta_tail": 20.0,
                     "alpha_body": 1.5, "beta_body": 3.0},
}


def _errors(got, ref) -> tuple[np.ndarray, np.ndarray]:
    """(relative error of L, relative error of E = e^L); L_ref = 0 gives |dL| for both."""
    got, ref = np.asarray(got, float), np.asarray(ref, float)
    diff = got - ref
    rel_l = np.abs(diff) / np.where(ref == 0.0, 1.0, np.abs(ref))
    return rel_l, np.abs(np.expm1(diff))


def _worst_error(got, ref) -> float:
    """Worst relative error of L, and of E = e^L where E is not astronomically small.

    (For |L| ~ 1e6 the float64 spacing of L alone is ~1e-10 in E's relative error.)
    """
    ref = np.asarray(ref, float)
    rel_l, rel_e = _errors(got, ref)
    return float(np.max(np.maximum(rel_l, np.where(np.abs(ref) <= 50.0, rel_e, 0.0))))


def _assert_close(got, ref, tol, what):
    got, ref = np.asarray(got, float), np.asarray(ref, float)
    assert np.all(got[ref == 0.0] == 0.0), what
    assert _worst_error(got, ref) <= tol, (what, _worst_error(got, ref))


# ---------------------------------------------------------------------------
# mpmath oracle: adaptive tanh-sinh quadrature of a unimodal integrand on the real line
# ---------------------------------------------------------------------------


def mp_log_integral(psi_float, psi_mp, span, extra=()):
    r""":math:`\log\int e^{\psi(t)}dt` with mpmath.

    The peak and the points where :math:`\psi` has dropped by 0.5 ... 40 nats are located on a
    dense float grid over ``span``; the integral (cut where :math:`\psi` is 80 nats below its
    peak, a relative contribution < 1e-30) is done by ``mpmath.quad`` over the pieces between
    them (plus ``extra`` break points), and its own error estimate is returned.
    """
    t = np.linspace(span[0], span[1], 200_001)
    with np.errstate(all="ignore"):
        psi = psi_float(t)
    psi = np.where(np.isfinite(psi), psi, -np.inf)
    i = int(np.argmax(psi))
    res = minimize_scalar(lambda x: -float(psi_float(np.float64(x))),
                          bounds=(t[max(i - 1, 0)], t[min(i + 1, t.size - 1)]),
                          method="bounded", options={"xatol": 1e-12})
    t_peak, peak = float(res.x), float(-res.fun)
    keep = np.nonzero(psi > peak - 80.0)[0]
    step = t[1] - t[0]
    lo, hi = t[keep[0]] - step, t[keep[-1]] + step
    assert span[0] < lo and hi < span[1], "oracle span too short"
    pts = {lo, hi, t_peak, *extra}
    for drop in (0.5, 2.0, 8.0, 20.0, 40.0):
        idx = np.nonzero(np.diff((psi > peak - drop).astype(int)))[0]
        pts.update(float(0.5 * (t[j] + t[j + 1])) for j in idx)
    pts = sorted(p for p in pts if lo <= p <= hi)
    with mpmath.workdps(MP_DPS):
        shift = mpmath.mpf(peak)
        total, err = mpmath.quad(lambda x: mpmath.exp(psi_mp(x) - shift),
                                 [mpmath.mpf(p) for p in pts], error=True)
        return float(shift + mpmath.log(total)), float(err / total)


def _log_sigmoid_np(x):
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def mp_logit_normal(c, f, mu, sigma):
    """Oracle in x = logit p (the Gaussian in x times sigma(x)^c sigma(-x)^f)."""
    def psi_float(x):
        ls = _log_sigmoid_np(x)
        return c * ls + f * (ls - x) - 0.5 * ((x - mu) / sigma) ** 2

    c_, f_, mu_, s_ = (mpmath.mpf(v) for v in (c, f, mu, sigma))

    def psi_mp(x):
        return (-c_ * mpmath.log1p(mpmath.exp(-x)) - f_ * mpmath.log1p(mpmath.exp(x))
                - (x - mu_) ** 2 / (2 * s_**2))

    value, err = mp_log_integral(psi_float, psi_mp, (mu - 30 * sigma - 10, mu + 30 * sigma + 10),
                                 extra=(0.0,))
    return value - math.log(sigma) - 0.5 * math.log(2 * math.pi), err


def mp_kumaraswamy(c, f, a, b):
    """Oracle in x = logit p (an independent variable: the kernel integrates in logit(p^a))."""
    def psi_float(x):
        ls = _log_sigmoid_np(x)
        la = np.minimum(a * ls, -1e-300)
        l1 = np.where(la > -0.69, np.log(-np.expm1(la)), np.log1p(-np.exp(la)))
        return (a + c) * ls + (f + 1) * (ls - x) + (b - 1) * l1

    c_, f_, a_, b_ = (mpmath.mpf(v) for v in (c, f, a, b))

    def psi_mp(x):
        lp = -mpmath.log1p(mpmath.exp(-x))
        return (a_ + c_) * lp + (f_ + 1) * (lp - x) + (b_ - 1) * mpmath.log(-mpmath.expm1(a_ * lp))

    value, err = mp_log_integral(psi_float, psi_mp, (-1500.0, 800.0), extra=(0.0,))
    return value + math.log(a * b), err


def _mp_log_beta(x, y):
    with mpmath.workdps(MP_DPS):
        x, y = mpmath.mpf(x), mpmath.mpf(y)
        return mpmath.loggamma(x) + mpmath.loggamma(y) - mpmath.loggamma(x + y)


def mp_beta_log_moment(c, f, alpha, beta):
    """Exact Beta L(c, f) = log B(alpha + c, beta + f) - log B(alpha, beta), in mpmath."""
    with mpmath.workdps(MP_DPS):
        return _mp_log_beta(alpha + c, beta + f) - _mp_log_beta(alpha, beta)


def _grid_cases(params, counts, per_point=3):
    """Every parameter point, each with ``per_point`` of the count pairs (rotating)."""
    out = []
    for i, point in enumerate(params):
        for j in range(per_point):
            out.append((*counts[(i * per_point + j) % len(counts)], *point))
    return np.array(out, dtype=np.float64)


# c = 0 with n = 10^6, c = n, and mid cases; every pair appears with several parameter points
COUNTS = [(0, 1e6), (1e4, 0), (37, 9963), (3, 97), (0, 3), (1, 999_999), (5e5, 5e5), (2, 0),
          (0, 0)]


def test_oracle_is_exact_where_a_closed_form_exists():
    """The quadrature oracle reproduces exact Beta values (Kumaraswamy(1, b) = Beta(1, b))."""
    for c, f, b in [(0, 1e6, 0.5), (37, 9963, 3.0), (1e4, 0, 50.0)]:
        value, err = mp_kumaraswamy(c, f, 1.0, b)
        assert abs(value - float(mp_beta_log_moment(c, f, 1.0, b))) <= 1e-13 * max(1, abs(value))
        assert err < 1e-20


def test_logit_normal_vs_mpmath():
    cases = _grid_cases(list(itertools.product([-6.0, -2.0, 0.0, 2.0], [0.3, 1.0, 3.0])), COUNTS)
    got = LN.log_moment(cases[:, 0], cases[:, 1], {"mu": cases[:, 2], "sigma": cases[:, 3]})
    refs = np.array([mp_logit_normal(*row) for row in cases])
    assert refs[:, 1].max() < 1e-20  # the oracle's own error estimate
    refs[(cases[:, 0] == 0) & (cases[:, 1] == 0), 0] = 0.0  # L(0, 0) = 0 exactly
    _assert_close(got, refs[:, 0], 1e-8, "logit-normal")
    # the measured accuracy is far better than required: keep it from silently degrading
    assert _worst_error(got, refs[:, 0]) < 1e-11


def test_kumaraswamy_vs_mpmath():
    cases = _grid_cases(list(itertools.product([0.1, 0.3, 1.0, 2.0], [0.5, 3.0, 50.0])), COUNTS)
    got = KUM.log_moment(cases[:, 0], cases[:, 1], {"a": cases[:, 2], "b": cases[:, 3]})
    refs = np.array([mp_kumaraswamy(*row) for row in cases])
    assert refs[:, 1].max() < 1e-20
    refs[(cases[:, 0] == 0) & (cases[:, 1] == 0), 0] = 0.0
    _assert_close(got, refs[:, 0], 1e-8, "Kumaraswamy")
    assert _worst_error(got, refs[:, 0]) < 1e-11


def test_kumaraswamy_closed_forms():
    """f = 0: E[p^c] = b B(1 + c/a, b); a = 1 is Beta(1, b) and b = 1 is Beta(a, 1)."""
    rows, refs = [], []
    for a, b in itertools.product([0.05, 0.1, 0.3, 1.0, 2.0], [0.5, 3.0, 50.0]):
        for c in (1.0, 17.0, 1e4, 3e6):
            rows.append((c, 0.0, a, b))
            refs.append(math.log(b) + float(_mp_log_beta(1 + c / a, b)))
    for b in (0.5, 3.0, 50.0):  # a = 1: Beta(1, b)
        for c, f in [(0, 1e6), (0, 4e6), (37, 9963), (1, 999_999), (5e5, 5e5)]:
            rows.append((c, f, 1.0, b))
            refs.append(float(mp_beta_log_moment(c, f, 1.0, b)))
    for a in (0.05, 0.1, 0.3, 2.0):  # b = 1: Beta(a, 1)
        for c, f in [(0, 1e6), (0, 4e6), (37, 9963), (1, 999_999), (5e5, 5e5)]:
            rows.append((c, f, a, 1.0))
            refs.append(float(mp_beta_log_moment(c, f, a, 1.0)))
    rows = np.array(rows)
    got = KUM.log_moment(rows[:, 0], rows[:, 1], {"a": rows[:, 2], "b": rows[:, 3]})
    _assert_close(got, refs, 1e-10, "Kumaraswamy closed forms")


def test_numba_and_backend_node_placements_agree():
    """NumPy/PyTensor place nodes with numba, JAX with the backend code: same L."""
    rng = np.random.default_rng(3)
    n = np.floor(10 ** rng.uniform(0, 6.5, 400))
    c = np.floor(rng.uniform(size=400) ** 3 * (n + 1))
    c[::4], c[1::4] = 0, n[1::4]
    f = n - c
    mu, sigma = rng.uniform(-8, 3, 400), 10 ** rng.uniform(-1, 0.6, 400)
    a, b = 10 ** rng.uniform(-1, 0.5, 400), 10 ** rng.uniform(-0.5, 2, 400)
    for fn, t1, t2 in [(logit_normal_log_moment, mu, sigma), (kumaraswamy_log_moment, a, b)]:
        fast = fn(c, f, t1, t2, NUMPY, numba_nodes=True)
        generic = fn(c, f, t1, t2, NUMPY, numba_nodes=False)
        assert _worst_error(fast, generic) < 1e-11, fn.__name__


def test_quadrature_does_not_depend_on_the_node_budget(monkeypatch):
    """More nodes change nothing: the default budget has converged, even on hard cases."""
    import monkeypower.families.logit_normal as ln_module

    rows = np.array([(0, 1, -10, 5), (0, 3, -6, 3), (1, 0, 3, 10), (0, 1e6, 2, 0.3),
                     (5e5, 5e5, 0, 3), (2, 2, 0, 3)], dtype=float)
    original = laplace.laplace_nodes

    def with_budget(n_side):
        def nodes(*args, **kwargs):
            return original(*args, **{**kwargs, "n_side": n_side})

        monkeypatch.setattr(ln_module, "laplace_nodes", nodes)
        return logit_normal_log_moment(*rows.T, NUMPY, numba_nodes=False)

    base = logit_normal_log_moment(*rows.T, NUMPY, numba_nodes=False)
    finer = with_budget(160)
    wide = rows[:, 3] > 3  # sigma = 5 and 10 with tiny counts: the hardest (see N_SIDE)
    assert _worst_error(base[~wide], finer[~wide]) < 1e-11
    assert _worst_error(base[wide], finer[wide]) < 1e-7
    # ...while a budget far too small is visibly wrong (so this check can fail)
    assert np.max(_errors(with_budget(6), finer)[1]) > 1e-6


# ---------------------------------------------------------------------------
# Zero inflation and the mixture: closed forms
# ---------------------------------------------------------------------------

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


def test_natural_params_from_prior_variables():
    nat = KUM.natural_params({"alpha": 0.4, "median": 0.01})
    assert float(nat["a"]) == 0.4
    b = float(nat["b"])
    assert 1 - (1 - 0.01**0.4) ** b == pytest.approx(0.5, rel=1e-12)  # CDF at the median
    p = KUM.sample_p(nat, 200_000, np.random.default_rng(1))
    assert np.median(p) == pytest.approx(0.01, rel=0.02)
    assert LN.natural_params({"mu": -1.0, "sigma": 2.0}) == {"mu": -1.0, "sigma": 2.0}
    zi = ZISB.natural_params({"pi0": 0.1, "alpha": 0.3, "mean": 0.25, "scale": 0.5})
    assert set(zi) == set(ZISB.params)
    assert float(zi["beta"]) == pytest.approx(0.9) and float(zi["pi0"]) == 0.1


# ---------------------------------------------------------------------------
# Registry, specs, broadcasting, simulation
# ---------------------------------------------------------------------------


def test_registry_and_specs():
    classes = {"kumaraswamy": KumaraswamyFamily, "logit_normal": LogitNormalFamily,
               "zero_inflated_beta": ZeroInflatedBetaFamily,
               "zero_inflated_scaled_beta": ZeroInflatedScaledBetaFamily,
               "beta_mixture": BetaMixtureFamily}
    for name, cls in classes.items():
        assert isinstance(FAMILIES[name], cls) and get_family(name).name == name
        spec = mp.load_spec(name)
        assert spec.family == name
        assert set(spec.priors) == set(FAMILIES[name].prior_variables)
        assert all(len(p.reason) > 40 and p.meaning for p in spec.priors.values())
        assert spec.card.strip() and spec.summary
        # prior variables and natural parameters must not clash with the model's data names
        assert not {"n", "c", "weight", "log_binomial_coefficient"} & (
            set(FAMILIES[name].params) | set(FAMILIES[name].prior_variables))


@pytest.mark.parametrize("name", list(NEW))
def test_broadcasting_and_chunking(name):
    fam = NEW[name]
    rng = np.random.default_rng(2)
    theta = {k: np.full((5, 1), v) * rng.uniform(0.9, 1.0, (5, 1))
             for k, v in EXAMPLES[name].items()}
    c = np.array([0.0, 3, 50, 900, 1000])
    out = fam.log_moment(c, 1000.0 - c, theta)
    assert out.shape == (5, 5) and np.isfinite(out).all()
    one = fam.log_moment(c[2], 1000.0 - c[2], {k: v[3, 0] for k, v in theta.items()})
    assert np.ndim(one) == 0 and float(one) == pytest.approx(out[3, 2], rel=1e-13, abs=1e-300)
    # the NumPy path works in chunks; their boundaries must not matter
    big = fam.log_moment(np.arange(5000.0) % 50, 400.0, EXAMPLES[name])
    assert big.shape == (5000,) and np.array_equal(big[:50], big[4900:4950])
    assert np.all(big[:50] <= 0.0)


@pytest.mark.parametrize("name", list(NEW))
def test_simulate_with_each_family(name):
    out = mp.simulate(name, EXAMPLES[name], n_problems=300, n_attempts=500, seed=4)
    assert out.n_problems == 300 and np.all((out.c >= 0) & (out.c <= out.n))
    assert name in out.labels["population"]
    seq = mp.simulate(name, EXAMPLES[name], n_problems=50, n_attempts=0, seed=4,
                      design=mp.Design("sequential", batch_size=60, cap=600))
    assert np.all(seq.n <= 600) and np.all(seq.n[seq.c == 0] == 600)


# ---------------------------------------------------------------------------
# Failure curve vs Monte Carlo, tails
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NEW))
def test_moments_vs_monte_carlo(name):
    fam = NEW[name]
    p = fam.sample_p(EXAMPLES[name], 200_000, np.random.default_rng(0))
    assert p.shape == (200_000,) and np.all((p >= 0) & (p <= 1))
    if name.startswith("zero_inflated"):
        assert np.mean(p == 0) == pytest.approx(EXAMPLES[name]["pi0"], abs=0.005)
    counts = np.array([(0, 1), (0, 3), (0, 10), (0, 30), (0, 100), (1, 0), (2, 5), (1, 20)], float)
    ours = np.exp(fam.log_moment(counts[:, 0], counts[:, 1], EXAMPLES[name]))
    samples = p[:, None] ** counts[:, 0] * (1.0 - p[:, None]) ** counts[:, 1]
    mc, se = samples.mean(0), samples.std(0) / math.sqrt(len(p))
    assert np.all(np.abs(ours - mc) <= 5 * se), (ours, mc, se)


def _local_slope(fam, params, k):
    ks = np.round(np.array([k * math.exp(-1e-3), k * math.exp(1e-3)]))
    lf = fam.log_moment(0.0, ks, params)
    return -(lf[1] - lf[0]) / math.log(ks[1] / ks[0]), float(fam.log_moment(0.0, k, params))


@pytest.mark.parametrize(
    "a,b", [(1.5, 3.0), (2.0, 50.0), (0.3, 3.0), (0.1, 0.5)]
)
def test_kumaraswamy_power_law_tail(a, b):
    tail = KUM.tail({"a": a, "b": b})
    assert isinstance(tail, TailBehaviour) and tail.kind == "power_law"
    assert float(tail.exponent) == a
    assert float(tail.prefactor) == pytest.approx(b * gamma(a + 1), rel=1e-14)
    k = 1e12
    slope, log_fail = _local_slope(KUM, {"a": a, "b": b}, k)
    # two-term expansion: E[(1-p)^k] = b G(a+1) k^-a - a b (b-1) G(2a) k^-2a + O(k^-3a)
    two_term = b * gamma(a + 1) * k**-a - a * b * (b - 1) * gamma(2 * a) * k ** (-2 * a)
    assert math.exp(log_fail) == pytest.approx(two_term, rel=5 * k ** (-min(2 * a, 1.0)) + 1e-9)
    assert slope == pytest.approx(a, rel=5 * k**-a + 1e-7)


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


def test_logit_normal_tail_is_faster_than_any_power_law():
    theta = EXAMPLES["logit_normal"]
    tail = LN.tail(theta)
    assert tail.kind == "faster_than_power_law"
    assert math.isinf(float(tail.exponent)) and float(tail.prefactor) == 0.0
    ks = 10.0 ** np.arange(3, 13)
    slopes = np.array([_local_slope(LN, theta, k)[0] for k in ks])
    assert np.all(np.diff(slopes) > 0.2)  # the local exponent keeps growing...
    assert slopes[-1] > 5.0  # ...past any fixed power
    # and tracks (log k + mu) / sigma^2, the slope of Phi((-log k - mu) / sigma)
    expect = (np.log(ks) + theta["mu"]) / theta["sigma"] ** 2
    np.testing.assert_allclose(slopes[-3:], expect[-3:], rtol=0.15)


# ---------------------------------------------------------------------------
# PyTensor (values, gradients) and JAX
# ---------------------------------------------------------------------------

BACKEND_COUNTS = np.array([(0, 0), (0, 1e6), (1e4, 0), (37, 9963), (3, 97), (2, 0), (5e5, 5e5),
                           (1, 999_999)], dtype=float)


@pytest.fixture(scope="module")
def compiled():
    """Per family: value and gradient of sum_i L(c_i, f_i; theta) as a PyTensor function."""
    pytensor = pytest.importorskip("pytensor")
    pt = pytensor.tensor
    out = {}
    for name, fam in NEW.items():
        theta = {k: pt.dscalar(k) for k in fam.params}
        c, f = pt.dvector("c"), pt.dvector("f")
        values = fam.log_moment(c, f, theta, "pytensor")
        grads = pytensor.grad(values.sum(), list(theta.values()))
        out[name] = pytensor.function([c, f, *theta.values()], [values, *grads],
                                      mode="FAST_COMPILE")
    return out


@pytest.mark.parametrize("name", list(NEW))
def test_pytensor_values_and_gradients(compiled, name):
    fam, theta = NEW[name], EXAMPLES[name]
    c, f = BACKEND_COUNTS.T
    values, *grads = compiled[name](c, f, *(theta[k] for k in fam.params))
    _assert_close(values, fam.log_moment(c, f, theta), 1e-13, name)

    def total(th):
        return float(np.sum(fam.log_moment(c, f, th)))

    for k, g in zip(fam.params, grads, strict=True):
        h = 1e-4 * theta[k]
        fd = (8 * (total({**theta, k: theta[k] + h}) - total({**theta, k: theta[k] - h}))
              - (total({**theta, k: theta[k] + 2 * h}) - total({**theta, k: theta[k] - 2 * h}))
              ) / (12 * h)
        assert g == pytest.approx(fd, rel=1e-6, abs=1e-6), (name, k, g, fd)


def test_jax_values_match_numpy():
    jax = pytest.importorskip("jax")
    c, f = BACKEND_COUNTS.T
    with jax.enable_x64(True):
        for name, fam in NEW.items():
            fn = jax.jit(lambda c, f, th, fam=fam: fam.log_moment(c, f, th, "jax"))
            out = np.asarray(fn(c, f, EXAMPLES[name]))
            assert out.dtype == np.float64
            _assert_close(out, fam.log_moment(c, f, EXAMPLES[name]), 1e-12, name)


# ---------------------------------------------------------------------------
# Models: build and a short fit per new spec
# ---------------------------------------------------------------------------

FIT_TRUTHS = {
    # name: (natural parameters, the checked parameter, its true value, sampler)
    "kumaraswamy": ({"a": 0.4, "b": 3.5}, "alpha", 0.4, "pymc"),
    "logit_normal": ({"mu": -3.0, "sigma": 2.0}, "sigma", 2.0, "nutpie"),
    "zero_inflated_beta": ({"pi0": 0.25, "alpha": 0.4, "beta": 3.0}, "pi0", 0.25, "pymc"),
    "zero_inflated_scaled_beta": ({"pi0": 0.25, "alpha": 0.4, "beta": 2.0, "scale": 0.5}, "pi0",
                                  0.25, "pymc"),
    "beta_mixture": ({"tail_weight": 0.4, "alpha_tail": 0.3, "beta_tail": 30.0,
                      "alpha_body": 2.0, "beta_body": 3.0}, "alpha_tail", 0.3, "pymc"),
}
TAIL_WORDS = {"power_law": "power law", "plateau": "plateau",
              "faster_than_power_law": "faster than any power law"}


def _strict_json(text: str) -> dict:
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def short_fits():
    """One short fit (300 + 300 draws, 2 chains) per new spec, on data simulated from it.

    The logit-normal runs under nutpie (the default sampler: one numba graph, including the
    node-placement Op); the others under PyMC's sampler, which compiles these models ~2x
    faster than nutpie on a cold cache (the Beta kernel's graph dominates).  Summary and JSON
    are produced under a record of every warning.
    """
    fits = {}
    for name, (truth, _, _, sampler) in FIT_TRUTHS.items():
        out = mp.simulate(name, truth, n_problems=150, n_attempts=500, seed=11)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)  # 2 x 300 draws: ESS may be low
            fit = mp.fit(out, name, seed=3, draws=300, tune=300, chains=2, progressbar=False,
                         sampler=sampler)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = fit.summary(max_draws=50)
            text = fit.to_json(max_draws=50)
        fits[name] = (fit, table, text, caught)
    return fits


@pytest.mark.slow
def test_short_fits_recover_and_report(short_fits):
    """Each new spec builds, samples, recovers its main parameter loosely, and reports its tail
    kind in the summary and in valid (strict) JSON."""
    for name, (fit, table, text, _) in short_fits.items():
        _, param, value, _ = FIT_TRUTHS[name]
        draws = fit.posterior[param].values.ravel()
        lo, hi = np.quantile(draws, [0.005, 0.995])
        assert lo < value < hi, (name, param, lo, hi)
        assert fit.diagnostics.n_divergent <= 6, (name, fit.diagnostics)
        kind = fit.family.tail(fit.params()).kind
        expected_kind = {"logit_normal": "faster_than_power_law",
                         "zero_inflated_beta": "plateau",
                         "zero_inflated_scaled_beta": "plateau"}.get(name, "power_law")
        assert kind == expected_kind
        row = table[table.estimand == "asymptotic_exponent"].iloc[0]
        assert TAIL_WORDS[kind] in row["detail"], (name, row["detail"])
        report = _strict_json(text)  # no NaN / Infinity tokens
        first, second = report["estimands"][:2]
        assert first["estimand"] == "asymptotic_exponent" and TAIL_WORDS[kind] in first["detail"]
        assert second["estimand"] == "prefactor"
        if kind == "faster_than_power_law":
            assert first["median"] == "inf" and first["lower"] == "inf"
            assert second["median"] == 0.0
        elif kind == "plateau":
            assert first["median"] == 0.0 and first["upper"] == 0.0
            assert second["median"] == pytest.approx(float(np.median(fit.posterior["pi0"])))
        else:
            assert 0 < first["lower"] < first["median"] < first["upper"] < 2
        # every curve row is a finite number (nothing non-finite leaks from the kernels)
        curves = [r for r in report["estimands"] if "pass_at_k" in r["estimand"]]
        assert curves and all(isinstance(r["median"], float) and math.isfinite(r["median"])
                              for r in curves), name


@pytest.mark.slow
def test_summary_of_non_power_law_fits_warns_nothing(short_fits):
    for name in ("logit_normal", "zero_inflated_beta"):
        caught = short_fits[name][3]
        invalid = [str(w.message) for w in caught if "invalid value" in str(w.message)]
        assert not invalid, (name, invalid)
