"""Running an estimator quietly: its warnings recorded, its errors turned into row text."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from monkeypower.errors import DegenerateDataError, UnhealthyFitError
from monkeypower.fitting import SamplingWarning

__all__ = ["FAILURE_KINDS", "error_text", "failure_kind", "join_messages", "join_warnings",
           "run_quietly"]

FAILURE_KINDS = {
    "degenerate": "a point estimator refused degenerate data (DegenerateDataError: too few "
                  "problems with a success, an optimum on a bound, an optimiser that never "
                  "moved)",
    "unhealthy": "a Bayesian fit failed the sampler-health checks (divergences, R-hat > 1.01, "
                 "low bulk or tail ESS) and again after one refit with more draws "
                 "(UnhealthyFitError)",
    "error": "any other error (optimiser failure, a failed forecast, a failed comparison)",
}
"""The kinds of failure a backtest row records in its ``failure`` column, and what each is."""


def run_quietly(
    func: Callable[..., Any], *args: Any, **kwargs: Any
) -> tuple[Any, list[Any], float]:
    """Call ``func``; return its value, the warnings it raised (recorded) and the wall time."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = func(*args, **kwargs)
    return value, list(caught), time.perf_counter() - start


def join_warnings(caught: list[Any], *, skip_sampling: bool = False) -> str:
    """Distinct warning messages, ``Category: message``, joined by ``"; "``.

    ``skip_sampling`` leaves out :class:`~monkeypower.fitting.SamplingWarning` (a fit's own
    diagnostics report those, per fit).
    """
    messages = [
        f"{w.category.__name__}: {w.message}" for w in caught
        if not (skip_sampling and issubclass(w.category, SamplingWarning))
    ]
    return "; ".join(dict.fromkeys(messages))


def join_messages(messages: Iterable[str]) -> str:
    """The non-empty messages joined by ``"; "``."""
    return "; ".join(filter(None, messages))


def error_text(err: BaseException) -> str:
    """``Type: message`` of an error, as a row's ``error`` column shows it."""
    return f"{type(err).__name__}: {err}"


def failure_kind(err: BaseException) -> str:
    """The :data:`FAILURE_KINDS` key of an error: ``degenerate``, ``unhealthy`` or ``error``."""
    if isinstance(err, DegenerateDataError):
        return "degenerate"
    if isinstance(err, UnhealthyFitError):
        return "unhealthy"
    return "error"
