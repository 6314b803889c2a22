"""LOO's choice of family over seeds (slow statistical tier), M = 500 problems x n = 1,000.

In a file of its own so that, with ``--dist loadfile``, it runs beside the verdict tests on the
other worker. The full table for every family is produced by benchmarks/family_comparison.py.
"""

from __future__ import annotations

import pytest

import monkeypower as mp
from test_power_law_verdict import FIT, SEEDS, M, N, _compare, _quiet_fit  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("truth", "params", "rival"), [
    ("beta", {"alpha": 0.3, "beta": 3.0}, "logit_normal"),
    ("logit_normal", {"mu": -2.0, "sigma": 1.0}, "beta"),
    ("zero_inflated_beta", {"pi0": 0.2, "alpha": 0.4, "beta": 3.0}, "beta"),
])
def test_loo_prefers_the_true_family_in_most_seeds(truth, params, rival):
    wins = 0
    for seed in SEEDS:
        data = mp.simulate(truth, params, n_problems=M, n_attempts=N, seed=100 + seed)
        comparison = _compare({truth: _quiet_fit(data, truth, seed),
                               rival: _quiet_fit(data, rival, 1000 + seed)})
        wins += comparison.best == truth
    # 6 seeds, at least 5 wins: observed 10/10 for each pair over 10 seeds (docs/model_comparison.md
    # from benchmarks/family_comparison.py, every family); a family LOO prefers in 95% of datasets
    # fails this 3% of the time, one it prefers in 70% fails 58%, one at chance 89%
    assert wins >= 5, f"{truth} preferred over {rival} in only {wins}/{len(SEEDS)} seeds"
