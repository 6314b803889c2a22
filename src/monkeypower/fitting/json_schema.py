"""The stable JSON form of a fit's summary, schema ``monkeypower.fit.v1``.

Documented in ``docs/json_schema.md``; the estimand definitions come from the registry
(:data:`monkeypower.estimands.ESTIMANDS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from monkeypower.estimands import ESTIMANDS
from monkeypower.presentation.tables import clean_json_value, interval_columns
from monkeypower.version import __version__

if TYPE_CHECKING:
    from monkeypower.fitting.fit import Fit

__all__ = ["JSON_SCHEMA_VERSION", "fit_to_dict"]

JSON_SCHEMA_VERSION = "monkeypower.fit.v1"


def fit_to_dict(fit: Fit, table: pd.DataFrame) -> dict[str, Any]:
    """The stable JSON schema ``monkeypower.fit.v1`` (documented in ``docs/json_schema.md``)."""
    lower, upper = interval_columns(table)
    rows = []
    for row in table.to_dict("records"):
        rows.append({
            "estimand": row["estimand"],
            "detail": row["detail"],
            "median": clean_json_value(row["median"]),
            "mean": clean_json_value(row["mean"]),
            "sd": clean_json_value(row["sd"]),
            "lower": clean_json_value(row[lower]),
            "upper": clean_json_value(row[upper]),
            "ess_bulk": clean_json_value(row["ess_bulk"]),
            "ess_tail": clean_json_value(row["ess_tail"]),
            "r_hat": clean_json_value(row["r_hat"]),
        })
    outcomes = fit.outcomes
    return {
        "schema": JSON_SCHEMA_VERSION,
        "monkeypower_version": __version__,
        "model": {"name": fit.spec.name, "family": fit.family.name,
                  "priors": {k: str(v) for k, v in fit.spec.priors.items()}},
        "data": {"labels": {k: clean_json_value(v) for k, v in outcomes.labels.items()},
                 "n_problems": outcomes.n_problems, "max_attempts": outcomes.max_attempts,
                 "design": outcomes.design.to_dict()},
        "seed": fit.seed,
        "sampler": fit.sampler_settings,
        "interval": table.attrs["interval"],
        "estimand_definitions": {name: ESTIMANDS[name].definition
                                 for name in dict.fromkeys(table.estimand)},
        "estimands": rows,
        "diagnostics": {key: value if isinstance(value, (list, bool)) else clean_json_value(value)
                        for key, value in table.attrs["diagnostics"].items()},
        "notes": list(table.attrs.get("notes", [])),
    }
