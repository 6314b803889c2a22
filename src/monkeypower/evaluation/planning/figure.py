"""The planner's figure: error (mean over seeds) against attempts spent, one line per rule."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from monkeypower.evaluation.planning.result import CampaignResult
from monkeypower.presentation.style import (
    SERIES_COLOURS,
    finish_axes,
    new_figure,
    publication_style,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_campaigns"]


def _rule(allocation: str, planned: Any, several_planned: bool) -> str:
    if allocation == "preposterior" and several_planned:
        return f"preposterior ({str(planned).split(':')[0].split('_')[0]})"
    return allocation


def plot_campaigns(
    campaigns: pd.DataFrame | CampaignResult | list[CampaignResult],
    *,
    width: str | float = "double",
) -> Figure:
    """Mean error over seeds against attempts spent, one panel per tracked target.

    Parameters
    ----------
    campaigns : DataFrame, CampaignResult or list of CampaignResult
        Campaign rows (:attr:`CampaignResult.rows`; several seeds and rules stacked; optional
        columns ``seed`` and ``planned`` = the target each preposterior campaign planned for).
    width : {"single", "double"} or float, default "double"

    Returns
    -------
    matplotlib.figure.Figure
        Log-log axes; each rule's mean error as a line, with the quartiles over seeds shaded.
    """
    from matplotlib.ticker import NullFormatter

    if isinstance(campaigns, CampaignResult):
        campaigns = [campaigns]
    if isinstance(campaigns, list):
        campaigns = pd.concat(
            [c.rows.assign(planned=c.settings.get("target"), seed=c.settings.get("seed"))
             for c in campaigns], ignore_index=True)
    rows = campaigns.copy()
    if "planned" not in rows:
        rows["planned"] = ""
    if "seed" not in rows:
        rows["seed"] = 0
    several = rows.loc[rows["allocation"] == "preposterior", "planned"].nunique() > 1
    rows["rule"] = [_rule(a, p, several) for a, p in zip(rows["allocation"], rows["planned"],
                                                          strict=True)]
    targets = list(dict.fromkeys(rows["target"]))
    with publication_style(width) as rc:
        fig = new_figure(7.0, 2.8)
        axes = fig.subplots(1, len(targets), squeeze=False)[0]
        handles: list[Any] = []
        labels: list[str] = []
        for ax, target in zip(axes, targets, strict=True):
            part = rows[rows["target"] == target]
            for index, (rule, sub) in enumerate(part.groupby("rule", sort=False)):
                values = sub.pivot_table(index="attempts", columns="seed", values="error")
                x = values.index.to_numpy(dtype=np.float64)
                data = values.to_numpy(dtype=np.float64)
                colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
                (line,) = ax.plot(x, np.nanmean(data, axis=1), marker="o", color=colour)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # a single seed: no band
                    lower, upper = np.nanquantile(data, [0.25, 0.75], axis=1)
                ax.fill_between(x, lower, upper, color=colour, alpha=0.15, linewidth=0)
                if rule not in labels:
                    handles.append(line)
                    labels.append(rule)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel("attempts spent (initial round included)")
            metric = ("squared log error" if target.startswith("forecast")
                      else "relative error")
            ax.set_ylabel(f"{metric}, mean over seeds")
            ax.set_title(target, fontsize=rc["axes.titlesize"])
        for ax in axes[1:]:
            finish_axes(fig, ax, rc, [], [], own=False)
        return finish_axes(fig, axes[0], rc, handles, labels, own=True,
                           ncols=min(len(handles), 4))
