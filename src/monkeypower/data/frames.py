"""Tables as the readers take them: any DataFrame-like input, and the columns it must have."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from monkeypower.errors import OutcomesError

__all__ = ["as_frame", "require_columns", "check_present"]


def as_frame(data: Any) -> pd.DataFrame:
    """Accept a pandas or polars DataFrame, or a mapping of columns; never mutate it."""
    if isinstance(data, pd.DataFrame):
        return data
    if type(data).__module__.startswith("polars"):
        return data.to_pandas()
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise TypeError(
        f"expected a pandas or polars DataFrame or a mapping of columns, got {type(data).__name__}"
    )


def require_columns(frame: pd.DataFrame, columns: Mapping[str, str | None]) -> None:
    """Raise naming each missing column, its role and the columns that do exist."""
    check_present(list(frame.columns), columns)
    if frame.shape[0] == 0:
        raise OutcomesError("empty input: the table has no rows (expected at least one problem)")


def check_present(present: Sequence[Any], columns: Mapping[str, str | None]) -> None:
    """Raise naming each missing column and its role, listing every column the table has."""
    missing = {role: col for role, col in columns.items() if col is not None and col not in present}
    if missing:
        described = ", ".join(f"{col!r} (for {role})" for role, col in missing.items())
        raise OutcomesError(
            f"missing column {described}; the table has columns {list(present)}. "
            "Name the right columns with the corresponding arguments, e.g. problem=..., n=..., "
            "c=..."
        )
