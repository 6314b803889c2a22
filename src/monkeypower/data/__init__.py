"""Read and hold the data: the one canonical dataset and everything that makes or reads it.

- :mod:`~monkeypower.data.outcomes`: :class:`Outcomes` / :class:`OutcomesGroups`;
- :mod:`~monkeypower.data.design`: fixed and sequential designs;
- :mod:`~monkeypower.data.sufficient`: :func:`compress` to distinct (n, c) pairs;
- :mod:`~monkeypower.data.readers`: counts, attempt logs, matrices, files;
- :mod:`~monkeypower.data.eval_logs`: Inspect AI and lm-evaluation-harness logs;
- :mod:`~monkeypower.data.out_of_core`: attempt logs larger than memory (DuckDB);
- :mod:`~monkeypower.data.design_detection`: is an attempt log fixed, sequential or adaptive?;
- :mod:`~monkeypower.data.passk`: the unbiased pass@k estimator in log space;
- :mod:`~monkeypower.data.simulate`, :mod:`~monkeypower.data.subsample`: seeded simulation and
  the backtest's subsampling.
"""
