"""Render estimand summaries (one row per estimand) as Markdown, booktabs LaTeX and CSV.

Every rendering states the estimand of each row and the interval convention once, in the header
or caption, from the table's ``attrs`` (set by :meth:`monkeypower.fitting.fit.Fit.summary`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["summary_to_markdown", "summary_to_latex", "summary_to_csv", "latex_escape",
           "format_value", "clean_json_value"]

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "∞": r"$\infty$", "≥": r"$\geq$", "≤": r"$\leq$", "≈": r"$\approx$", "→": r"$\to$",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters (and map a few Unicode symbols to math)."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in str(text))


def format_value(value: Any, digits: int = 4) -> str:
    """A number as a table shows it: 4 significant digits, scientific when tiny or huge."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if isinstance(value, (int, float)):
        v = float(value)
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}"
    return str(value)


def interval_columns(table: pd.DataFrame) -> tuple[str, str]:
    """Names of the lower and upper bound columns (named by the interval convention)."""
    lower = next(c for c in table.columns if c.endswith("_lower"))
    upper = next(c for c in table.columns if c.endswith("_upper"))
    return lower, upper


def _group_columns(table: pd.DataFrame) -> list[str]:
    return list(table.columns[: list(table.columns).index("estimand")])


def summary_to_markdown(table: pd.DataFrame) -> str:
    """A Markdown table: group columns, estimand, detail, median, interval, ESS, R-hat."""
    lower, upper = interval_columns(table)
    interval = table.attrs.get("interval", {})
    groups = _group_columns(table)
    label = f"{100 * interval.get('prob', 0):g}% {interval.get('kind', '').upper()}"
    header = [*groups, "estimand", "detail", "median", label, "ESS bulk", "R-hat"]
    lines = []
    if table.attrs.get("title"):
        lines.append(f"**{table.attrs['title']}**\n")
    lines.append(f"Intervals: {interval.get('description', lower)}.\n")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    for row in table.to_dict("records"):
        cells = [str(row[g]) for g in groups] + [
            f"`{row['estimand']}`", row["detail"], format_value(row["median"]),
            f"[{format_value(row[lower])}, {format_value(row[upper])}]",
            format_value(row["ess_bulk"], 3),
            format_value(row["r_hat"], 4),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    diagnostics = table.attrs.get("diagnostics")
    # one fit: a health dict; group fits: group label -> health dict
    by_group = ({"": diagnostics} if diagnostics and "ok" in diagnostics
                else dict(diagnostics or {}))
    for group, health in by_group.items():
        status = "all checks passed" if health["ok"] else "PROBLEMS: " + "; ".join(
            health["problems"])
        lines.append(
            f"\n{group + ': ' if group else ''}Sampler: {health['n_divergent']} divergences, "
            f"max R-hat {health['max_rhat']:.3f}, min ESS bulk {health['min_ess_bulk']:.0f} / "
            f"tail {health['min_ess_tail']:.0f} — {status}."
        )
    return "\n".join(lines) + "\n"


def summary_to_latex(table: pd.DataFrame, label: str = "tab:monkeypower") -> str:
    """A booktabs table; the caption names the interval convention and the estimands' meaning."""
    lower, upper = interval_columns(table)
    interval = table.attrs.get("interval", {})
    groups = _group_columns(table)
    columns = [*groups, "Estimand", "Detail", "Median", "Interval"]
    align = "l" * (len(groups) + 2) + "rr"
    title = table.attrs.get("title", "Posterior summary")
    caption = (
        f"{latex_escape(title)}. Each row names its estimand (asymptotic exponent $b_\\infty$ "
        r"vs.\ effective slope over a window of $k$; population curve vs.\ in-sample forecast). "
        f"Point estimates are posterior medians; intervals are "
        f"{latex_escape(interval.get('description', 'credible intervals'))}."
    )
    out = [
        r"\begin{table}[t]", r"\centering", f"\\caption{{{caption}}}", f"\\label{{{label}}}",
        f"\\begin{{tabular}}{{{align}}}", r"\toprule",
        " & ".join(columns) + r" \\", r"\midrule",
    ]
    for row in table.to_dict("records"):
        cells = [latex_escape(row[g]) for g in groups] + [
            r"\texttt{" + latex_escape(row["estimand"]) + "}",
            latex_escape(row["detail"]),
            latex_escape(format_value(row["median"])),
            latex_escape(f"[{format_value(row[lower])}, {format_value(row[upper])}]"),
        ]
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


def summary_to_csv(table: pd.DataFrame) -> str:
    """The summary as CSV: one row per estimand, every statistic in full precision.

    The interval convention is in the bound columns' names (e.g. ``eti95_lower``); the
    estimand of each row is in the ``estimand`` and ``detail`` columns.
    """
    return table.to_csv(index=False)


def clean_json_value(value: Any) -> Any:
    """A value JSON can hold: NaN → None, ±inf → "inf"/"-inf", NumPy scalars → Python."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if hasattr(value, "item"):
        return clean_json_value(value.item())
    return value
