"""Exceptions raised by monkeypower, and how its warnings reach the user.

Every error about user data is a :class:`ValueError` subclass, so ``except ValueError`` keeps
working, and names the offending column and rows in its message.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

__all__ = ["OutcomesError", "DesignError", "SpecError", "DegenerateDataError",
           "UnhealthyFitError", "describe_rows", "warn_caller"]


class OutcomesError(ValueError):
    """Input data that cannot be turned into outcomes (wrong columns, counts, ids...)."""


class DesignError(ValueError):
    """An operation that the sampling design of the data does not allow."""


class SpecError(ValueError):
    """A model specification (TOML file or priors passed in Python) that is invalid."""


class DegenerateDataError(ValueError):
    """Data on which an estimator cannot give a meaningful number, so it refuses.

    Raised by the point estimators (the baselines) when too few problems had a success, when
    the optimum lies on a bound of the search box, or when the optimiser never left its start:
    the number it would return is an artefact of the method, not an estimate from the data.
    The message names the estimator and what was degenerate (e.g. how many problems had a
    success).
    """


class UnhealthyFitError(RuntimeError):
    """A Bayesian fit that failed the sampler-health checks even after a refit with more draws.

    Raised (and recorded as a failure) by the backtest's health gate; the message lists the
    failed checks (divergences, R-hat, bulk and tail ESS).
    """


def describe_rows(rows: Sequence[object], limit: int = 5) -> str:
    """Format the first offending row labels for an error message.

    Parameters
    ----------
    rows : sequence
        Row labels (index values or positions) that failed a check.
    limit : int, default 5
        How many to show before eliding the rest.

    Returns
    -------
    str
        E.g. ``"rows [3, 7, 9] (3 in total)"``.
    """
    items = [r.item() if hasattr(r, "item") else r for r in list(rows)[:limit]]
    shown = ", ".join(repr(r) if isinstance(r, str) else str(r) for r in items)
    if len(rows) > limit:
        shown += ", ..."
    return f"rows [{shown}] ({len(rows)} in total)"


PACKAGE_DIR = str(Path(__file__).resolve().parent)
"""Where the package's own files live: warnings skip these frames to point at the caller."""


def warn_caller(message: str, category: type[Warning]) -> None:
    """Warn at the first line outside the package (the user's call), wherever it was raised."""
    warnings.warn(message, category, skip_file_prefixes=(PACKAGE_DIR,))
