r"""The SBC figure: the ECDF of each quantity's ranks minus the uniform CDF, with a band.

For :math:`N` simulations with ranks :math:`r_i \in \{0..L\}`, the fractional ranks
:math:`u_i = (r_i + V_i)/(L + 1)`, :math:`V_i \sim U(0, 1)` (seeded), are exactly uniform on
(0, 1) when the ranks are uniform. The panel draws :math:`\hat F(x) - x` of the :math:`u_i`
with the **simultaneous** band of :func:`arviz_stats.ecdf_utils.ecdf_pit` (Säilynoja, Bürkner
& Vehtari 2022): under uniformity the whole curve stays inside the band with the band's
probability, so a curve leaving it anywhere is evidence against calibration (a pointwise band
would be left somewhere by chance most of the time). Shapes: a curve above 0 on the left and
below on the right (an S) means a posterior too narrow; a curve wholly above or below 0, a bias.

References
----------
T. Säilynoja, P.-C. Bürkner, A. Vehtari (2022), "Graphical test for discrete uniformity and
its applications in goodness-of-fit evaluation and multiple sample comparison", Statistics and
Computing 32, 32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from arviz_stats.ecdf_utils import ecdf_pit

from monkeypower.presentation.style import (
    SERIES_COLOURS,
    new_figure,
    publication_style,
    width_inches,
)
from monkeypower.seeding import child_seed, rng

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from monkeypower.evaluation.calibration.result import SBCResult

__all__ = ["BAND_SIMULATIONS", "fractional_ranks", "plot_rank_ecdf", "rank_ecdf_band"]

BAND_SIMULATIONS = 1000
"""Simulations of uniform samples behind the simultaneous band (``ecdf_pit``)."""


def fractional_ranks(ranks: np.ndarray, n_rank_draws: int, generator: np.random.Generator
                     ) -> np.ndarray:
    """``(rank + V) / (L + 1)`` with ``V ~ U(0, 1)``: continuous, uniform under calibration."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return (ranks + generator.uniform(size=ranks.shape)) / (n_rank_draws + 1)


def rank_ecdf_band(ranks: np.ndarray, n_rank_draws: int, prob: float, seed: int
                   ) -> tuple[np.ndarray, ...]:
    """``x``, ECDF − x, and the simultaneous band (lower − x, upper − x) of the ranks.

    The jitter uses ``rng(child_seed(seed, 0))``; the band simulation ``rng(child_seed(seed,
    1))`` (:mod:`monkeypower.seeding`).
    """
    u = fractional_ranks(ranks, n_rank_draws, rng(child_seed(seed, 0)))
    x, ecdf, lower, upper = ecdf_pit(u, prob, BAND_SIMULATIONS, rng=rng(child_seed(seed, 1)))
    return x, ecdf - x, lower - x, upper - x


def plot_rank_ecdf(result: SBCResult, *, width: str | float = "double") -> Figure:
    r"""One panel per quantity: the rank ECDF difference and its simultaneous band.

    The band's probability is the result's interval convention; a quantity whose
    :math:`\chi^2` test flagged it is titled "non-uniform". Drawn under
    :func:`~monkeypower.presentation.style.publication_style` on a new figure; global
    matplotlib state is left alone.
    """
    tests = result.tests.set_index("quantity")
    quantities = list(tests.index)
    n_rank_draws = int(result.settings["n_rank_draws"])
    seed = int(result.settings.get("seed", 0))
    prob = float(result.interval.prob)
    inches = width_inches(width)
    ncols = min(len(quantities), 4 if inches >= 5 else 2)
    nrows = int(np.ceil(len(quantities) / ncols))
    panel = inches / ncols
    with publication_style(width):
        fig = new_figure(inches, 0.8 * panel * nrows + 0.4)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, sharey=True)).ravel()
        for index, (ax, quantity) in enumerate(zip(axes, quantities, strict=False)):
            ranks = result.ranks.loc[(result.ranks["quantity"] == quantity)
                                     & result.ranks["rank"].notna(), "rank"]
            values = ranks.to_numpy(dtype=np.float64)
            colour = SERIES_COLOURS[0]
            if values.size:
                x, diff, lower, upper = rank_ecdf_band(values, n_rank_draws, prob,
                                                       child_seed(seed, 4, index))
                ax.fill_between(x, lower, upper, color="0.85", linewidth=0, step="post")
                ax.step(x, diff, where="post", color=colour)
            ax.axhline(0.0, color="0.5", linewidth=0.6)
            uniform = tests.loc[quantity, "uniform"]
            verdict = "" if bool(uniform) else ", non-uniform"
            ax.set_title(f"{quantity}\n(χ² p = {tests.loc[quantity, 'p_value']:.2g}{verdict})",
                         fontsize="small")
            ax.set_xlabel("fractional rank")
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
        for ax in axes[len(quantities):]:
            ax.set_visible(False)
        axes[0].set_ylabel("ECDF − uniform")
        fig.suptitle(f"{_header(result)}; grey: {100 * prob:g}% simultaneous band",
                     fontsize="small")
    return fig


def _header(result: Any) -> str:
    s = result.settings
    return f"SBC of {s.get('model')}, {s.get('n_sims')} simulations"
