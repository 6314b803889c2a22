"""The result of a backtest: the tidy table of scores, its summary and renderings, the figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from monkeypower.evaluation.backtest.figure import plot_backtest
from monkeypower.intervals import IntervalConvention
from monkeypower.presentation.protocol import Result

__all__ = ["BacktestResult"]

_RATES = ("coverage", "coverage_expected", "exponent_coverage")

_NOTES = [
    "Medians are over seeds and skip failed rows (n_failed)",
    "Relative error: of the exponent, against the same estimand (the truth when known, else the "
    "same estimator on the full data); squared log error: of the forecast of -log pass_D@K, "
    "against the full data's empirical value",
    "Coverage: share of the Bayesian posterior predictive intervals of the measured value that "
    "contain the full data's value (the calibration check); coverage_expected: the same for the "
    "credible interval of the expected curve (not a calibration check: it ignores the noise of "
    "the attempts and problems the fit did not see)",
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
    def headline(self) -> str:
        """One line: the horizon, the full data's target and, when known, the truth."""
        return (
            f"Backtest: forecast of -log pass_D@K at K = {self.horizon:,} "
            f"(full data: {_fmt(self.forecast_target)})"
            + (f"; true asymptotic exponent {self.truth:g}" if self.truth is not None else "")
        )

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
            rows. ``attrs``: ``title`` (:meth:`headline`), ``interval`` (the convention of the
            Bayesian intervals), ``notes``, and the settings of ``table.attrs``.
        """
        keys = ["estimator", "n_problems", "n_attempts"]
        rows = [self._summary_row(estimator, m, n, group) for (estimator, m, n), group
                in self.table.groupby(keys, sort=False, observed=True)]
        out = pd.DataFrame(rows)
        out.attrs = {**self.table.attrs, "title": self.headline(),
                     "interval": self.interval.to_dict(), "notes": list(_NOTES)}
        return out

    def _summary_row(self, estimator: str, m: int, n: int, group: pd.DataFrame) -> dict[str, Any]:
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
            row["median_relative_error_vs_truth"] = _nanmedian(group["relative_error_vs_truth"])
        row["median_squared_log_error"] = _nanmedian(group["squared_log_error"])
        row["coverage"] = _rate(group["covered"])
        row["coverage_expected"] = _rate(group["covered_expected"])
        if self.truth is not None:
            row["exponent_coverage"] = _rate(group["exponent_covered"])
        return row

    def to_markdown(self) -> str:
        """The summary as a Markdown table under the headline and the interval convention.

        Coverage rates are printed as percentages and estimands as code.
        """
        summary = self.summary()
        lines = [f"{self.headline()}; Bayesian intervals: {self.interval.description}.", ""]
        columns = [c for c in summary.columns if c != "estimand"]
        header = ["estimator", "estimand", *columns[1:]]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        for row in summary.to_dict("records"):
            cells = [str(row["estimator"]), f"`{row['estimand']}`"]
            cells += [_markdown_cell(column, row[column]) for column in columns[1:]]
            lines.append("| " + " | ".join(cells) + " |")
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
