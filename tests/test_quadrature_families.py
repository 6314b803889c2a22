"""Oracle tests of the quadrature families (Kumaraswamy, logit-normal): mpmath, closed forms,
node placement, node budget and the shape of their tails.

Accuracy criteria (:func:`_assert_close`): the relative error of ``L`` itself (``|dL| / |L|``,
strict where ``|L|`` is small, unlike ``|dL| / max(1, |L|)``) and, where ``|L| <= 50``, the
relative error of ``E = exp(L)`` (``|expm1(dL)|``); ``L(0, 0) = 0`` must be exact.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import pickle

import numpy as np
import pytest
from scipy.special import gamma

import monkeypower.families.logit_normal as ln_module
from _mp_oracles import (
    _assert_close,
    _errors,
    _local_slope,
    _mp_log_beta,
    _worst_error,
    mp_beta_log_moment,
    mp_kumaraswamy,
    mp_logit_normal,
)
from monkeypower.families import NUMPY, TailBehaviour, get_family
from monkeypower.families import _laplace as laplace
from monkeypower.families._laplace_integral import LaplaceLogIntegral
from monkeypower.families._laplace_numba import LaplaceNodes, place_nodes_multi
from monkeypower.families.kumaraswamy import kumaraswamy_log_moment
from monkeypower.families.logit_normal import logit_normal_log_moment

KUM = get_family("kumaraswamy")
LN = get_family("logit_normal")
ZISB = get_family("zero_inflated_scaled_beta")


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
    """NumPy/PyTensor place nodes with numba, JAX with the backend code: same L.

    The numba placement stops iterating once converged (:mod:`._laplace_numba`), so its nodes
    sit a hair away from the backend's; the two rules then agree to their own accuracy, which is
    ~1 ulp of ``E = e^L`` where ``L`` is tiny (c = 0 and a small f, ``|L|`` ~ 1e-10, where a
    relative error of ``L`` is not what the rule can give).  So the comparison is of ``E``
    (relative) where ``|L| <= 1``, of ``L`` (relative) beyond.
    """
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
        rel_l, rel_e = _errors(fast, generic)
        err = np.where(np.abs(generic) <= 1.0, rel_e, rel_l)
        assert err.max() < 1e-11, (fn.__name__, err.max())


def test_quadrature_does_not_depend_on_the_node_budget(monkeypatch):
    """More nodes change nothing: the default budget has converged, even on hard cases."""
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



def test_logit_normal_tail_is_faster_than_any_power_law():
    theta = {"mu": -2.0, "sigma": 1.5}
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



@pytest.mark.parametrize("name", ["kumaraswamy", "logit_normal"])
def test_node_op_pickles_by_reference(name):
    """Multiprocess sampling pickles the graph, and PyTensor hashes the pickled props into its
    numba cache key: the Op must pickle deterministically and come back as the same integrand."""
    integrand = get_family(name).numba_integrand
    op = LaplaceNodes(integrand, 40, None)
    back = pickle.loads(pickle.dumps(op))
    assert back == op and back.integrand is integrand
    assert pickle.dumps(op._props_dict()) == pickle.dumps(back._props_dict())


def _generalized_beta_rule_in_graph(c, f, theta, xp):
    """The generalized Beta's rule on numba-placed nodes, summed by the backend's own ops."""
    from monkeypower.families import generalized_beta as gb
    from monkeypower.families._backend import betaln

    nodes, log_w = place_nodes_multi(gb.NUMBA_INTEGRAND, c, f, theta, xp, gb._nodes_generic,
                                     gb.N_SIDE, gb.LOG_MAP, True)
    alpha, nu, beta, scale = theta
    ex = xp.expand_last
    log_s = xp.minimum(xp.log(scale), xp.asarray(gb._LOG_S_MAX))
    h = gb._h(nodes, ex(c), ex(f), ex(alpha), ex(nu), ex(beta), ex(log_s), xp)
    return (laplace.quadrature_log_integral(h, log_w, xp) + c * xp.log(scale)
            - betaln(alpha / nu, beta, xp))


def _rule_summed_in_graph(module, c, f, theta, xp, log_map):
    """``log sum_j w_j exp h(y_j)`` of a family whose ``_h`` takes its natural parameters, on
    numba-placed nodes, summed by the backend's own ops."""
    nodes, log_w = place_nodes_multi(module.NUMBA_INTEGRAND, c, f, theta, xp,
                                     module._nodes_generic, module.N_SIDE, log_map, True)
    ex = xp.expand_last
    h = module._h(nodes, ex(c), ex(f), *(ex(t) for t in theta), xp)
    return laplace.quadrature_log_integral(h, log_w, xp)


def _logit_normal_rule_in_graph(c, f, theta, xp):
    """The logit-normal's rule: the sum, less its normalising constant."""
    return (_rule_summed_in_graph(ln_module, c, f, theta, xp, None) - xp.log(theta[1])
            - ln_module._HALF_LOG_2PI)


def _kumaraswamy_rule_in_graph(c, f, theta, xp):
    """The Kumaraswamy's rule (its ``h`` holds the whole density)."""
    from monkeypower.families import kumaraswamy as kum

    return _rule_summed_in_graph(kum, c, f, theta, xp, kum.LOG_MAP)


def _tailed_logit_normal_rule_in_graph(c, f, theta, xp):
    """The tailed logit-normal's rule (its ``h`` holds the whole density)."""
    from monkeypower.families import tailed_logit_normal as tln

    return _rule_summed_in_graph(tln, c, f, theta, xp, tln.LOG_MAP)


def _counts_for_the_fused_kernel(rng, m=200):
    """``m`` pairs with n from 1 to ~3e6: a quarter with c = 0, a quarter with c = n."""
    n = np.floor(10 ** rng.uniform(0, 6.5, m))
    c = np.floor(rng.uniform(size=m) ** 3 * (n + 1))
    c[::4], c[1::4] = 0, n[1::4]
    return c, n - c


def _generalized_beta_case(rng, m=200):
    theta = (10 ** rng.uniform(-1.3, 0.3, m), 10 ** rng.uniform(-1, 0.5, m),
             10 ** rng.uniform(-1, 1.5, m), rng.uniform(0.05, 1, m))
    theta[3][::7] = 1.0  # the ceiling at 1, where log s is clipped
    return theta


def _kumaraswamy_case(rng, m=200):
    return 10 ** rng.uniform(-1.3, 0.3, m), 10 ** rng.uniform(-1, 1.5, m)


def _logit_normal_case(rng, m=200):
    return rng.uniform(-8.0, 3.0, m), 10 ** rng.uniform(-0.7, 1.3, m)


def _tailed_logit_normal_case(rng, m=200):
    return (rng.uniform(-8.0, 3.0, m), 10 ** rng.uniform(-0.7, 1.3, m),
            10 ** rng.uniform(-1.7, 0.3, m))


#: family: (its L on any backend, the rule summed in the graph, parameters, draw, tolerance of
#: the partials on the scale of |L|).  The tailed logit-normal's integrand is the difference of
#: two terms near z^2/2 (the Gaussian's and the shifted log Phi's, z ~ 25 where f ~ 10^6), so
#: the rounding of h, and through the weights that of the partials, is ~10^3 ulps of |L|: the two
#: paths agree to 1.7e-12 there (PyTensor's erfc/erfcx against the numba ones); a wrong partial
#: is off by O(1).
FUSED = {
    "generalized_beta": ("generalized_beta_log_moment", _generalized_beta_rule_in_graph,
                         ("alpha", "nu", "beta", "scale"), _generalized_beta_case, 1e-12),
    "kumaraswamy": ("kumaraswamy_log_moment", _kumaraswamy_rule_in_graph, ("a", "b"),
                    _kumaraswamy_case, 1e-12),
    "logit_normal": ("logit_normal_log_moment", _logit_normal_rule_in_graph, ("mu", "sigma"),
                     _logit_normal_case, 1e-12),
    "tailed_logit_normal": ("tailed_logit_normal_log_moment", _tailed_logit_normal_rule_in_graph,
                            ("mu", "sigma", "alpha"), _tailed_logit_normal_case, 1e-11),
}


@pytest.mark.parametrize("name", sorted(FUSED))
def test_fused_quadrature_matches_the_rule_summed_in_the_graph(name):
    """The one-pass numba sum (``_laplace_integral``) is the same rule on the same nodes as the
    backend ops sum: value to rounding, and its hand-written gradient equal to PyTensor's
    automatic one; a wrong partial (say the generalized Beta's nu or the Kumaraswamy's a term
    without the failure pull, the logit-normal's sigma term without its square, or the tailed
    logit-normal's alpha term without its 1/alpha) would be off by O(1)."""
    import importlib

    import pytensor
    import pytensor.tensor as pt

    from monkeypower.families._backend import get_backend

    function_name, rule_in_graph, names, draw, tolerance = FUSED[name]
    # PyTensor's rewrites (the value-from-gradient one included), run by Python on NumPy (without
    # fused elementwise loops, which Python runs per element): what is compared is the gradient,
    # not a backend, and compiling the six graphs with numba took ~90 s on a cold cache
    python_mode = pytensor.compile.mode.Mode(linker="py", optimizer="fast_run").excluding("fusion")
    log_moment = getattr(importlib.import_module(f"monkeypower.families.{name}"), function_name)
    rng = np.random.default_rng(3)
    c, f = _counts_for_the_fused_kernel(rng)
    theta = draw(rng)
    fused = log_moment(c, f, *theta, NUMPY)
    graph = rule_in_graph(c, f, theta, NUMPY)
    np.testing.assert_allclose(fused, graph, rtol=1e-13, atol=1e-13)

    pt_backend = get_backend("pytensor")
    symbols = [pt.dvector(k) for k in names]
    outputs, functions = [], []
    for value in (log_moment(c, f, *symbols, pt_backend),
                  rule_in_graph(pt.as_tensor(c), pt.as_tensor(f), symbols, pt_backend)):
        grads = pytensor.grad(value.sum(), symbols)
        functions.append(pytensor.function(symbols, [value, *grads], mode=python_mode))
        outputs.append(functions[-1](*theta))
    # the fused value reuses output 0 of its gradient node: one quadrature pass per evaluation
    fused = [n.op for n in functions[0].maker.fgraph.apply_nodes
             if isinstance(n.op, LaplaceLogIntegral)]
    assert len(fused) == 1 and fused[0].with_grad
    for got, want in zip(outputs[0], outputs[1], strict=True):
        # the partials are sums of per-node terms of size ~|L| that cancel: compare on that scale
        scale = np.maximum(1.0, np.abs(outputs[1][0]))
        assert np.max(np.abs(got - want) / scale) < tolerance


def test_fused_quadrature_op_pickles_by_reference():
    """As the node Op: the fused Op's props pickle deterministically (PyTensor's numba cache
    key) and come back as the same integrand in a fresh unpickling."""
    integrand = get_family("bridged_beta").numba_integrand
    op = LaplaceLogIntegral(integrand, 40, 2.0, with_grad=True)
    back = pickle.loads(pickle.dumps(op))
    assert back == op and back.integrand is integrand
    assert pickle.dumps(op._props_dict()) == pickle.dumps(back._props_dict())
    with pytest.raises(TypeError, match="no fused log-integral kernel"):
        LaplaceLogIntegral(dataclasses.replace(integrand, log_integral=None), 36, 2.0)
    with pytest.raises(ValueError, match="takes 4 parameters, got 2"):
        op(np.zeros(3), np.zeros(3), np.ones(3), np.ones(3))


def test_fused_quadrature_threads_give_the_serial_values(monkeypatch):
    """Many elements (a post-fit curve) are split over threads: the same values, bit for bit,
    as one serial pass of the kernel; and the split really happens (one call per slice)."""
    import numba

    import monkeypower.families._laplace_integral as fused
    from monkeypower.families._laplace import _gl_tables
    from monkeypower.families.generalized_beta import LOG_MAP, N_SIDE

    rng = np.random.default_rng(11)
    n = 3000
    c = rng.integers(0, 20, n).astype(float)
    f = rng.integers(0, 10**6, n).astype(float)
    theta = (10 ** rng.uniform(-1.3, 0.3, n), 10 ** rng.uniform(-1, 0, n),
             10 ** rng.uniform(-1, 1.5, n), rng.uniform(0.05, 1, n))
    integrand = get_family("generalized_beta").numba_integrand
    _, frac, log_w0 = _gl_tables(N_SIDE)
    serial = integrand.log_integral(c, f, theta, frac, log_w0, LOG_MAP, False)[0]
    calls = []

    class Counting:
        def log_integral(self, *args):
            calls.append(args[0].size)
            return integrand.log_integral(*args)

    monkeypatch.setattr(fused, "MIN_ELEMENTS_PER_THREAD", 500)
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 4)
    threaded = fused.laplace_log_integral(Counting(), c, f, theta, "numpy", N_SIDE, LOG_MAP)
    assert sorted(calls) == [750] * 4
    np.testing.assert_array_equal(threaded, serial)
    assert np.all(np.isfinite(serial))


# ---------------------------------------------------------------------------
# Tailed logit-normal: the exponentially modified Gaussian in logit p
# ---------------------------------------------------------------------------

TLN = get_family("tailed_logit_normal")
TLN_POINTS = [(-2.0, 1.5, 0.3), (-8.0, 0.3, 0.05), (1.0, 4.0, 2.0), (-4.0, 10.0, 0.02)]


def _exponnorm(mu, sigma, alpha):
    """scipy's exponentially modified Gaussian as the law of -logit p (an independent oracle:
    -logit p = -mu + sigma (Z' + E / (alpha sigma)), i.e. K = 1 / (alpha sigma))."""
    import scipy.stats as st

    return st.exponnorm(1.0 / (alpha * sigma), loc=-mu, scale=sigma)


@pytest.mark.parametrize("point", TLN_POINTS)
def test_tailed_logit_normal_is_scipys_exponnorm_in_logit_p(point):
    """L(c, f) equals the integral of sigma(x)^c sigma(-x)^f against scipy's exponnorm density
    of -x (scipy.integrate.quad over its own breakpoints), and the sampler draws that law."""
    import scipy.integrate as si
    import scipy.stats as st

    mu, sigma, alpha = point
    law = _exponnorm(mu, sigma, alpha)
    # sigma = 10 with alpha = 0.02 is near the prior's corner, where the stated accuracy applies
    # (the window is much wider than the poles of sigma(x) at +-i pi; measured 6e-8 here)
    tol = 1e-9 if sigma <= 4 else TLN.accuracy
    theta = {"mu": mu, "sigma": sigma, "alpha": alpha}
    for c, f in [(1, 0), (0, 1), (2, 5), (0, 30)]:
        def integrand(x, c=c, f=f):
            return math.exp(-c * np.logaddexp(0.0, -x) - f * np.logaddexp(0.0, x)
                            + law.logpdf(-x))

        lo, hi = law.ppf([1e-13, 1.0 - 1e-15])  # of -x
        breaks = sorted(b for b in (-law.median(), mu, mu - alpha * sigma**2, 0.0)
                        if -hi < b < -lo)
        value, _ = si.quad(integrand, -hi, -lo, points=breaks, limit=500, epsabs=0.0,
                           epsrel=1e-11)
        assert float(TLN.log_moment(c, f, theta)) == pytest.approx(math.log(value), abs=tol,
                                                                   rel=tol), (point, c, f)
    p = TLN.sample_p(theta, 20_000, np.random.default_rng(5))
    with np.errstate(divide="ignore"):
        neg_logit = np.log1p(-p) - np.log(p)
    assert st.kstest(neg_logit, law.cdf).pvalue > 1e-3


def test_tailed_logit_normal_nests_the_logit_normal_and_its_tail_is_alpha():
    """alpha -> inf: logit p -> Normal(mu - 1/alpha, sigma^2 + 1/alpha^2), the logit-normal;
    any alpha: the local slope of -log E[(1-p)^k] tends to alpha with the stated prefactor."""
    c, f = np.array([(1, 0), (0, 3), (37, 963), (0, 1e4), (5, 0)], float).T
    mu, sigma, alpha = -1.5, 1.2, 1e3
    limit = LN.log_moment(c, f, {"mu": mu - 1.0 / alpha, "sigma": math.hypot(sigma, 1 / alpha)})
    ours = TLN.log_moment(c, f, {"mu": mu, "sigma": sigma, "alpha": alpha})
    np.testing.assert_allclose(ours, limit, rtol=1e-6)  # skewness alpha^-3 sigma^-3 ~ 1e-9
    theta = {"mu": -2.0, "sigma": 1.5, "alpha": 0.3}
    tail = TLN.tail(theta)
    assert tail.kind == "power_law" and float(tail.exponent) == 0.3
    slope, log_fail = _local_slope(TLN, theta, 1e14)
    assert slope == pytest.approx(0.3, rel=1e-3)
    assert math.exp(log_fail) * 1e14**0.3 == pytest.approx(float(tail.prefactor), rel=1e-3)
    # a prefactor past float64 (wide body, large alpha: prior draws) is infinite, silently
    assert float(TLN.tail({"mu": -2.0, "sigma": 20.0, "alpha": 5.0}).prefactor) == math.inf
    # a negative control: the same slope from the logit-normal keeps growing past alpha
    assert _local_slope(LN, {"mu": -2.0, "sigma": 1.5}, 1e14)[0] > 5.0
