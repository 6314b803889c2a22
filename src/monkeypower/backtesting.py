r"""The backtest: how well each estimator does on a fraction of the data.

The protocol of Schaeffer, Kazdan et al. (ICML 2025, arXiv:2502.17578; BRIEF §9). For every
backtest seed :math:`s`, every number of problems :math:`M'` and every number of attempts per
problem :math:`n'` of the grid:

1. draw :math:`M'` problems without replacement (the same problems for every :math:`n'` of a
   seed, so the curves over :math:`n'` are paired), then :math:`n'` of each problem's attempts
   without replacement. On counts this is :math:`c' \sim \text{Hypergeometric}(n, c, n')`
   (:func:`monkeypower.subsample.subsample`); it needs a **fixed** design: under a sequential
   design the recorded attempts are not an exchangeable sample, and the backtest is refused;
2. run every estimator on the subsample;
3. score it against what the full data (or a known truth) say:

   - **relative error of the exponent** :math:`|\hat b - b| / |b|`. The target :math:`b` is the
     same *estimand* (BRIEF §4): for the asymptotic exponent :math:`b_\infty` (discretized Beta,
     Beta-Binomial MLE, Bayesian models), the known truth when given (simulated data), else the
     same estimator on the full data; for the effective exponent (least squares), least squares
     on the full data over the same window :math:`[1, n']`. With a known truth every row also
     gets ``relative_error_vs_truth``, so the estimand mismatch of least squares (an effective
     slope scored against :math:`b_\infty`) shows next to its noise;
   - **squared log error of the forecast** of :math:`-\log \text{pass}_D@K` at the full horizon
     :math:`K` (default: the full data's number of attempts), against the full data's empirical
     value (unbiased estimator, Chen et al. 2021):
     :math:`(\log \hat f - \log f)^2`, :math:`f = -\log \text{pass}_D@K`;
   - for the Bayesian models, whether the posterior predictive interval of the measured value
     covered the target (and the credible interval of the expected curve, and, with a known
     truth, whether that of :math:`b_\infty` covered the truth).

The result is a tidy table (one row per estimator × :math:`M'` × :math:`n'` × seed) with a
summary and the paper's figure (error against attempts per problem, one line per estimator).

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.

M. Chen et al., "Evaluating Large Language Models Trained on Code", arXiv:2107.03374.
"""

from __future__ import annotations

import sys
import time
import warnings
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monkeypower import baselines
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.outcomes import Outcomes, OutcomesGroups
from monkeypower.passk import empirical_curve
from monkeypower.subsample import subsample

__all__ = ["backtest", "BacktestResult", "DEFAULT_ESTIMATORS", "DEFAULT_FIT_KWARGS", "METRICS"]

DEFAULT_ESTIMATORS = ("least_squares", "discretized_beta", "beta_binomial_mle", "bayes:beta")
"""The estimators a backtest runs unless told otherwise: the three baselines and the Beta model."""

DEFAULT_FIT_KWARGS: dict[str, Any] = {"draws": 500, "tune": 500, "chains": 2,
                                      "progressbar": False}
"""Sampler settings of the Bayesian fits of a backtest (modest: there are many fits); any key of
:func:`monkeypower.fit` except ``seed`` can be overridden through ``fit_kwargs``."""

METRICS = ("squared_log_error", "relative_error", "relative_error_vs_truth")
"""Error columns :meth:`BacktestResult.plot` can draw."""

BAYES_PREFIX = "bayes:"
STACK_PREFIX = "stack:"

_METRIC_LABELS = {
    "squared_log_error": r"squared log error of $-\log\,\mathrm{pass}_D@K$",
    "relative_error": "relative error of the exponent",
    "relative_error_vs_truth": "relative error of the exponent vs the truth",
}

_COLUMNS = [
    "estimator", "estimand", "n_problems", "n_attempts", "seed", "estimate", "target",
    "target_kind", "relative_error", "relative_error_vs_truth", "forecast", "forecast_target",
    "forecast_target_same_problems", "squared_log_error", "interval_lower", "interval_upper",
    "forecast_lower", "forecast_upper", "covered_expected", "predictive_lower",
    "predictive_upper", "covered", "exponent_covered", "sampler_ok", "fit_seed",
    "seconds", "warning", "error",
]


# ------------------------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class BacktestResult:
    r"""The scores of a backtest: a tidy table, its summary, and the paper's figure.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per estimator × ``n_problems`` × ``n_attempts`` × ``seed``. Columns:

        ``estimator``, ``estimand``
            The estimator's name and the estimand its ``estimate`` is of
            (``asymptotic_exponent`` or ``effective_exponent``).
        ``n_problems``, ``n_attempts``, ``seed``
            The subsample: :math:`M'`, :math:`n'` and the backtest seed.
        ``estimate``
            The exponent (posterior median for Bayesian rows).
        ``target``, ``target_kind``, ``relative_error``
            What ``estimate`` is scored against (``"truth"``, ``"full_data"``, or
            ``"full_data, k in [1, n']"`` for the effective exponent) and
            :math:`|\hat b - b|/|b|`.
        ``relative_error_vs_truth``
            :math:`|\hat b - b_{\text{true}}|/b_{\text{true}}` for every row (only with
            ``truth``).
        ``forecast``, ``forecast_target``, ``squared_log_error``
            :math:`\hat f` and :math:`f` = :math:`-\log \text{pass}_D@K` (posterior median of
            the in-sample forecast for Bayesian rows; the estimator's default curve otherwise;
            the full data's empirical value for the target) and :math:`(\log\hat f -
            \log f)^2`.
        ``forecast_target_same_problems``
            The full data's empirical :math:`-\log \text{pass}_D@K` on the subsample's
            :math:`M'` problems only (all their attempts): what an in-sample forecast of those
            problems aims at. Equal to ``forecast_target`` when :math:`M' = M`.
        ``interval_lower``, ``interval_upper``
            Credible interval of the exponent (Bayesian rows; NaN for point estimators).
        ``forecast_lower``, ``forecast_upper``, ``covered_expected``
            Credible interval of the expected in-sample forecast curve at :math:`K` and
            whether it contains ``forecast_target`` (nullable boolean: NA for point
            estimators). Not a calibration check: see the note in :func:`backtest`.
        ``predictive_lower``, ``predictive_upper``, ``covered``
            Posterior predictive interval of the value the full data *measure*
            (:meth:`monkeypower.Fit.measured_pass_at_k`: the expected curve plus the binomial
            noise of the attempts and problems the fit did not see) and whether it contains
            ``forecast_target``: the calibration check. Computed when every problem of the full
            data has exactly :math:`K` attempts (the default horizon of a fixed-:math:`n`
            benchmark); NA otherwise.
        ``exponent_covered``
            Whether the exponent interval contains the truth (only with ``truth``).
        ``sampler_ok``
            Whether the fit passed every sampler-health check (NA for point estimators).
        ``fit_seed``
            The seed the Bayesian fit ran with (NA for point estimators).
        ``seconds``
            Wall time of the estimator on the subsample; for Bayesian rows, the model's whole
            batch of fits (compilation included) divided by the number of fits.
        ``warning``, ``error``
            Warnings raised (sampler-health problems included) and the error that stopped the
            estimator on this subsample (the row's numbers are then NaN); empty when none.

        ``table.attrs`` repeats the settings (horizon, truth, interval convention, ...).
    horizon : int
        The forecast horizon :math:`K`.
    forecast_target : float
        :math:`-\log \text{pass}_D@K` of the full data.
    truth : float or None
        The known asymptotic exponent, if given.
    interval : IntervalConvention
        The convention of the Bayesian intervals.
    settings : dict
        The grid, estimators and sampler settings the backtest ran with.
    """

    table: pd.DataFrame
    horizon: int
    forecast_target: float
    truth: float | None
    interval: IntervalConvention
    settings: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ summary
    def summary(self) -> pd.DataFrame:
        """Median errors per estimator × ``n_problems`` × ``n_attempts``, and coverage rates.

        Returns
        -------
        pandas.DataFrame
            Columns ``estimator``, ``estimand``, ``n_problems``, ``n_attempts``, ``n_seeds``
            (rows), ``n_failed`` (rows with an error), ``median_relative_error``,
            ``median_relative_error_vs_truth`` (with a truth), ``median_squared_log_error``,
            ``coverage`` (share of Bayesian predictive intervals that covered the target; NaN
            for point estimators), ``coverage_expected`` (the same for the credible interval of
            the expected curve) and ``exponent_coverage`` (with a truth). Medians skip failed
            rows.
        """
        table = self.table
        keys = ["estimator", "n_problems", "n_attempts"]
        rows = []
        for (estimator, m, n), group in table.groupby(keys, sort=False, observed=True):
            row: dict[str, Any] = {
                "estimator": estimator,
                "estimand": _first_valid(group["estimand"]),
                "n_problems": int(m),
                "n_attempts": int(n),
                "n_seeds": len(group),
                "n_failed": int((group["error"] != "").sum()),
                "median_relative_error": _nanmedian(group["relative_error"]),
            }
            if self.truth is not None:
                row["median_relative_error_vs_truth"] = _nanmedian(
                    group["relative_error_vs_truth"])
            row["median_squared_log_error"] = _nanmedian(group["squared_log_error"])
            row["coverage"] = _rate(group["covered"])
            row["coverage_expected"] = _rate(group["covered_expected"])
            if self.truth is not None:
                row["exponent_coverage"] = _rate(group["exponent_covered"])
            rows.append(row)
        out = pd.DataFrame(rows)
        out.attrs = dict(self.table.attrs)
        return out

    def to_markdown(self) -> str:
        """Format the summary as a Markdown table, with horizon, target and interval convention."""
        summary = self.summary()
        lines = [
            f"Backtest: forecast of -log pass_D@K at K = {self.horizon:,} "
            f"(full data: {_fmt(self.forecast_target)})"
            + (f"; true asymptotic exponent {self.truth:g}" if self.truth is not None else "")
            + f"; Bayesian intervals: {self.interval.description}.",
            "",
        ]
        columns = [c for c in summary.columns if c != "estimand"]
        header = ["estimator", "estimand", *columns[1:]]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        for row in summary.to_dict("records"):
            cells = [str(row["estimator"]), f"`{row['estimand']}`"]
            for column in columns[1:]:
                value = row[column]
                if column in ("coverage", "coverage_expected", "exponent_coverage"):
                    cells.append("" if pd.isna(value) else f"{100 * value:.0f}%")
                elif isinstance(value, (int, np.integer)):
                    cells.append(f"{int(value):,}")
                else:
                    cells.append(_fmt(value))
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return (
            f"<BacktestResult: {len(self.table)} rows, estimators "
            f"{list(self.settings.get('estimators', []))}, K = {self.horizon:,}>"
        )

    # ------------------------------------------------------------------ figure
    def plot(
        self,
        ax: Any = None,
        metric: str = "squared_log_error",
        *,
        band: tuple[float, float] = (0.25, 0.75),
    ) -> Any:
        """Draw the paper's figure: error against attempts per problem, one line per estimator.

        Each line is the median over seeds of ``metric`` at every :math:`n'` (log-log axes);
        the shaded band spans the ``band`` quantiles over seeds. With several ``n_problems``
        there is one line per estimator and :math:`M'`. Failed rows (NaN) are left out; a
        point with no finite value over seeds is not drawn.

        Global matplotlib state is left alone (no rcParams, no style, no pyplot figure
        manager): without ``ax`` a new :class:`matplotlib.figure.Figure` is created.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; default a new figure's single axes.
        metric : {"squared_log_error", "relative_error", "relative_error_vs_truth"}
            The error column; ``relative_error_vs_truth`` needs a backtest with ``truth``.
        band : (float, float), default (0.25, 0.75)
            Quantiles over seeds of the shaded band.

        Returns
        -------
        matplotlib.figure.Figure
            The figure holding the axes.

        Raises
        ------
        ValueError
            For an unknown metric, or ``relative_error_vs_truth`` without a truth.
        """
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        if metric not in self.table.columns:
            raise ValueError(
                f"metric {metric!r} needs a backtest with a known truth (truth=...)"
            )
        lo_q, hi_q = (float(q) for q in band)
        if not 0.0 <= lo_q <= hi_q <= 1.0:
            raise ValueError(f"band must be quantiles 0 <= lo <= hi <= 1, got {band!r}")
        if ax is None:
            from matplotlib.figure import Figure

            figure = Figure(figsize=(6.0, 4.0), layout="constrained")
            ax = figure.add_subplot()
        else:
            figure = ax.figure
        table = self.table
        several_m = table["n_problems"].nunique() > 1
        for (estimator, m), group in table.groupby(["estimator", "n_problems"], sort=False,
                                                   observed=True):
            values = group.pivot_table(index="n_attempts", columns="seed", values=metric,
                                       aggfunc="first", dropna=False)
            x = values.index.to_numpy(dtype=np.float64)
            data = values.to_numpy(dtype=np.float64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points: not drawn
                median = np.nanmedian(data, axis=1)
                lower = np.nanquantile(data, lo_q, axis=1)
                upper = np.nanquantile(data, hi_q, axis=1)
            label = f"{estimator} (M' = {int(m):,})" if several_m else str(estimator)
            (line,) = ax.plot(x, median, marker="o", label=label)
            ax.fill_between(x, lower, upper, color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = np.sort(table["n_attempts"].unique())
        ax.set_xticks(ticks, [f"{int(t):,}" for t in ticks])
        ax.set_xticks([], minor=True)
        ax.set_xlabel("attempts per problem in the subsample, n'")
        ylabel = _METRIC_LABELS[metric]
        if metric == "squared_log_error":
            ylabel += f" (K = {self.horizon:,})"
        ax.set_ylabel(ylabel)
        quantiles = f"{100 * lo_q:g}–{100 * hi_q:g}%"
        ax.set_title(f"median over seeds; band: {quantiles} over seeds", fontsize="small")
        ax.legend(fontsize="small")
        return figure


def _first_valid(series: pd.Series) -> Any:
    valid = series.dropna()
    valid = valid[valid != ""]
    return valid.iloc[0] if len(valid) else ""


def _nanmedian(series: pd.Series) -> float:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else float("nan")


def _rate(series: pd.Series) -> float:
    valid = series.dropna()
    return float(valid.astype(bool).mean()) if len(valid) else float("nan")


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    return str(value)


# ------------------------------------------------------------------------------ validation
def _int_list(values: Any, name: str, upper: int, what: str) -> list[int]:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of positive integers, got {values!r}") from None
    if not items:
        raise ValueError(f"{name} must not be empty")
    out = []
    for v in items:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must hold integers, got {v!r}")
        if not 1 <= v <= upper:
            raise ValueError(
                f"{name} value {int(v)} is outside [1, {upper}] ({what}); subsampling is "
                "without replacement"
            )
        out.append(int(v))
    return sorted(set(out))


def _seed_list(seeds: Any) -> list[int]:
    if isinstance(seeds, (int, np.integer)):
        raise TypeError(
            f"seeds must be an iterable of seeds, e.g. range({int(seeds)}) for {int(seeds)} "
            f"seeds; got the bare integer {seeds!r}"
        )
    try:
        items = list(seeds)
    except TypeError:
        raise TypeError(f"seeds must be an iterable of non-negative integers, got {seeds!r}") \
            from None
    if not items:
        raise ValueError("seeds must not be empty")
    for s in items:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 0:
            raise TypeError(f"seeds must be non-negative integers, got {s!r}")
    if len(set(items)) != len(items):
        raise ValueError(f"seeds must be distinct, got {items!r}")
    return [int(s) for s in items]


def _check_estimators(estimators: Any) -> list[str]:
    if isinstance(estimators, str):
        estimators = [estimators]
    names = list(estimators)
    if not names:
        raise ValueError("estimators must not be empty")
    if len(set(names)) != len(names):
        raise ValueError(f"estimators must be distinct, got {names!r}")
    from monkeypower.spec import available_models

    models = available_models()
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"estimators are named by strings, got {name!r}")
        if name.startswith(BAYES_PREFIX):
            if name[len(BAYES_PREFIX):] not in models:
                raise ValueError(
                    f"unknown Bayesian model in {name!r}; built-in models: "
                    f"{[BAYES_PREFIX + m for m in models]}"
                )
        elif name.startswith(STACK_PREFIX):
            parts = _stack_components(name)
            unknown = [m for m in parts if m not in models]
            if len(parts) < 2 or len(set(parts)) != len(parts) or unknown:
                raise ValueError(
                    f"{name!r}: a stack names two or more distinct built-in models joined by "
                    f"'+', e.g. 'stack:beta+logit_normal'"
                    + (f"; unknown {unknown}, built-in models: {models}" if unknown else "")
                )
        elif name not in baselines.ESTIMATORS:
            raise ValueError(
                f"unknown estimator {name!r}; known: {sorted(baselines.ESTIMATORS)} and "
                f"{[BAYES_PREFIX + m for m in models]}"
            )
    return names


# ------------------------------------------------------------------------------- progress
class _Progress:
    """A one-line progress display on stderr (no logging configuration, no global state)."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled
        self.total = total
        self.done = 0

    def step(self, text: str, advance: int = 1) -> None:
        self.done += advance
        self.show(text)

    def show(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\rbacktest [{self.done}/{self.total}] {text[:70]:<70}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------------------------- helpers
def _run_quietly(func: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[Any], float]:
    """Call ``func``; return its value, the warnings it raised (recorded) and the wall time."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = func(*args, **kwargs)
    return value, list(caught), time.perf_counter() - start


def _join_warnings(caught: list[Any], *, skip_sampling: bool = False) -> str:
    """Distinct warning messages, ``Category: message``, joined by ``"; "``.

    ``skip_sampling`` leaves out :class:`~monkeypower.diagnostics.SamplingWarning` (a fit's own
    diagnostics report those, per fit).
    """
    from monkeypower.diagnostics import SamplingWarning

    messages = [
        f"{w.category.__name__}: {w.message}" for w in caught
        if not (skip_sampling and issubclass(w.category, SamplingWarning))
    ]
    return "; ".join(dict.fromkeys(messages))


def _error_text(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def _relative_error(estimate: float, target: float) -> float:
    if not (np.isfinite(estimate) and np.isfinite(target)) or target == 0:
        return float("nan")
    return abs(estimate - target) / abs(target)


def _squared_log_error(forecast: float, target: float) -> float:
    if not (np.isfinite(forecast) and np.isfinite(target)) or forecast <= 0 or target <= 0:
        return float("nan")
    return float((np.log(forecast) - np.log(target)) ** 2)


def _fit_seed(base: int, index: int) -> int:
    """Seed of the ``index``-th fit of a batch: the very rule :func:`monkeypower.fit` uses."""
    from monkeypower.fitting import _group_seed

    return _group_seed(base, index)


def _empty_row(estimator: str, m: int, n: int, seed: int) -> dict[str, Any]:
    return {
        "estimator": estimator, "estimand": "", "n_problems": m, "n_attempts": n, "seed": seed,
        "estimate": np.nan, "target": np.nan, "target_kind": "", "relative_error": np.nan,
        "relative_error_vs_truth": np.nan, "forecast": np.nan, "forecast_target": np.nan,
        "squared_log_error": np.nan, "interval_lower": np.nan, "interval_upper": np.nan,
        "forecast_lower": np.nan, "forecast_upper": np.nan, "covered_expected": pd.NA,
        "predictive_lower": np.nan, "predictive_upper": np.nan, "covered": pd.NA,
        "forecast_target_same_problems": np.nan, "exponent_covered": pd.NA,
        "sampler_ok": pd.NA, "fit_seed": pd.NA, "seconds": np.nan,
        "warning": "", "error": "",
    }


# ---------------------------------------------------------------------------------- backtest
def backtest(
    outcomes: Outcomes,
    *,
    estimators: Sequence[str] = DEFAULT_ESTIMATORS,
    attempts: Iterable[int] = (100, 215, 464, 1000),
    problems: Iterable[int] | None = (128,),
    seeds: Iterable[int] = range(3),
    horizon: int | None = None,
    truth: float | None = None,
    interval: IntervalConvention | float | None = None,
    fit_kwargs: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> BacktestResult:
    r"""Backtest estimators of the pass@k exponent on subsamples of the data (BRIEF §9).

    For every seed :math:`s`, every :math:`M'` in ``problems`` and every :math:`n'` in
    ``attempts``: draw :math:`M'` problems without replacement (generator seeded with
    ``[s, M', 1]``; shared by every :math:`n'` of the seed), then :math:`n'` attempts per problem
    without replacement, :math:`c' \sim \text{Hypergeometric}(n, c, n')` (generator seeded with
    ``[s, M', n', 2]``); fit every estimator and score it:

    .. math::
        \text{relative error} = \frac{|\hat b - b|}{|b|}, \qquad
        \text{squared log error} = \big(\log \hat f_K - \log f_K\big)^2, \quad
        f_K = -\log \text{pass}_D@K,

    with :math:`f_K` the full data's empirical value (unbiased estimator) at the horizon
    :math:`K`. The exponent target :math:`b` is the *same estimand* as :math:`\hat b`
    (BRIEF §4):

    - asymptotic exponent :math:`b_\infty` (``discretized_beta``, ``beta_binomial_mle``,
      Bayesian models): ``truth`` when given, else the same estimator on the full data (for a
      Bayesian model, the posterior median of a full-data fit);
    - effective exponent (``least_squares``): least squares on the full data over the same
      window :math:`[1, n']` (the same k grid), whose value drifts with :math:`n'`.

    With ``truth`` every row is also scored against it (``relative_error_vs_truth``): for least
    squares that error mixes noise with the estimand mismatch (an effective slope is not
    :math:`b_\infty`), which is part of the error the paper reports for it.

    Bayesian estimators are named ``"bayes:<model>"`` (``"bayes:beta"``,
    ``"bayes:scaled_beta"``). All fits of one model run as one batch through
    :func:`monkeypower.fit` on an :class:`~monkeypower.OutcomesGroups` (the model is compiled
    once); the batch seed is drawn from ``SeedSequence([crc32(model), *seeds])`` and the
    :math:`i`-th fit of the batch gets ``SeedSequence([batch seed, i])`` (recorded as
    ``fit_seed``); should the batch fail, every fit is rerun alone with that same seed, so one
    failing subsample gives one error row. Their ``estimate`` is the posterior median of
    :math:`b_\infty`, the forecast the posterior median of the in-sample forecast
    :meth:`monkeypower.Fit.forecast_pass_at_k` (``neg_log=True``).

    **Coverage: two intervals.** ``covered_expected`` asks whether the credible interval
    (``interval``) of the *expected* in-sample curve contains :math:`f_K`. It is not a
    calibration check: :math:`f_K` is a *realised* value on all :math:`M` problems, which moves
    with (i) the :math:`M - M'` problems the fit did not see and (ii) the binomial noise of the
    attempts beyond :math:`n'` (at :math:`K = n` a problem counts as solved when any of its
    :math:`n` attempts succeeded), so even a perfect model covers it less often than nominal.
    ``covered`` asks whether the posterior *predictive* interval of the measured value
    (:meth:`monkeypower.Fit.measured_pass_at_k`, which adds both sources of noise) contains it:
    that interval should cover at the nominal rate when the model is right. It is computed when
    every problem of the full data has exactly :math:`K` attempts (the default horizon of a
    fixed-:math:`n` benchmark). With a known truth, ``exponent_covered`` (the interval of
    :math:`b_\infty` against the truth) checks the exponent.

    An estimator that fails on a subsample (optimiser failure, degenerate data such as no
    success at all) gives a row of NaN with its ``error`` message: nothing is dropped and the
    run goes on. Warnings (sampler-health ones included) are recorded in ``warning`` and, for
    fits, ``sampler_ok``; they are not re-raised.

    Parameters
    ----------
    outcomes : Outcomes
        The full data, from a **fixed** design.
    estimators : sequence of str
        Names in :data:`monkeypower.baselines.ESTIMATORS` and ``"bayes:<model>"`` for built-in
        models (:func:`monkeypower.available_models`). Default: the three baselines and
        ``"bayes:beta"``.
    attempts : iterable of int, default (100, 215, 464, 1000)
        Attempts per problem :math:`n'` of the subsamples, each at most the smallest :math:`n`
        in the data (the paper's grid continues 2154, 4642, 10000).
    problems : iterable of int or None, default (128,)
        Problems :math:`M'` of the subsamples (at most :math:`M`); None: all problems (only
        attempts are subsampled).
    seeds : iterable of int, default range(3)
        Backtest seeds, distinct non-negative integers (the paper uses 30 on synthetic data,
        15 on real data).
    horizon : int, optional
        Forecast horizon :math:`K`; default the data's number of attempts (the smallest
        :math:`n`, which is *the* :math:`n` of a fixed-:math:`n` benchmark and the largest
        :math:`K` at which the unbiased estimator is defined for every problem).
    truth : float, optional
        The known asymptotic exponent (simulated data), e.g. :math:`\alpha` of a Beta
        population.
    interval : IntervalConvention or float, optional
        Credible-interval convention of the Bayesian rows (default: the convention in force);
        a float is a probability with the kind in force (:mod:`monkeypower.intervals`). Pass
        0.9 to check 90% calibration goals.
    fit_kwargs : mapping, optional
        Keyword arguments of :func:`monkeypower.fit` (``draws``, ``tune``, ``chains``,
        ``sampler``, ``priors``, ...) over :data:`DEFAULT_FIT_KWARGS`; not ``seed``.
    progress : bool, default True
        Show a one-line progress display on stderr.

    Returns
    -------
    BacktestResult
        ``.table`` (tidy DataFrame), ``.summary()``, ``.to_markdown()``, ``.plot()``.

    Raises
    ------
    DesignError
        For a sequential design (attempts cannot be subsampled at random).
    ValueError
        For an unknown estimator, an :math:`n'` above the smallest :math:`n`, an :math:`M'`
        above :math:`M`, a horizon outside :math:`[1, \min n]`, a non-positive truth, or
        ``seed`` in ``fit_kwargs``.
    TypeError
        For data that are not an :class:`Outcomes`, or seeds that are not integers.

    Examples
    --------
    >>> import monkeypower as mp
    >>> out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=200, n_attempts=1000,
    ...                   seed=0)
    >>> result = mp.backtest(out, estimators=["least_squares", "beta_binomial_mle"],
    ...                      attempts=[100, 300], problems=[64], seeds=range(2), truth=0.3,
    ...                      progress=False)
    >>> result.table.shape[0]
    8
    >>> fig = result.plot(metric="relative_error_vs_truth")  # doctest: +SKIP

    References
    ----------
    R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
    ICML 2025, arXiv:2502.17578 (the protocol and grid). M. Chen et al., arXiv:2107.03374
    (the unbiased pass@k estimator of the target).
    """
    if not isinstance(outcomes, Outcomes):
        raise TypeError(
            f"backtest takes one Outcomes (one model on one benchmark), got "
            f"{type(outcomes).__name__}; backtest each group of an OutcomesGroups separately"
        )
    outcomes.require_fixed_design("the backtest (subsampling attempts)")
    names = _check_estimators(estimators)
    n_min = int(outcomes.n.min())
    m_full = outcomes.n_problems
    attempt_list = _int_list(attempts, "attempts", n_min,
                             "the smallest number of attempts per problem in the data")
    problem_list = ([m_full] if problems is None else
                    _int_list(problems, "problems", m_full, "the number of problems in the data"))
    seed_list = _seed_list(seeds)
    if horizon is None:
        horizon = n_min
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
        raise TypeError(f"horizon must be an integer, got {horizon!r}")
    horizon = int(horizon)
    if not 1 <= horizon <= n_min:
        raise ValueError(
            f"horizon K = {horizon} is outside [1, {n_min}]: the forecast target is the full "
            f"data's empirical -log pass_D@K, defined only for K <= min n = {n_min}"
        )
    if truth is not None:
        truth = float(truth)
        if not (np.isfinite(truth) and truth > 0):
            raise ValueError(f"truth must be a positive exponent, got {truth!r}")
    convention = resolve_interval(interval)
    fit_settings = dict(DEFAULT_FIT_KWARGS)
    if fit_kwargs:
        if "seed" in fit_kwargs:
            raise ValueError(
                "fit_kwargs must not hold 'seed': every fit's seed is derived from the "
                "backtest seeds"
            )
        fit_settings.update(fit_kwargs)

    forecast_target = float(
        empirical_curve(outcomes, k=[horizon])["neg_log_pass_at_k"].to_numpy()[0]
    )
    # At K = n for every problem the target is the fraction solved at least once, whose
    # posterior predictive is exact (Fit.measured_pass_at_k); below n it is not computed.
    predictive_ok = bool((outcomes.n == horizon).all())
    point_names = [name for name in names
                   if not name.startswith((BAYES_PREFIX, STACK_PREFIX))]
    bayes_names = [name for name in names if name.startswith(BAYES_PREFIX)]
    stack_names = [name for name in names if name.startswith(STACK_PREFIX)]
    # every model a Bayesian row or a stack needs, fitted once per cell
    fitted_models = list(dict.fromkeys(
        [name[len(BAYES_PREFIX):] for name in bayes_names]
        + [m for name in stack_names for m in _stack_components(name)]))
    cells = [(m, n, s) for s in seed_list for m in problem_list for n in attempt_list]
    n_bayes_fits = len(cells) + (0 if truth is not None else 1)
    bar = _Progress(progress,
                    len(cells) * len(point_names) + len(fitted_models) * n_bayes_fits)

    # ---- subsamples (problem sets shared across n' within a seed and M')
    subsamples: dict[tuple[int, int, int], Outcomes] = {}
    same_problems: dict[tuple[int, int], float] = {}
    for s in seed_list:
        for m in problem_list:
            chosen = (outcomes if m == m_full else
                      subsample(outcomes, n_problems=m, seed=np.random.default_rng([s, m, 1])))
            same_problems[(s, m)] = float(
                empirical_curve(chosen, k=[horizon])["neg_log_pass_at_k"].to_numpy()[0]
            )
            for n in attempt_list:
                subsamples[(m, n, s)] = subsample(
                    chosen, n_attempts=n, seed=np.random.default_rng([s, m, n, 2])
                )

    rows: dict[tuple[str, int, int, int], dict[str, Any]] = {}
    full_cache: dict[tuple[str, int | None], tuple[float, str]] = {}

    def full_data_value(name: str, estimand: str, n: int) -> tuple[float, str]:
        """Compute the same estimand on the full data: (value, error message)."""
        window = (1, n) if estimand == "effective_exponent" and n > 1 else None
        key = (name, window[1] if window else None)
        if key not in full_cache:
            estimator = baselines.ESTIMATORS[name]
            try:
                kwargs = {"window": window} if window is not None else {}
                result, _, _ = _run_quietly(estimator, outcomes, **kwargs)
                full_cache[key] = (float(result.estimate), "")
            except Exception as err:  # noqa: BLE001 - reported in the table
                full_cache[key] = (float("nan"), "full-data target failed: " + _error_text(err))
        return full_cache[key]

    # ---- point estimators
    for m, n, s in cells:
        sub = subsamples[(m, n, s)]
        for name in point_names:
            bar.show(f"{name}, M'={m}, n'={n}, seed {s}")
            row = _empty_row(name, m, n, s)
            try:
                result, caught, seconds = _run_quietly(baselines.ESTIMATORS[name], sub)
            except Exception as err:  # noqa: BLE001 - an estimator failure is a result
                row["error"] = _error_text(err)
                rows[(name, m, n, s)] = row
                bar.step(f"{name}: failed")
                continue
            row.update(estimand=result.estimand, estimate=float(result.estimate),
                       seconds=seconds, warning=_join_warnings(caught))
            if result.interval is not None:
                row["interval_lower"], row["interval_upper"] = (float(v) for v in result.interval)
            if truth is not None and result.estimand == "asymptotic_exponent":
                row["target"], row["target_kind"] = truth, "truth"
            else:
                value, err_text = full_data_value(name, result.estimand, n)
                row["target"] = value
                row["target_kind"] = ("full_data, k in [1, n']"
                                      if result.estimand == "effective_exponent" else "full_data")
                if err_text:
                    row["warning"] = "; ".join(filter(None, [row["warning"], err_text]))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    row["forecast"] = float(np.asarray(result.forecast_neg_log_pass(horizon)))
            except Exception as err:  # noqa: BLE001
                row["error"] = "; ".join(filter(None, [row["error"],
                                                       "forecast: " + _error_text(err)]))
            rows[(name, m, n, s)] = row
            bar.step(f"{name}, M'={m}, n'={n}, seed {s}")

    # ---- Bayesian models: one batch of fits per model, compiled once
    model_fits: dict[str, tuple[dict[Any, Any], float]] = {}
    for model in fitted_models:
        batch_seed = int(
            np.random.SeedSequence([zlib.crc32(model.encode()), *seed_list]).generate_state(1)[0]
        )
        batch: list[tuple[Any, Outcomes]] = [(cell, subsamples[cell]) for cell in cells]
        if truth is None:
            batch.append(("full", outcomes))
        name = BAYES_PREFIX + model
        bar.show(f"{name}: {len(batch)} fits")
        model_fits[model] = _bayes_batch(model, batch, batch_seed, fit_settings, bar, name)
    by_estimator = {name: model_fits[name[len(BAYES_PREFIX):]] for name in bayes_names}
    for name in stack_names:
        parts = _stack_components(name)
        stacked = {key: _stack_fits({m: model_fits[m][0][key] for m in parts})
                   for key in model_fits[parts[0]][0]}
        by_estimator[name] = (stacked, sum(model_fits[m][1] for m in parts))
    for name in [*bayes_names, *stack_names]:
        fits, seconds = by_estimator[name]
        full_value, full_error = float("nan"), ""
        if truth is None:
            full_fit = fits["full"]
            if isinstance(full_fit, BaseException):
                full_error = "full-data target failed: " + _error_text(full_fit)
            else:
                try:
                    full_value = float(np.asarray(full_fit[0].asymptotic_exponent().median()))
                except Exception as err:  # noqa: BLE001
                    full_error = "full-data target failed: " + _error_text(err)
        for cell in cells:
            m, n, s = cell
            row = _empty_row(name, m, n, s)
            row["seconds"] = seconds
            outcome = fits[cell]
            if isinstance(outcome, BaseException):
                row["error"] = _error_text(outcome)
                rows[(name, m, n, s)] = row
                continue
            fit_obj, warned = outcome
            try:
                _score_bayes(row, fit_obj, horizon, forecast_target, convention, truth,
                             full_value, m_full if predictive_ok else None)
            except Exception as err:  # noqa: BLE001
                row["error"] = _error_text(err)
            row["warning"] = "; ".join(
                filter(None, [warned, *fit_obj.diagnostics.problems, full_error])
            )
            rows[(name, m, n, s)] = row
    bar.close()

    # ---- assemble and score
    ordered = [rows[(name, m, n, s)] for name in names for m in problem_list
               for n in attempt_list for s in seed_list]
    table = pd.DataFrame(ordered, columns=_COLUMNS)
    table["forecast_target"] = forecast_target
    table["forecast_target_same_problems"] = [
        same_problems[(s, m)] for s, m in zip(table["seed"], table["n_problems"], strict=True)
    ]
    table["relative_error"] = [_relative_error(e, t) for e, t in
                               zip(table["estimate"], table["target"], strict=True)]
    table["squared_log_error"] = [_squared_log_error(f, forecast_target)
                                  for f in table["forecast"]]
    if truth is not None:
        table["relative_error_vs_truth"] = [_relative_error(e, truth) for e in table["estimate"]]
    else:
        table = table.drop(columns=["relative_error_vs_truth", "exponent_covered"])
    for column in ("covered", "covered_expected", "exponent_covered", "sampler_ok"):
        if column in table:
            table[column] = table[column].astype("boolean")
    table["fit_seed"] = table["fit_seed"].astype("UInt64")
    for column in ("n_problems", "n_attempts", "seed"):
        table[column] = table[column].astype(np.int64)
    settings = {
        "estimators": names,
        "attempts": attempt_list,
        "problems": problem_list,
        "seeds": seed_list,
        "fit_kwargs": fit_settings if bayes_names else {},
        "n_problems_full": m_full,
        "n_attempts_full": n_min,
    }
    table.attrs = {
        "horizon": horizon,
        "forecast_target": forecast_target,
        "truth": truth,
        "interval": convention.to_dict(),
        **settings,
    }
    return BacktestResult(table, horizon, forecast_target, truth, convention, settings)


def _stack_components(name: str) -> list[str]:
    """The models of a ``"stack:a+b+..."`` estimator."""
    return [part.strip() for part in name[len(STACK_PREFIX):].split("+") if part.strip()]


class _StackedFit:
    """The estimands a backtest row needs, averaged over models with LOO stacking weights."""

    def __init__(self, comparison: Any):
        from monkeypower.diagnostics import Diagnostics

        self.comparison = comparison
        fits = list(comparison.fits.values())
        self.seed = int(np.random.SeedSequence([f.seed for f in fits]).generate_state(1)[0])
        problems = [f"{name}: {p}" for name, f in comparison.fits.items()
                    for p in f.diagnostics.problems]
        first = fits[0].diagnostics
        self.diagnostics = Diagnostics(
            sum(f.diagnostics.n_divergent for f in fits), first.n_draws, first.n_chains,
            max(f.diagnostics.max_rhat for f in fits),
            min(f.diagnostics.min_ess_bulk for f in fits),
            min(f.diagnostics.min_ess_tail for f in fits), problems)

    def asymptotic_exponent(self) -> Any:
        return self.comparison.stacked("asymptotic_exponent")

    def forecast_pass_at_k(self, k: Any, **kwargs: Any) -> Any:
        return self.comparison.stacked("forecast_pass_at_k", k, **kwargs)

    def measured_pass_at_k(self, n_total: int, **kwargs: Any) -> Any:
        return self.comparison.stacked("measured_pass_at_k", n_total, **kwargs)


def _stack_fits(outcomes: Mapping[str, Any]) -> Any:
    """``(_StackedFit, warnings)`` from each model's ``(Fit, warnings)``, or the first error."""
    from monkeypower.model_comparison import compare

    for outcome in outcomes.values():
        if isinstance(outcome, BaseException):
            return outcome
    try:
        comparison, caught, _ = _run_quietly(compare, {m: o[0] for m, o in outcomes.items()})
    except Exception as err:  # noqa: BLE001 - a failed comparison is this row's error
        return err
    warned = "; ".join(filter(None, [o[1] for o in outcomes.values()]
                              + [_join_warnings(caught)]))
    return _StackedFit(comparison), warned


def _bayes_batch(
    model: str,
    batch: list[tuple[Any, Outcomes]],
    batch_seed: int,
    fit_settings: dict[str, Any],
    bar: _Progress,
    name: str,
) -> tuple[dict[Any, Any], float]:
    """Fit ``model`` to every dataset of ``batch``; values are ``(Fit, warnings)`` or an error.

    One grouped :func:`monkeypower.fit` (compiled once) first; if it raises, each dataset is
    refitted alone with the seed it had in the batch, so a failure stays with its subsample.
    """
    from monkeypower.fitting import fit

    groups = OutcomesGroups(["backtest_fit"], {(i,): data for i, (_, data) in enumerate(batch)})
    start = time.perf_counter()
    results: dict[Any, Any] = {}
    try:
        fitted, caught, _ = _run_quietly(fit, groups, model, seed=batch_seed, **fit_settings)
        shared = _join_warnings(caught, skip_sampling=True)
        for i, (key, _) in enumerate(batch):
            results[key] = (fitted[(i,)], shared)
        bar.step(f"{name}: {len(batch)} fits done", advance=len(batch))
    except Exception:  # noqa: BLE001 - isolate the failure: one fit at a time
        for i, (key, data) in enumerate(batch):
            try:
                one, caught, _ = _run_quietly(fit, data, model, seed=_fit_seed(batch_seed, i),
                                              **fit_settings)
                results[key] = (one, _join_warnings(caught, skip_sampling=True))
            except Exception as err:  # noqa: BLE001
                results[key] = err
            bar.step(f"{name}: fit {i + 1}/{len(batch)}")
    seconds = (time.perf_counter() - start) / len(batch)
    return results, seconds


def _score_bayes(
    row: dict[str, Any],
    fit_obj: Any,
    horizon: int,
    forecast_target: float,
    convention: IntervalConvention,
    truth: float | None,
    full_value: float,
    n_problems_full: int | None,
) -> None:
    """Fill a Bayesian row: exponent, its interval, forecast and coverage.

    ``covered`` uses the posterior predictive of the measured value
    (:meth:`~monkeypower.Fit.measured_pass_at_k`, when ``n_problems_full`` is given: the horizon
    is every problem's full n); ``covered_expected`` the credible interval of the expected
    in-sample curve.
    """
    exponent = fit_obj.asymptotic_exponent()
    forecast = fit_obj.forecast_pass_at_k([horizon], neg_log=True)
    e_lo, e_hi = (float(np.asarray(v).reshape(-1)[0]) for v in exponent.interval(convention))
    f_lo, f_hi = (float(np.asarray(v).reshape(-1)[0]) for v in forecast.interval(convention))
    row.update(
        estimand=exponent.name,
        estimate=float(np.asarray(exponent.median()).reshape(-1)[0]),
        forecast=float(np.asarray(forecast.median()).reshape(-1)[0]),
        interval_lower=e_lo, interval_upper=e_hi, forecast_lower=f_lo, forecast_upper=f_hi,
        sampler_ok=bool(fit_obj.diagnostics.ok), fit_seed=int(fit_obj.seed),
    )
    if truth is not None:
        row["target"], row["target_kind"] = truth, "truth"
        row["exponent_covered"] = bool(e_lo <= truth <= e_hi)
    else:
        row["target"], row["target_kind"] = full_value, "full_data"
    if not np.isfinite(forecast_target):
        return
    if np.isfinite(f_lo) and np.isfinite(f_hi):
        row["covered_expected"] = bool(f_lo <= forecast_target <= f_hi)
    if n_problems_full is not None:
        measured = fit_obj.measured_pass_at_k(horizon, n_problems=n_problems_full,
                                              neg_log=True)
        p_lo, p_hi = (float(np.asarray(v).reshape(-1)[0]) for v in measured.interval(convention))
        row["predictive_lower"], row["predictive_upper"] = p_lo, p_hi
        row["covered"] = bool(p_lo <= forecast_target <= p_hi)
