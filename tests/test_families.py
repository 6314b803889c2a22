"""Oracle tests of the population families' log-moment kernels (no MCMC).

Accuracy criterion throughout: ``|L - L_ref| <= tol * max(1, |L_ref|)``, i.e. relative
accuracy of the moment itself (``E[p^c (1-p)^f]``) where ``|L| <= 1`` and relative
accuracy of ``L`` beyond.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytensor.tensor as pt
import pytest
from scipy.special import gammaln
from scipy.stats import betabinom

from _mp_oracles import MP_DPS, mp_log_moment_hyp, mp_log_moment_quad
from monkeypower.families import (
    FAMILIES,
    NUMPY,
    BetaFamily,
    Family,
    ScaledBetaFamily,
    TailBehaviour,
    get_backend,
    get_family,
)
from monkeypower.families import scaled_beta as sbmod
from monkeypower.families._backend import betaln
from monkeypower.families.scaled_beta import scaled_beta_log_moment

BETA = get_family("beta")
SBETA = get_family("scaled_beta")


def _rel_err(got, ref) -> np.ndarray:
    got, ref = np.asarray(got, float), np.asarray(ref, float)
    return np.abs(got - ref) / np.maximum(1.0, np.abs(ref))


def _sb(c, f, a, b, s, backend=NUMPY):
    """The family API (whatever implementation it dispatches to for this backend)."""
    return SBETA.log_moment(c, f, {"alpha": a, "beta": b, "scale": s}, backend)


def _fixed_nodes(c, f, a, b, s, backend=NUMPY):
    """The fixed-node kernel itself (the implementation every backend can run)."""
    xp = get_backend(backend)
    if xp is NUMPY:
        args = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (c, f, a, b, s)))
        return scaled_beta_log_moment(*args, xp)
    return scaled_beta_log_moment(*(xp.asarray(x) for x in (c, f, a, b, s)), xp)


IMPLEMENTATIONS = {"family": _sb, "fixed_nodes": _fixed_nodes}


# Every extreme of the brief's grid appears at least once (alpha 0.01/0.25/3, beta 0.5/3/1000,
# s 0.01/0.2/0.9/1, and each (c, f)).
QUAD_CASES = [
    # (c, f, alpha, beta, s)
    (0, 1e4, 0.01, 0.5, 0.01),
    (0, 1e4, 3, 1000, 0.9),
    (0, 4e6, 0.01, 0.5, 0.2),
    (0, 4e6, 3, 3, 0.9),
    (0, 4e6, 0.25, 1000, 1.0),
    (5, 1e4, 0.25, 3, 0.2),
    (5, 1e4, 0.01, 1000, 0.01),
    (1e4, 0, 3, 0.5, 0.9),
    (1e4, 0, 0.01, 3, 1.0),
    (3e6, 1e6, 0.25, 0.5, 0.2),
    (3e6, 1e6, 3, 1000, 0.9),
    (3e6, 1e6, 0.01, 3, 0.01),
    (1, 0, 0.25, 1000, 0.01),
    (0, 0, 3, 0.5, 0.2),
    (37, 9963, 0.01, 3, 0.9),
    (37, 9963, 3, 0.5, 0.01),
    (37, 9963, 0.25, 1000, 1.0),
    # data at the ceiling (c/n ~ s): the summand touches J = 0 and spreads over ~hundreds of
    # terms; this is what the boundary-anchored node map is for.
    (1110, 8890, 0.01, 0.5, 0.1),
    (11111, 1e5, 0.3, 0.05, 0.1),
    # f(1 - s) ~ 30: Poisson-like mass touching J = f.
    (0, 1e6, 0.5, 0.5, 1 - 30 / 1e6),
]


@pytest.mark.parametrize("case", QUAD_CASES, ids=lambda x: "c{}-f{}-a{}-b{}-s{:.6g}".format(*x))
def test_scaled_beta_vs_mpmath_quadrature(case):
    c, f, a, b, s = case
    ref = float(mp_log_moment_quad(c, f, a, b, s))
    for name, impl in IMPLEMENTATIONS.items():
        got = float(impl(c, f, a, b, s))
        assert _rel_err(got, ref) <= 1e-10, (name, got, ref)


def _hyp_cases():
    """Full (alpha, beta, s) product, each with two of the f <= 1e4 count pairs (rotating)."""
    pairs = [(0, 1e4), (5, 1e4), (1e4, 0), (1, 0), (0, 0), (37, 9963)]
    out = []
    for i, (a, b, s) in enumerate(
        itertools.product([0.01, 0.25, 3], [0.5, 3, 1000], [0.01, 0.2, 0.9, 1.0])
    ):
        for j in (i % 6, (i + 3) % 6):
            out.append((*pairs[j], a, b, s))
    out += [
        (1110, 8890, 0.01, 0.5, 0.1),
        (100, 900, 0.5, 0.02, 0.1),
        (9000, 1000, 0.5, 0.02, 0.9),
        (5000, 5000, 2.0, 0.5, 0.5),
        (30, 200, 0.01, 0.01, 0.13),
    ]
    return out


def test_scaled_beta_vs_mpmath_hyp2f1_grid():
    cases = np.array(_hyp_cases())
    c, f, a, b, s = cases.T
    ref = np.array([float(mp_log_moment_hyp(*row)) for row in cases])
    for name, impl in IMPLEMENTATIONS.items():
        err = _rel_err(impl(c, f, a, b, s), ref)  # one vectorised call
        assert err.max() <= 1e-10, (name, cases[np.argmax(err)])


@pytest.mark.parametrize(
    "case",
    [
        (37, 9963, 3, 0.5, 0.01),
        (5, 1e4, 0.25, 3, 0.2),
        (1110, 8890, 0.01, 0.5, 0.1),
        (3, 40, 0.01, 0.5, 0.9),
    ],
)
def test_mpmath_oracles_agree(case):
    """Quadrature and the terminating 2F1 are independent; they must agree far below 1e-10."""
    q, h = mp_log_moment_quad(*case), mp_log_moment_hyp(*case)
    assert abs(q - h) <= 1e-25 * max(1, abs(h))


def _plain_scheme(c, f, a, b, s, m=sbmod.M):
    """The un-amended 2M+1-node scheme (discrete / uniform trapezoid only), for contrast."""
    big_a, sf = a + b + c, s * f
    bq = sf - b - (1 - s) * (a + c)
    disc = math.sqrt(bq * bq + 4 * sf * b)
    jstar = min(max(0.5 * (bq + disc) if bq >= 0 else 2 * sf * b / (disc - bq), 0.0), f)
    kappa = max(
        1 / (jstar + 1) + 1 / (f - jstar + 1) - 1 / (b + jstar) + 1 / (big_a + jstar), 1e-12
    )
    half_w = 12 / math.sqrt(kappa) + 10
    grid = np.arange(-m, m + 1.0)
    if half_w <= m:
        j, lw = np.floor(jstar + 0.5) + grid, np.zeros(2 * m + 1)
    else:
        h = half_w / m
        j, lw = jstar + h * grid, np.full(2 * m + 1, math.log(h))
    lw = np.where((j >= 0) & (j <= f), lw, -np.inf)
    j = np.clip(j, 0, f)
    log_t = sbmod._log_summand(j, f - j, c, f, a, b, s, NUMPY)
    top = np.max(log_t + lw)
    return (
        c * math.log(s)
        - float(betaln(a, b, NUMPY))
        + top
        + math.log(np.sum(np.exp(log_t + lw - top)))
    )


def test_negative_control_plain_scheme_fails_at_the_ceiling():
    """Where c/n ~ s the plain 2M+1 scheme is off by >1e-6; the shipped scheme is not."""
    c, f, a, b, s = 1110, 8890, 0.01, 0.5, 0.1
    ref = float(mp_log_moment_hyp(c, f, a, b, s))
    assert _rel_err(_plain_scheme(c, f, a, b, s), ref) > 1e-6
    assert _rel_err(_fixed_nodes(c, f, a, b, s), ref) <= 1e-10
    # ...while away from the corner the plain scheme is fine (the control is not just broken)
    c, f, a, b, s = 37, 9963, 3, 0.5, 0.01
    assert _rel_err(_plain_scheme(c, f, a, b, s), float(mp_log_moment_hyp(c, f, a, b, s))) < 1e-12


# ---------------------------------------------------------------------------
# Beta family
# ---------------------------------------------------------------------------


def test_beta_vs_scipy_betabinom():
    rows = []
    for a, b, n in itertools.product(
        [0.01, 0.5, 3.0, 40.0], [0.01, 1.0, 1000.0], [1, 17, 1e4, 4e6]
    ):
        n = int(n)
        for c in sorted({0, 1, n // 3, n - 1, n}):
            rows.append((c, n, a, b))
    c, n, a, b = np.array(rows, dtype=float).T
    f = n - c
    got = BETA.log_moment(c, f, {"alpha": a, "beta": b})
    scipy_ref = betabinom.logpmf(c, n, a, b) - (gammaln(n + 1) - gammaln(c + 1) - gammaln(f + 1))
    # scipy's own log-pmf (and our log C(n,c)) lose ~1e-8 absolute at n = 4e6
    assert _rel_err(got, scipy_ref).max() <= 1e-9
    # exact values: ours is accurate to ~1e-13 even at n = 4e6
    with mpmath.workdps(MP_DPS):
        exact = [
            float(
                mpmath.loggamma(mpmath.mpf(ai) + ci)
                + mpmath.loggamma(mpmath.mpf(bi) + fi)
                - mpmath.loggamma(mpmath.mpf(ai) + mpmath.mpf(bi) + ci + fi)
                - mpmath.loggamma(ai)
                - mpmath.loggamma(bi)
                + mpmath.loggamma(mpmath.mpf(ai) + bi)
            )
            for ci, fi, ai, bi in zip(c, f, a, b, strict=True)
        ]
    assert _rel_err(got, exact).max() <= 1e-12


def test_numpy_betaln_is_the_backend_formula_compiled():
    """The NumPy backend's compiled ``log B`` equals the formula every other backend runs.

    Oracles: the same cancellation-free formula evaluated by PyTensor (to 1e-13 relative, a few
    ulp of the largest term) and mpmath at the corners (1e-13). Negative control: the textbook
    ``gammaln`` difference is off by more than 1e-10 at one of those corners, so the comparison
    can tell a careless formula from this one.
    """
    rng = np.random.default_rng(7)
    x = np.exp(rng.uniform(math.log(1e-8), math.log(1e8), 4000))
    y = np.exp(rng.uniform(math.log(1e-8), math.log(1e8), 4000))
    got = betaln(x, y, NUMPY)
    assert isinstance(got, np.ndarray) and got.shape == x.shape
    composed = betaln(pt.as_tensor_variable(x), pt.as_tensor_variable(y), get_backend("pytensor"))
    assert _rel_err(got, composed.eval()).max() <= 1e-13
    corners = [(4e6, 0.01), (1e6, 0.5), (1e-8, 1e8), (3.0, 7.0), (0.01, 0.01), (9.5, 10.5)]
    with mpmath.workdps(MP_DPS):
        exact = [float(mpmath.log(mpmath.beta(mpmath.mpf(a), mpmath.mpf(b)))) for a, b in corners]
    xs, ys = np.array(corners).T
    assert _rel_err(betaln(xs, ys, NUMPY), exact).max() <= 1e-13
    textbook = gammaln(xs) + gammaln(ys) - gammaln(xs + ys)
    assert _rel_err(textbook, exact).max() > 1e-10
    # scalars in, a scalar out; broadcasting as NumPy's
    assert np.ndim(betaln(2.0, 3.0, NUMPY)) == 0
    assert betaln(np.ones((3, 1)), np.ones((1, 4)), NUMPY).shape == (3, 4)


def test_scaled_beta_at_s_one_is_beta():
    c = np.array([0, 1, 37, 1e4, 3e6, 0])
    f = np.array([0, 0, 9963, 0, 1e6, 4e6])
    a = np.array([[0.01], [0.25], [3.0]])
    b = np.array([[0.5], [3.0], [1000.0]])
    be = BETA.log_moment(c, f, {"alpha": a, "beta": b})
    for impl in IMPLEMENTATIONS.values():
        sb = impl(c, f, a, b, 1.0)
        assert sb.shape == (3, 6)
        assert _rel_err(sb, be).max() <= 1e-13


# ---------------------------------------------------------------------------
# Broadcasting and registry
# ---------------------------------------------------------------------------


def test_broadcasting_shapes_and_elementwise_agreement():
    rng = np.random.default_rng(1)
    draws = {
        "alpha": rng.uniform(0.05, 3, (7, 1)),
        "beta": rng.uniform(0.5, 50, (7, 1)),
        "scale": rng.uniform(0.05, 1.0, (7, 1)),
    }
    c = np.array([0.0, 3, 50, 900, 1000])
    f = 1000.0 - c
    out = SBETA.log_moment(c, f, draws)
    assert out.shape == (7, 5)
    one = SBETA.log_moment(c[2], f[2], {k: v[4, 0] for k, v in draws.items()})
    assert np.ndim(one) == 0 and out[4, 2] == pytest.approx(float(one), rel=1e-15, abs=0)
    k = np.array([1.0, 10, 100, 1e4])[None, None, :]
    curve = SBETA.log_moment(
        c[:, None], f[:, None] + k, {kk: v[..., None] for kk, v in draws.items()}
    )
    assert curve.shape == (7, 5, 4)
    assert np.all(np.diff(curve, axis=-1) < 0)
    # the NumPy path evaluates in chunks; chunk boundaries must not matter
    big = SBETA.log_moment(np.arange(3000.0) % 40, 400.0, {"alpha": 0.3, "beta": 2.0, "scale": 0.4})
    assert big.shape == (3000,)
    assert np.array_equal(big[:40], big[40:80])
    for fam in (BETA, SBETA):
        assert np.isfinite(fam.log_moment(c, f, {k: draws[k] for k in fam.params})).all()


def test_registry():
    assert set(FAMILIES) == {
        "beta", "scaled_beta", "kumaraswamy", "logit_normal", "zero_inflated_beta",
        "zero_inflated_scaled_beta", "beta_mixture", "scaled_kumaraswamy", "generalized_beta",
        "bridged_beta", "tailed_logit_normal",
    }
    assert isinstance(get_family("beta"), BetaFamily)
    assert isinstance(get_family("scaled_beta"), ScaledBetaFamily)
    assert get_family(SBETA) is SBETA
    assert all(isinstance(fam, Family) for fam in FAMILIES.values())
    assert BETA.params == ("alpha", "beta") and SBETA.params == ("alpha", "beta", "scale")
    with pytest.raises(ValueError, match="beta, beta_mixture, bridged_beta, generalized_beta, "
                                         "kumaraswamy, logit_normal, scaled"):
        get_family("gamma")
    with pytest.raises(ValueError, match="jax, numpy, pytensor"):
        get_backend("torch")
    with pytest.raises(KeyError, match="scale"):
        SBETA.log_moment(0, 1, {"alpha": 1.0, "beta": 1.0})


# ---------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------

# (c, f, alpha, beta, s) covering every node layout: anchored integers, uniform trapezoid
# (large f), boundary map at J = 0 (ceiling) and at J = f, and the exact corners.
BACKEND_GRID = np.array(
    [
        (0, 1e4, 0.01, 0.5, 0.01),
        (5, 1e4, 0.25, 3, 0.2),
        (37, 9963, 3, 1000, 0.9),
        (0, 4e6, 0.01, 0.5, 0.2),
        (3e6, 1e6, 0.25, 3, 0.2),
        (1e4, 0, 3, 0.5, 0.9),
        (1, 0, 0.25, 3, 0.01),
        (0, 0, 0.5, 0.5, 0.5),
        (3, 20, 0.5, 2, 0.3),
        (1110, 8890, 0.01, 0.5, 0.1),
        (0, 1e6, 0.5, 0.5, 1 - 30 / 1e6),
        (0, 1e4, 0.25, 3, 1.0),
        (3, 7, 0.25, 3, 1.0),
        (4, 0, 0.5, 0.5, 0.5),
        (11111, 1e5, 0.3, 0.05, 0.1),
    ]
)


def _compile_pytensor(impl):
    pytensor = pytest.importorskip("pytensor")
    pt = pytensor.tensor
    c, f, a, b, s = (pt.dvector(n) for n in ("c", "f", "a", "b", "s"))
    out = impl(c, f, a, b, s, "pytensor")
    grads = pytensor.grad(out.sum(), [a, b, s])
    # FAST_COMPILE keeps the test quick; the fixed-node graph under the default (numba) mode
    # was checked to agree to ~1e-15 (the kernels are written to be robust to PyTensor's
    # algebraic rewrites, see scaled_beta._bd0).
    return pytensor.function([c, f, a, b, s], [out, *grads], mode="FAST_COMPILE")


@pytest.fixture(scope="module", params=list(IMPLEMENTATIONS))
def pytensor_impl(request):
    """(name, compiled value+gradient function, matching NumPy implementation)."""
    impl = IMPLEMENTATIONS[request.param]
    return request.param, _compile_pytensor(impl), impl


def test_pytensor_values_match_numpy(pytensor_impl):
    name, fn, impl = pytensor_impl
    out = fn(*BACKEND_GRID.T)
    assert _rel_err(out[0], impl(*BACKEND_GRID.T)).max() <= 1e-12, name
    assert _rel_err(out[0], _fixed_nodes(*BACKEND_GRID.T)).max() <= 1e-12, name
    assert all(np.isfinite(g).all() for g in out[1:]), name


def _fd_grad(impl, case, k: int) -> float:
    """4-point central difference of the NumPy L in parameter k (h = 1e-4 relative)."""
    c, f, *theta = case
    h = 1e-4 * theta[k]
    if k == 2:
        h = min(h, 0.25 * (1 - theta[2]))

    def at(d):
        th = list(theta)
        th[k] += d
        return float(impl(c, f, *th))

    return (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)


# rows: trapezoid, large-f trapezoid, anchored integers, map at J = 0, map at J = f, alpha = beta
@pytest.mark.parametrize("row", [1, 3, 8, 9, 10, 13])
def test_pytensor_gradient_matches_finite_differences(pytensor_impl, row):
    name, fn, impl = pytensor_impl
    case = BACKEND_GRID[row]
    grads = [g[row] for g in fn(*BACKEND_GRID.T)[1:]]
    for k in range(3):
        fd = _fd_grad(impl, case, k)
        assert grads[k] == pytest.approx(fd, rel=1e-6, abs=1e-9), (name, k, grads[k], fd)


def test_pytensor_gradient_at_s_equal_one_is_one_sided(pytensor_impl):
    name, fn, impl = pytensor_impl
    rows = [11, 12]  # s == 1
    grads = fn(*BACKEND_GRID[rows].T)[3]
    for g, (c, f, a, b, _) in zip(grads, BACKEND_GRID[rows], strict=True):
        h = 1e-7
        one_sided = (float(impl(c, f, a, b, 1.0)) - float(impl(c, f, a, b, 1 - h))) / h
        assert g == pytest.approx(c - f * (a + c) / (b + f - 1), rel=1e-12), name
        assert g == pytest.approx(one_sided, rel=1e-5, abs=1e-5), name


def test_jax_values_match_numpy():
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        fn = jax.jit(lambda c, f, a, b, s: _sb(c, f, a, b, s, "jax"))
        out = np.asarray(fn(*BACKEND_GRID.T))
        assert out.dtype == np.float64
        for impl in IMPLEMENTATIONS.values():
            assert _rel_err(out, impl(*BACKEND_GRID.T)).max() <= 1e-12
        counts = (BACKEND_GRID[:, 0], BACKEND_GRID[:, 1])
        theta = {"alpha": BACKEND_GRID[:, 2], "beta": BACKEND_GRID[:, 3]}
        beta = np.asarray(BETA.log_moment(*counts, theta, "jax"))
        assert _rel_err(beta, BETA.log_moment(*counts, theta)).max() <= 1e-12


# ---------------------------------------------------------------------------
# Population curve and tails
# ---------------------------------------------------------------------------

POPULATIONS = [
    (BETA, {"alpha": 0.3, "beta": 3.0}),
    (BETA, {"alpha": 2.0, "beta": 0.7}),
    (SBETA, {"alpha": 0.3, "beta": 3.0, "scale": 0.2}),
    (SBETA, {"alpha": 1.5, "beta": 0.5, "scale": 0.9}),
]


@pytest.mark.parametrize("fam,params", POPULATIONS)
def test_failure_curve_vs_monte_carlo(fam, params):
    p = fam.sample_p(params, 200_000, np.random.default_rng(0))
    assert p.shape == (200_000,) and np.all((p >= 0) & (p <= params.get("scale", 1.0)))
    # k <= 100: for larger k and alpha >~ 1 the estimate hinges on a handful of draws near
    # p = 0 and its standard error is itself unreliable
    k = np.array([1.0, 3, 10, 30, 100])
    ours = np.exp(fam.log_moment(0.0, k, params))
    samples = (1.0 - p[:, None]) ** k
    mc, se = samples.mean(0), samples.std(0) / math.sqrt(len(p))
    assert np.all(np.abs(ours - mc) <= 5 * se), (ours, mc, se)


@pytest.mark.parametrize(
    "fam,params",
    POPULATIONS
    + [
        (SBETA, {"alpha": 0.05, "beta": 1000.0, "scale": 0.01}),
        (BETA, {"alpha": 3.0, "beta": 1000.0}),
    ],
)
def test_asymptotic_power_law(fam, params):
    tail = fam.tail(params)
    assert isinstance(tail, TailBehaviour) and tail.kind == "power_law"
    assert float(tail.exponent) == params["alpha"]
    k = 1e8
    ks = np.array([np.round(k * math.exp(-1e-3)), k, np.round(k * math.exp(1e-3))])  # integers
    log_fail = fam.log_moment(0.0, ks, params)
    slope = -(log_fail[2] - log_fail[0]) / math.log(ks[2] / ks[0])
    assert slope == pytest.approx(params["alpha"], rel=1e-3)
    assert math.exp(log_fail[1]) * k ** params["alpha"] == pytest.approx(
        float(tail.prefactor), rel=1e-3
    )


def test_tail_prefactors_closed_form():
    a, b, s = np.array([0.3, 2.0]), np.array([3.0, 0.5]), np.array([0.2, 1.0])
    beta_tail = BETA.tail({"alpha": a, "beta": b})
    expect = np.exp(gammaln(a + b) - gammaln(b))
    np.testing.assert_allclose(beta_tail.prefactor, expect, rtol=1e-14)
    sb_tail = SBETA.tail({"alpha": a, "beta": b, "scale": s})
    np.testing.assert_allclose(sb_tail.prefactor, expect / s**a, rtol=1e-14)
    np.testing.assert_array_equal(sb_tail.exponent, a)
