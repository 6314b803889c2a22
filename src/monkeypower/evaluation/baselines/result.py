r"""The result of one baseline estimator: a point estimate that names its estimand.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monkeypower.estimands import ESTIMANDS
from monkeypower.intervals import IntervalConvention
from monkeypower.presentation.protocol import Result

__all__ = ["BaselineResult"]

_SCALARS = (bool, int, float, str, np.integer, np.floating, np.bool_)


@dataclass(frozen=True, eq=False, repr=False)
class BaselineResult(Result):
    """A point estimate from one baseline estimator, with the estimand it estimates.

    Follows the result protocol (:class:`~monkeypower.presentation.protocol.Result`):
    :meth:`summary` is a one-row table (estimator, estimand, detail, estimate, interval bounds
    when computed, and the scalar extras), so ``str(result)`` is Markdown, a notebook shows a
    table, and ``to_latex`` / ``to_csv`` / ``to_json`` work as for every other result.

    Attributes
    ----------
    estimator : str
        Key in :data:`~monkeypower.evaluation.baselines.BASELINES` (``"least_squares"``,
        ``"discretized_beta"``, ``"beta_binomial_mle"``).
    estimand : str
        One of the package's estimand names (:data:`monkeypower.estimands.ESTIMANDS`):
        ``"effective_exponent"`` or ``"asymptotic_exponent"``.
    detail : str
        What distinguishes this instance, e.g. ``"k in [1, 10,000], ..."``.
    estimate : float
        The point estimate.
    interval : (float, float) or None
        Interval bounds under :attr:`interval_convention` (bootstrap over problems), if computed.
    extras : dict
        Everything else the fit produced (fitted parameters, other estimands, notes).
    interval_convention : IntervalConvention or None
        The convention the interval was computed under.
    curves : dict
        Forecast curves ``K -> -log pass_D@K`` implied by the estimator, by name; use
        :meth:`forecast_neg_log_pass`.
    default_curve : str or None
        The curve :meth:`forecast_neg_log_pass` uses when none is named.
    """

    estimator: str
    estimand: str
    detail: str
    estimate: float
    interval: tuple[float, float] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    interval_convention: IntervalConvention | None = None
    curves: Mapping[str, Callable[[np.ndarray], np.ndarray]] = field(
        default_factory=dict, repr=False
    )
    default_curve: str | None = None

    @property
    def label(self) -> str:
        """``estimand [detail]``, the row label used in tables."""
        return f"{self.estimand} [{self.detail}]" if self.detail else self.estimand

    @property
    def headline(self) -> str:
        """One line: ``estimator: estimand [detail] = estimate (interval)``."""
        text = f"{self.estimator}: {self.label} = {self.estimate:.4g}"
        if self.interval is not None and self.interval_convention is not None:
            lo, hi = self.interval
            text += f" ({self.interval_convention.label} [{lo:.4g}, {hi:.4g}])"
        return text

    def forecast_neg_log_pass(self, K: Any, curve: str | None = None) -> np.ndarray | float:
        r"""Forecast :math:`-\log \text{pass}_D@K` with a curve the estimator implies.

        Parameters
        ----------
        K : int or array_like of int
            Horizon(s), any positive value (forecasts may extrapolate beyond the data).
        curve : str, optional
            Which implied curve (see :attr:`curves`); default :attr:`default_curve`.
            ``"power_law"`` (least squares, discretized Beta): :math:`a K^{-b}`;
            ``"forecast"`` (Beta-Binomial): the in-sample forecast for this benchmark;
            ``"population"`` (Beta-Binomial): the population curve.

        Returns
        -------
        float or numpy.ndarray
            The forecast (float for scalar ``K``).

        Raises
        ------
        ValueError
            If the estimator implies no such curve, or ``K`` is not positive.
        """
        if not self.curves:
            raise ValueError(f"the {self.estimator} estimator implies no forecast curve")
        name = self.default_curve if curve is None else curve
        if name not in self.curves:
            raise ValueError(
                f"the {self.estimator} estimator has no {name!r} curve; available: "
                f"{sorted(self.curves)}"
            )
        k = np.asarray(K, dtype=np.float64)
        if not np.all(k > 0):
            raise ValueError(f"K must be positive, got {K!r}")
        values = np.asarray(self.curves[name](np.atleast_1d(k).reshape(-1)), dtype=np.float64)
        values = values.reshape(k.shape)
        return float(values) if values.ndim == 0 else values

    def forecast_pass_at_k(self, K: Any, curve: str | None = None) -> np.ndarray | float:
        r"""Forecast :math:`\text{pass}_D@K` itself: ``exp(-forecast_neg_log_pass(K))``.

        The baseline's value of the estimand ``forecast_pass_at_k``; see
        :meth:`forecast_neg_log_pass` for the arguments.

        Returns
        -------
        float or numpy.ndarray
            The forecast (float for scalar ``K``).
        """
        values = np.exp(-np.asarray(self.forecast_neg_log_pass(K, curve), dtype=np.float64))
        return float(values) if values.ndim == 0 else values

    def to_row(self) -> dict[str, Any]:
        """One table row: estimator, estimand, detail, estimate, interval bounds, scalar extras.

        Interval columns are named by the interval convention in force when the interval was
        computed (e.g. ``eti95_lower``/``eti95_upper``); array-valued extras (the k grid,
        bootstrap draws) and list-valued ones (the optimiser's starts) are left out.
        """
        row: dict[str, Any] = {
            "estimator": self.estimator,
            "estimand": self.estimand,
            "detail": self.detail,
            "estimate": self.estimate,
        }
        if self.interval is not None and self.interval_convention is not None:
            lower, upper = self.interval_convention.column_names
            row[lower], row[upper] = self.interval
            row["interval"] = self.interval_convention.label
        for key, value in self.extras.items():
            if key not in row and isinstance(value, _SCALARS):
                row[key] = value.item() if isinstance(value, np.generic) else value
        return row

    def summary(self) -> pd.DataFrame:
        """The estimate as a one-row table (the protocol's table).

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`to_row`, less ``note``; ``attrs``: ``title`` (estimator and
            the estimand's definition), ``interval`` (the convention's ``to_dict()``, when an
            interval was computed) and ``notes`` (the estimator's note, if any).
        """
        row = self.to_row()
        note = row.pop("note", None)
        table = pd.DataFrame([row])
        known = ESTIMANDS.get(self.estimand)
        meaning = f" ({known.definition})" if known is not None else ""
        table.attrs["title"] = f"Baseline {self.estimator}: {self.estimand}{meaning}"
        if self.interval is not None and self.interval_convention is not None:
            table.attrs["interval"] = self.interval_convention.to_dict()
        table.attrs["notes"] = [str(note)] if note else []
        return table
