"""What the readers of both frameworks share: success values, group fields, identities."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from monkeypower.errors import OutcomesError

SuccessMapping = Mapping[Any, bool] | Callable[[Any], Any] | None
"""How score values become successes: ``None`` (the binary defaults), a mapping or a callable."""

#: Group fields available from an Inspect log header.
INSPECT_FIELDS = ("model", "task", "task_version", "dataset", "run_id", "eval_id", "log")
#: Group fields available for lm-evaluation-harness sample files.
LM_EVAL_FIELDS = ("model", "task", "filter", "log")

_TRUE_VALUES = {"C": True, "I": False}
_MAPPING_HINT = (
    "pass success= a mapping from every value to True/False, e.g. "
    "success={{'C': True, 'I': False, 'P': False}}, or a callable, e.g. "
    "success=lambda v: v >= 1"
)


# --------------------------------------------------------------------------- success values
def _default_success(value: Any) -> bool | None:
    """The binary vocabulary understood without a mapping: C/I, True/False, 1/0 (None: not it)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return _TRUE_VALUES.get(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value == 1)
    return None


def _describe_values(values: Iterable[Any], limit: int = 8) -> str:
    counts: dict[str, int] = {}
    for value in values:
        key = repr(value)
        counts[key] = counts.get(key, 0) + 1
    shown = ", ".join(f"{key} ({count}×)" for key, count in list(counts.items())[:limit])
    return shown + (f", ... ({len(counts)} distinct)" if len(counts) > limit else "")


def _map_success(values: Sequence[Any], success: SuccessMapping, where: str) -> np.ndarray:
    """Map raw score values to booleans, or raise naming the values that are not binary."""
    result = np.zeros(len(values), dtype=bool)
    bad: list[Any] = []
    for pos, value in enumerate(values):
        if success is None:
            mapped = _default_success(value)
        elif isinstance(success, Mapping):
            mapped = success.get(value) if _hashable(value) else None
            mapped = None if mapped is None else bool(mapped)
        else:
            try:
                mapped = success(value)
            except Exception as err:
                raise OutcomesError(
                    f"{where}: the success= callable failed on the value {value!r} "
                    f"({type(err).__name__}: {err})"
                ) from None
            mapped = _default_success(mapped) if not isinstance(mapped, bool) else mapped
        if mapped is None:
            bad.append(value)
        else:
            result[pos] = mapped
    if bad:
        if success is None:
            expected = "binary scores (C/I, True/False or 1/0)"
        elif isinstance(success, Mapping):
            expected = f"values listed in success= ({list(success)})"
        else:
            expected = "values that the success= callable maps to True/False"
        raise OutcomesError(
            f"{where}: expected {expected}, found {_describe_values(bad)}. To count these, "
            + _MAPPING_HINT.format()
        )
    return result


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --------------------------------------------------------------------------- paths
def _group_fields(
    group_by: str | Sequence[str] | None, allowed: Sequence[str], reader: str
) -> tuple[str, ...]:
    if group_by is None:
        return ()
    fields = (group_by,) if isinstance(group_by, str) else tuple(group_by)
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise ValueError(
            f"{reader}: unknown group_by fields {unknown}; choose from {list(allowed)}"
        )
    return fields


def _check_identity_grouped(
    table: pd.DataFrame, fields: tuple[str, ...], identity: Sequence[str], reader: str
) -> None:
    """Refuse to pool problems of different models or tasks into one Outcomes silently."""
    for column in identity:
        if column in fields:
            continue
        values = pd.unique(table[column])
        if len(values) > 1:
            raise OutcomesError(
                f"{reader}: the logs hold several values of {column!r} ({list(values)[:6]}), but "
                f"group_by={list(fields)} would pool their problems into one benchmark; add "
                f"{column!r} to group_by"
            )


