r"""Comparing population families by PSIS-LOO, stacking them, and the power-law verdict.

LOO here leaves out one **problem** at a time, with the problem's success probability
integrated out (Vehtari, Gelman & Gabry 2017): the pointwise log-likelihood of problem :math:`i` is
:math:`\log\binom{n_i}{c_i} + L(c_i, n_i - c_i;\theta)`. It is the same for every problem
sharing an :math:`(n, c)` pair, so PSIS runs once per distinct pair (draws × pairs values) and
the per-problem results are the pair results repeated by their weights: a million problems
cost what their few hundred distinct pairs do, and a draws × problems array is never built.
The per-problem values are then handed to :func:`arviz_stats.compare` for ELPD differences,
their standard errors and stacking weights.

The **power-law verdict** fits (or takes) families of each tail kind — a power law (Beta, scaled
Beta, Kumaraswamy, Beta mixture), decay faster than any power law (logit-normal), a plateau
(zero-inflated) — and asks whether the evidence prefers a power-law tail: it calls a power law
only when the best power-law family beats the best light-tailed one by more than
``z_threshold`` standard errors of the ELPD difference, "no power law" when the reverse holds
(or a plateau family beats the power law by that margin), and "inconclusive" otherwise.

References
----------
A. Vehtari, A. Gelman, J. Gabry (2017), "Practical Bayesian model evaluation using leave-one-out
cross-validation and WAIC", Statistics and Computing 27, 1413–1432.

Y. Yao, A. Vehtari, D. Simpson, A. Gelman (2018), "Using stacking to average Bayesian predictive
distributions", Bayesian Analysis 13, 917–1007.

R. Schaeffer, J. Kazdan, et al. (2025), "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import arviz_stats as azs
import numpy as np
import pandas as pd

from monkeypower.estimands import STACKABLE, EstimandDraws
from monkeypower.evaluation.comparison.figure import plot_compare
from monkeypower.evaluation.comparison.tails import TAIL_TEXT, tail_kind
from monkeypower.fitting import Fit, problem_loo
from monkeypower.intervals import IntervalConvention, resolve_interval
from monkeypower.presentation.protocol import Result
from monkeypower.presentation.tables import latex_escape
from monkeypower.seeding import child_seed

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ModelComparison", "compare"]


def _named_fits(fits: Mapping[str, Fit] | Iterable[Fit]) -> dict[str, Fit]:
    if isinstance(fits, Mapping):
        named = dict(fits)
    else:
        named = {}
        for one in fits:
            name = one.spec.name
            if name in named:
                raise ValueError(
                    f"two fits of model {name!r}: pass a dict to name them apart")
            named[name] = one
    if len(named) < 2:
        raise ValueError(f"compare needs at least two fits, got {len(named)}")
    for name, one in named.items():
        if not isinstance(one, Fit):
            raise TypeError(f"fit {name!r} is a {type(one).__name__}, not a monkeypower Fit")
    first_name, first = next(iter(named.items()))
    for name, one in named.items():
        if not one.outcomes.same_counts(first.outcomes):
            raise ValueError(
                f"fits {first_name!r} and {name!r} were fitted to different data (problems or "
                "counts differ); LOO compares models on the same problems only")
    return named


@dataclass(frozen=True, eq=False)
class ModelComparison(Result):
    r"""Several families fitted to the same problems, compared by leave-one-problem-out LOO.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`arviz_stats.compare`'s table, one row per model, best first: ``rank``,
        ``elpd_diff`` (ELPD minus the best one's: 0 or negative), ``dse`` (its standard
        error from the paired per-problem differences), ``p_worse``, ``diag_diff``,
        ``diag_elpd`` (Pareto-k notes), ``p`` (effective parameters), ``elpd``, ``se``,
        ``weight`` (stacking, or the chosen method); plus ``tail`` (the family's tail
        kind), ``n_high_k`` and ``max_k``.
    fits : dict of str to Fit
        The fits, by name.
    loo : dict of str to ELPDDataLOO
        Each fit's per-problem LOO (:func:`problem_loo`).
    method : str
        How ``weight`` was computed (``"stacking"`` by default).
    """

    table: pd.DataFrame
    fits: dict[str, Fit]
    loo: dict[str, Any]
    method: str = "stacking"
    stacked_table: pd.DataFrame | None = field(default=None)

    @property
    def weights(self) -> dict[str, float]:
        """The model weights (stacking by default), by name."""
        return {name: float(w) for name, w in self.table["weight"].items()}

    @property
    def best(self) -> str:
        """Name of the model with the highest ELPD."""
        return str(self.table.index[0])

    def difference(self, a: str, b: str) -> tuple[float, float]:
        r"""ELPD of ``a`` minus that of ``b`` and its standard error (paired over problems).

        :math:`\widehat{\Delta} = \sum_i (\text{elpd}_{a,i} - \text{elpd}_{b,i})` with
        :math:`\text{SE} = \sqrt{M\,\mathrm{Var}_i(\text{elpd}_{a,i} - \text{elpd}_{b,i})}`
        (Vehtari et al. 2017, eq. 24), the convention of :func:`arviz_stats.compare`.
        """
        diff = (self.loo[a].elpd_i.values - self.loo[b].elpd_i.values)
        return float(diff.sum()), float(np.sqrt(len(diff) * np.var(diff)))

    # ---------------------------------------------------------------- stacking
    def _stack_counts(self, total: int) -> dict[str, int]:
        weights = np.array([max(w, 0.0) for w in self.weights.values()])
        weights = weights / weights.sum()
        raw = weights * total
        counts = np.floor(raw).astype(int)
        for i in np.argsort(-(raw - counts))[: total - counts.sum()]:
            counts[i] += 1
        return dict(zip(self.weights, counts.tolist(), strict=True))

    def stacked(self, estimand: str, *args: Any, seed: int | None = None,
                **kwargs: Any) -> EstimandDraws:
        r"""Draws of an estimand averaged over the models with the comparison weights.

        Each model contributes a share of draws equal to its weight (largest-remainder
        rounding of the smallest model's draw count), sampled without replacement from its
        own posterior of the estimand: draws from the mixture
        :math:`\sum_m w_m\, p(\cdot \mid y, \mathcal{M}_m)` (Yao et al. 2018).

        Parameters
        ----------
        estimand : str
            A stackable estimand of the registry (:data:`monkeypower.estimands.STACKABLE`),
            evaluated with the :class:`~monkeypower.Fit` method of the same name.
        *args, **kwargs
            Passed to that method of every fit.
        seed : int, optional
            Seed of the draw selection (default: derived from the fits' seeds).

        Returns
        -------
        EstimandDraws
            Shape ``(1, draws, ...)`` (one pooled chain: R-hat is not defined for it); the
            detail says it is stacked and with which weights.
        """
        if estimand not in STACKABLE:
            raise ValueError(f"estimand must be one of {STACKABLE}, got {estimand!r}")
        per_model = {name: getattr(one, estimand)(*args, **kwargs)
                     for name, one in self.fits.items()}
        flat = {name: d.draws.reshape(-1, *d.draws.shape[2:]) for name, d in per_model.items()}
        total = min(len(v) for v in flat.values())
        if seed is None:
            seed = child_seed(*(f.seed for f in self.fits.values()))
        rng = np.random.default_rng(seed)
        parts = [flat[name][rng.choice(len(flat[name]), size=count, replace=False)]
                 for name, count in self._stack_counts(total).items() if count > 0]
        draws = np.concatenate(parts, axis=0)
        draws = draws[rng.permutation(len(draws))][None, ...]
        first = next(iter(per_model.values()))
        shares = ", ".join(f"{name} {w:.2f}" for name, w in self.weights.items() if w >= 0.005)
        detail = (f"{first.detail}; " if first.detail else "") + f"{self.method} of {shares}"
        if estimand in ("asymptotic_exponent", "prefactor"):
            detail = f"{self.method} of {shares}"
        return EstimandDraws(first.name, detail, draws, first.k)

    def stacked_summary(
        self,
        *,
        interval: IntervalConvention | float | None = None,
        window: tuple[int, int] | None = None,
        horizons: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """The model-averaged estimands: asymptotic and effective exponent, forecasts.

        Rows as :meth:`monkeypower.Fit.summary` (median, interval under the convention in
        force); the detail of every row names the weights. R-hat is not reported for stacked
        draws (they pool chains).
        """
        convention = resolve_interval(interval)
        first = next(iter(self.fits.values()))
        n_max = first.outcomes.max_attempts
        horizons = list(horizons) if horizons is not None else [n_max, 10 * n_max,
                                                                100 * n_max]
        draws = [self.stacked("asymptotic_exponent"),
                 self.stacked("effective_exponent", window),
                 self.stacked("population_pass_at_k", horizons),
                 self.stacked("forecast_pass_at_k", horizons)]
        table = pd.DataFrame([row for d in draws for row in d.rows(convention)])
        table.attrs["interval"] = convention.to_dict()
        table.attrs["title"] = f"{self.method}-weighted average of {', '.join(self.fits)}"
        return table

    # ---------------------------------------------------------------- reports
    @property
    def sampler_problems(self) -> list[str]:
        """Each compared fit's failed health checks (divergences, R-hat, ESS), by model name.

        An ELPD from a fit that failed its checks is not to be trusted as it stands, so every
        rendering of the comparison repeats them.
        """
        return [f"{name}: " + "; ".join(one.diagnostics.problems)
                for name, one in self.fits.items() if one.diagnostics.problems]

    def summary(self) -> pd.DataFrame:
        """The comparison table (a copy); ``attrs["notes"]`` names fits that failed checks."""
        table = self.table.copy()
        table.attrs["title"] = "Model comparison by leave-one-problem-out PSIS-LOO"
        table.attrs["notes"] = [f"sampler problems in {text}" for text in self.sampler_problems]
        return table

    def to_markdown(self) -> str:
        """The LOO table as Markdown, saying what LOO left out and how weights were made."""
        columns = ["rank", "tail", "elpd", "se", "elpd_diff", "dse", "p", "weight",
                   "n_high_k", "max_k"]
        first = next(iter(self.loo.values()))
        lines = [
            f"PSIS-LOO leaving out one problem at a time (p integrated out), "
            f"{first.n_data_points:,} problems, {first.n_samples:,} draws per model; "
            f"weights: {self.method}; Pareto k threshold {first.good_k:.2f}.",
            "",
            "| model | " + " | ".join(columns) + " |",
            "|---|" + "---|" * len(columns),
        ]
        for name, row in self.table.iterrows():
            cells = []
            for column in columns:
                value = row[column]
                if column in ("rank", "n_high_k"):
                    cells.append(f"{int(value)}")
                elif column == "tail":
                    cells.append(TAIL_TEXT.get(value, str(value)))
                elif column == "weight":
                    cells.append(f"{value:.3f}")
                else:
                    cells.append(f"{value:.2f}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        problems = self.sampler_problems
        lines += ["", "Sampler problems (these ELPDs are not to be trusted as they stand): "
                  + " | ".join(problems) + "."] if problems else [
                      "", "Sampler: every compared fit passed its health checks."]
        return "\n".join(lines)

    def to_latex(self, label: str = "tab:loo") -> str:
        """The LOO table as a booktabs LaTeX table with a caption stating the LOO scheme."""
        first = next(iter(self.loo.values()))
        columns = [("elpd", "ELPD"), ("se", "SE"), ("elpd_diff", r"$\Delta$ELPD"),
                   ("dse", r"SE($\Delta$)"), ("p", r"$p_\mathrm{loo}$"), ("weight", "weight")]
        lines = [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l" + "r" * len(columns)
                 + "}", r"\toprule", "model & " + " & ".join(t for _, t in columns) + r" \\",
                 r"\midrule"]
        for name, row in self.table.iterrows():
            cells = [f"{row[c]:.3f}" if c == "weight" else f"{row[c]:.1f}" for c, _ in columns]
            lines.append(latex_escape(str(name)) + " & " + " & ".join(cells) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}",
                  r"\caption{Model comparison by PSIS-LOO, leaving out one problem at a time "
                  rf"with its success probability integrated out ({first.n_data_points:,} "
                  rf"problems). Weights: {latex_escape(self.method)}."
                  + (" Sampler problems: " + latex_escape(" | ".join(self.sampler_problems))
                     + "." if self.sampler_problems else "") + "}",
                  rf"\label{{{label}}}", r"\end{table}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"<ModelComparison of {list(self.fits)}; best {self.best!r}>"

    def plot(self, ax: Any = None, width: str | float = "single") -> Figure:
        """The LOO comparison figure; see :func:`plot_compare`."""
        return plot_compare(self, ax=ax, width=width)


def compare(
    fits: Mapping[str, Fit] | Iterable[Fit],
    *,
    method: str = "stacking",
    stacked: bool = False,
    horizons: Sequence[float] | None = None,
    window: tuple[int, int] | None = None,
    warn: bool = True,
) -> ModelComparison:
    r"""Compare fits of several families to the same problems by PSIS-LOO.

    Parameters
    ----------
    fits : dict of str to Fit, or iterable of Fit
        The fits (same outcomes). An iterable is named by each fit's model name.
    method : {"stacking", "BB-pseudo-BMA", "pseudo-BMA"}, default "stacking"
        How :func:`arviz_stats.compare` weights the models (Yao et al. 2018).
    stacked : bool, default False
        Also compute the model-averaged estimands (``stacked_table``: asymptotic and effective
        exponent, population and in-sample forecasts at ``horizons``) with these weights.
    horizons : sequence of float, optional
        k values of the stacked forecasts (default ``max n`` × 1, 10, 100).
    window : (int, int), optional
        Window of the stacked effective exponent (default ``[1, max n]``).
    warn : bool, default True
        Warn (:class:`LOOWarning`) about problems with high Pareto k, per model.

    Returns
    -------
    ModelComparison
        ``.table``, ``.weights``, ``.difference(a, b)``, ``.stacked(...)``, ``.to_markdown()``,
        ``.to_latex()``, ``.plot()``.

    Raises
    ------
    ValueError
        Fewer than two fits, or fits to different data.
    """
    named = _named_fits(fits)
    loo = {name: problem_loo(one, warn=warn) for name, one in named.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        table = azs.compare(loo, method=method, round_to="none")
    table["tail"] = [tail_kind(named[name]) for name in table.index]
    table["n_high_k"] = [int((loo[name].pareto_k.values > loo[name].good_k).sum())
                         for name in table.index]
    table["max_k"] = [float(loo[name].pareto_k.values.max()) for name in table.index]
    result = ModelComparison(table, named, loo, method)
    if stacked:
        result = ModelComparison(table, named, loo, method,
                                 result.stacked_summary(horizons=horizons, window=window))
    return result


