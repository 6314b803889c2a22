"""The canonical outcomes object: per problem, attempts ``n`` and successes ``c``.

Every input (counts table, attempt log, boolean matrix, file) becomes an :class:`Outcomes`
(one benchmark, one model) or an :class:`OutcomesGroups` (several, addressed by group key).
Converters live in :mod:`monkeypower.data.readers`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from monkeypower.data.design import FIXED, Design, parse_design
from monkeypower.data.sufficient import SufficientStats, compress
from monkeypower.errors import DesignError, OutcomesError, describe_rows

__all__ = ["Outcomes", "OutcomesGroups"]


def _readonly(values: np.ndarray) -> np.ndarray:
    values = np.array(values, copy=True)
    values.flags.writeable = False
    return values


MAX_COUNT = 2**53  # counts are held as float64 downstream: exact only up to here


def _as_count_array(values: Any, column: str) -> np.ndarray:
    """Coerce a column of counts to int64, or raise naming the column and rows."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise OutcomesError(f"column {column!r}: expected a 1-D sequence, got shape {arr.shape}")
    if arr.dtype == bool:
        raise OutcomesError(f"column {column!r}: expected integer counts, got booleans")
    if arr.dtype == object:  # a True / False cell among numbers would be read as 1 / 0
        bool_rows = [i for i, v in enumerate(arr) if isinstance(v, (bool, np.bool_))]
        if bool_rows:
            raise OutcomesError(
                f"column {column!r}: expected integer counts, found boolean values in "
                f"{describe_rows(bool_rows)}"
            )
    if arr.dtype.kind in "iu":
        huge_rows = np.flatnonzero(arr > MAX_COUNT)
        if huge_rows.size:
            raise OutcomesError(
                f"column {column!r}: expected integer counts, found "
                f"{arr[huge_rows[:3]].tolist()} (above 2**53, beyond which counts held as float64 "
                f"are not exact) in {describe_rows(huge_rows)}"
            )
        return arr.astype(np.int64)
    try:
        as_float = arr.astype(np.float64)
    except (TypeError, ValueError):
        bad = [
            i for i, v in enumerate(arr) if not isinstance(v, (int, float, np.integer, np.floating))
        ]
        raise OutcomesError(
            f"column {column!r}: expected integer counts, found non-numeric values in "
            f"{describe_rows(bad)}"
        ) from None
    nan_rows = np.flatnonzero(np.isnan(as_float))
    if nan_rows.size:
        raise OutcomesError(
            f"column {column!r}: expected integer counts, found missing values (NaN) in "
            f"{describe_rows(nan_rows)}"
        )
    # inf and values beyond int64 would wrap round in the cast (to -2**63) and be reported as
    # something they are not, and beyond 2**53 float64 counts are not exact; name what was found
    huge_rows = np.flatnonzero(~(np.abs(as_float) <= MAX_COUNT))
    if huge_rows.size:
        found = ", ".join(repr(float(v)) for v in as_float[huge_rows[:3]])
        raise OutcomesError(
            f"column {column!r}: expected integer counts, found {found} (not a finite count "
            f"up to 2**53, the largest float64 holds exactly) in {describe_rows(huge_rows)}"
        )
    frac_rows = np.flatnonzero(as_float != np.round(as_float))
    if frac_rows.size:
        raise OutcomesError(
            f"column {column!r}: expected integer counts, found non-integer values in "
            f"{describe_rows(frac_rows)}"
        )
    return as_float.astype(np.int64)


def _id_kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, (int, np.integer)):
        return "integer"
    if isinstance(value, (float, np.floating)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _checked_ids(problem: np.ndarray) -> np.ndarray:
    """Problem ids of one kind: all strings, or all numbers (saved and reloaded losslessly).

    An object column mixing kinds (JSON ``1`` and ``"b"``) is refused, naming the rows of the
    rarer kind; a column of Python ints becomes int64. Other objects (lists, dicts) are refused.
    """
    if problem.dtype.kind != "O" or problem.size == 0:
        return problem
    kinds = np.array([_id_kind(v) for v in problem], dtype=object)
    present = pd.unique(kinds)
    odd = [k for k in present if k not in ("string", "integer", "number")]
    if odd:
        rows = np.flatnonzero(kinds == odd[0])
        raise OutcomesError(
            f"column 'problem': expected string or integer problem ids, found {odd[0]} values "
            f"in {describe_rows(rows)}, e.g. {problem[rows[0]]!r}")
    if set(present) == {"integer", "number"}:
        present = ["number"]
    if len(present) > 1:
        counts = {k: int((kinds == k).sum()) for k in present}
        rare = min(counts, key=counts.get)
        rows = np.flatnonzero(kinds == rare)
        found = ", ".join(f"{n} {k}" for k, n in counts.items())
        raise OutcomesError(
            f"column 'problem': mixed kinds of problem ids ({found}); "
            f"the {rare} ids are in {describe_rows(rows)}, e.g. {problem[rows[0]]!r}. Expected "
            "one kind: quote every id in the file, or none")
    if present[0] == "integer":
        return problem.astype(np.int64)
    if present[0] == "number":
        return problem.astype(np.float64)
    return problem


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Repeated-sampling outcomes of one model on one benchmark.

    Every instance is valid: the constructor checks that ids are unique and present, that
    ``0 <= c <= n`` and ``n >= 1``, and that the counts fit the design. The arrays are read-only
    copies, so the caller's data is never shared or modified.

    Parameters
    ----------
    problem : array_like
        Problem identifiers, unique.
    n : array_like of int
        Attempts per problem, ``n >= 1``.
    c : array_like of int
        Successes per problem, ``0 <= c <= n``.
    design : Design or {"fixed", "sequential", "adaptive"}, default "fixed"
        How attempts were allocated (see :class:`monkeypower.data.design.Design`).
    labels : mapping, optional
        Group labels such as ``{"model": "Pythia 12B", "benchmark": "MATH"}``.

    Examples
    --------
    >>> import monkeypower as mp
    >>> out = mp.Outcomes(problem=["a", "b", "c"], n=[100, 100, 100], c=[0, 3, 50])
    >>> out.n_problems
    3
    """

    problem: np.ndarray
    n: np.ndarray
    c: np.ndarray
    design: Design = FIXED
    labels: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problem = np.asarray(self.problem)
        if problem.ndim != 1:
            raise OutcomesError(f"column 'problem': expected 1-D ids, got shape {problem.shape}")
        n = _as_count_array(self.n, "n")
        c = _as_count_array(self.c, "c")
        if not (len(problem) == len(n) == len(c)):
            raise OutcomesError(
                f"problem, n and c must have the same length, got {len(problem)}, {len(n)}, "
                f"{len(c)}"
            )
        if len(problem) == 0:
            raise OutcomesError("empty input: no problems (expected at least one row)")
        missing = np.flatnonzero(pd.isna(problem))
        if missing.size:
            raise OutcomesError(
                f"column 'problem': missing problem ids in {describe_rows(missing)}"
            )
        problem = _checked_ids(problem)
        duplicated = np.flatnonzero(pd.Series(problem).duplicated(keep=False).to_numpy())
        if duplicated.size:
            ids = pd.unique(problem[duplicated])[:5].tolist()
            raise OutcomesError(
                f"column 'problem': duplicate problem ids {ids} in {describe_rows(duplicated)}; "
                "expected one row per problem (group by the columns that tell models or "
                "benchmarks apart, group_by=)"
            )
        for name, values, rows in (
            ("n", n, np.flatnonzero(n < 1)),
            ("c", c, np.flatnonzero(c < 0)),
        ):
            if rows.size:
                what = "at least 1 attempt" if name == "n" else "non-negative successes"
                raise OutcomesError(
                    f"column {name!r}: expected {what}, got {values[rows[:5]].tolist()} in "
                    f"{describe_rows(rows)}"
                )
        over = np.flatnonzero(c > n)
        if over.size:
            raise OutcomesError(
                f"column 'c': successes exceed attempts (c > n) in {describe_rows(over)}, e.g. "
                f"c={c[over[0]]}, n={n[over[0]]}"
            )
        design = parse_design(self.design)
        _check_design(design, n, c)
        object.__setattr__(self, "problem", _readonly(problem))
        object.__setattr__(self, "n", _readonly(n))
        object.__setattr__(self, "c", _readonly(c))
        object.__setattr__(self, "design", design)
        object.__setattr__(self, "labels", dict(self.labels))

    # ------------------------------------------------------------------ basic facts
    @property
    def n_problems(self) -> int:
        """Number of problems M."""
        return len(self.problem)

    def __len__(self) -> int:
        return self.n_problems

    @property
    def max_attempts(self) -> int:
        """The largest ``n`` in the data (the default right end of k windows)."""
        return int(self.n.max())

    @property
    def fixed_n(self) -> bool:
        """Whether every problem has the same number of attempts."""
        return bool((self.n == self.n[0]).all())

    @property
    def name(self) -> str:
        """A short label built from the group labels (empty when there are none)."""
        return ", ".join(f"{v}" for v in self.labels.values())

    def __repr__(self) -> str:
        n_desc = f"n={self.n[0]}" if self.fixed_n else f"n={self.n.min()}..{self.n.max()}"
        label = f" {self.name!r}" if self.labels else ""
        solved = int((self.c > 0).sum())
        return (
            f"<Outcomes{label}: {self.n_problems} problems, {n_desc}, "
            f"{solved} solved at least once, design={self.design}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcomes):
            return NotImplemented
        return (
            self.design == other.design
            and dict(self.labels) == dict(other.labels)
            and np.array_equal(self.problem, other.problem)
            and np.array_equal(self.n, other.n)
            and np.array_equal(self.c, other.c)
        )

    __hash__ = None  # type: ignore[assignment]

    def same_counts(self, other: Outcomes) -> bool:
        """Whether ``other`` holds the same problems with the same (n, c), in the same order.

        Labels and design aside: the data two results must share to be set side by side.
        """
        return (len(self.problem) == len(other.problem)
                and np.array_equal(self.problem, other.problem)
                and np.array_equal(self.n, other.n) and np.array_equal(self.c, other.c))

    # ------------------------------------------------------------------ conversions
    def subset(self, index: Sequence[int] | np.ndarray) -> Outcomes:
        """A new :class:`Outcomes` with the problems at the given positions."""
        index = np.asarray(index)
        return Outcomes(
            self.problem[index], self.n[index], self.c[index], self.design, self.labels
        )

    def with_counts(self, n: np.ndarray, c: np.ndarray) -> Outcomes:
        """The same problems, design and labels with new counts (e.g. a subsample)."""
        return Outcomes(self.problem, n, c, self.design, self.labels)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per problem: ``problem, n, c`` plus one column per group label."""
        frame = pd.DataFrame({"problem": self.problem, "n": self.n, "c": self.c})
        for key, value in self.labels.items():
            frame[key] = value
        return frame

    def to_dataset(self) -> xr.Dataset:
        """An :class:`xarray.Dataset` with dimension ``problem`` (``n``, ``c``) and attrs.

        The attrs carry the design and labels, so :meth:`from_dataset` restores the object.
        """
        import json

        return xr.Dataset(
            {"n": ("problem", self.n), "c": ("problem", self.c)},
            coords={"problem": self.problem},
            attrs={
                "design": json.dumps(self.design.to_dict()),
                "labels": json.dumps({k: _jsonable(v) for k, v in self.labels.items()}),
            },
        )

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> Outcomes:
        """Inverse of :meth:`to_dataset`."""
        design = Design.from_dict(json.loads(ds.attrs.get("design", '{"kind": "fixed"}')))
        labels = json.loads(ds.attrs.get("labels", "{}"))
        return cls(ds["problem"].values, ds["n"].values, ds["c"].values, design, labels)

    def compress(self) -> SufficientStats:
        """Distinct ``(n, c)`` pairs with weights; see :func:`monkeypower.compress`."""
        return compress(self)

    def require_fixed_design(self, what: str) -> None:
        """Raise :class:`DesignError` if ``n`` depended on the outcomes, explaining why.

        Sequential and adaptive designs are refused alike (:attr:`Design.depends_on_outcomes`):
        the model's likelihood is valid for both, ``c/n`` and everything built on it is not.
        """
        if self.design.is_sequential:
            raise DesignError(
                f"{what} is not valid for a sequential design ({self.design}): attempts stopped "
                "once a success appeared, so c/n and the unbiased pass@k estimator are biased "
                "and attempts cannot be subsampled at random. Fit the model instead: "
                "its likelihood is valid for sequential designs."
            )
        if self.design.is_adaptive:
            raise DesignError(
                f"{what} is not valid for an adaptive design ({self.design}): the attempts "
                "each problem got were chosen from its earlier outcomes (more where fewer "
                "successes), so c/n, its maximum and the unbiased pass@k estimator are biased "
                "and attempts cannot be subsampled at random. Fit the model instead: its "
                "likelihood is valid for adaptive designs (the allocation depends only on "
                "outcomes already observed)."
            )


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _check_design(design: Design, n: np.ndarray, c: np.ndarray) -> None:
    """Check counts against what a sequential design with known batch size and cap allows."""
    if not design.is_sequential:
        return
    if design.cap is not None:
        over = np.flatnonzero(n > design.cap)
        if over.size:
            raise OutcomesError(
                f"column 'n': attempts exceed the sequential design's cap {design.cap} in "
                f"{describe_rows(over)}"
            )
        unsolved_short = np.flatnonzero((c == 0) & (n != design.cap))
        if unsolved_short.size:
            raise OutcomesError(
                f"column 'n': problems with no success must sit at the cap ({design.cap}) in a "
                f"sequential design, but {describe_rows(unsolved_short)} stopped earlier"
            )
    if design.batch_size is not None:
        ragged = np.flatnonzero((n % design.batch_size != 0) & (n != (design.cap or -1)))
        if ragged.size:
            raise OutcomesError(
                f"column 'n': in a sequential design with batches of {design.batch_size}, n must "
                f"be a multiple of the batch size (or the cap); not so in {describe_rows(ragged)}"
            )
        # the campaign stops after the first batch with a success: every success is in it
        last_batch = n - design.batch_size * ((n - 1) // design.batch_size)
        crowded = np.flatnonzero(c > last_batch)
        if crowded.size:
            raise OutcomesError(
                f"column 'c': a sequential design stops after the first batch with a success, "
                f"so all of a problem's successes lie in its last batch (at most "
                f"{design.batch_size} attempts); more successes than that in "
                f"{describe_rows(crowded)}"
            )


class OutcomesGroups(Mapping[tuple, Outcomes]):
    """Several :class:`Outcomes` (e.g. one per model and benchmark), addressed by group key.

    Keys are tuples of group values in the order of :attr:`group_names`. With a single group
    column a bare value also works: ``groups["Pythia 12B"]``; a dict works too:
    ``groups[{"model": "Pythia 12B", "benchmark": "MATH"}]``.
    """

    def __init__(self, group_names: Sequence[str], groups: Mapping[tuple, Outcomes]):
        self.group_names = tuple(group_names)
        self._groups = dict(groups)
        if not self._groups:
            raise OutcomesError("empty input: no groups")

    def _normalise_key(self, key: Any) -> tuple:
        if isinstance(key, Mapping):
            missing = set(self.group_names) - set(key)
            if missing:
                raise KeyError(f"group key is missing {sorted(missing)}")
            return tuple(key[name] for name in self.group_names)
        if not isinstance(key, tuple):
            key = (key,)
        return key

    def __getitem__(self, key: Any) -> Outcomes:
        normal = self._normalise_key(key)
        try:
            return self._groups[normal]
        except KeyError:
            known = list(self._groups)[:10]
            raise KeyError(
                f"no group {normal!r} for {self.group_names}; known groups include {known}"
            ) from None

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def __repr__(self) -> str:
        lines = [f"<OutcomesGroups by {list(self.group_names)}: {len(self)} groups>"]
        for key, out in list(self._groups.items())[:20]:
            lines.append(f"  {key}: {out.n_problems} problems, n max {out.max_attempts}")
        if len(self) > 20:
            lines.append("  ...")
        return "\n".join(lines)

    def to_dataframe(self) -> pd.DataFrame:
        """All groups stacked into one long counts table."""
        return pd.concat([out.to_dataframe() for out in self.values()], ignore_index=True)
