"""Compile a PyMC model for nutpie once per machine, not once per process.

``nutpie.compile_pymc_model`` wraps PyTensor's numba logp/gradient function in a numba ``cfunc``
that nutpie's Rust sampler calls. PyTensor caches its own function on disk (``~/.pytensor/numba``),
but nutpie's wrapper captures its data arrays in closures ("dynamic globals"), so numba cannot cache
the wrapper, and building it recompiles the whole model graph: about 7 s of the ~12 s a cold
``beta`` fit spends compiling, in *every* process (measured in ``benchmarks/cold_start.py``).

:func:`compile_for_nutpie` builds the same :class:`nutpie.compile_pymc.CompiledPyMCModel`, with
four changes that make a later process cheap:

* the wrapper is generated source with the data read through nutpie's ``user_data`` pointer only
  (no captured arrays), and with deterministic shared-variable keys, so the compiled code does not
  depend on the process;
* it is registered with PyTensor's numba cache locator under a key made of PyTensor's own cache
  key of the inner function, the wrapper source and the numba/nutpie versions, so a second
  process loads the compiled wrapper from disk;
* beside the stored PyTensor functions goes a record of the wrappers (sources, cache keys,
  the data's names, dtypes and layout), so a later process loads the wrappers' machine code
  from numba's cache and reads its own data into them without loading the PyTensor functions
  at all; it falls back to loading them when anything in the record differs or numba's cache
  lost the code;
* one process at a time compiles a given graph (a file lock beside the stored functions): workers
  that start together (``fit_many`` on a ``LocalCluster``, xdist, two notebooks) wait for the first
  and then load its result instead of all compiling the same graph at once.

The result is used exactly like nutpie's (``with_data``, ``nutpie.sample``). When the inner
function has no PyTensor cache key (a graph PyTensor cannot cache) or nutpie's internals are not
the ones this module was written against, it falls back to ``nutpie.compile_pymc_model``.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import pickle
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numba
import numpy as np
import pymc as pm
import pytensor
from pymc.initial_point import make_initial_point_fn
from pytensor.compile.builders import OpFromGraph
from pytensor.configdefaults import config as pytensor_config
from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

from monkeypower.fitting.nutpie_import import nutpie, nutpie_pymc
from monkeypower.version import __version__

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, each process compiles for itself
    fcntl = None

__all__ = ["compile_for_nutpie", "compile_lock", "exact_float_compilation", "WRAPPER_VERSION",
           "SUPPORTED_NUTPIE"]

WRAPPER_VERSION = "3"
SUPPORTED_NUTPIE = ("0.16.",)

_LOGP_SIGNATURE = numba.types.int64(
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)
_EXPAND_SIGNATURE = numba.types.int64(
    numba.types.uint64,
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)

_LOGP_TEMPLATE = """
def logp_wrapper(dim, x_, out_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_dim},))
        logp = numba.carray(logp_, ())
        shared = numba.carray(user_data_, (), RECORD)["shared"]
{unpack}
        logp_val, grad = inner(x{args})
        logp[()] = logp_val
        out[...] = grad
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0
"""

_EXPAND_TEMPLATE = """
def expand_wrapper(dim, expanded, x_, out_, user_data_):
    if dim != {n_dim}:
        return -1
    if expanded != {n_expanded}:
        return -1
    try:
        x = numba.carray(x_, ({n_dim},))
        out = numba.carray(out_, ({n_expanded},))
        shared = numba.carray(user_data_, (), RECORD)["shared"]
{unpack}
        (values,) = inner(x{args})
        out[...] = values
    except Exception:
        return -2
    return 0
"""


def _unpack_lines(keys: list[str], shared_data: dict[str, np.ndarray]) -> tuple[str, str]:
    """Source lines reading each shared array through ``user_data``, and the call arguments."""
    lines, names = [], []
    for index, key in enumerate(keys):
        value = shared_data[key]
        name = f"shared_{index}"
        flat = (f"numba.carray(address_as_void_pointer(shared['data']['{key}'][()]), "
                f"int(shared['size']['{key}'][()]), DTYPE_{key})")
        shape = ", ".join(f"int(shared['shape']['{key}'][{axis}])" for axis in range(value.ndim))
        shape = f"({shape},)" if value.ndim == 1 else f"({shape})"
        lines.append(f"        {name} = {flat}.reshape({shape})")
        names.append(name)
    return "\n".join(lines), "".join(f", {name}" for name in names)


def _wrapper(template: str, inner, keys, shared_data, record, n_dim,
             n_expanded=None) -> tuple[str, str] | None:
    """The wrapper's source and numba cache key; None when PyTensor cannot cache ``inner``."""
    inner_key = CACHED_SRC_FUNCTIONS.get(inner.py_func)
    if inner_key is None:
        return None
    unpack, args = _unpack_lines(keys, shared_data)
    source = template.format(n_dim=n_dim, n_expanded=n_expanded, unpack=unpack, args=args)
    digest = hashlib.sha256("|".join([
        inner_key, source, str(record), numba.__version__, nutpie.__version__, WRAPPER_VERSION,
    ]).encode()).hexdigest()
    return source, f"monkeypower_{digest}"


def _cfunc(wrapper: tuple[str, str], signature, inner, keys, shared_data, record):
    """The numba ``cfunc`` of ``wrapper``, loaded from numba's disk cache or compiled into it."""
    source, cache_key = wrapper
    env = {"__name__": __name__, "numba": numba, "np": np, "inner": inner, "RECORD": record,
           "address_as_void_pointer": nutpie_pymc.address_as_void_pointer}
    env.update({f"DTYPE_{key}": shared_data[key].dtype for key in keys})
    name = source.split("(")[0].split()[-1]
    py_func = compile_numba_function_src(source, name, env, cache_key=cache_key)
    return numba.cfunc(signature, cache=True)(py_func)


def _not_loaded(*args):  # pragma: no cover - typing fails before a call could happen
    raise RuntimeError("the wrapper was not in numba's cache")


def _free_dim_lengths(model: pm.Model) -> dict[str, int]:
    """Lengths of the dimensions that free variables have (e.g. one effect per group).

    They fix the sampler's parameter vector, yet a printed graph shows a dimension's length only
    as a shared variable's name; the data dimensions (``pair``) are left out, so a model refitted
    on other data still finds its compiled code.
    """
    dims = {d for rv in model.free_RVs for d in (model.named_vars_to_dims.get(rv.name) or ())
            if d is not None}
    return {d: int(model.dim_lengths[d].eval()) for d in sorted(dims)}


def _graph_key(model: pm.Model) -> str:
    """A key for the model's graph: logp, trace variables and free-variable dimension lengths."""
    text = io.StringIO()
    pytensor.dprint([model.logp(), *model.unobserved_value_vars], file=text, print_type=True)
    text.write(repr(_free_dim_lengths(model)))
    versions = (pm.__version__, pytensor.__version__, nutpie.__version__, numba.__version__,
                __version__, WRAPPER_VERSION)
    return hashlib.sha256((text.getvalue() + repr(versions)).encode()).hexdigest()


def _graph_cache_path(model: pm.Model) -> Path:
    return Path(pytensor_config.base_compiledir) / "monkeypower" / f"{_graph_key(model)}.pkl"


def _wrappers_path(path: Path) -> Path:
    """Beside the stored functions: what a later process needs to load the wrappers alone."""
    return path.with_suffix(".wrappers.pkl")


@contextlib.contextmanager
def compile_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` with ``.lock`` appended, waiting for any other holder.

    The operating system releases it if its holder dies, so a killed worker never blocks the
    others. Where ``fcntl`` is missing (Windows) this does nothing.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load_functions(path: Path, model: pm.Model):
    """The compiled PyTensor functions of an earlier process, with this model's data in them."""
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
        n_dim, n_expanded, logp_fn_pt, expand_fn_pt, shape_info, reparameterized_names = (
            stored["n_dim"], stored["n_expanded"], pickle.loads(stored["logp"]),
            pickle.loads(stored["expand"]), stored["shape_info"], stored["reparameterized"])
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, AttributeError, TypeError):
        return None
    if logp_fn_pt is None or expand_fn_pt is None:  # pytensor's unpickle_function is off
        return None
    for function in (logp_fn_pt, expand_fn_pt):
        for variable in function.get_shared():
            if variable.name not in model.named_vars:
                return None
            variable.set_value(model.named_vars[variable.name].get_value())
    return n_dim, n_expanded, logp_fn_pt, expand_fn_pt, shape_info, reparameterized_names


class _GraphPickler(pickle.Pickler):
    """A pickler that leaves out the derivative caches of ``OpFromGraph`` ops.

    Once a gradient has been taken through one (``LogSumExp`` in the quadrature families'
    graphs is an ``OpFromGraph``), it caches its derivative Op as a local function, which
    pickle refuses; those graphs were then compiled again in every process. A compiled
    function never differentiates again, and the cache is rebuilt on demand if it does.
    """

    def reducer_override(self, obj: object) -> object:  # noqa: D102
        if isinstance(obj, OpFromGraph) and (obj._lop_op_cache or obj._rop_op_cache is not None):
            clean = copy.copy(obj)
            clean._lop_op_cache, clean._rop_op_cache = {}, None
            return clean.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        return NotImplemented


def _dumps(obj: object) -> bytes:
    out = io.BytesIO()
    _GraphPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return out.getvalue()


def _write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that a concurrent reader sees all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(payload)
    os.replace(temporary, path)


def _store_functions(path: Path, functions) -> None:
    """Write the compiled functions atomically."""
    n_dim, n_expanded, logp_fn_pt, expand_fn_pt, shape_info, reparameterized_names = functions
    _write_atomically(path, pickle.dumps({
        "n_dim": n_dim, "n_expanded": n_expanded, "logp": _dumps(logp_fn_pt),
        "expand": _dumps(expand_fn_pt), "shape_info": shape_info,
        "reparameterized": reparameterized_names,
    }))


def _flat_initial_point_fn(model: pm.Model, pymc_initial_point_fn, shape_info):
    """PyMC's initial-point function as the flat vector nutpie starts from (as nutpie builds it)."""
    names, _, shapes = shape_info
    n_free = len(model.free_RVs)
    return nutpie_pymc._rv_dict_to_flat_array_wrapper(
        pymc_initial_point_fn, names=names[:n_free], shapes=shapes[:n_free])


def _frozen_copy(value) -> np.ndarray:
    """A C-contiguous read-only copy: the data a wrapper reads through ``user_data``."""
    copy = np.array(value, order="C", copy=True)
    copy.flags.writeable = False
    return copy


def _pytensor_functions(model: pm.Model, pymc_initial_point_fn, path: Path):
    """The logp/gradient and trace functions nutpie calls, rewritten once per machine and graph."""
    loaded = _load_functions(path, model) if path.exists() else None
    if loaded is not None:
        initial_point_fn = _flat_initial_point_fn(model, pymc_initial_point_fn, loaded[4])
        return (*loaded[:4], initial_point_fn, *loaded[4:])
    (n_dim, n_expanded, logp_fn_pt, expand_fn_pt, initial_point_fn, shape_info,
     reparameterized_names) = nutpie_pymc._make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=True,
        pymc_initial_point_fn=pymc_initial_point_fn, var_names=None,
    )
    try:
        _store_functions(path, (n_dim, n_expanded, logp_fn_pt, expand_fn_pt, shape_info,
                                reparameterized_names))
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # an unpicklable graph is compiled in every process, as before
    return (n_dim, n_expanded, logp_fn_pt, expand_fn_pt, initial_point_fn, shape_info,
            reparameterized_names)


def compile_for_nutpie(model: pm.Model) -> nutpie_pymc.CompiledPyMCModel:
    """Compile ``model`` for :func:`nutpie.sample`, reusing compiled code across processes.

    Parameters
    ----------
    model : pymc.Model
        The model, with its data in ``pm.Data`` containers (swappable with ``with_data``).

    Returns
    -------
    nutpie.compile_pymc.CompiledPyMCModel
        The same object ``nutpie.compile_pymc_model(model)`` returns (numba backend, default
        ``support_point`` initialisation), whose ``cfunc`` wrappers come from disk after the first
        process on the machine compiled them.
    """
    with exact_float_compilation():
        if not nutpie.__version__.startswith(SUPPORTED_NUTPIE):
            return nutpie.compile_pymc_model(model)
        pymc_initial_point_fn = nutpie_pymc._wrap_with_lock(make_initial_point_fn(
            model=model, overrides=None, default_strategy="support_point",
            jitter_rvs=set(model.free_RVs), return_transformed=True,
        ))
        path = _graph_cache_path(model)
        with compile_lock(path):
            return _compile_unlocked(model, pymc_initial_point_fn, path)


def exact_float_compilation() -> contextlib.AbstractContextManager:
    """PyTensor's numba backend without fast-math flags, for the graphs compiled inside.

    With PyTensor's default ``reassoc``/``contract`` flags, a graph compiled in this process
    (its Ops inlined into one another, then fused and reassociated) and the same graph loaded
    from the disk cache in another (the Ops already machine code) round differently: the same
    seed gave other draws in the first process on a machine than in every later one (last
    bits of logp first, then the chains). Without them both are IEEE arithmetic, bit for bit.
    """
    return pytensor_config.change_flags(numba__fastmath=False)


def _compile_unlocked(model: pm.Model, pymc_initial_point_fn,
                      path: Path) -> nutpie_pymc.CompiledPyMCModel:
    wrappers_path = _wrappers_path(path)
    if wrappers_path.exists():
        loaded = _load_wrappers(wrappers_path, model, pymc_initial_point_fn)
        if loaded is not None:
            return loaded
    return _compile_wrappers(model, pymc_initial_point_fn, path, wrappers_path)


def _compile_wrappers(model: pm.Model, pymc_initial_point_fn, path: Path,
                      wrappers_path: Path) -> nutpie_pymc.CompiledPyMCModel:
    """The wrappers built on the rewritten PyTensor functions (compiled, or loaded from disk)."""
    (n_dim, n_expanded, logp_fn_pt, expand_fn_pt, initial_point_fn, shape_info,
     reparameterized_names) = _pytensor_functions(model, pymc_initial_point_fn, path)
    shared_var_keys: dict = {}
    shared_data: dict[str, np.ndarray] = {}
    for variable in [*logp_fn_pt.get_shared(), *expand_fn_pt.get_shared()]:
        if variable in shared_var_keys:
            continue
        key = f"s{len(shared_var_keys)}"
        shared_var_keys[variable] = key
        shared_data[key] = _frozen_copy(variable.get_value())
    user_data = nutpie_pymc.make_user_data(shared_var_keys, shared_data)
    logp_keys = [shared_var_keys[v] for v in logp_fn_pt.get_shared()]
    expand_keys = [shared_var_keys[v] for v in expand_fn_pt.get_shared()]
    logp_wrapper = _wrapper(_LOGP_TEMPLATE, logp_fn_pt.vm.jit_fn, logp_keys, shared_data,
                            user_data.dtype, n_dim)
    expand_wrapper = _wrapper(_EXPAND_TEMPLATE, expand_fn_pt.vm.jit_fn, expand_keys,
                              shared_data, user_data.dtype, n_dim, n_expanded)
    if logp_wrapper is None or expand_wrapper is None:
        return nutpie.compile_pymc_model(model)
    with _quiet_numba():
        logp_c = _cfunc(logp_wrapper, _LOGP_SIGNATURE, logp_fn_pt.vm.jit_fn, logp_keys,
                        shared_data, user_data.dtype)
        expand_c = _cfunc(expand_wrapper, _EXPAND_SIGNATURE, expand_fn_pt.vm.jit_fn,
                          expand_keys, shared_data, user_data.dtype)
    manifest = {
        "n_dim": n_dim, "n_expanded": n_expanded, "shape_info": shape_info,
        "reparameterized": reparameterized_names,
        "names": {key: variable.name for variable, key in shared_var_keys.items()},
        "dtypes": {key: value.dtype.str for key, value in shared_data.items()},
        "ndims": {key: value.ndim for key, value in shared_data.items()},
        "record": str(user_data.dtype), "logp_keys": logp_keys, "expand_keys": expand_keys,
        "logp": logp_wrapper, "expand": expand_wrapper,
    }
    with contextlib.suppress(OSError):
        _write_atomically(wrappers_path, pickle.dumps(manifest))
    return _compiled_model(model, n_dim, n_expanded, shape_info, reparameterized_names,
                           initial_point_fn, logp_c, expand_c, shared_data, shared_var_keys,
                           user_data, logp_fn_pt, expand_fn_pt)


def _load_wrappers(wrappers_path: Path, model: pm.Model,
                   pymc_initial_point_fn) -> nutpie_pymc.CompiledPyMCModel | None:
    """The wrappers straight from numba's cache, with this model's data, or None.

    None where anything differs from what they were compiled for, or they are not in the
    cache. The PyTensor functions are not loaded at all: nutpie calls the wrappers only, and their
    cached machine code holds the functions they call (about 0.5 s of a process for ``beta``).
    """
    try:
        stored = pickle.loads(wrappers_path.read_bytes())
        names, dtypes, ndims = stored["names"], stored["dtypes"], stored["ndims"]
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, AttributeError, TypeError):
        return None
    if len(set(names.values())) != len(names):
        return None
    shared_var_keys: dict = {}
    shared_data: dict[str, np.ndarray] = {}
    for key, name in names.items():
        variable = model.named_vars.get(name)
        if variable is None or not hasattr(variable, "get_value"):
            return None
        value = _frozen_copy(variable.get_value())
        if value.dtype.str != dtypes[key] or value.ndim != ndims[key]:
            return None
        shared_var_keys[variable], shared_data[key] = key, value
    user_data = nutpie_pymc.make_user_data(shared_var_keys, shared_data)
    if str(user_data.dtype) != stored["record"]:
        return None
    try:
        with _quiet_numba():
            logp_c = _cfunc(stored["logp"], _LOGP_SIGNATURE, _not_loaded, stored["logp_keys"],
                            shared_data, user_data.dtype)
            expand_c = _cfunc(stored["expand"], _EXPAND_SIGNATURE, _not_loaded,
                              stored["expand_keys"], shared_data, user_data.dtype)
    except numba.core.errors.NumbaError:  # not in the cache: typing the stand-in fails
        return None
    initial_point_fn = _flat_initial_point_fn(model, pymc_initial_point_fn, stored["shape_info"])
    return _compiled_model(model, stored["n_dim"], stored["n_expanded"], stored["shape_info"],
                           stored["reparameterized"], initial_point_fn, logp_c, expand_c,
                           shared_data, shared_var_keys, user_data, None, None)


@contextlib.contextmanager
def _quiet_numba() -> Iterator[None]:
    """Numba's warning that a function with dynamic globals cannot be cached, silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Cannot cache compiled function",
                                category=numba.NumbaWarning)
        yield


def _compiled_model(model, n_dim, n_expanded, shape_info, reparameterized_names,
                    initial_point_fn, logp_c, expand_c, shared_data, shared_var_keys, user_data,
                    logp_fn_pt, expand_fn_pt) -> nutpie_pymc.CompiledPyMCModel:
    dims, coords = nutpie_pymc._prepare_dims_and_coords(model, shape_info, reparameterized_names)
    return nutpie_pymc.CompiledPyMCModel(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=False)},
        compiled_logp_func=logp_c,
        compiled_expand_func=expand_c,
        initial_point_func=initial_point_fn,
        shared_data=shared_data,
        shared_var_keys=shared_var_keys,
        user_data=user_data,
        n_expanded=n_expanded,
        shape_info=shape_info,
        logp_func=logp_fn_pt,
        expand_func=expand_fn_pt,
        reparameterized_names=reparameterized_names,
    )
