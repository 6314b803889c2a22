r"""Leave-one-problem-out PSIS-LOO of a fit, computed on its distinct (n, c) pairs.

LOO here leaves out one *problem*, with its success probability integrated out — never one
attempt, and never conditional on a sampled :math:`p_i` (that version gives huge Pareto k and a
meaningless ELPD). See Vehtari, Gelman & Gabry (2017), "Practical Bayesian model evaluation using
leave-one-out cross-validation and WAIC", Statistics and Computing 27, 1413–1432.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import arviz_stats as azs
import numpy as np
import xarray as xr
from arviz_stats.utils import ELPDDataLOO
from scipy.special import logsumexp

from monkeypower.errors import warn_caller
from monkeypower.fitting.posterior_tree import PAIR_BLOCK_VALUES
from monkeypower.lazy_jax import jax_kept_unloaded

if TYPE_CHECKING:
    from monkeypower.fitting.fit import Fit

__all__ = ["problem_loo", "LOOWarning"]


class LOOWarning(UserWarning):
    """PSIS-LOO results that should not be trusted as they stand (Pareto k above the threshold)."""


def _pair_psis(posterior: xr.Dataset,
               counts: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """PSIS-LOO per pair, a block of pairs at a time.

    A block holds at most :data:`~monkeypower.fitting.posterior_tree.PAIR_BLOCK_VALUES` draw-by-
    pair values (the size the pair log-likelihood is computed in): PSIS treats every pair on its
    own, so ArviZ's temporaries (sorted copies, smoothed log weights) scale with the block.

    Returns each pair's ELPD and Pareto k (:func:`arviz_stats.loo`) and log pointwise
    predictive density, and the Pareto k threshold ArviZ applies for this many draws.
    """
    n_samples = counts.sizes["chain"] * counts.sizes["draw"]
    n_pairs = counts.sizes["pair"]
    block = max(1, PAIR_BLOCK_VALUES // n_samples)
    elpd, k, lppd = (np.empty(n_pairs) for _ in range(3))
    for start in range(0, n_pairs, block):
        part = counts.isel(pair=slice(start, start + block))
        tree = xr.DataTree.from_dict({"posterior": posterior,
                                      "log_likelihood": part.to_dataset(name="counts")})
        with warnings.catch_warnings(), jax_kept_unloaded():
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
            result = azs.loo(tree, pointwise=True, var_name="counts")
            lppd_block = logsumexp(part.values.reshape(n_samples, -1), axis=0)
        rows = slice(start, start + part.sizes["pair"])
        elpd[rows], k[rows] = result.elpd_i.values, result.pareto_k.values
        lppd[rows] = lppd_block - np.log(n_samples)
    return elpd, k, lppd, float(result.good_k)


def problem_loo(fit: Fit, *, warn: bool = True):
    r"""Leave-one-problem-out PSIS-LOO of one fit, computed on its distinct (n, c) pairs.

    Pareto-smoothed importance sampling runs on the (chain, draw, pair) log-likelihood the fit
    stores, a block of pairs at a time (PSIS smooths each pair on its own, so the blocks bound
    the memory without changing a value); each problem then takes its pair's pointwise ELPD,
    Pareto :math:`\hat k` and effective-parameter contribution. The totals are summed by
    :mod:`arviz_stats` (``loo_summary``) over problems, so the result equals
    :func:`arviz_stats.loo` on the materialised draws × problems array, without building it.

    Parameters
    ----------
    fit : Fit
        A fitted model.
    warn : bool, default True
        Emit a :class:`LOOWarning` naming the problems whose Pareto :math:`\hat k` exceeds the
        reliability threshold (:math:`\min(1 - 1/\log_{10} S, 0.7)` for :math:`S` draws).

    Returns
    -------
    arviz_stats.utils.ELPDDataLOO
        With per-problem ``elpd_i`` and ``pareto_k`` (dimension ``problem``).
    """
    counts = fit.tree["log_likelihood_pairs"]["counts"]
    n_samples = counts.sizes["chain"] * counts.sizes["draw"]
    elpd_pairs, k_pairs, lppd, good_k = _pair_psis(fit.posterior, counts)
    index = np.asarray(fit.stats.pair_of_problem)
    problem = fit.outcomes.problem

    def per_problem(pair_values: np.ndarray, name: str) -> xr.DataArray:
        return xr.DataArray(np.asarray(pair_values)[index], dims="problem",
                            coords={"problem": problem}, name=name)

    elpd_i = per_problem(elpd_pairs, "elpd_i")
    pareto_k = per_problem(k_pairs, "pareto_k")
    p_loo_i = per_problem(lppd - elpd_pairs, "p_loo_i")
    elpd, se, p_loo, _ = elpd_i.azstats.loo_summary(p_loo_i)
    bad = pareto_k.values > good_k
    if warn and bad.any():
        order = np.argsort(-pareto_k.values)[: min(5, int(bad.sum()))]
        worst = ", ".join(
            f"problem {problem[i]} (n={fit.outcomes.n[i]}, c={fit.outcomes.c[i]}, "
            f"k={pareto_k.values[i]:.2f})" for i in order
        )
        warn_caller(
            f"{fit._name()}: {int(bad.sum())} of {len(bad)} problems have Pareto k > "
            f"{good_k:.2f}, so their leave-one-out estimates are unreliable "
            f"(worst: {worst}). Such a problem is unlike what the rest of the population "
            "predicts; compare with a family that accommodates it, or treat the ELPD of this "
            "model as optimistic.",
            LOOWarning,
        )
    return ELPDDataLOO(
        elpd=float(elpd), se=float(se), p=float(p_loo), n_samples=n_samples,
        n_data_points=len(index), scale="log", warning=bool(bad.any()),
        good_k=float(good_k), elpd_i=elpd_i, pareto_k=pareto_k,
    )
