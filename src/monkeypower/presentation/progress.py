"""Progress of long work a person can watch: items done of the total, rate and time left.

One bar for every long loop of the package (many groups fitted in this process or on a Dask
cluster), drawn by `tqdm <https://tqdm.github.io>`_: a widget in a Jupyter notebook when
``ipywidgets`` is installed, else a text line on stderr that redraws in place (a terminal, a
notebook without widgets, a log file). For example::

    fitting beta:  40%|████      | 80/200 [01:04<01:36, 1.25group/s]

No global state: each bar is its own object, closed when the work ends.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.notebook import IProgress
from tqdm.notebook import tqdm as notebook_tqdm
from tqdm.std import tqdm as text_tqdm

__all__ = ["progress_bar", "in_notebook"]


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel able to draw widgets (``ipywidgets``)."""
    return "ipykernel" in sys.modules and IProgress is not None


def progress_bar(total: int, description: str, *, unit: str = "group",
                 enabled: bool = True) -> Any:
    """A progress bar of ``total`` items: done / total, rate and the time left.

    Parameters
    ----------
    total : int
        Items of work (groups, fits).
    description : str
        What is being done, shown before the bar.
    unit : str, default "group"
        The name of one item.
    enabled : bool, default True
        ``False`` gives a bar that counts but draws nothing (the same object, so callers need
        no branch).

    Returns
    -------
    tqdm.std.tqdm
        Call ``update(n)`` as items finish and ``close()`` at the end (or use it as a context
        manager).
    """
    bar = notebook_tqdm if enabled and in_notebook() else text_tqdm
    return bar(total=total, desc=description, unit=unit, disable=not enabled, file=sys.stderr,
               dynamic_ncols=True, smoothing=0.1)
