"""The power-law verdict's reason names every rival compared (fast: a stub LOO comparison)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from monkeypower.evaluation.comparison import ModelComparison, power_law_verdict


def comparison(plateau_shift: float) -> ModelComparison:
    """Per-problem ELPDs: the power law beats the light tail by ~20 SE; the plateau model sits
    ``plateau_shift`` (total ELPD) from the power law, with a small paired SE."""
    rng = np.random.default_rng(0)
    base = rng.normal(-3.0, 1.0, 200)
    noise = rng.normal(0, 0.05, 200)  # zero-sum: the totals differ by plateau_shift exactly
    elpd_i = {
        "beta": base,
        "logit_normal": base - 0.5 + rng.normal(0, 0.1, 200),
        "zero_inflated_beta": base + plateau_shift / 200 + noise - noise.mean(),
    }
    tails = {"beta": "power_law", "logit_normal": "faster_than_power_law",
             "zero_inflated_beta": "plateau"}
    table = pd.DataFrame({"elpd": {k: v.sum() for k, v in elpd_i.items()},
                          "tail": tails}).sort_values("elpd", ascending=False)
    loo = {k: SimpleNamespace(elpd_i=SimpleNamespace(values=v)) for k, v in elpd_i.items()}
    return ModelComparison(table=table, fits={}, loo=loo)


def test_reason_names_a_plateau_model_within_one_elpd():
    verdict = power_law_verdict(comparison(plateau_shift=-0.6))
    assert verdict.verdict == "power law"
    assert "'logit_normal'" in verdict.reason  # the light-tailed rival, as before
    # ... and the plateau rival, 0.6 ELPD behind: not ruled out, and said so
    assert "'zero_inflated_beta'" in verdict.reason
    assert "-0.6" in verdict.reason and "within 2 SE" in verdict.reason
    assert "level off" in verdict.reason
    row = verdict.summary().iloc[0]
    assert row["plateau_minus_power_law"] == pytest.approx(-0.6, abs=1e-9)


def test_reason_says_when_the_plateau_is_ruled_out():
    verdict = power_law_verdict(comparison(plateau_shift=-60.0))
    assert verdict.verdict == "power law"
    assert "'zero_inflated_beta'" in verdict.reason and "ruled out" in verdict.reason
    assert "level off" not in verdict.reason
