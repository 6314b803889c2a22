"""Every result a notebook cell may end with shows a table, never raw arrays (fast, no MCMC)."""

from __future__ import annotations

import numpy as np
import pytest

import monkeypower as mp
import monkeypower.presentation.protocol
from monkeypower.estimands import EstimandDraws
from monkeypower.evaluation import baselines
from monkeypower.evaluation.comparison import power_law_verdict
from test_verdict_reason import comparison


@pytest.fixture(scope="module")
def results():
    data = mp.simulate("beta", {"alpha": 0.3, "beta": 3.0}, n_problems=64, n_attempts=200,
                       seed=0)
    draws = np.random.default_rng(1).lognormal(5, 1, size=(2, 100))
    return {
        "least_squares": baselines.least_squares(data),  # extras: the whole k grid
        "beta_binomial_mle": baselines.beta_binomial_mle(data),  # extras: optimiser starts
        "attempts_for_target": EstimandDraws("attempts_for_target",
                                             "pass_D@k >= 0.9, forecast curve", draws),
        "power_law_verdict": power_law_verdict(comparison(plateau_shift=-0.6)),
    }


@pytest.mark.parametrize("name", ["least_squares", "beta_binomial_mle", "attempts_for_target",
                                  "power_law_verdict"])
def test_a_result_displays_as_a_table(results, name):
    result = results[name]
    # the stub comparison behind the verdict has no LOO table to print: its own table here
    text = result.summary().pipe(mp.presentation.protocol.frame_to_markdown) if (
        name == "power_law_verdict") else str(result)
    page, line = result._repr_html_(), repr(result)
    assert "| " in text and "<table" in page  # a table, in the terminal and the notebook
    for shown in (text, page, line):
        assert "array(" not in shown and "\n        " not in shown, shown[:300]
    assert len(line) < 300 and "\n" not in line  # repr: one line naming the result
    assert line.startswith(f"<{type(result).__name__}")
