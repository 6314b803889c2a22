"""The disk-cached nutpie wrapper: same logp and gradient as PyMC's own, data swapped, reloaded."""

import ctypes
import fcntl
import os
import pickle
import subprocess
import sys

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from pytensor.compile.builders import OpFromGraph
from pytensor.graph.traversal import io_toposort

import monkeypower as mp
from monkeypower.data.sufficient import compress
from monkeypower.fitting import nutpie_compile
from monkeypower.fitting.model import build_model, pair_data
from monkeypower.fitting.nutpie_compile import (
    _dumps,
    _graph_cache_path,
    compile_for_nutpie,
    compile_lock,
)
from monkeypower.fitting.sampling import Runner
from monkeypower.fitting.settings import SamplerSettings
from monkeypower.fitting.spec import resolve_model


def _stats(alpha, seed, n_problems):
    return compress(mp.simulate("beta", {"alpha": alpha, "beta": 3.0}, n_problems=n_problems,
                                n_attempts=200, seed=seed))


@pytest.fixture(scope="module")
def compiled():
    model = build_model(_stats(0.3, 0, 64), resolve_model("beta"))
    return model, compile_for_nutpie(model)


def _values(model, point):
    """The flat unconstrained point as PyMC's dict of value variables."""
    values, offset = {}, 0
    for name, start in model.initial_point().items():
        size = int(np.size(start))
        values[name] = point[offset:offset + size].reshape(np.shape(start))
        offset += size
    return values


def _call(compiled_model, point):
    """logp and gradient through the C callback nutpie's sampler calls."""
    n_dim = compiled_model.n_dim
    x = np.ascontiguousarray(point, dtype=np.float64)
    grad = np.zeros(n_dim)
    logp = np.zeros(())
    as_double = ctypes.POINTER(ctypes.c_double)
    status = compiled_model.compiled_logp_func.ctypes(
        n_dim, x.ctypes.data_as(as_double), grad.ctypes.data_as(as_double),
        logp.ctypes.data_as(as_double), ctypes.c_void_p(compiled_model.user_data.ctypes.data))
    assert status == 0
    return float(logp), grad


def _assert_matches_pymc(model, compiled_model, point, grad_atol=0.0):
    """The callback's logp and gradient equal PyMC's own (compiled in the Python/C VM: the
    values are under test, not the backend); returns the callback's logp."""
    values = _values(model, point)
    logp, grad = _call(compiled_model, point)
    np.testing.assert_allclose(logp, model.compile_logp(mode="FAST_COMPILE")(values), rtol=1e-10)
    np.testing.assert_allclose(grad, model.compile_dlogp(mode="FAST_COMPILE")(values), rtol=1e-8,
                               atol=grad_atol)
    return logp


def test_callback_matches_pymc_logp_and_gradient_after_a_data_swap(compiled):
    model, base = compiled
    other = _stats(0.6, 1, 90)  # another size: the shapes come through user_data, not the code
    swapped = base.with_data(**pair_data(other))
    with model:
        pm.set_data(pair_data(other), coords={"pair": np.arange(other.n_pairs)})
    rng = np.random.default_rng(3)
    for _ in range(3):
        point = rng.normal(scale=0.5, size=base.n_dim)
        logp = _assert_matches_pymc(model, swapped, point, grad_atol=1e-10)
    # the original data are untouched by the swap (negative control: the two differ)
    assert not np.isclose(_call(base, point)[0], logp)


def test_a_second_compile_loads_from_disk_with_its_own_data(compiled):
    first_model, first = compiled
    # a new model of the same graph on other data: the rewritten functions and the wrapper come
    # from disk, and the data in them must be this model's, not the first one's
    model = build_model(_stats(0.6, 1, 90), resolve_model("beta"))
    assert _graph_cache_path(model) == _graph_cache_path(first_model)
    assert _graph_cache_path(model).exists()
    again = compile_for_nutpie(model)
    assert again.compiled_logp_func.cache_hits == 1
    assert again.compiled_expand_func.cache_hits == 1
    assert again.logp_func is None  # the wrappers alone: no PyTensor function was loaded
    point = np.full(again.n_dim, 0.2)
    logp = _assert_matches_pymc(model, again, point)
    assert not np.isclose(logp, _call(first, point)[0])  # negative control: other data


def test_wrappers_missing_from_numbas_cache_are_built_again(compiled, tmp_path, monkeypatch):
    """A record of wrappers whose machine code is not in numba's cache (a cache folder cleared
    by hand) must not load, nor compile the stand-in: the PyTensor functions are loaded and the
    wrappers built on them, with the same values, and the record is written anew."""
    first_model, _ = compiled
    record = nutpie_compile._wrappers_path(_graph_cache_path(first_model))
    stored = pickle.loads(record.read_bytes())
    source, key = stored["logp"]
    stored["logp"] = (source, f"{key}_not_in_the_cache")
    tampered = tmp_path / "graph.wrappers.pkl"
    tampered.write_bytes(pickle.dumps(stored))
    model = build_model(_stats(0.6, 1, 90), resolve_model("beta"))
    from_the_record = compile_for_nutpie(model)
    assert from_the_record.logp_func is None
    monkeypatch.setattr(nutpie_compile, "_wrappers_path", lambda path: tampered)
    assert nutpie_compile._load_wrappers(tampered, model, None) is None
    again = compile_for_nutpie(model)
    assert again.logp_func is not None  # built on the loaded PyTensor functions
    point = np.full(again.n_dim, 0.2)
    (logp, grad), (expected_logp, expected_grad) = _call(again, point), _call(from_the_record,
                                                                              point)
    assert logp == expected_logp and np.array_equal(grad, expected_grad)  # the same code
    assert pickle.loads(tampered.read_bytes())["logp"][1] == key


def test_compile_lock_excludes_a_second_holder_until_released(tmp_path):
    """Another open file description (another process, or a thread) cannot take the lock."""
    target = tmp_path / "graph.pkl"

    def try_lock():
        with open(f"{target}.lock", "a+b") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    with compile_lock(target):
        assert not try_lock()
    assert try_lock()


def test_runner_holds_the_data_of_the_dataset_it_samples():
    """The first dataset is the one the model was built with (no swap); any other is swapped in,
    and the first swapped back when it returns."""
    first, other = _stats(0.3, 0, 64), _stats(0.6, 1, 90)
    runner = Runner(first, resolve_model("beta"), SamplerSettings("nutpie", 20, 20, 1, 0.9,
                                                                  False, 1))

    def held():
        return {name: runner.model[name].get_value() for name in pair_data(first)}

    for stats in (first, other, first):
        runner.sample(stats, seed=1)
        for name, values in pair_data(stats).items():
            np.testing.assert_array_equal(held()[name], values)
    assert len(held()["n"]) != other.n_pairs  # negative control: the two datasets differ


def test_a_differentiated_opfromgraph_pickles_without_its_derivative_cache():
    """PyTensor's LogSumExp is an OpFromGraph that caches its derivative Op as a local function
    once differentiated: plain pickle refuses it (the negative control), so graphs with it (the
    quadrature families') were compiled again in every process. (The Op alone: compiling even a
    Python-linker function costs ~20 s of C compilation on a cold cache; the round trip of a
    whole compiled graph is the quadrature-family test below.)"""
    x = pt.dmatrix("x")
    total = pt.logsumexp(x, axis=1).sum()
    pytensor.grad(total, x)
    (op,) = [node.op for node in io_toposort([x], [total]) if isinstance(node.op, OpFromGraph)]
    assert op._lop_op_cache
    with pytest.raises((AttributeError, pickle.PicklingError), match="local object"):
        pickle.dumps(op)
    loaded = pickle.loads(_dumps(op))
    assert type(loaded) is type(op) and loaded._lop_op_cache == {}
    assert op._lop_op_cache  # the Op in use keeps its cache (a copy was stored without it)


def test_a_quadrature_familys_graph_is_stored_and_loaded_with_its_own_data():
    first = build_model(_stats(0.3, 0, 32), resolve_model("kumaraswamy"))
    compiled_first = compile_for_nutpie(first)
    assert _graph_cache_path(first).exists()
    model = build_model(_stats(0.6, 1, 45), resolve_model("kumaraswamy"))
    assert _graph_cache_path(model) == _graph_cache_path(first)
    again = compile_for_nutpie(model)  # from disk, with this model's data
    assert again.compiled_logp_func.cache_hits == 1
    point = np.full(again.n_dim, 0.2)
    logp = _assert_matches_pymc(model, again, point)
    assert not np.isclose(logp, _call(compiled_first, point)[0])  # negative control: other data


def test_compile_for_nutpie_compiles_without_fast_math(monkeypatch):
    """The flags the next test runs under are the ones compile_for_nutpie compiles with."""
    seen, before = [], pytensor.config.numba__fastmath

    def record(model, initial_point_fn, path):
        seen.append(pytensor.config.numba__fastmath)
        raise RuntimeError("recorded")

    monkeypatch.setattr(nutpie_compile, "_compile_unlocked", record)
    with pytest.raises(RuntimeError, match="recorded"):
        compile_for_nutpie(build_model(_stats(0.3, 0, 8), resolve_model("beta")))
    assert seen == [False]
    assert pytensor.config.numba__fastmath == before  # the user's setting, restored


_LOGP_SCRIPT = """
import numpy as np
import monkeypower as mp
from monkeypower.data.sufficient import compress
from monkeypower.fitting import nutpie_compile
from monkeypower.fitting.model import build_model
from monkeypower.fitting.spec import resolve_model

stats = compress(mp.simulate("beta", {"alpha": 0.5, "beta": 3.0}, n_problems=64,
                             n_attempts=1000, seed=1))
model = build_model(stats, resolve_model("beta"))
path = nutpie_compile._graph_cache_path(model)
print("loaded" if path.exists() else "compiled")
# the rewritten logp/gradient function nutpie's callback wraps (compiled, or loaded from disk),
# under the flags compile_for_nutpie sets
with nutpie_compile.exact_float_compilation():
    functions = nutpie_compile._pytensor_functions(model, None, path)
n_dim, logp_and_gradient = functions[0], functions[2]
for seed in (0, 1):
    x = np.random.default_rng(seed).normal(scale=0.5, size=n_dim)
    logp, gradient = logp_and_gradient(x)
    print(float(logp).hex(), *(float(g).hex() for g in np.ravel(gradient)))
"""


@pytest.mark.slow
def test_the_first_process_and_a_cached_one_compute_the_same_bits(tmp_path):
    """The process that compiles a graph and one that loads it from the caches must agree bit
    for bit, or the same seed gives other draws on a fresh machine. It did (the last bits of
    logp, then the chains) while PyTensor's fast-math flags let freshly compiled Ops be fused
    and reassociated across their boundaries, which cached ones are not."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}"}
    script = tmp_path / "logp.py"
    script.write_text(_LOGP_SCRIPT)
    outputs = [subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                              text=True, check=True).stdout.split()
               for _ in range(2)]
    assert outputs[0][0] == "compiled" and outputs[1][0] == "loaded"
    assert len(outputs[0]) == 1 + 2 * 3  # logp and a 2-vector gradient at two points
    assert outputs[0][1:] == outputs[1][1:]
