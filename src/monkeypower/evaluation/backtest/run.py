r"""Running a backtest: the plan, the subsamples, every estimator, the scored table.

:func:`backtest` is the entry point; the method is described in
:mod:`monkeypower.evaluation.backtest`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monkeypower.data.outcomes import Outcomes
from monkeypower.evaluation.backtest.bayes import run_bayesian
from monkeypower.evaluation.backtest.plan import DEFAULT_ESTIMATORS, make_plan
from monkeypower.evaluation.backtest.point import run_point_estimators
from monkeypower.evaluation.backtest.progress import Progress
from monkeypower.evaluation.backtest.result import BacktestResult
from monkeypower.evaluation.backtest.subsamples import draw_subsamples
from monkeypower.evaluation.backtest.table import assemble_table
from monkeypower.intervals import IntervalConvention

__all__ = ["backtest"]


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
    health_gate: bool = True,
) -> BacktestResult:
    r"""Backtest estimators of the pass@k exponent on subsamples of the data.

    For every seed :math:`s`, every :math:`M'` in ``problems`` and every :math:`n'` in
    ``attempts``: draw :math:`M'` problems without replacement (generator seeded with
    ``[s, M', 1]``; shared by every :math:`n'` of the seed), then :math:`n'` attempts per problem
    without replacement, :math:`c' \sim \text{Hypergeometric}(n, c, n')` (generator seeded with
    ``[s, M', n', 2]``; :func:`monkeypower.seeding.rng`); fit every estimator and score it:

    .. math::
        \text{relative error} = \frac{|\hat b - b|}{|b|}, \qquad
        \text{squared log error} = \big(\log \hat f_K - \log f_K\big)^2, \quad
        f_K = -\log \text{pass}_D@K,

    with :math:`f_K` the full data's empirical value (unbiased estimator) at the horizon
    :math:`K`. The exponent target :math:`b` is the *same estimand* as :math:`\hat b`
    (:mod:`monkeypower.estimands`):

    - asymptotic exponent :math:`b_\infty` (``discretized_beta``, ``beta_binomial_mle``,
      Bayesian models): ``truth`` when given, else the same estimator on the full data (for a
      Bayesian model, the posterior median of a full-data fit);
    - effective exponent (``least_squares``): least squares on the full data over the same
      window :math:`[1, n']` (the same k grid), whose value drifts with :math:`n'`.

    With ``truth`` every row is also scored against it (``relative_error_vs_truth``): for least
    squares that error mixes noise with the estimand mismatch (an effective slope is not
    :math:`b_\infty`), which is part of the error the paper reports for it.

    Bayesian estimators are named ``"bayes:<model>"`` (``"bayes:beta"``, ``"bayes:scaled_beta"``),
    where ``<model>`` may also be the path of a model spec file (``"bayes:priors/my_beta.toml"``: a
    prior sensitivity study is a backtest). All fits of one model run as one batch through
    :func:`monkeypower.fit` on an :class:`~monkeypower.OutcomesGroups` (the model is compiled once);
    the batch seed is ``child_seed(text_key(model), *seeds)`` and the :math:`i`-th fit of the batch
    gets ``child_seed(batch seed, i)`` (:mod:`monkeypower.seeding`; recorded as ``fit_seed``);
    should the batch fail, every fit is rerun alone with that same seed, so one failing subsample
    gives one error row. Their ``estimate`` is the posterior median of :math:`b_\infty`, the
    forecast the posterior median of the in-sample forecast
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

    **Failures are counted, never scored.** An estimator that fails on a subsample gives a row
    of NaN with its ``error`` message and the kind of failure in ``failure``: nothing is
    dropped and the run goes on. The kinds
    (:data:`~monkeypower.evaluation.backtest.capture.FAILURE_KINDS`):

    - ``"degenerate"``: a baseline refused the subsample
      (:class:`~monkeypower.errors.DegenerateDataError`: fewer than three problems with a
      success, an optimum on a bound of its search box, an optimiser that never left its
      start; :mod:`~monkeypower.evaluation.baselines.degenerate`);
    - ``"unhealthy"``: a Bayesian fit failed the sampler-health checks (divergences, R-hat
      above 1.01, bulk or tail ESS below 100 per chain) and failed them again after one refit
      with twice the draws and tuning steps and a higher target acceptance
      (:mod:`~monkeypower.evaluation.backtest.health`; ``refitted`` marks the fits that needed
      the refit);
    - ``"error"``: anything else.

    :meth:`BacktestResult.summary` counts each kind per estimator and :math:`n'` and its notes
    list every failure. Other warnings are recorded in ``warning``; they are not re-raised.

    **Ranking estimators: paired differences.** Medians over a handful of seeds cannot rank
    estimators (a few cases move them by a factor of two). Every estimator meets every
    subsample, so :meth:`BacktestResult.paired` compares them *per case*: the log ratio of
    each estimator's squared log error to that of least squares on the same subsample, with a
    bootstrap interval over cases (:mod:`~monkeypower.evaluation.backtest.paired`).

    Parameters
    ----------
    outcomes : Outcomes
        The full data, from a **fixed** design.
    estimators : sequence of str
        Names in :data:`monkeypower.evaluation.baselines.BASELINES`, ``"bayes:<model>"`` for
        built-in models (:func:`monkeypower.available_models`), ``"stack:<model>+<model>"``
        for their LOO-stacking average and ``"bma:<model>+<model>"`` for their pseudo-BMA+
        average (:data:`~monkeypower.evaluation.backtest.plan.AVERAGE_METHODS` says how the
        two weigh). Default: the three baselines and ``"bayes:beta"``.
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
    health_gate : bool, default True
        Refit an unhealthy Bayesian fit once with more draws and fail it if it is still
        unhealthy; False scores every fit, healthy or not (``sampler_ok`` says which).

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
    plan = make_plan(outcomes, estimators=estimators, attempts=attempts, problems=problems,
                     seeds=seeds, horizon=horizon, truth=truth, interval=interval,
                     fit_kwargs=fit_kwargs, health_gate=health_gate)
    bar = Progress(progress, plan.n_steps)
    subsamples = draw_subsamples(plan)
    rows = run_point_estimators(plan, subsamples, bar)
    rows.update(run_bayesian(plan, subsamples, bar))
    bar.close()
    table = assemble_table(plan, rows, subsamples.same_problems)
    return BacktestResult(table, plan.horizon, plan.forecast_target, plan.truth, plan.interval,
                          plan.settings())
