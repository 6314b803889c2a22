r"""When a baseline refuses: data too thin to estimate from, or an optimum that is an artefact.

A point estimator returns a number whatever the data; on a degenerate subsample that number is
a property of the method, not of the data. With one to four of 128 problems ever solved, an
unguarded Beta-Binomial MLE runs up its ridge to infinite concentration and returns
:math:`\alpha` at its upper bound (1,000), and the discretized Beta returns its starting value
(0.5), both flagged "converged". The baselines therefore raise
:class:`~monkeypower.errors.DegenerateDataError` on:

- fewer than :data:`~monkeypower.fitting.diagnostics.MIN_SOLVED_PROBLEMS` problems with a
  success (:func:`require_solved_problems`; the threshold is the one under which a Bayesian
  fit's diagnostics say the tail exponent is mostly the prior's);
- an optimum on a bound of the search box, or an optimiser that never left its start
  (:func:`require_interior_optimum`).

The backtest records the refusal as a failure of that estimator on that subsample (its
``failure`` column), never as a number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monkeypower.data.outcomes import Outcomes
from monkeypower.errors import DegenerateDataError
from monkeypower.fitting.diagnostics import MIN_SOLVED_PROBLEMS

__all__ = ["MIN_SOLVED_PROBLEMS", "require_interior_optimum", "require_solved_problems"]


def require_solved_problems(outcomes: Outcomes, estimator: str) -> int:
    """Refuse data with fewer than :data:`MIN_SOLVED_PROBLEMS` problems with a success.

    Parameters
    ----------
    outcomes : Outcomes
        The data.
    estimator : str
        The estimator's name, for the message.

    Returns
    -------
    int
        The number of problems with at least one success.

    Raises
    ------
    DegenerateDataError
        Naming how many of how many problems had a success.
    """
    solved = int((np.asarray(outcomes.c) > 0).sum())
    if solved < MIN_SOLVED_PROBLEMS:
        raise DegenerateDataError(
            f"{estimator} refuses these data: only {solved} of {outcomes.n_problems} problems "
            f"had a success ({int(np.asarray(outcomes.c).sum())} success(es) in "
            f"{int(np.asarray(outcomes.n).sum()):,} attempts); it needs at least "
            f"{MIN_SOLVED_PROBLEMS}, else the tail exponent is set by the method, not the data"
        )
    return solved


def require_interior_optimum(
    estimator: str,
    values: dict[str, float],
    bounds: dict[str, tuple[float, float]],
    start: dict[str, float] | None = None,
    *,
    rtol: float = 1e-6,
) -> None:
    """Refuse an optimum on a bound of the search box, or one equal to the optimiser's start.

    Parameters
    ----------
    estimator : str
        The estimator's name, for the message.
    values : dict
        The optimum, by parameter name.
    bounds : dict
        ``(lower, upper)`` of each parameter that has a bound; compared on the log scale (a
        relative tolerance ``rtol``).
    start : dict, optional
        The start the optimum came from; an optimum equal to it in every parameter (to
        ``rtol``) means the optimiser never moved.
    rtol : float, default 1e-6
        Relative tolerance of both comparisons.

    Raises
    ------
    DegenerateDataError
        Naming the parameter and the bound (or the start).
    """
    for name, (lower, upper) in bounds.items():
        value = float(values[name])
        for edge, side in ((lower, "lower"), (upper, "upper")):
            if abs(np.log(value) - np.log(edge)) <= rtol:
                raise DegenerateDataError(
                    f"{estimator} refuses these data: its optimum {name} = {value:.6g} lies on "
                    f"the {side} bound {edge:g} of the search box (the likelihood has no "
                    "interior maximum; the number would be the bound, not an estimate)"
                )
    if start is not None and _same(values, start, rtol):
        shown = ", ".join(f"{k} = {float(v):g}" for k, v in start.items())
        raise DegenerateDataError(
            f"{estimator} refuses these data: the optimiser never left its start ({shown}); "
            "the likelihood is flat there, so the number would be the start, not an estimate"
        )


def _same(values: dict[str, float], start: dict[str, float], rtol: float) -> bool:
    names: Sequence[str] = list(start)
    return all(abs(float(values[k]) - float(start[k])) <= rtol * max(1.0, abs(float(start[k])))
               for k in names)
