r"""The backtest: how well each estimator does on a fraction of the data.

The protocol of Schaeffer, Kazdan et al. (ICML 2025, arXiv:2502.17578). For every backtest
seed :math:`s`, every number of problems :math:`M'` and every number of attempts per problem
:math:`n'` of the grid:

1. draw :math:`M'` problems without replacement (the same problems for every :math:`n'` of a
   seed, so the curves over :math:`n'` are paired), then :math:`n'` of each problem's attempts
   without replacement. On counts this is :math:`c' \sim \text{Hypergeometric}(n, c, n')`
   (:func:`monkeypower.data.subsample.subsample`); it needs a **fixed** design: under a sequential
   design the recorded attempts are not an exchangeable sample, and the backtest is refused;
2. run every estimator on the subsample;
3. score it against what the full data (or a known truth) say:

   - **relative error of the exponent** :math:`|\hat b - b| / |b|`. The target :math:`b` is the
     same *estimand* (:mod:`monkeypower.estimands`): for the asymptotic exponent
     :math:`b_\infty` (discretized Beta, Beta-Binomial MLE, Bayesian models), the known truth
     when given (simulated data), else the same estimator on the full data; for the effective
     exponent (least squares), least squares on the full data over the same window
     :math:`[1, n']`. With a known truth every row also gets ``relative_error_vs_truth``, so
     the estimand mismatch of least squares (an effective slope scored against
     :math:`b_\infty`) shows next to its noise;
   - **squared log error of the forecast** of :math:`-\log \text{pass}_D@K` at the full horizon
     :math:`K` (default: the full data's number of attempts), against the full data's empirical
     value (unbiased estimator, Chen et al. 2021):
     :math:`(\log \hat f - \log f)^2`, :math:`f = -\log \text{pass}_D@K`;
   - for the Bayesian models, whether the posterior predictive interval of the measured value
     covered the target (and the credible interval of the expected curve, and, with a known
     truth, whether that of :math:`b_\infty` covered the truth).

The result is a tidy table (one row per estimator × :math:`M'` × :math:`n'` × seed) with a
summary and the paper's figure (error against attempts per problem, one line per estimator).

Two rules make it a measuring instrument rather than a leaderboard of medians:

- **failures are counted, never scored**: a baseline refuses degenerate subsamples
  (:mod:`monkeypower.evaluation.baselines.degenerate`), a Bayesian fit failing the
  sampler-health checks is refitted once with more draws and failed if still unhealthy
  (:mod:`~monkeypower.evaluation.backtest.health`); each failure is a row with its kind;
- **estimators are ranked by paired differences**: per case, the log ratio of each
  estimator's error to least squares' on the same subsample, with a bootstrap interval over
  cases (:mod:`~monkeypower.evaluation.backtest.paired`).

The folder, in the order a backtest runs:

- :mod:`~monkeypower.evaluation.backtest.plan`: the arguments checked, resolved to a plan
  (cells, estimators, sampler settings);
- :mod:`~monkeypower.evaluation.backtest.subsamples`: the subsample of every cell;
- :mod:`~monkeypower.evaluation.backtest.point`: the point estimators (baselines) on them;
- :mod:`~monkeypower.evaluation.backtest.bayes`: the Bayesian models, one batch of fits per
  model, then :mod:`~monkeypower.evaluation.backtest.health` (refit or fail the unhealthy
  ones), and :mod:`~monkeypower.evaluation.backtest.stacked`, the model averages ``stack:a+b``
  (LOO stacking) and ``bma:a+b`` (pseudo-BMA+);
- :mod:`~monkeypower.evaluation.backtest.score`, :mod:`~monkeypower.evaluation.backtest.table`:
  the scores and the tidy table;
- :mod:`~monkeypower.evaluation.backtest.run`: :func:`backtest`, all of the above in turn;
- :mod:`~monkeypower.evaluation.backtest.result`, :mod:`~monkeypower.evaluation.backtest.figure`:
  :class:`BacktestResult` and its figures; :mod:`~monkeypower.evaluation.backtest.paired`:
  the paired comparison against least squares.

References
----------
R. Schaeffer, J. Kazdan, et al., "How Do Large Language Monkeys Get Their Power (Laws)?",
ICML 2025, arXiv:2502.17578.

M. Chen et al., "Evaluating Large Language Models Trained on Code", arXiv:2107.03374.
"""
from monkeypower.evaluation.backtest.figure import METRICS
from monkeypower.evaluation.backtest.paired import paired_comparison, stack_tables
from monkeypower.evaluation.backtest.plan import DEFAULT_ESTIMATORS, DEFAULT_FIT_KWARGS
from monkeypower.evaluation.backtest.result import BacktestResult
from monkeypower.evaluation.backtest.run import backtest

__all__ = ["backtest", "BacktestResult", "DEFAULT_ESTIMATORS", "DEFAULT_FIT_KWARGS", "METRICS",
           "paired_comparison", "stack_tables"]
