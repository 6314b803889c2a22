"""The contract every registered population family must meet, parametrised over the registry.

The families come from :data:`monkeypower.families.FAMILIES` and their parameter values from
their own model specs in ``models/`` (prior medians, and the 0.1% / 99.9% prior quantiles for
the edges), so a newly registered family runs through every test here without editing this
file; it fails until it has a spec with reasons, an mpmath oracle
(``_mp_oracles.reference_log_moment``) and a sampler consistent with its moments.

Contract, per family:

* its spec exists, names it, and gives a meaning and a reason for every prior;
* ``L(0, 0) = 0`` exactly; ``L <= 0`` everywhere;
* NumPy, PyTensor (values and gradients, which also match finite differences) and JAX agree;
* moments ``E[p^c (1-p)^f]`` match Monte Carlo from the family's own ``sample_p``;
* the declared tail kind (power law / plateau / faster than any power law) matches the numeric
  slope of ``-log E[(1-p)^k]`` at large ``k``;
* at the corners of the prior's 0.1%-99.9% box, with counts from 0 to 1e6, ``L`` is finite
  (never NaN, never raised) and within the family's stated ``accuracy`` of mpmath;
* broadcasting, chunking and simulation work.
"""

from __future__ import annotations

import itertools
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

import monkeypower as mp
from _mp_oracles import _assert_close, _local_slope, reference_log_moment
from monkeypower.families import FAMILIES, TailBehaviour, get_family

NAMES = sorted(FAMILIES)
DATA_NAMES = {"n", "c", "weight", "log_binomial_coefficient"}


def _prior_quantile(prior, q: float) -> float:
    """Quantile ``q`` of a spec prior (every distribution a spec may use)."""
    d, k = prior.distribution, prior.params
    dists = {
        "Normal": lambda: st.norm(k["mu"], k["sigma"]),
        "HalfNormal": lambda: st.halfnorm(scale=k["sigma"]),
        "LogNormal": lambda: st.lognorm(s=k["sigma"], scale=math.exp(k["mu"])),
        "Gamma": lambda: st.gamma(k["alpha"], scale=1.0 / k["beta"]),
        "InverseGamma": lambda: st.invgamma(k["alpha"], scale=k["beta"]),
        "Exponential": lambda: st.expon(scale=1.0 / k["lam"]),
        "Beta": lambda: st.beta(k["alpha"], k["beta"]),
        "Uniform": lambda: st.uniform(k["lower"], k["upper"] - k["lower"]),
        "HalfCauchy": lambda: st.halfcauchy(scale=k["beta"]),
        "TruncatedNormal": lambda: st.truncnorm(
            (k["lower"] - k["mu"]) / k["sigma"], (k["upper"] - k["mu"]) / k["sigma"],
            k["mu"], k["sigma"]),
    }
    return float(dists[d]().ppf(q))


def _natural(name: str, q_by_variable: dict[str, float]) -> dict[str, float]:
    """Natural parameters of ``name`` at the given prior quantile of each prior variable."""
    fam, spec = FAMILIES[name], mp.load_spec(name)
    variables = {v: _prior_quantile(spec.priors[v], q) for v, q in q_by_variable.items()}
    return {k: float(v) for k, v in fam.natural_params(variables).items()}


def median_params(name: str) -> dict[str, float]:
    """The family's natural parameters at the median of every prior."""
    return _natural(name, {v: 0.5 for v in FAMILIES[name].prior_variables})


def corner_params(name: str) -> list[dict[str, float]]:
    """Natural parameters at the corners of the prior's 0.1%-99.9% quantile box.

    Every corner for up to three prior variables; with four or more, the half fraction of
    even parity (a resolution-IV design: every single extreme and every pair of extremes
    still occurs), which halves the mpmath oracle's cost for the largest families.
    """
    fam = FAMILIES[name]
    corners = itertools.product((0, 1), repeat=len(fam.prior_variables))
    if len(fam.prior_variables) >= 4:
        corners = (c for c in corners if sum(c) % 2 == 0)
    return [_natural(name, dict(zip(fam.prior_variables, (1e-3 if q == 0 else 1 - 1e-3
                                                          for q in qs), strict=True)))
            for qs in corners]


# ---------------------------------------------------------------------------
# Registry and specs
# ---------------------------------------------------------------------------


def test_every_spec_names_a_registered_family_and_every_family_has_a_spec():
    families_with_specs = {mp.load_spec(m).family for m in mp.available_models()}
    assert families_with_specs <= set(FAMILIES)
    assert set(FAMILIES) <= families_with_specs


@pytest.mark.parametrize("name", NAMES)
def test_spec_exists_with_a_reason_for_every_prior(name):
    fam = get_family(name)
    assert fam.name == name and get_family(fam) is fam
    spec = mp.load_spec(name)
    assert spec.family == name
    assert set(spec.priors) == set(fam.prior_variables)
    for variable, prior in spec.priors.items():
        assert prior.meaning.strip(), (name, variable)
        assert len(prior.reason.strip()) > 40, (name, variable, prior.reason)
    assert spec.card.strip() and spec.summary.strip()
    # prior variables and natural parameters must not clash with the model's data names
    assert not DATA_NAMES & (set(fam.params) | set(fam.prior_variables))
    assert fam.accuracy > 0


# ---------------------------------------------------------------------------
# Values: exact zero, sign, backends
# ---------------------------------------------------------------------------

BACKEND_COUNTS = np.array([(0, 0), (0, 1e6), (1e4, 0), (37, 9963), (3, 97), (2, 0), (5e5, 5e5),
                           (1, 999_999)], dtype=float)


@pytest.mark.parametrize("name", NAMES)
def test_parameter_ranges_hold_the_whole_prior_box_and_refuse_their_edges(name):
    """Every natural parameter has a range; the prior's median and corners lie inside it."""
    fam = get_family(name)
    assert set(fam.param_ranges) == set(fam.params)
    for theta in [median_params(name), *corner_params(name)]:
        fam.check_params(theta)
    for param in fam.params:
        allowed = fam.param_ranges[param]
        outside = [np.nan, allowed.lower - 1.0, allowed.upper + 1.0]
        outside += [end for end, closed in ((allowed.lower, allowed.lower_closed),
                                            (allowed.upper, allowed.upper_closed)) if not closed]
        for value in outside:  # an infinite end is open: infinity itself is refused
            with pytest.raises(ValueError, match=rf"{fam.name} parameters out of range: {param} ="):
                fam.check_params({**median_params(name), param: value})


@pytest.mark.parametrize("name", NAMES)
def test_zero_counts_give_exactly_zero_and_l_is_never_positive(name):
    fam = get_family(name)
    for theta in [median_params(name), *corner_params(name)]:
        assert float(fam.log_moment(0.0, 0.0, theta)) == 0.0, theta
        values = fam.log_moment(BACKEND_COUNTS[:, 0], BACKEND_COUNTS[:, 1], theta)
        assert np.all(values <= 0.0), (theta, values)


def _same_graph_key(fam):
    """Families whose L is the same code on the same natural parameters (bridged_beta is
    generalized_beta's likelihood) compile one graph: the key is that code and those names."""
    return type(fam)._log_moment, fam.params, getattr(fam, "nodes_per_side", None)


@pytest.fixture(scope="module")
def compiled():
    """Per family: value and gradient of sum_i L(c_i, f_i; theta) as a PyTensor function."""
    pytensor = pytest.importorskip("pytensor")
    pt = pytensor.tensor
    cache = {}

    def get(name):
        fam = get_family(name)
        key = _same_graph_key(fam)
        if key not in cache:
            theta = {k: pt.dscalar(k) for k in fam.params}
            c, f = pt.dvector("c"), pt.dvector("f")
            values = fam.log_moment(c, f, theta, "pytensor")
            grads = pytensor.grad(values.sum(), list(theta.values()))
            cache[key] = pytensor.function([c, f, *theta.values()], [values, *grads],
                                           mode="FAST_COMPILE")
        return cache[key]

    return get


@pytest.mark.parametrize("name", NAMES)
def test_pytensor_values_and_gradients_match_numpy(compiled, name):
    fam, theta = get_family(name), median_params(name)
    c, f = BACKEND_COUNTS.T
    values, *grads = compiled(name)(c, f, *(theta[k] for k in fam.params))
    _assert_close(values, fam.log_moment(c, f, theta), 1e-13, name)

    def total(th):
        return float(np.sum(fam.log_moment(c, f, th)))

    def central_difference(k, h):  # five-point stencil, truncation error ~h^4
        return (8 * (total({**theta, k: theta[k] + h}) - total({**theta, k: theta[k] - h}))
                - (total({**theta, k: theta[k] + 2 * h}) - total({**theta, k: theta[k] - 2 * h}))
                ) / (12 * h)

    # Two steps, because neither suits every parameter: the quadrature families re-place their
    # nodes as theta moves, a jitter ~1e-10 in L that the difference amplifies as 1.5 eps/h
    # (3e-6 at h = 1e-4 for bridged_beta's nu, 4e-9 at h = 1e-3), while the scale, with
    # c = 1e4 successes in the counts, is curved enough that h = 1e-3 leaves a truncation
    # error of 1e-4 to 5e-4 relative (10^4 times less at 1e-4). A wrong gradient misses both.
    for k, g in zip(fam.params, grads, strict=True):
        fds = [central_difference(k, step * abs(theta[k])) for step in (1e-4, 1e-3)]
        assert any(g == pytest.approx(fd, rel=1e-6, abs=1e-6) for fd in fds), (name, k, g, fds)


@pytest.mark.parametrize("name", NAMES)
def test_jax_values_match_numpy(name):
    """The JAX backend code gives NumPy's values, and it traces (so ``jit`` and ``grad`` apply).

    Values are computed op by op (``disable_jit``): XLA's compilation of a whole quadrature
    family took 3-12 s per family here against 0.3-5 s eagerly, and it is what the JAX samplers
    exercise (``tests/test_fit.py``); tracing to a jaxpr is what fails on Python control flow
    over traced values, without compiling anything.
    """
    jax = pytest.importorskip("jax")
    fam, theta = get_family(name), median_params(name)
    c, f = BACKEND_COUNTS.T
    with jax.enable_x64(True):
        def log_moment(c, f, th):
            return fam.log_moment(c, f, th, "jax")

        traced = jax.make_jaxpr(log_moment)(c, f, theta)
        assert traced.out_avals[0].shape == c.shape
        with jax.disable_jit():
            out = np.asarray(log_moment(c, f, theta))
        assert out.dtype == np.float64
        _assert_close(out, fam.log_moment(c, f, theta), 1e-12, name)


# ---------------------------------------------------------------------------
# Moments against the family's own sampler; the tail kind against the numeric slope
# ---------------------------------------------------------------------------

MC_COUNTS = np.array([(1, 0), (2, 0), (3, 0), (0, 1), (0, 3), (0, 10), (0, 30), (0, 100), (2, 5),
                      (1, 20)], dtype=float)


@pytest.mark.parametrize("name", NAMES)
def test_moments_vs_monte_carlo_from_own_sampler(name):
    fam, theta = get_family(name), median_params(name)
    p = fam.sample_p(theta, 200_000, np.random.default_rng(0))
    assert p.shape == (200_000,) and np.all((p >= 0) & (p <= 1))
    ours = np.exp(fam.log_moment(MC_COUNTS[:, 0], MC_COUNTS[:, 1], theta))
    samples = p[:, None] ** MC_COUNTS[:, 0] * (1.0 - p[:, None]) ** MC_COUNTS[:, 1]
    mc, se = samples.mean(0), samples.std(0) / math.sqrt(len(p))
    assert np.all(np.abs(ours - mc) <= 5 * se), (ours, mc, se)


@pytest.mark.parametrize("name", NAMES)
def test_tail_kind_matches_numeric_slope(name):
    """The local slope of -log E[(1-p)^k] in log k at large k says which tail kind it is."""
    fam, theta = get_family(name), median_params(name)
    tail = fam.tail(theta)
    assert isinstance(tail, TailBehaviour)
    k = 1e12
    slope, log_fail = _local_slope(fam, theta, k)
    if tail.kind == "power_law":
        b = float(tail.exponent)
        assert 0 < b < math.inf
        assert slope == pytest.approx(b, rel=1e-2), (slope, b)
        assert math.exp(log_fail) * k**b == pytest.approx(float(tail.prefactor), rel=1e-2)
    elif tail.kind == "plateau":
        assert float(tail.exponent) == 0.0
        assert abs(slope) < 1e-3, slope  # flat...
        assert math.exp(log_fail) == pytest.approx(float(tail.prefactor), rel=1e-2)  # ...at pi0
    elif tail.kind == "faster_than_power_law":
        assert math.isinf(float(tail.exponent)) and float(tail.prefactor) == 0.0
        slopes = [_local_slope(fam, theta, kk)[0] for kk in (1e4, 1e8, 1e12)]
        assert slopes[0] < slopes[1] < slopes[2] and slopes[2] > 3.0, slopes  # keeps steepening
    else:  # pragma: no cover - a new kind needs a check here
        pytest.fail(f"unknown tail kind {tail.kind!r}")


# ---------------------------------------------------------------------------
# Numerics at the edges of the prior: finite, never raising, accurate against mpmath
# ---------------------------------------------------------------------------

EDGE_COUNTS = [(0, 1), (1, 0), (0, 1e6), (1e6, 0), (1, 1e6), (37, 9963), (5e5, 5e5), (3, 97),
               (1e6 - 1, 1)]


#: mpmath L at every corner and count pair, written by ``tests/_corner_references.py``.
CORNER_REFERENCES = Path(__file__).parent / "data" / "corner_references.json"


@cache
def _stored_corners() -> dict:
    table = json.loads(CORNER_REFERENCES.read_text())
    assert table["edge_counts"] == [list(pair) for pair in EDGE_COUNTS], (
        "the stored references are for other counts: run tests/_corner_references.py")
    return table["families"]


def _corner_rows(name: str) -> list[dict]:
    """The stored corners of ``name``, checked to be today's corners of its prior."""
    rows = _stored_corners().get(name)
    assert rows is not None, f"no stored references for {name}: run tests/_corner_references.py"
    assert [row["theta"] for row in rows] == corner_params(name), (
        f"{name}'s prior corners changed: run tests/_corner_references.py")
    return rows


@pytest.mark.parametrize("name", NAMES)
def test_values_at_the_prior_extremes_are_finite_and_accurate(name):
    """Every corner of the 0.1%-99.9% prior box, counts from 0 to 1e6, against mpmath.

    Error measure: ``|L - L_ref| / max(1, |L_ref|)`` (the relative error of E = e^L where
    |L| <= 1, of L beyond); the bound is the family's stated ``accuracy``. The mpmath values
    are stored (``tests/_corner_references.py``); the next test recomputes some of them live.
    """
    fam = get_family(name)
    c, f = np.array(EDGE_COUNTS).T
    for row in _corner_rows(name):
        theta, ref = row["theta"], np.array(row["log_moment"])
        got = fam.log_moment(c, f, theta)
        assert np.all(np.isfinite(got)) and np.all(got <= 0.0), (theta, got)
        err = np.abs(got - ref) / np.maximum(1.0, np.abs(ref))
        assert err.max() <= fam.accuracy, (theta, EDGE_COUNTS[int(np.argmax(err))], err.max())


@pytest.mark.parametrize("name", NAMES)
def test_stored_corner_references_are_mpmath_values(name):
    """One corner per family (each family another one of its list) recomputed with mpmath."""
    rows = _corner_rows(name)
    row = rows[(3 * NAMES.index(name) + 1) % len(rows)]
    live = [reference_log_moment(name, c, f, row["theta"]) for c, f in EDGE_COUNTS]
    np.testing.assert_allclose(row["log_moment"], live, rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------------------
# Broadcasting, chunking, simulation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_broadcasting_and_chunking(name):
    fam, base = get_family(name), median_params(name)
    rng = np.random.default_rng(2)
    theta = {k: np.full((5, 1), v) * rng.uniform(0.9, 1.0, (5, 1)) for k, v in base.items()}
    c = np.array([0.0, 3, 50, 900, 1000])
    out = fam.log_moment(c, 1000.0 - c, theta)
    assert out.shape == (5, 5) and np.isfinite(out).all()
    one = fam.log_moment(c[2], 1000.0 - c[2], {k: v[3, 0] for k, v in theta.items()})
    assert np.ndim(one) == 0 and float(one) == pytest.approx(out[3, 2], rel=1e-13, abs=1e-300)
    # the NumPy path may work in chunks; their boundaries must not matter
    big = fam.log_moment(np.arange(5000.0) % 50, 400.0, base)
    assert big.shape == (5000,) and np.array_equal(big[:50], big[4900:4950])
    assert np.all(big[:50] <= 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_simulate_with_each_family(name):
    theta = median_params(name)
    out = mp.simulate(name, theta, n_problems=300, n_attempts=500, seed=4)
    assert out.n_problems == 300 and np.all((out.c >= 0) & (out.c <= out.n))
    assert name in out.labels["population"]
    seq = mp.simulate(name, theta, n_problems=50, n_attempts=0, seed=4,
                      design=mp.Design("sequential", batch_size=60, cap=600))
    assert np.all(seq.n <= 600) and np.all(seq.n[seq.c == 0] == 600)
