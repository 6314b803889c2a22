r"""Numba's on-disk cache, made safe for processes that compile at the same time.

Every numba kernel of the families is compiled with :func:`njit_cached` instead of
``numba.njit(cache=True)``. The difference is where a compiled signature is stored.

Numba (0.68) keeps, per function, an index file (signature → data file) and numbered data
files. To save a new signature a process reads the index, takes the first number not in it,
writes the index, then the data file. Two processes that compile *different* signatures of the
same function at the same time (two xdist workers, two notebooks, spawned Dask workers) can
both take number 1; if one writes its index last and the other its data last, the index maps a
signature to the machine code of another one. Every later process then loads code compiled
for other argument types and returns wrong numbers without any error (seen here: a
``ZeroDivisionError`` and a 2.6e-11 disagreement that vanished when the cache was deleted).

Here the data file is named after a hash of the signature's full key, and it is written
before the index. Different signatures never share a file, so an index entry can only point
at the code of its own key; a race can at worst drop an entry from the index, which costs one
recompilation later and never a wrong result.

Numba also keys a cached function by its own file only, while the kernels here inline helpers
from sibling modules (``_special_numba``, the scaled-Beta quadrature rules): editing a helper
alone left callers running the old machine code. The key here also holds a hash of every
module of this folder, so any edit recompiles every kernel of the families once.

Last, numba compiles a function that another jitted function calls with the *caller's*
``fastmath`` flags when the callee does not set its own (``inherit_if_not_set`` in
``numba.core.cpu``), keeps that overload as *the* one for its signature and caches it on disk
(the cache key does not hold the flags). PyTensor's numba linker wraps every Op in a function
compiled with ``reassoc``, ``contract`` and ``afn``, so whichever came first, a sampler or a
direct call, decided whether the kernels kept their exact arithmetic: under ``reassoc`` the
Veltkamp split of ``m - f s`` in the scaled-Beta kernel folds to ``m - f s``, and
:math:`\partial L/\partial s` near ``s = 1`` lost 1.7e-6 (seen in CI). :func:`njit_cached`
therefore sets ``fastmath=False`` explicitly, so it is never inherited.

Where the compiled code is kept: numba stores it beside the source (``__pycache__``), so each
copy of the package (a new virtual environment, a fresh clone, a reinstall) compiled every
kernel again, tens of seconds before the first fit of a quadrature family.
:class:`UserCacheLocator` keeps it in one folder per user instead (:func:`kernel_cache_folder`),
as PyTensor keeps its compiled Ops in ``~/.pytensor``. Sharing it is safe because numba checks
a hash of the module's *content* before it reads an index, and the key of every entry holds
the hash of the whole folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numba
from numba.core.caching import (
    CompileResultCacheImpl,
    FunctionCache,
    IndexDataCacheFile,
    _CacheLocator,
    _SourceFileBackedLocatorMixin,
)

__all__ = ["KeyNamedCacheFile", "KeyNamedFunctionCache", "UserCacheLocator",
           "families_source_hash", "kernel_cache_folder", "njit_cached"]


class KeyNamedCacheFile(IndexDataCacheFile):
    """Numba's index + data cache file with one data file per key, written before the index."""

    def data_name_for(self, key: Any) -> str:
        """The data file's name: a function of the key alone (signature, target, code hashes)."""
        digest = hashlib.sha256(repr(key).encode()).hexdigest()
        return self._data_name(int(digest[:15], 16))

    def save(self, key: Any, data: Any) -> None:
        """Write the compiled code under its key's own name, then add the key to the index."""
        name = self.data_name_for(key)
        self._save_data(name, data)
        overloads = self._load_index()
        if overloads.get(key) != name:
            overloads[key] = name
            self._save_index(overloads)


@cache
def families_source_hash() -> str:
    """A hash of the source of every module in this folder (the kernels inline each other)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def kernel_cache_folder() -> Path:
    """The folder of the families' compiled kernels, shared by every copy of the package.

    ``$NUMBA_CACHE_DIR/monkeypower-families`` when numba's cache folder is set, else
    ``$XDG_CACHE_HOME/monkeypower/numba-kernels`` (``~/.cache`` when that is unset).
    """
    if numba.config.CACHE_DIR:
        return Path(numba.config.CACHE_DIR) / "monkeypower-families"
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "monkeypower" / "numba-kernels"


class UserCacheLocator(_SourceFileBackedLocatorMixin, _CacheLocator):
    """Numba's locator for a source file, with the cache in :func:`kernel_cache_folder`.

    Numba's own locators put it under the source's folder (or a folder named after the
    source's path), so a second copy of the same source never found it. The source stamp is
    numba's (a hash of the module's bytes), the file names numba's (module, function, line).
    Where the folder cannot be written, numba's own locators are tried next.
    """

    def __init__(self, py_func: Callable, py_file: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(kernel_cache_folder())

    def get_cache_path(self) -> str:  # noqa: D102
        return self._cache_path


class _UserCacheImpl(CompileResultCacheImpl):
    _locator_classes = [UserCacheLocator, *CompileResultCacheImpl._locator_classes]


class KeyNamedFunctionCache(FunctionCache):
    """Numba's per-function cache with key-named files, keyed by the folder's hash.

    Files are :class:`KeyNamedCacheFile`; they are kept in :func:`kernel_cache_folder`.
    """

    _impl_class = _UserCacheImpl

    def __init__(self, py_func: Callable) -> None:
        super().__init__(py_func)
        self._cache_file.__class__ = KeyNamedCacheFile

    def _index_key(self, sig: Any, codegen: Any) -> tuple:
        return (*super()._index_key(sig, codegen), families_source_hash())


def njit_cached(func: Callable | None = None, **options: Any):
    """``numba.njit(cache=True, **options)`` with a cache that concurrent processes cannot corrupt.

    Use as ``@njit_cached`` or ``@njit_cached(parallel=True)``. ``fastmath`` is ``False``
    unless given: set explicitly, it is not inherited from a fastmath caller (module docstring).
    ``nogil`` is ``True`` unless given: the kernels are array arithmetic on their own inputs, so
    plans and post-fit curves run them on threads (:mod:`monkeypower.threads`).
    """
    if "cache" in options:
        raise TypeError("njit_cached always caches; do not pass cache=")
    options.setdefault("fastmath", False)
    options.setdefault("nogil", True)

    def decorate(py_func: Callable):
        dispatcher = numba.njit(**options)(py_func)
        dispatcher._cache = KeyNamedFunctionCache(py_func)
        return dispatcher

    return decorate if func is None else decorate(func)
