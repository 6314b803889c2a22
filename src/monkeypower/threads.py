"""Independent pieces of array work on threads: the one rule for how many and how.

NumPy's loops and the package's numba kernels (compiled with ``nogil=True``) release the GIL, so
pieces of one large evaluation (draws of a curve, chunks of a plan) run in parallel on threads,
without the copies and start-up of processes. Each piece runs in a copy of the caller's context,
so NumPy's error state (``np.errstate``, a context variable) holds inside the workers as it does
around the call. Pieces must write disjoint outputs; the result then does not depend on the
number of threads.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["available_cores", "run_in_threads"]


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_in_threads[Piece](work: Callable[[Piece], None], pieces: Iterable[Piece],
                          max_threads: int | None = None) -> None:
    """``work(piece)`` for every piece, on up to ``max_threads`` threads (default: the cores).

    One piece, or one thread, runs in the calling thread. An exception in any piece is raised
    here after every piece has finished.
    """
    pieces = list(pieces)
    workers = min(len(pieces), available_cores(), max_threads or len(pieces))
    if workers <= 1:
        for piece in pieces:
            work(piece)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(contextvars.copy_context().run, work, piece) for piece in pieces]
    for future in futures:
        future.result()
