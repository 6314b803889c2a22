"""Posterior draws of one named estimand, and how to summarise them."""

from __future__ import annotations

from dataclasses import dataclass

import arviz_stats as azs
import numpy as np
import pandas as pd
import xarray as xr

from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result

__all__ = ["EstimandDraws", "k_detail"]


@dataclass(frozen=True, repr=False)
class EstimandDraws(Result):
    """Posterior draws of one named estimand, with what it is and how to summarise it.

    Attributes
    ----------
    name : str
        One of :data:`monkeypower.estimands.ESTIMANDS` (``asymptotic_exponent``,
        ``effective_exponent``, ...).
    detail : str
        What distinguishes this instance, e.g. ``"k in [1, 10000], population curve"`` or
        ``"k = 100000"``; part of every row label.
    draws : numpy.ndarray, shape (chain, draw) or (chain, draw, K)
        The posterior draws (chains kept so R-hat and ESS can be computed).
    k : numpy.ndarray, optional
        The k values along the last axis, for curve-valued estimands.
    """

    name: str
    detail: str
    draws: np.ndarray
    k: np.ndarray | None = None

    @property
    def label(self) -> str:
        """``name [detail]`` — the row label used in tables."""
        return f"{self.name} [{self.detail}]" if self.detail else self.name

    def median(self) -> np.ndarray:
        """Posterior median (over chains and draws)."""
        return np.median(self.draws.reshape(-1, *self.draws.shape[2:]), axis=0)

    def interval(self, interval=None) -> tuple[np.ndarray, np.ndarray]:
        """Credible interval bounds under the convention in force (or ``interval=``)."""
        flat = self.draws.reshape(-1, *self.draws.shape[2:])
        return resolve_interval(interval).bounds(flat, axis=0)

    def nan_fraction(self) -> np.ndarray:
        """Share of NaN draws per scalar (per k for curves): a row with any is not estimable."""
        draws = self.draws if self.draws.ndim == 3 else self.draws[..., None]
        return np.isnan(draws).mean(axis=(0, 1))

    def rows(self, interval=None) -> list[dict[str, object]]:
        """One summary row per scalar (per k for curves): estimand, detail, k, statistics.

        A scalar with any NaN draw (the computation failed for those draws) is not estimable:
        every statistic of its row is NaN rather than a median or interval of the remaining
        draws, which would be silently conditioned on the draws that worked
        (:meth:`nan_fraction` says how many failed).
        """
        convention = resolve_interval(interval)
        lower_name, upper_name = convention.column_names
        draws = self.draws if self.draws.ndim == 3 else self.draws[..., None]
        ks = self.k if self.k is not None else [None]
        flat = draws.reshape(-1, draws.shape[-1])
        lower, upper = convention.bounds(flat, axis=0)
        # R-hat and ESS are defined for finite draws that vary (an exponent of inf, or a
        # plateau's exponent of 0, is reported with NaN diagnostics)
        finite = np.isfinite(draws).all(axis=(0, 1))
        finite[finite] = np.ptp(flat[:, finite], axis=0) > 0
        rhat, ess_bulk, ess_tail = (np.full(draws.shape[-1], np.nan) for _ in range(3))
        if finite.any():
            ds = xr.Dataset({"x": (("chain", "draw", "k"), draws[..., finite])})
            if draws.shape[0] > 1:
                rhat[finite] = azs.rhat(ds)["x"].values
            ess_bulk[finite] = azs.ess(ds, method="bulk")["x"].values
            ess_tail[finite] = azs.ess(ds, method="tail")["x"].values
        rows = []
        failed = np.isnan(flat).any(axis=0)
        for j, k in enumerate(ks):
            column = flat[:, j] if not failed[j] else np.full(flat.shape[0], np.nan)
            rows.append({
                "estimand": self.name,
                "detail": self.detail if k is None else k_detail(self.detail, k),
                "median": float(np.median(column)),
                "mean": float(np.mean(column)) if np.isfinite(column).all() else float("nan"),
                "sd": float(np.std(column, ddof=1)) if np.isfinite(column).all() else float("nan"),
                lower_name: float(lower[j]) if not failed[j] else float("nan"),
                upper_name: float(upper[j]) if not failed[j] else float("nan"),
                "ess_bulk": float(ess_bulk[j]) if finite[j] else float("nan"),
                "ess_tail": float(ess_tail[j]) if finite[j] else float("nan"),
                "r_hat": float(rhat[j]) if finite[j] else float("nan"),
            })
        return rows

    def summary(self, interval: IntervalConvention | float | None = None) -> pd.DataFrame:
        """One row per scalar (per k for curves), under the convention in force.

        Columns: estimand, detail, median, mean, sd, the interval bounds (named by the
        convention), ESS bulk/tail and R-hat.
        """
        convention = resolve_interval(interval)
        table = pd.DataFrame(self.rows(convention))
        table.attrs["title"] = f"Posterior of {self.label}"
        table.attrs["interval"] = convention.to_dict()
        return table


def k_detail(detail: str, k) -> str:
    """Row detail of one k of a curve-valued estimand, e.g. ``"k = 1,000, pass_D@k"``."""
    k_text = f"k = {int(k):,}" if float(k).is_integer() else f"k = {k:g}"
    return f"{k_text}, {detail}" if detail else k_text
