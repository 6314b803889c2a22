"""The numba fast path of the scaled-Beta log moment against the NumPy fixed-node kernel."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import scipy.special as sps

from monkeypower.families import get_family, scaled_beta_log_moment_numba
from monkeypower.families._scaled_beta_numba import digamma_numba, log_moment_numba
from monkeypower.families._scaled_beta_op import (
    ScaledBetaLogMoment,
    scaled_beta_log_moment_pytensor,
)

FAM = get_family("scaled_beta")

ALPHAS = (0.01, 0.25, 3.0)
BETAS = (0.5, 3.0, 1000.0)
SCALES = (0.01, 0.2, 0.9, 1.0)
COUNTS = ((0, 1e4), (0, 4e6), (5, 1e4), (1e4, 0), (3e6, 1e6), (1, 0), (0, 0), (37, 9963))
# data at the ceiling with beta < 1: the summand has a second peak at J = 0
HEAD_CASES = (
    (900.0, 1000.0, 0.25, 0.1, 0.5),
    (900.0, 1000.0, 0.25, 0.01, 0.5),
    (1900.0, 2000.0, 0.05, 0.02, 0.5),
    (450.0, 1500.0, 0.3, 0.05, 0.25),
)


def _grid() -> tuple[np.ndarray, ...]:
    rows = [(c, f, a, b, s) for a, b, s, (c, f) in itertools.product(ALPHAS, BETAS, SCALES, COUNTS)]
    rows += list(HEAD_CASES)
    return tuple(np.array(rows, dtype=np.float64).T)


def _ref(c, f, a, b, s):
    """The independent fixed-node implementation (the family's NumPy path is the numba one)."""
    from monkeypower.families.scaled_beta import fixed_node_log_moment_numpy

    return fixed_node_log_moment_numpy(c, f, a, b, s)


@pytest.fixture(scope="module")
def grid():
    c, f, a, b, s = _grid()
    val, da, db, ds = log_moment_numba(c, f, a, b, s, with_grad=True)
    return {"c": c, "f": f, "a": a, "b": b, "s": s, "L": val, "da": da, "db": db, "ds": ds}


def test_digamma_matches_scipy():
    x = np.concatenate([np.geomspace(1e-3, 1e8, 400), np.linspace(1.3, 1.6, 301)])
    ref = sps.digamma(x)
    err = np.abs(digamma_numba(x) - ref) / np.maximum(1.0, np.abs(ref))
    assert np.max(err) < 1e-14


def test_values_match_numpy_kernel(grid):
    g = grid
    ref = _ref(g["c"], g["f"], g["a"], g["b"], g["s"])
    assert np.all(np.isfinite(g["L"]))
    np.testing.assert_allclose(g["L"], ref, rtol=1e-11, atol=1e-15)
    # value-only path gives the same numbers; serial == parallel
    np.testing.assert_array_equal(log_moment_numba(g["c"], g["f"], g["a"], g["b"], g["s"]), g["L"])
    np.testing.assert_array_equal(
        log_moment_numba(g["c"], g["f"], g["a"], g["b"], g["s"], parallel=False), g["L"]
    )


def test_exact_cases():
    # closed forms: (0, 0) -> 0; f == 0 and s == 1 -> Beta moments
    assert log_moment_numba(0.0, 0.0, 0.3, 2.0, 0.4) == 0.0
    a, b = 0.3, 2.0
    want = 7 * np.log(0.4) + sps.betaln(a + 7, b) - sps.betaln(a, b)
    np.testing.assert_allclose(log_moment_numba(7.0, 0.0, a, b, 0.4), want, rtol=1e-14)
    want = sps.betaln(a + 7, b + 11) - sps.betaln(a, b)
    np.testing.assert_allclose(log_moment_numba(7.0, 11.0, a, b, 1.0), want, rtol=1e-14)
    # invalid input -> NaN
    # invalid input -> NaN: non-integer f, beta < 0, s > 1, c < 0, s == 0, alpha == 0
    bad = log_moment_numba(
        [1.0, 1.0, 1.0, -1.0, 1.0, 1.0],
        [2.5, 2.0, 2.0, 2.0, 2.0, 2.0],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.0],
        [1.0, -1.0, 1.0, 1.0, 1.0, 1.0],
        [0.5, 0.5, 1.5, 0.5, 0.0, 0.5],
        with_grad=True,
    )
    assert all(np.all(np.isnan(x)) for x in bad)


def _mp_log_moment(c, f, a, b, s):
    mpmath.mp.dps = 30
    c, f = int(c), int(f)
    a, b, s = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(s)
    tot = mpmath.fsum(
        mpmath.binomial(f, j) * s**j * (1 - s) ** (f - j) * mpmath.beta(a + c, b + j)
        for j in range(f + 1)
    )
    return float(c * mpmath.log(s) + mpmath.log(tot) - mpmath.log(mpmath.beta(a, b)))


@pytest.mark.parametrize(
    "row",
    [
        (95, 100, 0.3, 0.05, 0.5),
        (180, 200, 0.1, 0.02, 0.5),
        (60, 200, 0.3, 0.05, 0.25),
        (0, 300, 0.01, 1000.0, 0.9),
        (37, 263, 0.25, 0.5, 0.2),
    ],
)
def test_values_match_mpmath(row):
    np.testing.assert_allclose(log_moment_numba(*row), _mp_log_moment(*row), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    "row", [(95, 100, 0.3, 0.05, 0.5), (0, 300, 0.01, 1000.0, 0.9), (37, 263, 0.25, 0.5, 0.2)]
)
def test_gradients_match_mpmath(row):
    c, f, a, b, s = row
    mpmath.mp.dps = 30

    def lm(aa, bb, ss):
        tot = mpmath.fsum(
            mpmath.binomial(f, j) * ss**j * (1 - ss) ** (f - j) * mpmath.beta(aa + c, bb + j)
            for j in range(f + 1)
        )
        return c * mpmath.log(ss) + mpmath.log(tot) - mpmath.log(mpmath.beta(aa, bb))

    a_, b_, s_ = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(s)
    want = [
        float(mpmath.diff(lambda x: lm(x, b_, s_), a_)),
        float(mpmath.diff(lambda x: lm(a_, x, s_), b_)),
        float(mpmath.diff(lambda x: lm(a_, b_, x), s_)),
    ]
    got = log_moment_numba(*row, with_grad=True)[1:]
    for g, w in zip(got, want, strict=True):
        assert abs(float(g) - w) <= 1e-11 * max(1.0, abs(w))


def test_gradients_vs_finite_differences(grid):
    g = grid
    c, f, a, b, s, val = g["c"], g["f"], g["a"], g["b"], g["s"], g["L"]
    inner = s < 1.0
    h = 1e-3

    def d5(fun):
        return (-fun(2 * h) + 8 * fun(h) - 8 * fun(-h) + fun(-2 * h)) / (12 * h)

    logit = np.log(np.where(inner, s, 0.5) / (1 - np.where(inner, s, 0.5)))
    fd_a = d5(lambda e: _ref(c, f, a * np.exp(e), b, s))
    fd_b = d5(lambda e: _ref(c, f, a, b * np.exp(e), s))
    fd_s = d5(lambda e: _ref(c, f, a, b, np.where(inner, sps.expit(logit + e), s)))
    # FD noise: the NumPy kernel is accurate to ~1e-14 relative of |L|
    noise = 1e-13 * np.maximum(1.0, np.abs(val)) / h
    for an, fd, mask in [
        (a * g["da"], fd_a, np.ones_like(inner)),
        (b * g["db"], fd_b, np.ones_like(inner)),
        (s * (1 - s) * g["ds"], fd_s, inner),
    ]:
        assert np.all(np.isfinite(an))
        err = np.abs(an - fd) / (1e-6 * np.abs(an) + noise)
        assert np.max(err[mask]) < 1.0

    # s == 1: the left derivative (one-sided FD; moderate f so that h * f << 1)
    m = (~inner) & (f <= 1e4)
    hs = 1e-7
    fd1 = 3 * _ref(c, f, a, b, 1.0) - 4 * _ref(c, f, a, b, 1 - hs) + _ref(c, f, a, b, 1 - 2 * hs)
    fd1 /= 2 * hs
    err = np.abs(g["ds"] - fd1) / (1e-6 * np.abs(g["ds"]) + 1e-13 * np.maximum(1, np.abs(val)) / hs)
    assert np.max(err[m]) < 1.0


def test_broadcasting():
    c = np.array([0.0, 5.0, 37.0])
    f = 10000.0 - c
    a = np.array([[0.25], [3.0]])
    val, da, db, ds = log_moment_numba(c, f, a, 3.0, 0.2, with_grad=True)
    assert val.shape == da.shape == ds.shape == (2, 3)
    np.testing.assert_array_equal(val[1], log_moment_numba(c, f, 3.0, 3.0, 0.2))


# ---------------------------------------------------------------------------
# PyTensor Op
# ---------------------------------------------------------------------------


def _counts():
    rng = np.random.default_rng(0)
    p = 0.2 * rng.beta(0.25, 3, 128)
    cc = rng.binomial(10000, p)
    u, w = np.unique(cc, return_counts=True)
    return u.astype(float), 10000.0 - u, w.astype(float)


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
def test_pytensor_op_value_and_grad(mode):
    import pytensor
    import pytensor.tensor as pt

    c, f, w = _counts()
    th = pt.dscalars("log_alpha", "log_beta", "logit_scale")
    a, b, s = pt.exp(th[0]), pt.exp(th[1]), pt.sigmoid(th[2])
    lp = pt.sum(w * scaled_beta_log_moment_pytensor(c, f, a, b, s))
    fn = pytensor.function(th, [lp, *pt.grad(lp, th)], mode=mode)
    if mode is None:
        # value reuses the gradient node: one kernel call per logp+grad evaluation
        ops = [n.op for n in fn.maker.fgraph.apply_nodes if isinstance(n.op, ScaledBetaLogMoment)]
        assert len(ops) == 1 and ops[0].with_grad

    for av, bv, sv in [(0.25, 3.0, 0.2), (0.01, 0.5, 0.9), (3.0, 1000.0, 0.01)]:
        x = np.array([np.log(av), np.log(bv), np.log(sv / (1 - sv))])
        val, *grad = fn(*x)
        want = np.sum(w * _ref(c, f, av, bv, sv))
        np.testing.assert_allclose(val, want, rtol=1e-11)
        _, da, db, ds = log_moment_numba(c, f, av, bv, sv, with_grad=True)
        want_g = np.array(
            [np.sum(w * da) * av, np.sum(w * db) * bv, np.sum(w * ds) * sv * (1 - sv)]
        )
        np.testing.assert_allclose(grad, want_g, rtol=1e-10, atol=1e-8)
        # and against finite differences of the NumPy kernel
        h = 1e-4
        fd = []
        for k in range(3):
            e = np.zeros(3)
            e[k] = h

            def tot(xx):
                aa, bb, ss = np.exp(xx[0]), np.exp(xx[1]), sps.expit(xx[2])
                return np.sum(w * _ref(c, f, aa, bb, ss))

            fd.append((tot(x + e) - tot(x - e)) / (2 * h))
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-4)


def test_pytensor_verify_grad():
    import pytensor
    import pytensor.tensor as pt

    c = np.array([0.0, 5.0, 37.0, 120.0])
    f = np.array([1e4, 9995.0, 9963.0, 80.0])

    def fun(a, b, s):
        return scaled_beta_log_moment_pytensor(c, f, a, b, s)

    rng = np.random.default_rng(3)
    pts = [
        np.array([0.25, 0.3, 3.0, 0.1]),
        np.array([3.0, 0.5, 1000.0, 0.05]),
        np.array([0.2, 0.9, 0.01, 0.5]),
    ]
    # (FAST_COMPILE: the numba path of the Op is exercised by the other tests; verify_grad
    # compiles several functions, which costs ~10 s of numba compilation on a cold cache)
    pytensor.gradient.verify_grad(fun, pts, rng=rng, mode="FAST_COMPILE")
    pytensor.gradient.verify_grad(
        fun, [np.array(0.25), np.array(3.0), np.array(0.2)], rng=rng, mode="FAST_COMPILE"
    )
    # 0-d inputs throughout (perform calls the same compiled function as the numba linker)
    xs = pt.dscalars("c", "f", "a", "b", "s")
    out = ScaledBetaLogMoment(with_grad=True)(*xs)
    args = (37.0, 9963.0, 0.25, 3.0, 0.2)
    got = pytensor.function(xs, out, mode="FAST_COMPILE")(*args)
    # the same kernel, compiled inside the Op's function, where LLVM may round differently:
    # dL/dbeta here is digammas of ~10 cancelling to 0.075 (1e-14 relative is ~1 ulp of them)
    np.testing.assert_allclose(got, log_moment_numba(*args, with_grad=True), rtol=1e-13,
                               atol=1e-15)
    with pytest.raises(ValueError):
        ScaledBetaLogMoment()(pt.dvector(), pt.dvector(), pt.dscalar(), pt.dvector(), pt.dvector())


def test_pymc_potential_compiles():
    import pymc as pm

    c, f, w = _counts()
    with pm.Model() as model:
        alpha = pm.LogNormal("alpha", 0.0, 1.0)
        beta = pm.LogNormal("beta", 1.0, 1.0)
        scale = pm.Beta("scale", 2.0, 2.0)
        pm.Potential("lik", (w * scaled_beta_log_moment_pytensor(c, f, alpha, beta, scale)).sum())
    ip = model.initial_point()
    logp = model.compile_logp()(ip)
    dlogp = model.compile_dlogp()(ip)
    assert np.isfinite(logp)
    assert np.all(np.isfinite(dlogp)) and dlogp.shape == (3,)


TINY = (1e-300, 1e-30, 1e-17, 1e-10, 1e-5)


def test_tiny_alpha_beta_never_raise():
    """alpha, beta below ~1e-16 used to raise ZeroDivisionError (b + j - 1 rounded to 0 at
    j = 1), which aborted a sampler="pymc" fit; every value and gradient is now finite."""
    rows = [(c, f, a, b, s) for a, b in itertools.product(TINY + (0.5, 1e6), repeat=2)
            for s in (1e-300, 1e-3, 0.5, 0.999, 1.0)
            for c, f in ((0, 1), (1, 1), (0, 2), (2, 1), (5, 10), (0, 1e6), (1e6, 1e6), (1, 0))]
    c, f, a, b, s = np.array(rows, dtype=np.float64).T
    for grad in (False, True):
        out = log_moment_numba(c, f, a, b, s, with_grad=grad, parallel=False)
        for part in (out if grad else (out,)):
            assert np.all(np.isfinite(part)), np.array(rows)[~np.isfinite(part)][:5]


@pytest.mark.parametrize(
    "row", [(0, 2, 1e-300, 1e-300, 0.5), (1, 1, 1e-17, 1e-17, 0.3), (0, 5, 1e-10, 1e-17, 0.9),
            (3, 40, 1e-5, 1e-30, 0.2), (0, 1, 0.3, 1e-17, 1.0)]
)
def test_tiny_alpha_beta_values_match_mpmath(row):
    c, f, a, b, s = row
    if s == 1.0:
        with mpmath.workdps(60):
            want = float(mpmath.log(mpmath.beta(a + c, b + f) / mpmath.beta(a, b)))
    else:
        want = float(_mp_log_moment(*row))
    got = float(log_moment_numba(*row))
    assert got == pytest.approx(want, rel=1e-12, abs=1e-13)


def test_public_kernel_takes_integer_counts_and_broadcast_views():
    c = np.arange(3)[:, None]
    f = np.arange(4)[None, :]
    values = scaled_beta_log_moment_numba(c, f, 0.3, 3.0, 0.5, with_grad=True)
    floats = scaled_beta_log_moment_numba(c.astype(float), f.astype(float), 0.3, 3.0, 0.5)
    assert values[0].shape == (3, 4)
    np.testing.assert_array_equal(values[0], floats)


# ---- long series: Gauss-Hermite rule for wide peaks, mapped rule next to J = 0 -------------
# (c, f, alpha, beta, s) with f up to 1e8: wide interior peaks (the rule), data at the ceiling
# (the summand piled against J = 0: the map), and a tiny beta
LONG_CASES = [
    (0, 4e6, 0.3, 3.0, 0.5),
    (37, 1e8 - 37, 0.25, 3.0, 0.2),
    (5, 1e8, 0.01, 1000.0, 0.9),
    (0, 3e6, 0.05, 0.5, 0.999),
    (60000, 60500, 0.3, 0.3, 0.5),
    (49940863, 50059137, 0.301, 0.301, 0.5),
    (7885848, 23942390, 7.72, 2.1e-4, 0.2479),
    # the worst value of a 30,000-case sweep over the prior box: series off by 8.5e-14, rule 2e-16
    (0, 47806135, 0.045860346346640296, 1.7539635779619207, 0.34646860695172055),
]


@pytest.mark.parametrize("row", LONG_CASES)
def test_long_series_values_match_mpmath(row):
    """The fixed-cost rules keep the family's accuracy (1e-13 of max(1, |L|)) up to f = 1e8."""
    from _mp_oracles import mp_log_moment_quad

    want = float(mp_log_moment_quad(*row))
    got = float(log_moment_numba(*row))
    assert abs(got - want) <= 1e-13 * max(1.0, abs(want))
    # and the exact series agrees (it is the other side of the switch)
    assert abs(float(log_moment_numba(*row, method="series")) - want) <= 1e-13 * max(1.0, abs(want))


def _ds_tolerance(f, s, ds):
    """dL/ds = c/s + (E[J] - f s)/(s(1-s)): an ulp of E[J] ~ f is amplified by 1/(s(1-s))."""
    return 1e-11 * np.maximum(1.0, np.abs(ds)) + 4e-16 * f / (s * (1.0 - s))


def _assert_paths_agree(c, f, a, b, s, left, right):
    val_tol = 1e-13 * np.maximum(1.0, np.abs(left[0]))
    assert np.all(np.abs(left[0] - right[0]) <= val_tol)
    for k in (1, 2):
        assert np.all(np.abs(left[k] - right[k]) <= 1e-11 * np.maximum(1.0, np.abs(left[k])))
    assert np.all(np.abs(left[3] - right[3]) <= _ds_tolerance(f, s, left[3]))


def test_quadrature_and_series_agree_across_the_switch():
    """Both sides of each switch give the same value and gradient: the kernel is continuous.

    Peaks of width 3 to ~60 (the Gauss-Hermite switch is at 16) and ceiling data whose window
    reaches ~300 to ~8,000 (the map starts at 2,000); "quadrature" forces the fixed-cost rules
    wherever the peak's geometry allows them, "series" forbids them.
    """
    rng = np.random.default_rng(7)
    rows = []
    for n in np.round(np.geomspace(300, 1e5, 60)):
        for a, b, s in ((0.3, 3.0, 0.5), (2.0, 0.5, 0.2), (0.05, 40.0, 0.9), (1.0, 1.0, 0.05)):
            p = s * rng.beta(a, b)
            c = float(rng.binomial(int(n), p))
            rows.append((c, n - c, a, b, s))
        c = float(rng.binomial(int(n), 0.5))  # ceiling data, beta < 1: the map's side
        rows.append((c, n - c, 0.3, 0.3, 0.5))
    c, f, a, b, s = (np.array(x, dtype=np.float64) for x in zip(*rows, strict=True))
    series = log_moment_numba(c, f, a, b, s, with_grad=True, method="series", parallel=False)
    quad = log_moment_numba(c, f, a, b, s, with_grad=True, method="quadrature", parallel=False)
    auto = log_moment_numba(c, f, a, b, s, with_grad=True, parallel=False)
    _assert_paths_agree(c, f, a, b, s, series, quad)
    # the forced rules really ran on many rows (the paths agree to the last bit in L, not in
    # every gradient), and auto switched on some but not all of them
    ruled = np.any([quad[k] != series[k] for k in range(4)], axis=0)
    switched = np.any([auto[k] != series[k] for k in range(4)], axis=0)
    assert ruled.sum() > 100 and 20 < switched.sum() < ruled.sum()
    for k in range(4):
        np.testing.assert_array_equal(auto[k], np.where(switched, quad[k], series[k]))


def test_wide_peaks_match_the_series_up_to_1e8():
    """Values and gradients of the Gauss-Hermite rule against the exact series, f up to 1e8."""
    rng = np.random.default_rng(11)
    size = 400
    a = np.exp(rng.uniform(np.log(0.02), np.log(20), size))
    b = np.exp(rng.uniform(np.log(1.0), np.log(2000), size))
    s = rng.uniform(0.01, 0.99, size)
    n = np.round(np.exp(rng.uniform(np.log(1e4), np.log(1e8), size)))
    c = rng.binomial(n.astype(np.int64), s * rng.beta(a, b)).astype(float)
    f = n - c
    auto = log_moment_numba(c, f, a, b, s, with_grad=True, parallel=False)
    series = log_moment_numba(c, f, a, b, s, with_grad=True, method="series", parallel=False)
    ran = np.any([auto[k] != series[k] for k in range(4)], axis=0)
    assert ran.sum() > size // 2  # the rule ran
    _assert_paths_agree(c, f, a, b, s, series, auto)


def test_mapped_rule_gradients_match_mpmath():
    """Ceiling data (the summand piled against J = 0): gradients against an mpmath sum."""
    c, f, a, b, s = 60000, 60500, 0.3, 0.3, 0.5
    with mpmath.workdps(30):
        A, B, S = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(s)
        lg = mpmath.loggamma
        js = range(4000)
        logs = [lg(f + 1) - lg(j + 1) - lg(f - j + 1) + j * mpmath.log(S)
                + (f - j) * mpmath.log(1 - S) + lg(B + j) - lg(A + B + c + j) for j in js]
        top = max(logs)
        w = [mpmath.exp(x - top) for x in logs]
        tot = mpmath.fsum(w)
        assert w[-1] / tot < 1e-30  # the sum is complete
        pairs = list(zip(js, w, strict=True))
        e_pa = mpmath.fsum(wi * mpmath.digamma(A + B + c + j) for j, wi in pairs) / tot
        e_pb = mpmath.fsum(wi * mpmath.digamma(B + j) for j, wi in pairs) / tot
        e_j = mpmath.fsum(wi * j for j, wi in pairs) / tot
        want = [
            float(mpmath.digamma(A + c) - mpmath.digamma(A) + mpmath.digamma(A + B) - e_pa),
            float(mpmath.digamma(A + B) - mpmath.digamma(B) + e_pb - e_pa),
            float(c / S + (e_j - f * S) / (S * (1 - S))),
        ]
    got = log_moment_numba(c, f, a, b, s, with_grad=True)[1:]
    series = log_moment_numba(c, f, a, b, s, True, method="series")[1:]
    assert any(float(x) != float(y) for x, y in zip(got, series, strict=True))  # the map ran
    for g, w_ in zip(got, want, strict=True):
        assert abs(float(g) - w_) <= 1e-11 * max(1.0, abs(w_))


def test_method_is_checked():
    with pytest.raises(ValueError, match="method"):
        log_moment_numba(1.0, 2.0, 0.3, 3.0, 0.5, method="trapezoid")
