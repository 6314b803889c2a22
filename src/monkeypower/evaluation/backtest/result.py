"""The result of a backtest: the tidy table of scores, its summary and renderings, the figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from monkeypower.evaluation.backtest.capture import FAILURE_KINDS
from monkeypower.evaluation.backtest.figure import plot_backtest, plot_paired
from monkeypower.evaluation.backtest.paired import (
    DEFAULT_BASELINE,
    DEFAULT_N_BOOT,
    paired_comparison,
    paired_notes,
)
from monkeypower.intervals import IntervalConvention
from monkeypower.presentation.protocol import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["BacktestResult"]

_RATES = ("exponent_interval_coverage", "forecast_predictive_coverage",
          "forecast_credible_coverage", "paired_wins")

FAILURES_LISTED = 30
"""At most this many failures are listed one by one in the summary's notes."""

_PAIRED_SUMMARY = {"n_cases": "paired_cases", "median_log_ratio": "paired_median_log_ratio",
                   "lower": "paired_lower", "upper": "paired_upper", "wins": "paired_wins"}


def _notes(horizon: int) -> list[str]:
    """What each summary column is, by the estimand it scores."""
    kinds = "; ".join(f"{kind}: {text}" for kind, text in FAILURE_KINDS.items())
    return [
        "Medians are over seeds and skip failed rows (n_failed)",
        "n_failed counts rows with an error, never scored; by kind, n_degenerate and "
        f"n_unhealthy ({kinds}); n_refitted counts Bayesian fits scored after the health "
        "gate's refit",
        "exponent_*: the exponent each estimator reports (its estimand in exponent_estimand); "
        "exponent_median_relative_error is |estimate - target| / |target| against the same "
        "estimand (the truth when known, else the same estimator on the full data); "
        "exponent_interval_coverage is the share of Bayesian credible intervals of the "
        "exponent that contain the true asymptotic exponent",
        f"forecast_*: the forecast of -log pass_D@K at K = {horizon:,} (the estimand "
        "forecast_pass_at_k, on the log scale); forecast_median_squared_log_error is "
        "(log forecast - log target)^2 against the full data's empirical value",
        "forecast_predictive_coverage: share of Bayesian posterior predictive intervals of the "
        "value the full data measure that contain it (the calibration check: it should be near "
        "the interval's probability); forecast_credible_coverage: the same share for the "
        "credible interval of the expected curve (not a calibration check: it ignores the noise "
        "of the attempts and problems the fit did not see, so it is expected to be lower). "
        "Point estimators have no intervals (blank)",
    ]


@dataclass(frozen=True, eq=False)
class BacktestResult(Result):
    r"""The scores of a backtest: a tidy table, its summary, and the paper's figure.

    A :class:`~monkeypower.presentation.protocol.Result`: :meth:`summary` is the table every
    rendering starts from (``to_markdown``, ``to_latex``, ``to_csv``, ``to_dict``,
    ``to_json``, ``str()``, the notebook display); :meth:`to_markdown` keeps the backtest's own
    layout (coverage as percentages).

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
        ``refitted``
            Whether the fit needed the health gate's refit (more draws) to pass them
            (:mod:`~monkeypower.evaluation.backtest.health`; NA for point estimators).
        ``fit_seed``
            The seed the Bayesian fit ran with (NA for point estimators).
        ``seconds``
            Wall time of the estimator on the subsample; for Bayesian rows, the model's whole
            batch of fits (compilation included) divided by the number of fits.
        ``warning``, ``error``
            Warnings raised (sampler-health problems included) and the error that stopped the
            estimator on this subsample (the row's numbers are then NaN); empty when none.
        ``failure``
            The kind of failure (:data:`~monkeypower.evaluation.backtest.capture.FAILURE_KINDS`:
            ``degenerate``, ``unhealthy``, ``error``); empty when the row was scored.

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
    def headline(self) -> str:
        """One line: the horizon, the full data's target and, when known, the truth."""
        return (
            f"Backtest: forecast of -log pass_D@K at K = {self.horizon:,} "
            f"(full data: {_fmt(self.forecast_target)})"
            + (f"; true asymptotic exponent {self.truth:g}" if self.truth is not None else "")
        )

    def summary(self) -> pd.DataFrame:
        r"""Median errors per estimator × ``n_problems`` × ``n_attempts``, and coverage rates.

        Returns
        -------
        pandas.DataFrame
            Columns ``estimator``, ``n_problems``, ``n_attempts``, ``n_seeds`` (rows),
            ``n_failed`` (rows with an error, never scored), ``n_degenerate`` and
            ``n_unhealthy`` (failures of those kinds), ``n_refitted`` (fits scored after the
            health gate's refit); then, named by the estimand they score, the
            exponent's: ``exponent_estimand`` (``asymptotic_exponent`` or
            ``effective_exponent``), ``exponent_median_relative_error``,
            ``exponent_median_relative_error_vs_truth`` and ``exponent_interval_coverage``
            (share of credible intervals containing the truth; both with a truth); and the
            forecast's (of :math:`-\log \text{pass}_D@K`): ``forecast_median_squared_log_error``,
            ``forecast_predictive_coverage`` (share of Bayesian posterior predictive intervals
            that covered the full data's measured value: the calibration check; NaN for point
            estimators) and ``forecast_credible_coverage`` (the same for the credible interval
            of the expected curve: not a calibration check). Medians skip failed rows.
            With least squares among the estimators, the paired comparison against it
            (:meth:`paired`): ``paired_cases``, ``paired_median_log_ratio``,
            ``paired_lower``, ``paired_upper``, ``paired_wins`` (blank on its own rows).
            The notes define every column and list every failure.
            ``attrs``: ``title`` (:meth:`headline`), ``interval`` (the convention of the
            Bayesian intervals), ``notes``, and the settings of ``table.attrs``.
        """
        keys = ["estimator", "n_problems", "n_attempts"]
        rows = [self._summary_row(estimator, m, n, group) for (estimator, m, n), group
                in self.table.groupby(keys, sort=False, observed=True)]
        out = pd.DataFrame(rows)
        notes = _notes(self.horizon)
        if self._has_baseline():
            paired = self.paired().rename(columns=_PAIRED_SUMMARY)
            out = out.merge(paired[[*keys, *_PAIRED_SUMMARY.values()]], on=keys, how="left",
                            sort=False)
            notes.append(
                "paired_cases, paired_median_log_ratio, paired_lower, paired_upper, "
                f"paired_wins: each estimator against {DEFAULT_BASELINE} on the same "
                "subsamples (BacktestResult.paired, squared log error of the forecast): "
                + "; ".join(paired_notes(DEFAULT_BASELINE, "squared_log_error",
                                         self.interval, DEFAULT_N_BOOT, 0)))
        notes += self._failure_notes()
        out.attrs = {**self.table.attrs, "title": self.headline(),
                     "interval": self.interval.to_dict(), "notes": notes}
        return out

    def _has_baseline(self) -> bool:
        estimators = set(self.table["estimator"])
        return DEFAULT_BASELINE in estimators and len(estimators) > 1

    def _failure_notes(self) -> list[str]:
        """One note per failed row (at most :data:`FAILURES_LISTED`), then how many more."""
        failed = self.table[self.table["error"] != ""]
        if failed.empty:
            return ["No failures"]
        notes = [f"Failures ({len(failed)} of {len(self.table)} rows, never scored)"]
        for row in failed.head(FAILURES_LISTED).itertuples():
            notes.append(f"failed ({row.failure}): {row.estimator}, M' = {row.n_problems:,}, "
                         f"n' = {row.n_attempts:,}, seed {row.seed}: {row.error}")
        if len(failed) > FAILURES_LISTED:
            notes.append(f"... and {len(failed) - FAILURES_LISTED} more failures (see the "
                         "table's error column)")
        return notes

    def paired(
        self,
        baseline: str = DEFAULT_BASELINE,
        metric: str = "squared_log_error",
        *,
        interval: IntervalConvention | float | None = None,
        n_boot: int = DEFAULT_N_BOOT,
        seed: int = 0,
    ) -> pd.DataFrame:
        r"""Every estimator against ``baseline``, case by case, per :math:`M'` × :math:`n'`.

        The median over cases (seeds) of :math:`\log(E_e / E_{\text{baseline}})` on the same
        subsample, a bootstrap interval of it over cases, the share of cases won and the number
        of cases (:func:`~monkeypower.evaluation.backtest.paired.paired_comparison`, where the
        definitions are). Failed rows are left out of the ratios and counted in
        ``n_unpaired``.

        Parameters
        ----------
        baseline : str, default "least_squares"
            The estimator compared against (LSQ, the log-log regression).
        metric : str, default "squared_log_error"
            The error column (``relative_error``; ``relative_error_vs_truth`` with a truth).
        interval : IntervalConvention or float, optional
            Convention of the bootstrap interval; default this backtest's convention.
        n_boot : int, default 2000
            Bootstrap resamples of the cases.
        seed : int, default 0
            Parent seed of the bootstrap (:func:`~monkeypower.seeding.child_seed`).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`~monkeypower.evaluation.backtest.paired.PAIRED_COLUMNS`;
            ``attrs`` ``title``, ``interval`` and ``notes``.
        """
        return paired_comparison(self.table, baseline=baseline, metric=metric,
                                 interval=self.interval if interval is None else interval,
                                 n_boot=n_boot, seed=seed)

    def _summary_row(self, estimator: str, m: int, n: int, group: pd.DataFrame) -> dict[str, Any]:
        row: dict[str, Any] = {
            "estimator": estimator,
            "n_problems": int(m),
            "n_attempts": int(n),
            "n_seeds": len(group),
            "n_failed": int((group["error"] != "").sum()),
            "n_degenerate": _count(group, "failure", "degenerate"),
            "n_unhealthy": _count(group, "failure", "unhealthy"),
            "n_refitted": _count(group, "refitted", True),
            "exponent_estimand": _first_valid(group["estimand"]),
            "exponent_median_relative_error": _nanmedian(group["relative_error"]),
        }
        if self.truth is not None:
            row["exponent_median_relative_error_vs_truth"] = _nanmedian(
                group["relative_error_vs_truth"])
            row["exponent_interval_coverage"] = _rate(group["exponent_covered"])
        row["forecast_median_squared_log_error"] = _nanmedian(group["squared_log_error"])
        row["forecast_predictive_coverage"] = _rate(group["covered"])
        row["forecast_credible_coverage"] = _rate(group["covered_expected"])
        return row

    def to_markdown(self) -> str:
        """The summary as a Markdown table under the headline, with what each column is.

        Columns are grouped by the estimand they score (``exponent_*``, ``forecast_*``);
        coverage rates are printed as percentages and estimands as code; the notes below the
        table define every error and coverage column.
        """
        summary = self.summary()
        lines = [f"{self.headline()}; Bayesian intervals: {self.interval.description}.", ""]
        header = list(summary.columns)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        for row in summary.to_dict("records"):
            cells = [f"`{row[c]}`" if c == "exponent_estimand" else _markdown_cell(c, row[c])
                     for c in header]
            lines.append("| " + " | ".join(cells) + " |")
        lines += [""] + [f"- {note}." for note in summary.attrs["notes"]]
        return "\n".join(lines)

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
        width: str | float = "single",
    ) -> Figure:
        """Draw the paper's figure: error against attempts per problem, one line per estimator.

        Each line is the median over seeds of ``metric`` at every :math:`n'` (log-log axes);
        the shaded band spans the ``band`` quantiles over seeds. With several ``n_problems``
        there is one line per estimator and :math:`M'`. Failed rows (NaN) are left out; a
        point with no finite value over seeds is not drawn.

        Drawn under :func:`monkeypower.presentation.style.publication_style`; global
        matplotlib state is left alone (no rcParams, no style, no pyplot figure manager):
        without ``ax`` a new :class:`matplotlib.figure.Figure` is created.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; default a new figure's single axes.
        metric : {"squared_log_error", "relative_error", "relative_error_vs_truth"}
            The error column; ``relative_error_vs_truth`` needs a backtest with ``truth``.
        band : (float, float), default (0.25, 0.75)
            Quantiles over seeds of the shaded band.
        width : {"single", "double"} or float, default "single"
            Width of a new figure: one column, the full width of a two-column paper, or inches.

        Returns
        -------
        matplotlib.figure.Figure
            The figure holding the axes.

        Raises
        ------
        ValueError
            For an unknown metric, or ``relative_error_vs_truth`` without a truth.
        """
        return plot_backtest(self, ax, metric, band=band, width=width)

    def plot_paired(
        self,
        ax: Any = None,
        baseline: str = DEFAULT_BASELINE,
        metric: str = "squared_log_error",
        *,
        interval: IntervalConvention | float | None = None,
        n_boot: int = DEFAULT_N_BOOT,
        seed: int = 0,
        width: str | float = "single",
    ) -> Figure:
        """Draw the paired comparison: median log ratio against ``baseline`` per :math:`n'`.

        One series per estimator (and :math:`M'`), points at the median log ratio of
        :meth:`paired` with its bootstrap interval as error bars, a line at 0 (no difference);
        below 0 the estimator's error is smaller. Arguments as :meth:`paired`, plus ``ax`` and
        ``width`` as :meth:`plot`.

        Returns
        -------
        matplotlib.figure.Figure
            The figure holding the axes.
        """
        table = self.paired(baseline, metric, interval=interval, n_boot=n_boot, seed=seed)
        return plot_paired(table, ax, width=width)


def _count(group: pd.DataFrame, column: str, value: Any) -> int:
    """Rows of ``group`` whose ``column`` equals ``value`` (0 for a table from before it)."""
    if column not in group:
        return 0
    return int((group[column] == value).fillna(False).sum())


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


def _markdown_cell(column: str, value: Any) -> str:
    if column in _RATES:
        return "" if pd.isna(value) else f"{100 * value:.0f}%"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return _fmt(value)
