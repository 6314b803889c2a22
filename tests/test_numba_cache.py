"""The families' numba kernels use a cache that processes compiling at once cannot corrupt.

Two processes that save different signatures of one function interleave their file writes in
any order. With numba's own scheme (first free number, index then data) some orders leave an
index entry pointing at the other signature's machine code (the negative control below); with
key-named data files written before the index, every order leaves each key mapped to its own
code or to nothing (a later recompile), never to another key's code.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from numba.core.caching import IndexDataCacheFile
from numba.core.dispatcher import Dispatcher

import monkeypower.families as families
from monkeypower.families import _numba_cache
from monkeypower.families._numba_cache import (
    KeyNamedCacheFile,
    KeyNamedFunctionCache,
    families_source_hash,
    njit_cached,
)

KEY_A = ("(float64, float64)", ("x86_64", "cpu", ""), ("code", "vars"))
KEY_B = ("(int64, array(float64, 1d, C))", ("x86_64", "cpu", ""), ("code", "vars"))


def _interleavings(first: list, second: list):
    """Every merge of two step lists that keeps each list's own order."""
    total = len(first) + len(second)
    for slots in itertools.combinations(range(total), len(first)):
        a, b = iter(first), iter(second)
        yield [next(a) if i in slots else next(b) for i in range(total)]


def _outcomes(cache_class, tmp_path, steps_of):
    """Load both keys after every interleaving of the two processes' writes."""
    results = []
    for number, order in enumerate(_interleavings(steps_of("A"), steps_of("B"))):
        folder = tmp_path / str(number)
        folder.mkdir()
        handles = {who: cache_class(str(folder), "kernel", "stamp") for who in "AB"}
        for who, step in order:
            step(handles[who])
        reader = cache_class(str(folder), "kernel", "stamp")
        results.append((reader.load(KEY_A), reader.load(KEY_B)))
    return results


def test_numbas_own_scheme_can_map_a_signature_to_another_ones_code(tmp_path):
    # both processes read the index before either wrote it, so both take data file number 1
    def steps_of(who):
        key, data = (KEY_A, "code of A") if who == "A" else (KEY_B, "code of B")
        return [(who, lambda h: h._save_index({key: h._data_name(1)})),
                (who, lambda h: h._save_data(h._data_name(1), data))]

    results = _outcomes(IndexDataCacheFile, tmp_path, steps_of)
    poisoned = [r for r in results if r[0] == "code of B" or r[1] == "code of A"]
    assert poisoned, results


def test_key_named_files_never_map_a_signature_to_another_ones_code(tmp_path):
    # the same stale view of the index; KeyNamedCacheFile.save's own steps, data first
    def steps_of(who):
        key, data = (KEY_A, "code of A") if who == "A" else (KEY_B, "code of B")
        return [(who, lambda h: h._save_data(h.data_name_for(key), data)),
                (who, lambda h: h._save_index({key: h.data_name_for(key)}))]

    results = _outcomes(KeyNamedCacheFile, tmp_path, steps_of)
    assert all(a in ("code of A", None) and b in ("code of B", None) for a, b in results)
    assert all(a is not None or b is not None for a, b in results)  # something was kept


def test_save_writes_the_data_before_the_index_and_names_it_by_key(tmp_path):
    calls = []

    class Recording(KeyNamedCacheFile):
        def _save_data(self, name, data):
            calls.append(("data", name))
            super()._save_data(name, data)

        def _save_index(self, overloads):
            calls.append(("index", dict(overloads)))
            super()._save_index(overloads)

    first = Recording(str(tmp_path), "kernel", "stamp")
    first.save(KEY_A, "code of A")
    first.save(KEY_B, "code of B")
    names = {first.data_name_for(KEY_A), first.data_name_for(KEY_B)}
    assert len(names) == 2
    assert [kind for kind, _ in calls] == ["data", "index", "data", "index"]
    other = KeyNamedCacheFile(str(tmp_path), "kernel", "stamp")
    assert other.data_name_for(KEY_A) == first.data_name_for(KEY_A)  # a function of the key
    assert (other.load(KEY_A), other.load(KEY_B)) == ("code of A", "code of B")


def test_every_cached_kernel_of_the_families_uses_the_safe_cache():
    cached = []
    for module_info in pkgutil.iter_modules(families.__path__):
        module = importlib.import_module(f"{families.__name__}.{module_info.name}")
        for name, value in inspect.getmembers(module, lambda v: isinstance(v, Dispatcher)):
            uncached = type(value._cache).__name__ == "NullCache"
            if value.py_func.__module__ != module.__name__ or uncached:
                continue
            cached.append(name)
            assert isinstance(value._cache, KeyNamedFunctionCache), (module.__name__, name)
    assert len(cached) >= 20, cached


def test_njit_cached_refuses_a_cache_option():
    with pytest.raises(TypeError, match="cache="):
        njit_cached(cache=False)


def test_the_key_holds_the_source_of_every_module_of_the_folder(tmp_path, monkeypatch):
    """Editing a helper module alone must change the key of the kernels that inline it."""
    from monkeypower.families import _special_numba

    kernel = _special_numba.nb_digamma
    sig = kernel.signatures[0] if kernel.signatures else None
    codegen = kernel.targetctx.codegen()
    before = kernel._cache._index_key(sig, codegen)
    assert before[-1] == families_source_hash()
    families_source_hash.cache_clear()
    folder = tmp_path / "families"
    folder.mkdir()
    for path in sorted(Path(families.__file__).parent.glob("*.py")):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "_special_numba.py").write_text((folder / "_special_numba.py").read_text() + "\n#\n")
    monkeypatch.setattr(_numba_cache, "__file__", str(folder / "_numba_cache.py"))
    try:
        after = kernel._cache._index_key(sig, codegen)
    finally:
        families_source_hash.cache_clear()
    assert after[:-1] == before[:-1] and after[-1] != before[-1]


# A fresh process (empty cache folder) compiles the kernel first as the callee of a function
# with PyTensor's fastmath flags. Under ``reassoc`` LLVM folds the Veltkamp split of
# ``m - f s`` to the naive ``m - f s``: exact where the backend then fuses it into an FMA (this
# machine), rounded to 0 where it does not (-2.55e-11 exactly at f = 1e6, s = 1 - 3e-5; seen
# in CI). So the test reads the flags in the compiled IR, not the number.
_FASTMATH_CALLER = """
import re, numba
from monkeypower.families._scaled_beta_numba import _int_minus_product

def body(m, f, s):
    split = 134217729.0 * s
    s_hi = split - (split - s)
    return (m - f * s_hi) - f * (s - s_hi)

plain = numba.njit(body)  # fastmath not set: inherited from the caller (the negative control)
FLAGS = {"arcp", "contract", "afn", "reassoc", "nsz"}  # pytensor.link.numba.dispatch.basic
numba.njit(fastmath=FLAGS)(lambda m, f, s: plain(m, f, s))(1.0, 2.0, 0.5)
numba.njit(fastmath=FLAGS)(lambda m, f, s: _int_minus_product(m, f, s))(1.0, 2.0, 0.5)
for dispatcher in (plain, _int_minus_product):
    (ir,) = dispatcher.inspect_llvm().values()
    subs = re.findall(r"= fsub ([a-z ]*)double", ir)
    print(len(subs), int(any("reassoc" in flags or "fast" in flags for flags in subs)))
"""


def test_kernels_keep_exact_arithmetic_under_a_fastmath_caller(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", _FASTMATH_CALLER], env=env, capture_output=True, text=True,
        check=True,
    ).stdout.split()
    plain_subs, plain_fast, kernel_subs, kernel_fast = (int(x) for x in out)
    # negative control: a callee without its own setting inherits reassoc, the split folds away
    assert plain_fast == 1 and plain_subs == 1
    assert kernel_fast == 0 and kernel_subs == 5


def test_every_cached_kernel_sets_fastmath_off_explicitly():
    for module_info in pkgutil.iter_modules(families.__path__):
        module = importlib.import_module(f"{families.__name__}.{module_info.name}")
        for name, value in inspect.getmembers(module, lambda v: isinstance(v, Dispatcher)):
            if isinstance(value._cache, KeyNamedFunctionCache):
                assert value.targetoptions.get("fastmath") is False, (module.__name__, name)


_CACHE_HIT = """
from monkeypower.families._special_numba import nb_digamma
nb_digamma(2.5)
print(nb_digamma.stats.cache_hits.get(nb_digamma.signatures[0], 0),
      nb_digamma._cache._cache_path)
"""


def test_a_second_copy_of_the_package_loads_the_kernels_the_first_compiled(tmp_path):
    """Two copies of the source (two clones, two environments) share one kernel folder."""
    package = Path(families.__file__).parents[1]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    runs = []
    for copy in ("a", "b"):
        shutil.copytree(package, tmp_path / copy / "monkeypower",
                        ignore=shutil.ignore_patterns("__pycache__"))
        out = subprocess.run([sys.executable, "-c", _CACHE_HIT],
                             env={**env, "PYTHONPATH": str(tmp_path / copy)}, cwd=tmp_path,
                             capture_output=True, text=True, check=True).stdout.split()
        runs.append(out)
    assert [hits for hits, _ in runs] == ["0", "1"]  # compiled by the first copy only
    assert runs[0][1] == runs[1][1] == str(tmp_path / "cache" / "monkeypower-families")


def test_negative_control_numbas_own_locator_keys_the_folder_by_the_source_path(tmp_path):
    """Numba's own choice of folder differs between two copies of one source file."""
    from numba.core.caching import UserProvidedCacheLocator

    from monkeypower.families._special_numba import nb_digamma

    source = Path(inspect.getfile(nb_digamma.py_func))
    folders = []
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        shutil.copy(source, tmp_path / copy / source.name)
        path = str(tmp_path / copy / source.name)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("numba.config.CACHE_DIR", str(tmp_path / "cache"))
            numbas = UserProvidedCacheLocator(nb_digamma.py_func, path)
            ours = _numba_cache.UserCacheLocator(nb_digamma.py_func, path)
            folders.append((numbas.get_cache_path(), ours.get_cache_path(),
                            ours.get_source_stamp()))
    assert folders[0][0] != folders[1][0]  # numba's: one folder per copy
    assert folders[0][1:] == folders[1][1:]  # ours: one folder, the same content stamp


def test_the_kernel_folder_follows_numba_then_xdg_settings(tmp_path, monkeypatch):
    monkeypatch.setattr("numba.config.CACHE_DIR", str(tmp_path / "numba"))
    assert _numba_cache.kernel_cache_folder() == tmp_path / "numba" / "monkeypower-families"
    monkeypatch.setattr("numba.config.CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _numba_cache.kernel_cache_folder() == tmp_path / "xdg" / "monkeypower" / "numba-kernels"
