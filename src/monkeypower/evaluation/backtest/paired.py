r"""Paired comparison of estimators: per-case log ratios of errors, bootstrapped over cases.

A backtest runs every estimator on the *same* subsamples, so two estimators are best compared
case by case. For an estimator :math:`e`, a baseline :math:`b` (least squares by default) and
a case :math:`j` (one subsample: a seed, and with pooled backtests the dataset it came from)
at a given :math:`M'` and :math:`n'`, with errors :math:`E` (the squared log error of the
forecast by default):

.. math:: d_j = \log \frac{E_{e,j}}{E_{b,j}},

negative when :math:`e` did better on that subsample. Reported per estimator × :math:`M'` ×
:math:`n'`:

- ``median_log_ratio``: :math:`\operatorname{median}_j d_j` (:math:`e^{d}` is the typical
  factor by which the estimator's error differs from the baseline's);
- ``lower``, ``upper``: a bootstrap interval of that median: cases resampled with replacement
  :math:`B` times (``n_boot``), the median of each resample, and the interval convention of
  :mod:`monkeypower.intervals` applied to the :math:`B` medians (equal-tailed: the percentile
  bootstrap, Efron & Tibshirani 1993, ch. 13). The generator of each cell is
  ``seeding.rng(child_seed(seed, text_key(estimator), M', n'))``;
- ``wins``: the share of cases with :math:`d_j < 0` (ties count half);
- ``n_cases``: cases where both errors are finite and positive; ``n_unpaired``: cases where
  either estimator failed (or gave no finite error), left out of the ratio and counted here.

Pairing removes the case-to-case variation both estimators share (a hard subsample is hard
for all), which is what made medians of 21 cases per cell move by a factor of two when two
seeds were added.

References
----------
B. Efron, R. J. Tibshirani (1993), *An Introduction to the Bootstrap*, Chapman & Hall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from monkeypower.arguments import whole_number
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.seeding import child_seed, rng, text_key

__all__ = ["DEFAULT_BASELINE", "DEFAULT_N_BOOT", "PAIRED_COLUMNS", "bootstrap_median",
           "paired_comparison", "paired_differences", "stack_tables"]

DEFAULT_BASELINE = "least_squares"
"""The estimator every other one is compared with: log-log least squares (LSQ)."""

DEFAULT_N_BOOT = 2000
"""Bootstrap resamples of the cases."""

PAIRED_COLUMNS = ["estimator", "baseline", "metric", "n_problems", "n_attempts", "n_cases",
                  "n_unpaired", "median_log_ratio", "lower", "upper", "wins"]
"""The columns of :func:`paired_comparison`, in order."""


def stack_tables(results: Mapping[str, Any]) -> pd.DataFrame:
    """The tables of several backtests in one frame, with a ``case`` column naming each.

    Parameters
    ----------
    results : mapping
        Name (e.g. the model evaluated) → :class:`~monkeypower.BacktestResult` (or its table).

    Returns
    -------
    pandas.DataFrame
        The rows of every table, ``case`` first; pass ``case_columns=("case", "seed")`` to
        :func:`paired_comparison`.
    """
    frames = []
    for name, result in results.items():
        table = (result.table if hasattr(result, "table") else result).copy()
        table.insert(0, "case", name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def paired_differences(
    table: pd.DataFrame,
    *,
    baseline: str = DEFAULT_BASELINE,
    metric: str = "squared_log_error",
    case_columns: Sequence[str] = ("seed",),
) -> pd.DataFrame:
    r"""Per-case log ratios :math:`d_j = \log(E_{e,j}/E_{b,j})` against the baseline.

    Parameters
    ----------
    table : pandas.DataFrame
        A backtest table (:attr:`BacktestResult.table`, or :func:`stack_tables` of several).
    baseline : str, default "least_squares"
        The estimator compared against.
    metric : str, default "squared_log_error"
        The error column.
    case_columns : sequence of str, default ("seed",)
        What identifies a case within an :math:`M'` × :math:`n'` cell.

    Returns
    -------
    pandas.DataFrame
        One row per estimator (other than the baseline) × case: ``estimator``,
        ``n_problems``, ``n_attempts``, the case columns, ``error``, ``baseline_error`` and
        ``log_ratio`` (NaN when either error is missing, non-finite or not positive).

    Raises
    ------
    ValueError
        If the baseline or the metric is not in the table, or a case appears twice.
    """
    if metric not in table.columns:
        raise ValueError(f"metric {metric!r} is not a column of the backtest table")
    if baseline not in set(table["estimator"]):
        raise ValueError(
            f"baseline {baseline!r} is not among the backtest's estimators "
            f"{list(dict.fromkeys(table['estimator']))}"
        )
    keys = ["n_problems", "n_attempts", *case_columns]
    if table.duplicated(["estimator", *keys]).any():
        raise ValueError(f"cases must be unique per estimator; {keys} do not identify them "
                         "(pool several backtests with stack_tables and case_columns)")
    base = table.loc[table["estimator"] == baseline, [*keys, metric]].rename(
        columns={metric: "baseline_error"})
    others = table.loc[table["estimator"] != baseline, ["estimator", *keys, metric]].rename(
        columns={metric: "error"})
    merged = others.merge(base, on=keys, how="left", sort=False)
    error = pd.to_numeric(merged["error"], errors="coerce").to_numpy(dtype=np.float64)
    against = pd.to_numeric(merged["baseline_error"], errors="coerce").to_numpy(
        dtype=np.float64)
    valid = np.isfinite(error) & np.isfinite(against) & (error > 0) & (against > 0)
    ratio = np.full(error.shape, np.nan)
    ratio[valid] = np.log(error[valid]) - np.log(against[valid])
    merged["log_ratio"] = ratio
    return merged


def bootstrap_median(
    values: np.ndarray, n_boot: int, generator: np.random.Generator,
    convention: IntervalConvention,
) -> tuple[float, float, float]:
    """The median of ``values`` and the interval of its bootstrap distribution.

    ``n_boot`` resamples of ``len(values)`` indices, drawn at once as
    ``generator.integers(0, len(values), size=(n_boot, len(values)))``; the interval is
    ``convention.bounds`` of the resampled medians. NaNs for no values.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    index = generator.integers(0, values.size, size=(int(n_boot), values.size))
    medians = np.median(values[index], axis=1)
    lower, upper = convention.bounds(medians)
    return float(np.median(values)), float(lower), float(upper)


def paired_comparison(
    table: pd.DataFrame,
    *,
    baseline: str = DEFAULT_BASELINE,
    metric: str = "squared_log_error",
    interval: IntervalConvention | float | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    case_columns: Sequence[str] = ("seed",),
) -> pd.DataFrame:
    r"""Each estimator against the baseline, per :math:`M'` × :math:`n'`: the paired table.

    See the module docstring for the definitions.

    Parameters
    ----------
    table : pandas.DataFrame
        A backtest table, or several stacked with :func:`stack_tables`.
    baseline : str, default "least_squares"
        The estimator compared against.
    metric : str, default "squared_log_error"
        The error column (``"relative_error"``, ``"relative_error_vs_truth"`` also work).
    interval : IntervalConvention or float, optional
        Convention of the bootstrap interval (default: the convention in force).
    n_boot : int, default 2000
        Bootstrap resamples.
    seed : int, default 0
        Parent seed of the bootstrap generators (one per cell, derived with
        :func:`~monkeypower.seeding.child_seed`).
    case_columns : sequence of str, default ("seed",)
        What identifies a case within a cell (``("case", "seed")`` for stacked tables).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIRED_COLUMNS`; ``attrs``: ``title``, ``interval``, ``notes``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "estimator": ["least_squares"] * 3 + ["beta_binomial_mle"] * 3,
    ...     "n_problems": 128, "n_attempts": 100, "seed": [0, 1, 2] * 2,
    ...     "squared_log_error": [0.04, 0.01, 0.09, 0.01, 0.01, 0.01]})
    >>> row = paired_comparison(table, n_boot=200).iloc[0]
    >>> round(float(row.median_log_ratio), 4), float(row.wins), int(row.n_cases)
    (-1.3863, 0.8333333333333334, 3)
    """
    n_boot = whole_number(n_boot, "n_boot", 1)
    convention = resolve_interval(interval)
    pairs = paired_differences(table, baseline=baseline, metric=metric,
                               case_columns=case_columns)
    rows = []
    for (estimator, m, n), group in pairs.groupby(["estimator", "n_problems", "n_attempts"],
                                                  sort=False):
        ratio = group["log_ratio"].to_numpy(dtype=np.float64)
        valid = ratio[np.isfinite(ratio)]
        generator = rng(child_seed(seed, text_key(str(estimator)), int(m), int(n)))
        median, lower, upper = bootstrap_median(valid, n_boot, generator, convention)
        wins = (float(((valid < 0) + 0.5 * (valid == 0)).mean()) if valid.size
                else float("nan"))
        rows.append({
            "estimator": estimator, "baseline": baseline, "metric": metric,
            "n_problems": int(m), "n_attempts": int(n), "n_cases": int(valid.size),
            "n_unpaired": int(ratio.size - valid.size), "median_log_ratio": median,
            "lower": lower, "upper": upper, "wins": wins,
        })
    out = pd.DataFrame(rows, columns=PAIRED_COLUMNS)
    out.attrs = {
        "title": f"Paired comparison against {baseline}: log ratio of {metric} per case",
        "interval": convention.to_dict(),
        "notes": paired_notes(baseline, metric, convention, n_boot, seed),
    }
    return out


def paired_notes(baseline: str, metric: str, convention: IntervalConvention, n_boot: int,
                 seed: int) -> list[str]:
    """What the paired columns are, for a table's notes."""
    return [
        f"median_log_ratio: median over cases of log({metric} of the estimator / {metric} of "
        f"{baseline}) on the same subsample; negative: the estimator's error is smaller",
        f"lower, upper: {convention.label} of that median over {n_boot:,} bootstrap resamples "
        f"of the cases (percentile bootstrap; generators from child_seed({seed}, "
        "text_key(estimator), M', n'))",
        f"wins: share of cases where the estimator's {metric} is below {baseline}'s (ties "
        "half); n_cases: cases with both errors finite and positive; n_unpaired: cases left "
        "out because either estimator failed",
    ]
