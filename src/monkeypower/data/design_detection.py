"""Detect the sampling design from the data instead of assuming it.

The design decides what is valid: the likelihood kernel ``p^c (1-p)^(n-c)`` holds for
all three kinds below, but the unbiased pass@k estimator and subsampling attempts at random hold
only for a fixed design. A sequential log read as fixed silently biases both, so
:func:`detect_design` looks for the fingerprints of each design and returns the evidence:

* **sequential** — attempts drawn in batches of a common size ``B`` until a batch holds a success,
  or a cap is reached (Best-of-N jailbreaking: ``B = 60``, cap 10,020). Fingerprint: every
  problem without a success sits at the same largest ``n`` (the cap); every problem that stopped
  earlier has ``c >= 1``, and all its successes fit in its last batch (``c <= B``; with a
  single-attempt batch, ``c = 1``); all ``n`` below the cap are multiples of ``B``. With the
  attempt order, the check is exact: ``n`` ends with the batch holding the first success.
* **adaptive** — the number of attempts differs a lot between problems and is tied to the outcomes
  (e.g. more budget for harder problems, Kazdan et al. 2025): ``n`` spans at least a factor
  ``min_ratio`` and the observed rate ``c/n`` is correlated with ``log n``.
* **fixed** — neither: ``n`` chosen before any outcome (equal, or unequal but unrelated to them).

:class:`DesignWarning` is issued when the detected design differs from the one recorded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import pearsonr

from monkeypower.data.design import Design, parse_design
from monkeypower.data.frames import as_frame, require_columns
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.errors import OutcomesError, warn_caller

__all__ = ["DesignWarning", "DesignEvidence", "detect_design", "warn_if_not_fixed"]

DetectedKind = Literal["fixed", "sequential", "adaptive"]


class DesignWarning(UserWarning):
    """The data look like a different sampling design from the one recorded; names the evidence."""


@dataclass(frozen=True)
class DesignEvidence:
    """What :func:`detect_design` found, and why.

    Attributes
    ----------
    kind : {"fixed", "sequential", "adaptive"}
        The detected design.
    batch_size : int or None
        Sequential only: the batch size ``B`` (the greatest common divisor of the ``n`` of the
        problems that stopped before the cap: the largest batch consistent with the data).
    cap : int or None
        Sequential only: the common ``n`` of the unsolved problems (``None`` if every problem was
        solved, so the cap was never reached).
    n_problems : int
        Problems examined.
    checks : dict of str to bool
        Each criterion and whether it holds (``"unsolved_share_cap"``, ``"stopped_have_success"``,
        ``"successes_in_last_batch"``, ``"stops_after_first_success"``, ``"n_unequal"``,
        ``"n_tied_to_outcomes"``...).
    facts : tuple of str
        The evidence in words, one line per fact.
    statistics : dict
        Numbers behind the checks (correlation, p-value, n range, counts of violations).
    labels : dict
        Group labels, when the data came in groups.
    """

    kind: DetectedKind
    batch_size: int | None
    cap: int | None
    n_problems: int
    checks: dict[str, bool]
    facts: tuple[str, ...]
    statistics: dict[str, float] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def design(self) -> Design | None:
        """The :class:`Design` to record; ``None`` for adaptive (no such Design kind yet)."""
        if self.kind == "fixed":
            return Design("fixed")
        if self.kind == "sequential":
            return Design("sequential", batch_size=self.batch_size, cap=self.cap)
        return None

    def describe(self, labels: bool = True) -> str:
        """A one-paragraph summary: the verdict, then the facts (after the group labels)."""
        where = f"{self.labels}: " if self.labels and labels else ""
        verdict = {
            "fixed": "fixed design",
            "sequential": f"sequential design (batch size {self.batch_size}, cap {self.cap})",
            "adaptive": "adaptive design (n depends on the outcomes)",
        }[self.kind]
        return f"{where}{verdict}; " + "; ".join(self.facts)

    __str__ = describe


def _success_values(part: pd.DataFrame, column: str) -> np.ndarray:
    values = part[column]
    if values.dtype == bool:
        return values.to_numpy()
    ok = values.notna() & values.isin([0, 1, True, False])
    if not ok.all():
        bad = values[~ok]
        raise OutcomesError(
            f"column {column!r}: expected booleans or 0/1, found {bad.head(3).tolist()} in rows "
            f"{bad.index[:5].tolist()} ({len(bad)} in total)"
        )
    return values.astype(int).to_numpy().astype(bool)


def _gcd(values: np.ndarray) -> int:
    return int(reduce(math.gcd, (int(v) for v in np.unique(values)), 0))


def _last_batch(n: np.ndarray, batch: int) -> np.ndarray:
    """Size of the last batch of a problem with n attempts (the cap may cut a batch short)."""
    return n - ((n - 1) // batch) * batch


def _classify(
    n: np.ndarray, c: np.ndarray, first: np.ndarray | None, *, min_stopped: int,
    min_ratio: float, alpha: float, labels: dict[str, Any],
) -> DesignEvidence:
    """The decision rules on one group's counts (and first-success positions, if known)."""
    m = len(n)
    n_max, n_min = int(n.max()), int(n.min())
    stats: dict[str, float] = {"n_min": n_min, "n_max": n_max, "n_distinct": len(np.unique(n))}
    facts: list[str] = []
    checks: dict[str, bool] = {"n_unequal": n_min != n_max}
    if n_min == n_max:
        facts.append(f"every one of the {m} problems has n = {n_max}")
        if (c >= 1).all():
            facts.append("every problem has a success, so a sequential design solved in its "
                         "first batch would look the same")
        return DesignEvidence("fixed", None, None, m, checks, tuple(facts), stats, labels)

    unsolved = c == 0
    has_cap = bool(unsolved.any())
    cap = n_max if has_cap else None
    stopped = n < n_max if has_cap else np.ones(m, dtype=bool)
    n_stopped = int(stopped.sum())
    batch = _gcd(n[stopped]) if n_stopped else 0
    off_cap = int((unsolved & (n != n_max)).sum())
    no_success = int((stopped & (c == 0)).sum())
    checks["unsolved_share_cap"] = off_cap == 0
    checks["stopped_have_success"] = no_success == 0
    checks["enough_stopped"] = n_stopped >= min_stopped
    over = int((c > _last_batch(n, batch)).sum()) if batch else m
    checks["successes_in_last_batch"] = over == 0
    stats.update({"unsolved": int(unsolved.sum()), "stopped": n_stopped,
                  "unsolved_below_cap": off_cap, "stopped_without_success": no_success,
                  "more_successes_than_last_batch": over})
    if first is not None and batch:
        solved = ~unsolved
        expected = np.minimum((first[solved] // batch + 1) * batch, cap or np.iinfo(np.int64).max)
        late = int((n[solved] != expected).sum())
        checks["stops_after_first_success"] = late == 0
        stats["not_stopped_at_first_success"] = late
    sequential = all(checks[k] for k in checks if k != "n_unequal")
    if has_cap:
        facts.append(
            f"{int(unsolved.sum())} problems without a success: "
            + ("all at the largest n = " + f"{n_max:,}" if off_cap == 0
               else f"{off_cap} of them below the largest n = {n_max:,}")
        )
    else:
        facts.append("every problem has a success (no cap reached)")
    facts.append(
        f"{n_stopped} problems stopped below it: "
        + ("every one with c ≥ 1" if no_success == 0 else f"{no_success} with c = 0")
    )
    if batch:
        facts.append(
            f"their n are multiples of {batch} (n from {n_min:,} to {n_max:,}, "
            f"{stats['n_distinct']} distinct values)"
        )
        facts.append(
            f"successes fit in the last batch of {batch}" if over == 0
            else f"{over} problems have more successes than their last batch of {batch} holds"
        )
    if "stops_after_first_success" in checks:
        late = stats["not_stopped_at_first_success"]
        facts.append(
            "in attempt order, every solved problem stops at the end of the batch holding its "
            "first success" if late == 0
            else f"in attempt order, {late} solved problems go on past the batch of their first "
            "success"
        )
    elif sequential:
        facts.append("attempt order not given (attempt=), so only the counts were checked")
    if sequential and n_stopped < min_stopped:
        sequential = False
    if not checks["enough_stopped"]:
        facts.append(f"only {n_stopped} problems stopped early (< {min_stopped}): too few to tell")
    if sequential:
        return DesignEvidence("sequential", batch, cap, m, checks, tuple(facts), stats, labels)

    # adaptive: very unequal n, tied to the outcomes
    rate = c / n
    ratio = n_max / n_min
    if np.ptp(rate) > 0:
        r, p_value = pearsonr(np.log(n), rate)
        r, p_value = float(r), float(p_value)
    else:
        r, p_value = 0.0, 1.0
    stats.update({"n_ratio": ratio, "corr_log_n_rate": r, "p_value": p_value})
    checks["n_very_unequal"] = ratio >= min_ratio
    checks["n_tied_to_outcomes"] = p_value < alpha
    tie = (f"c/n is correlated with log n (r = {r:+.2f}, p = {p_value:.1e})" if p_value < alpha
           else f"c/n is not clearly correlated with log n (r = {r:+.2f}, p = {p_value:.2g} "
           f"≥ {alpha:g})")
    facts = [f"n varies from {n_min:,} to {n_max:,} (ratio {ratio:.3g})", tie,
             "not sequential: " + _failed_sequential(checks)]
    if checks["n_very_unequal"] and checks["n_tied_to_outcomes"]:
        direction = "harder" if r < 0 else "easier"
        facts.insert(1, f"more attempts went to {direction} problems")
        return DesignEvidence("adaptive", None, None, m, checks, tuple(facts), stats, labels)
    consistent = [k for k in checks if k not in ("n_unequal", "enough_stopped")
                  and k in _SEQUENTIAL_CHECKS]
    if not checks["enough_stopped"] and all(checks[k] for k in consistent):
        facts.append(f"the counts are consistent with a sequential design, but only {n_stopped} "
                     "problems stopped early")
    facts.append("no clear evidence that n depends on the outcomes: read as fixed")
    return DesignEvidence("fixed", None, None, m, checks, tuple(facts), stats, labels)


_SEQUENTIAL_CHECKS = ("unsolved_share_cap", "stopped_have_success", "successes_in_last_batch",
                      "stops_after_first_success", "enough_stopped")


def _failed_sequential(checks: Mapping[str, bool]) -> str:
    names = {
        "unsolved_share_cap": "unsolved problems do not share one cap",
        "stopped_have_success": "some problems stopped early without a success",
        "successes_in_last_batch": "successes do not fit in one final batch",
        "stops_after_first_success": "attempts go on after the first success",
        "enough_stopped": "too few problems stopped early",
    }
    failed = [text for key, text in names.items() if not checks.get(key, True)]
    return ", ".join(failed) or "no"


def _first_success_positions(
    frame: pd.DataFrame, problem: str, success: str, attempt: str, ok: np.ndarray
) -> pd.DataFrame:
    """Per problem: n, c and the 0-based position (in attempt order) of the first success."""
    repeated = frame.duplicated([problem, attempt], keep=False).to_numpy()
    if repeated.any():
        rows = frame.index[repeated][:5].tolist()
        raise OutcomesError(
            f"column {attempt!r}: the same attempt of the same problem appears more than once "
            f"(rows {rows}); expected one row per attempt"
        )
    work = pd.DataFrame({"problem": frame[problem].to_numpy(), "attempt": frame[attempt].to_numpy(),
                         "ok": ok})
    work = work.sort_values(["problem", "attempt"], kind="stable")
    work["pos"] = work.groupby("problem", sort=False).cumcount()
    counts = work.groupby("problem", sort=True)["ok"].agg(n="size", c="sum")
    first = work[work["ok"]].groupby("problem", sort=True)["pos"].min()
    counts["first"] = first.reindex(counts.index).fillna(-1).astype(np.int64)
    return counts


def detect_design(
    data: Any,
    *,
    problem: str = "problem",
    success: str | None = None,
    attempt: str | None = None,
    n: str = "n",
    c: str = "c",
    group_by: str | Sequence[str] | None = None,
    declared: Design | str | None = None,
    warn: bool = True,
    min_stopped: int = 3,
    min_ratio: float = 2.0,
    alpha: float = 1e-3,
) -> DesignEvidence | dict[tuple, DesignEvidence]:
    """Detect whether the data come from a fixed, sequential or adaptive design.

    Parameters
    ----------
    data : Outcomes, OutcomesGroups, DataFrame or mapping of columns
        Counts (an :class:`Outcomes`, or a table with ``problem``, ``n``, ``c`` columns), or an
        attempt table (one row per attempt) when ``success`` is given or the table has a
        ``success`` column and no ``n``/``c``.
    problem, n, c : str
        Column names of a counts table (``problem`` also of an attempt table).
    success : str, optional
        Outcome column of an attempt table (booleans or 0/1).
    attempt : str, optional
        Attempt-order column of an attempt table (e.g. ``"Scaling Parameter"``). With it the
        sequential check is exact (each problem must stop at the end of the batch holding its
        first success); without it only the counts are checked.
    group_by : str or sequence of str, optional
        Group columns of a table: one verdict per group (an :class:`OutcomesGroups` is always
        judged per group).
    declared : Design or {"fixed", "sequential"}, optional
        The design recorded for the data; default that of an :class:`Outcomes`, else fixed (the
        package's default). A verdict that contradicts it issues a :class:`DesignWarning`.
    warn : bool, default True
        Issue :class:`DesignWarning` on a contradiction.
    min_stopped : int, default 3
        Fewest problems that must stop before the cap to call a design sequential.
    min_ratio : float, default 2.0
        Adaptive needs ``max n / min n`` at least this.
    alpha : float, default 1e-3
        Adaptive needs the correlation of ``c/n`` with ``log n`` at p-value below this.

    Returns
    -------
    DesignEvidence or dict of tuple to DesignEvidence
        One verdict, or one per group (keyed by group tuple).

    Warns
    -----
    DesignWarning
        When the detected design differs from ``declared`` (for sequential designs, also a
        different batch size or cap), naming the evidence.

    Examples
    --------
    >>> import monkeypower as mp
    >>> from monkeypower.data.design_detection import detect_design
    >>> seq = mp.Design("sequential", batch_size=10, cap=500)
    >>> out = mp.simulate("beta", {"alpha": 0.5, "beta": 5}, n_problems=200, n_attempts=0,
    ...                   seed=3, design=seq)
    >>> ev = detect_design(out)
    >>> ev.kind, ev.batch_size, ev.cap
    ('sequential', 10, 500)
    """
    options = {"min_stopped": min_stopped, "min_ratio": min_ratio, "alpha": alpha}
    if isinstance(data, OutcomesGroups):
        return {
            key: _judge_outcomes(out, declared, warn, options) for key, out in data.items()
        }
    if isinstance(data, Outcomes):
        return _judge_outcomes(data, declared, warn, options)
    frame = as_frame(data)
    is_attempts = success is not None or ("success" in frame and not {n, c} <= set(frame))
    group_cols = () if group_by is None else (group_by,) if isinstance(group_by, str) \
        else tuple(group_by)
    roles: dict[str, str | None] = {"problem": problem}
    if is_attempts:
        success = success or "success"
        roles.update({"success": success, "attempt": attempt})
    else:
        roles.update({"n": n, "c": c})
    roles.update({f"group_by[{i}]": col for i, col in enumerate(group_cols)})
    require_columns(frame, roles)
    parts = frame.groupby(list(group_cols), sort=False) if group_cols else [((), frame)]
    verdicts = {}
    for key, part in parts:
        key = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(group_cols, key, strict=True))
        if is_attempts:
            ok = _success_values(part, success)
            if attempt is not None:
                counts = _first_success_positions(part, problem, success, attempt, ok)
                first = counts["first"].to_numpy()
            else:
                counts = pd.DataFrame({"problem": part[problem].to_numpy(), "ok": ok}) \
                    .groupby("problem")["ok"].agg(n="size", c="sum")
                first = None
            n_values = counts["n"].to_numpy(np.int64)
            c_values = counts["c"].to_numpy(np.int64)
        else:
            out = Outcomes(part[problem].to_numpy(), part[n].to_numpy(), part[c].to_numpy())
            n_values, c_values, first = out.n, out.c, None
        evidence = _classify(n_values, c_values, first, labels=labels, **options)
        _maybe_warn(evidence, parse_design(declared), warn, assumed=declared is None)
        verdicts[key] = evidence
    return verdicts if group_cols else verdicts[()]


def _judge_outcomes(
    out: Outcomes, declared: Design | str | None, warn: bool, options: dict
) -> DesignEvidence:
    evidence = _classify(out.n, out.c, None, labels=dict(out.labels), **options)
    _maybe_warn(evidence, out.design if declared is None else parse_design(declared), warn)
    return evidence


def _maybe_warn(
    evidence: DesignEvidence, declared: Design, warn: bool, assumed: bool = False
) -> None:
    if not warn:
        return
    if declared.is_adaptive and evidence.kind == "fixed":
        return  # an adaptive allocation may leave no fingerprint; it is recorded, that suffices
    if evidence.kind == declared.kind:
        if evidence.kind != "sequential":
            return
        mismatched = [
            f"{name} {getattr(declared, name)} recorded, {getattr(evidence, name)} found"
            for name in ("batch_size", "cap")
            if getattr(declared, name) is not None and getattr(declared, name)
            != getattr(evidence, name)
        ]
        if not mismatched:
            return
        warn_caller(
            f"{evidence.describe()}; but the recorded design {declared} differs: "
            + "; ".join(mismatched), DesignWarning,
        )
        return
    if evidence.kind == "sequential":
        advice = (f"record it with design=Design('sequential', batch_size={evidence.batch_size}, "
                  f"cap={evidence.cap}): the unbiased pass@k estimator and attempt subsampling "
                  "are not valid for it")
    elif evidence.kind == "adaptive":
        advice = ("the unbiased pass@k estimator and attempt subsampling assume n fixed in "
                  "advance; the model's likelihood stays valid if the allocation depended only "
                  "on outcomes already observed")
    else:
        advice = f"the data show none of the fingerprints of a {declared.kind} design"
    where = f"group {evidence.labels}: " if evidence.labels else ""
    warn_caller(
        where + ("no design was recorded, so fixed is assumed" if assumed
                 else f"the recorded design is {declared}")
        + f", but the data look like a {evidence.describe(labels=False)}. "
        f"{advice[0].upper()}{advice[1:]}", DesignWarning,
    )


def warn_if_not_fixed(
    frame: pd.DataFrame, *, problem: str, success: str, attempt: str | None,
    group_by: Sequence[str] = (),
) -> None:
    """Warn (:class:`DesignWarning`) when an attempt log read without a design looks sequential.

    The attempt-log readers (:func:`monkeypower.from_attempts`, and
    :func:`monkeypower.read_outcomes` with ``layout="attempts"``) assume a fixed design when
    none is given; this runs :func:`detect_design` on the log (per group; with the attempt
    order when ``attempt`` names it) and warns, naming the evidence, when the data look
    sequential or adaptive instead. The caller has already checked the columns.
    """
    detect_design(frame, problem=problem, success=success, attempt=attempt,
                  group_by=list(group_by) or None, declared=None, warn=True)
