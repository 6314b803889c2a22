"""Keep JAX unimported while SciPy asks whether a NumPy array is a JAX array.

arviz-base registers ``jax`` as a lazy module (``lazy_loader.load("jax")``, for its numpyro
converter): ``sys.modules["jax"]`` holds a placeholder that imports JAX on its first attribute
access. SciPy's array-API helpers (``scipy.special.logsumexp``, used by PSIS through
arviz-stats and by :mod:`monkeypower.fitting.loo`) test every argument with
``issubclass(type(x), sys.modules["jax"].Array)`` whenever ``"jax"`` is in ``sys.modules``, so
the first PSIS-LOO of a process imports all of JAX to learn that a NumPy array is not a JAX
array: about 0.9 s, the larger part of a ``beta`` fit's first ``summary()`` and a fifth of a
whole ``monkeypower fit`` process (``benchmarks/postfit_cost.py``, ``benchmarks/cold_start.py``).

:func:`jax_kept_unloaded` takes the placeholder out of ``sys.modules`` for the length of such a
call, only while it is still unloaded, and puts it back afterwards unless JAX was imported for
real meanwhile. A process that uses JAX (the ``numpyro`` and ``blackjax`` samplers, the ``jax``
array backend) imports it as usual and is not affected.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

__all__ = ["jax_kept_unloaded", "jax_is_loaded"]

# CPython's class for a module whose loading was deferred by ``importlib.util.LazyLoader``;
# ``type()`` reads it without triggering the load (attribute access would).
_LAZY_MODULE = getattr(importlib.util, "_LazyModule", None)

_lock = threading.Lock()
_depth = 0
_placeholder: ModuleType | None = None


def _is_unloaded_placeholder(module: object) -> bool:
    return _LAZY_MODULE is not None and type(module) is _LAZY_MODULE


def jax_is_loaded() -> bool:
    """Whether JAX has been imported in this process (a lazy placeholder does not count)."""
    module = sys.modules.get("jax")
    return module is not None and not _is_unloaded_placeholder(module)


@contextmanager
def jax_kept_unloaded() -> Iterator[None]:
    """Run the body with an unloaded lazy ``jax`` placeholder out of ``sys.modules``.

    Re-entrant and shared by threads: the placeholder is removed by the first caller in and
    restored by the last one out. If JAX is imported for real inside the window (another
    thread choosing a JAX sampler), the real module stays and the placeholder is not restored.
    """
    global _depth, _placeholder
    with _lock:
        if _depth == 0 and _is_unloaded_placeholder(sys.modules.get("jax")):
            _placeholder = sys.modules.pop("jax")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _placeholder is not None:
                sys.modules.setdefault("jax", _placeholder)
                _placeholder = None
