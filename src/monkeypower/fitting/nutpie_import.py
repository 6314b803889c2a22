"""Import nutpie without importing all of ArviZ with it.

``nutpie.sample`` starts with ``import arviz``, and the ``arviz`` package imports its three
parts whole (``from arviz_plots import *``): the plotting library and Matplotlib's ``pyplot``
come with every process that samples with nutpie, about 0.35 s of a ``monkeypower fit``
process that draws no figure (``python -X importtime``; ``benchmarks/cold_start.py``). nutpie
uses two names of that namespace, ``from_dict`` and ``dict_to_dataset``, both arviz-base's own
functions re-exported by ``arviz``.

While nutpie is imported, ``sys.modules["arviz"]`` holds a :class:`_DeferredArviz`: those two
names are arviz-base's, and any other name imports the real ``arviz`` and is read from it, so
nutpie behaves exactly as with the real module. The stand-in is taken out of ``sys.modules``
as soon as nutpie is imported, so ``import arviz`` anywhere else (a user's notebook, this
package's figures) gets the real package. When ``arviz`` or nutpie is already imported, nothing
is replaced.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import arviz_base

__all__ = ["nutpie", "nutpie_pymc", "import_nutpie"]


class _DeferredArviz(ModuleType):
    """``arviz`` as nutpie sees it: arviz-base's converters now, anything else on demand."""

    from_dict = staticmethod(arviz_base.from_dict)
    dict_to_dataset = staticmethod(arviz_base.dict_to_dataset)

    def __getattr__(self, name: str) -> object:
        if sys.modules.get("arviz") is self:
            del sys.modules["arviz"]
        return getattr(importlib.import_module("arviz"), name)


def import_nutpie() -> ModuleType:
    """The ``nutpie`` module, imported (once per process) with ``arviz`` deferred."""
    if "nutpie" in sys.modules or "arviz" in sys.modules:
        return importlib.import_module("nutpie")
    stand_in = _DeferredArviz("arviz", __doc__)
    sys.modules["arviz"] = stand_in
    try:
        return importlib.import_module("nutpie")
    finally:
        if sys.modules.get("arviz") is stand_in:
            del sys.modules["arviz"]


nutpie = import_nutpie()
nutpie_pymc = importlib.import_module("nutpie.compile_pymc")
