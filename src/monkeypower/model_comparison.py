r"""Comparing population families by PSIS-LOO, stacking them, and the power-law verdict.

LOO here leaves out one **problem** at a time, with the problem's success probability
integrated out (BRIEF §7): the pointwise log-likelihood of problem :math:`i` is
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

import numpy as np
import pandas as pd
import xarray as xr

from monkeypower.estimands import EstimandDraws
from monkeypower.intervals import IntervalConvention, resolve_interval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from monkeypower.fitting import Fit
    from monkeypower.outcomes import Outcomes

__all__ = [
    "LOOWarning",
    "ModelComparison",
    "PowerLawVerdict",
    "VERDICT_MODELS",
    "compare",
    "plot_compare",
    "power_law_verdict",
    "problem_loo",
]

VERDICT_MODELS = ("beta", "scaled_beta", "logit_normal", "zero_inflated_beta")
"""Models :func:`power_law_verdict` fits by default: two power-law tails, one lighter than any
power law, one plateau."""

_TAIL_TEXT = {
    "power_law": "power law",
    "faster_than_power_law": "faster than any power law",
    "plateau": "plateau (a share of problems is never solved)",
}


class LOOWarning(UserWarning):
    """PSIS-LOO results that should not be trusted as they stand (Pareto k above the threshold)."""


# ------------------------------------------------------------------------------ per-fit LOO
def problem_loo(fit: Fit, *, warn: bool = True):
    r"""Leave-one-problem-out PSIS-LOO of one fit, computed on its distinct (n, c) pairs.

    Pareto-smoothed importance sampling runs on the (chain, draw, pair) log-likelihood the fit
    stores; each problem then takes its pair's pointwise ELPD, Pareto :math:`\hat k` and
    effective-parameter contribution. The totals are summed by :mod:`arviz_stats`
    (``loo_summary``) over problems, so the result equals :func:`arviz_stats.loo` on the
    materialised draws × problems array, without building it.

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
    import arviz_stats as azs
    from arviz_stats.utils import ELPDDataLOO
    from scipy.special import logsumexp

    pairs = fit.tree["log_likelihood_pairs"].to_dataset()
    tree = xr.DataTree.from_dict({"posterior": fit.posterior, "log_likelihood": pairs})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        pair_result = azs.loo(tree, pointwise=True, var_name="counts")
    values = pairs["counts"].values
    n_samples = values.shape[0] * values.shape[1]
    lppd = logsumexp(values.reshape(n_samples, -1), axis=0) - np.log(n_samples)
    index = np.asarray(fit.stats.pair_of_problem)
    problem = fit.outcomes.problem

    def per_problem(pair_values: np.ndarray, name: str) -> xr.DataArray:
        return xr.DataArray(np.asarray(pair_values)[index], dims="problem",
                            coords={"problem": problem}, name=name)

    elpd_i = per_problem(pair_result.elpd_i.values, "elpd_i")
    pareto_k = per_problem(pair_result.pareto_k.values, "pareto_k")
    p_loo_i = per_problem(lppd - pair_result.elpd_i.values, "p_loo_i")
    elpd, se, p_loo, _ = elpd_i.azstats.loo_summary(p_loo_i)
    bad = pareto_k.values > pair_result.good_k
    if warn and bad.any():
        order = np.argsort(-pareto_k.values)[: min(5, int(bad.sum()))]
        worst = ", ".join(
            f"problem {problem[i]} (n={fit.outcomes.n[i]}, c={fit.outcomes.c[i]}, "
            f"k={pareto_k.values[i]:.2f})" for i in order
        )
        warnings.warn(
            f"{fit._name()}: {int(bad.sum())} of {len(bad)} problems have Pareto k > "
            f"{pair_result.good_k:.2f}, so their leave-one-out estimates are unreliable "
            f"(worst: {worst}). Such a problem is unlike what the rest of the population "
            "predicts; compare with a family that accommodates it, or treat the ELPD of this "
            "model as optimistic.",
            LOOWarning, stacklevel=2,
        )
    return ELPDDataLOO(
        elpd=float(elpd), se=float(se), p=float(p_loo), n_samples=n_samples,
        n_data_points=len(index), scale="log", warning=bool(bad.any()),
        good_k=float(pair_result.good_k), elpd_i=elpd_i, pareto_k=pareto_k,
    )


# ------------------------------------------------------------------------------ compare
def _named_fits(fits: Mapping[str, Fit] | Iterable[Fit]) -> dict[str, Fit]:
    from monkeypower.fitting import Fit

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
        same = (len(one.outcomes.problem) == len(first.outcomes.problem)
                and np.array_equal(one.outcomes.problem, first.outcomes.problem)
                and np.array_equal(one.outcomes.n, first.outcomes.n)
                and np.array_equal(one.outcomes.c, first.outcomes.c))
        if not same:
            raise ValueError(
                f"fits {first_name!r} and {name!r} were fitted to different data (problems or "
                "counts differ); LOO compares models on the same problems only")
    return named


def _tail_kind(fit: Fit) -> str:
    return fit.family.tail({k: v.reshape(-1)[:1] for k, v in fit.params().items()}).kind


@dataclass(frozen=True, eq=False)
class ModelComparison:
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
            A :class:`~monkeypower.Fit` estimand method: ``"asymptotic_exponent"``,
            ``"effective_exponent"``, ``"population_pass_at_k"``, ``"forecast_pass_at_k"``,
            ``"measured_pass_at_k"``, ``"attempts_for_target"``.
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
        allowed = ("asymptotic_exponent", "prefactor", "effective_exponent",
                   "population_pass_at_k", "forecast_pass_at_k", "measured_pass_at_k",
                   "attempts_for_target")
        if estimand not in allowed:
            raise ValueError(f"estimand must be one of {allowed}, got {estimand!r}")
        per_model = {name: getattr(one, estimand)(*args, **kwargs)
                     for name, one in self.fits.items()}
        flat = {name: d.draws.reshape(-1, *d.draws.shape[2:]) for name, d in per_model.items()}
        total = min(len(v) for v in flat.values())
        if seed is None:
            seed = int(np.random.SeedSequence([f.seed for f in self.fits.values()])
                       .generate_state(1)[0])
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
    def summary(self) -> pd.DataFrame:
        """The comparison table (a copy)."""
        return self.table.copy()

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
                    cells.append(_TAIL_TEXT.get(value, str(value)))
                elif column == "weight":
                    cells.append(f"{value:.3f}")
                else:
                    cells.append(f"{value:.2f}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_latex(self, label: str = "tab:loo") -> str:
        """The LOO table as a booktabs LaTeX table with a caption stating the LOO scheme."""
        from monkeypower.report import latex_escape

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
                  rf"problems). Weights: {latex_escape(self.method)}.}}",
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
    import arviz_stats as azs

    named = _named_fits(fits)
    loo = {name: problem_loo(one, warn=warn) for name, one in named.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        table = azs.compare(loo, method=method, round_to="none")
    table["tail"] = [_tail_kind(named[name]) for name in table.index]
    table["n_high_k"] = [int((loo[name].pareto_k.values > loo[name].good_k).sum())
                         for name in table.index]
    table["max_k"] = [float(loo[name].pareto_k.values.max()) for name in table.index]
    result = ModelComparison(table, named, loo, method)
    if stacked:
        result = ModelComparison(table, named, loo, method,
                                 result.stacked_summary(horizons=horizons, window=window))
    return result


# ------------------------------------------------------------------------------ the figure
def plot_compare(comparison: ModelComparison, ax: Any = None,
                 width: str | float = "single") -> Figure:
    """ELPD of every model with its standard error, and each difference to the best with its SE.

    The layout of ArviZ's compare plot: open circles are the ELPD ± SE, filled diamonds the
    difference to the best model ± its (paired) SE, on the log-score scale (higher is better);
    each model is labelled with its tail kind. Drawn under
    :func:`monkeypower.figures.publication_style` (``width`` "single" or "double" column);
    global matplotlib state is left alone.
    """
    from monkeypower.figures import _width_inches, publication_style

    table = comparison.table
    with publication_style(width):
        if ax is None:
            from matplotlib.figure import Figure

            w = _width_inches(width)
            figure = Figure(figsize=(w, 0.9 + 0.45 * len(table)), layout="constrained")
            ax = figure.add_subplot()
        else:
            figure = ax.figure
        y = np.arange(len(table))[::-1].astype(float)
        best = table["elpd"].iloc[0]
        ax.errorbar(table["elpd"], y, xerr=table["se"], fmt="o", mfc="white", color="0.2",
                    capsize=3, label="ELPD ± SE")
        others = table.index != table.index[0]
        ax.errorbar(best + table["elpd_diff"][others], y[others] - 0.25,
                    xerr=table["dse"][others], fmt="D", color="#0072B2", capsize=3, ms=4,
                    label="difference to best ± SE")
        ax.axvline(best, color="0.7", lw=0.8, ls="--")
        ax.set_yticks(y, [f"{name}\n({_TAIL_TEXT[t].split(' (')[0]})"
                          for name, t in zip(table.index, table["tail"], strict=True)])
        ax.set_xlabel("ELPD, leave-one-problem-out (log score)")
        ax.legend(fontsize="small", loc="best")
    return figure


# ------------------------------------------------------------------------------ the verdict
@dataclass(frozen=True, eq=False)
class PowerLawVerdict:
    """Whether the evidence supports a power law of -log pass_D@k in k, with its numbers.

    Attributes
    ----------
    verdict : {"power law", "no power law", "inconclusive"}
        The call.
    tail : str
        The tail kind favoured (``"power_law"``, ``"faster_than_power_law"``, ``"plateau"``),
        or ``"undetermined"``.
    reason : str
        One sentence with the ELPD difference and its standard error behind the call.
    best_power_law, best_light, best_plateau : str or None
        The best model of each tail kind that was compared.
    elpd_diff, dse : float
        ELPD of the best power-law model minus that of the best light-tailed (or plateau) one
        on which the call rests, and its standard error.
    z_threshold : float
        How many standard errors a difference must exceed to decide.
    comparison : ModelComparison
        The full LOO comparison.
    """

    verdict: str
    tail: str
    reason: str
    best_power_law: str | None
    best_light: str | None
    best_plateau: str | None
    elpd_diff: float
    dse: float
    z_threshold: float
    comparison: ModelComparison

    def exponent(self) -> EstimandDraws | None:
        """Posterior of the asymptotic exponent from the best power-law model (None otherwise)."""
        if self.verdict != "power law" or self.best_power_law is None:
            return None
        return self.comparison.fits[self.best_power_law].asymptotic_exponent()

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the call, the numbers, the LOO table."""
        table = self.comparison.table[["rank", "tail", "elpd", "se", "elpd_diff", "dse",
                                       "weight", "n_high_k", "max_k"]]
        return {
            "verdict": self.verdict, "tail": self.tail, "reason": self.reason,
            "best_power_law": self.best_power_law, "best_light": self.best_light,
            "best_plateau": self.best_plateau, "elpd_diff": self.elpd_diff, "dse": self.dse,
            "z_threshold": self.z_threshold,
            "loo": {str(k): {c: (v.item() if hasattr(v, "item") else v) for c, v in row.items()}
                    for k, row in table.iterrows()},
        }

    def to_markdown(self) -> str:
        """The call and its reason above the LOO table."""
        return f"**Verdict: {self.verdict}.** {self.reason}\n\n{self.comparison.to_markdown()}"

    def __str__(self) -> str:
        return self.to_markdown()


def _best_of(comparison: ModelComparison, kind: str) -> str | None:
    rows = comparison.table[comparison.table["tail"] == kind]
    return None if rows.empty else str(rows["elpd"].idxmax())


def power_law_verdict(
    data: Outcomes | Mapping[str, Fit] | ModelComparison,
    *,
    models: Sequence[str] = VERDICT_MODELS,
    seed: int | None = None,
    z_threshold: float = 2.0,
    **fit_kwargs: Any,
) -> PowerLawVerdict:
    r"""Call whether the evidence supports a power law of :math:`-\log \text{pass}_D@k` in k.

    Families of each tail kind are compared by leave-one-problem-out PSIS-LOO. With
    :math:`\Delta` the ELPD of the best power-law family minus that of the best family whose
    tail is lighter than any power law, and :math:`\text{SE}` its paired standard error:

    - **"no power law"** (plateau) when the best plateau family beats the best power-law one
      by more than ``z_threshold`` SE (a share of problems no number of attempts solves);
    - **"power law"** when :math:`\Delta > z\,\text{SE}`;
    - **"no power law"** (faster than any power law) when :math:`\Delta < -z\,\text{SE}`;
    - **"inconclusive"** otherwise, including when a tail kind is missing from the comparison.

    A power law is never called when a light-tailed family is clearly better, and ties within
    about two standard errors are reported as ties.

    Parameters
    ----------
    data : Outcomes, dict of str to Fit, or ModelComparison
        Counts (the ``models`` are then fitted with ``seed`` and ``fit_kwargs``), or fits /
        a comparison already made.
    models : sequence of str, default :data:`VERDICT_MODELS`
        Models to fit when ``data`` are counts; include at least one power-law and one
        light-tailed family.
    seed : int
        Required when fitting; each model gets a seed derived from it.
    z_threshold : float, default 2.0
        Standard errors a difference must exceed to decide.
    **fit_kwargs
        Passed to :func:`monkeypower.fit` (``draws``, ``tune``, ``chains``, ...).

    Returns
    -------
    PowerLawVerdict
    """
    from monkeypower.fitting import _group_seed, fit
    from monkeypower.outcomes import Outcomes

    if isinstance(data, ModelComparison):
        comparison = data
    elif isinstance(data, Outcomes):
        if seed is None:
            raise TypeError("power_law_verdict fits models: give seed= (fits are reproducible)")
        fits = {name: fit(data, name, seed=_group_seed(seed, i), **fit_kwargs)
                for i, name in enumerate(models)}
        comparison = compare(fits)
    else:
        comparison = compare(data)
    heavy = _best_of(comparison, "power_law")
    light = _best_of(comparison, "faster_than_power_law")
    plateau = _best_of(comparison, "plateau")
    z = float(z_threshold)

    def call(verdict: str, tail: str, reason: str, diff: float, se: float) -> PowerLawVerdict:
        return PowerLawVerdict(verdict, tail, reason, heavy, light, plateau, diff, se, z,
                               comparison)

    if heavy is None:
        return call("inconclusive", "undetermined",
                    "no power-law family was compared.", float("nan"), float("nan"))
    if plateau is not None:
        diff, se = comparison.difference(plateau, heavy)
        if diff > z * se:
            return call("no power law", "plateau",
                        f"the plateau model {plateau!r} beats the best power-law model "
                        f"{heavy!r} by {diff:.1f} ± {se:.1f} ELPD (> {z:g} SE): a share of "
                        "problems looks unsolvable, so pass_D@k levels off.", -diff, se)
    if light is None:
        return call("inconclusive", "undetermined",
                    "no family with a tail lighter than any power law was compared.",
                    float("nan"), float("nan"))
    diff, se = comparison.difference(heavy, light)
    numbers = (f"best power law {heavy!r} minus best light tail {light!r}: "
               f"{diff:.1f} ± {se:.1f} ELPD")
    if diff > z * se:
        return call("power law", "power_law",
                    f"{numbers} (> {z:g} SE): the data favour a power-law tail.", diff, se)
    if diff < -z * se:
        return call("no power law", "faster_than_power_law",
                    f"{numbers} (< -{z:g} SE): the curve decays faster than any power law; "
                    "an exponent would not mean anything.", diff, se)
    return call("inconclusive", "undetermined",
                f"{numbers}, within {z:g} SE: the data cannot tell these tails apart.", diff,
                se)
