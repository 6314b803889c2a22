"""Render estimand summaries (one row per estimand) as Markdown, booktabs LaTeX and CSV.

Every rendering states the estimand of each row and the interval convention once, in the header
or caption, from the table's ``attrs`` (set by :meth:`monkeypower.fitting.fit.Fit.summary`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["summary_to_markdown", "summary_to_latex", "summary_to_csv", "latex_escape",
           "format_value", "clean_json_value", "plural", "readable_groups", "diagnostics_by_group",
           "worst_diagnostics", "diagnostics_sentence", "LONGTABLE_ROWS"]

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


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and the noun in the right number: ``1 divergence``, ``2 divergences``."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def readable_groups(names: Sequence[str]) -> str:
    """Group variables as a reader says them: ``("model",)`` → ``model``, two → ``a and b``."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def diagnostics_by_group(diagnostics: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Sampler health keyed by group label (``""`` for a single fit).

    ``attrs["diagnostics"]`` of a summary is either one fit's health dict (keys
    ``n_divergent``, ``max_rhat``, ``min_ess_bulk``, ``min_ess_tail``, ``ok``, ``problems``
    and, when LOO was computed, ``max_pareto_k``, ``n_high_pareto_k``) or a dict of group label
    → such a dict.
    """
    if not diagnostics:
        return {}
    if "n_divergent" in diagnostics:
        return {"": dict(diagnostics)}
    return {str(label): dict(d) for label, d in diagnostics.items() if d}


def worst_diagnostics(groups: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The worst of several groups' health: divergences summed, worst R-hat, ESS, Pareto k."""
    values = list(groups.values())
    worst: dict[str, Any] = {
        "n_divergent": int(sum(int(d["n_divergent"]) for d in values)),
        "max_rhat": max(float(d["max_rhat"]) for d in values),
        "min_ess_bulk": min(float(d["min_ess_bulk"]) for d in values),
        "min_ess_tail": min(float(d["min_ess_tail"]) for d in values),
        "ok": all(bool(d["ok"]) for d in values),
        "problems": [f"{label}: {p}" if label else p for label, d in groups.items()
                     for p in d.get("problems", ())],
    }
    if any("max_pareto_k" in d for d in values):
        worst["max_pareto_k"] = max(float(d.get("max_pareto_k", float("nan"))) for d in values)
        worst["n_high_pareto_k"] = int(sum(int(d.get("n_high_pareto_k", 0)) for d in values))
    return worst


def diagnostics_sentence(diagnostics: Mapping[str, Any], status: bool = True) -> str:
    """One fit's sampler health in words.

    E.g. ``1 divergence, max R-hat 1.003, min ESS bulk 812 / tail 640, max Pareto k 0.52
    (0 problems above 0.7): all checks passed``; with ``status=False`` the verdict after the
    colon is left out.
    """
    text = (
        f"{plural(int(diagnostics['n_divergent']), 'divergence')}, max R-hat "
        f"{float(diagnostics['max_rhat']):.3f}, min ESS bulk "
        f"{float(diagnostics['min_ess_bulk']):.0f} / tail {float(diagnostics['min_ess_tail']):.0f}"
    )
    if "max_pareto_k" in diagnostics:
        high = int(diagnostics.get("n_high_pareto_k", 0))
        text += (f", max Pareto k {float(diagnostics['max_pareto_k']):.2f} "
                 f"({plural(high, 'problem')} above "
                 f"{float(diagnostics.get('pareto_k_threshold', 0.7)):.2f})")
    if not status:
        return text
    if diagnostics.get("ok", not diagnostics.get("problems")):
        return text + ": all checks passed"
    return text + ": PROBLEMS: " + "; ".join(str(p) for p in diagnostics.get("problems", ()))


def _sampler_markdown(diagnostics: Mapping[str, Any] | None) -> list[str]:
    """Markdown lines of sampler health: one sentence, or a table with one row per group."""
    groups = diagnostics_by_group(diagnostics)
    if not groups:
        return []
    if list(groups) == [""]:
        return ["", f"Sampler: {diagnostics_sentence(groups[''])}."]
    pareto = any("max_pareto_k" in d for d in groups.values())
    header = ["group", "divergences", "max R-hat", "min ESS bulk", "min ESS tail"]
    header += ["max Pareto k", "Pareto k > 0.7"] if pareto else []
    lines = ["", "Sampler health per group:", "", "| " + " | ".join(header + ["status"]) + " |",
             "|" + "|".join("---" for _ in range(len(header) + 1)) + "|"]
    for label, d in groups.items():
        cells = [label, f"{int(d['n_divergent']):,}", f"{float(d['max_rhat']):.3f}",
                 f"{float(d['min_ess_bulk']):.0f}", f"{float(d['min_ess_tail']):.0f}"]
        if pareto:
            cells += [format_value(d.get("max_pareto_k")),
                      format_value(d.get("n_high_pareto_k"))]
        cells.append("ok" if d.get("ok") else "PROBLEMS: " + "; ".join(d.get("problems", ())))
        lines.append("| " + " | ".join(cells) + " |")
    worst = worst_diagnostics(groups)
    lines += ["", f"Worst over groups: {diagnostics_sentence(worst, status=False)}."]
    return lines


def summary_to_markdown(table: pd.DataFrame) -> str:
    """A Markdown table: group columns, estimand, detail, median, interval, ESS, R-hat.

    Under it, the sampler health of ``attrs["diagnostics"]``: one sentence for a single fit, a
    table with one row per group for a group fit.
    """
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
    lines += _sampler_markdown(table.attrs.get("diagnostics"))
    return "\n".join(lines) + "\n"


LONGTABLE_ROWS = 30
"""Above this many rows a LaTeX summary is a ``longtable`` (it breaks across pages)."""


def _latex_caption(table: pd.DataFrame, groups: dict[str, dict[str, Any]]) -> str:
    interval = table.attrs.get("interval", {})
    title = str(table.attrs.get("title", "Posterior summary")).rstrip(".")
    caption = (
        f"{latex_escape(title)}. Each row names its estimand (asymptotic exponent $b_\\infty$ "
        r"vs.\ effective slope over a window of $k$; population curve vs.\ in-sample forecast). "
        f"Point estimates are posterior medians; intervals are "
        f"{latex_escape(interval.get('description', 'credible intervals'))}."
    )
    if list(groups) == [""]:
        caption += f" Sampler: {latex_escape(diagnostics_sentence(groups['']))}."
    elif groups:
        worst = worst_diagnostics(groups)
        caption += (" Sampler health of each group is given in its heading; worst over groups: "
                    f"{latex_escape(diagnostics_sentence(worst, status=False))}")
        bad = [label for label, d in groups.items() if not d.get("ok")]
        caption += ("; all checks passed." if not bad else
                    f"; problems in {latex_escape(', '.join(bad))}.")
    return caption


def _column(fraction: float, align: str) -> str:
    """A wrapping column ``fraction`` of the line wide, its padding included."""
    return (f">{{\\{align}\\arraybackslash}}"
            f"p{{\\dimexpr {fraction:g}\\linewidth-2\\tabcolsep\\relax}}")


def _latex_rows(table: pd.DataFrame, groups: list[str], health: dict[str, dict[str, Any]],
                n_columns: int) -> list[str]:
    """Body rows; with group columns, a heading row (label and sampler health) per group."""
    lower, upper = interval_columns(table)
    out: list[str] = []
    current = None
    for row in table.to_dict("records"):
        key = tuple(row[g] for g in groups)
        if groups and key != current:
            if current is not None:
                out.append(r"\addlinespace")
            current = key
            label = ", ".join(str(v) for v in key)
            named = ", ".join(f"{g} = {v}" for g, v in zip(groups, key, strict=True))
            cell = r"\textbf{" + latex_escape(named) + "}"
            if label in health:
                cell += (r" \quad{\footnotesize sampler: "
                         + latex_escape(diagnostics_sentence(health[label])) + "}")
            out.append(f"\\multicolumn{{{n_columns}}}{{{_column(1.0, 'raggedright')}}}{{{cell}}}"
                       r" \\")
        cells = [
            r"\texttt{" + latex_escape(row["estimand"]).replace(r"\_", r"\_\allowbreak{}") + "}",
            latex_escape(row["detail"]),
            latex_escape(format_value(row["median"])),
            latex_escape(f"[{format_value(row[lower])}, {format_value(row[upper])}]"),
        ]
        out.append(" & ".join(cells) + r" \\")
    return out


def summary_to_latex(table: pd.DataFrame, label: str = "tab:monkeypower") -> str:
    r"""A booktabs table that fits the text width; the caption names convention and health.

    Group columns (a group fit) become one heading row per group, naming the group and its
    sampler health; the rows below it are that group's estimands. Above
    :data:`LONGTABLE_ROWS` rows the table is a ``longtable`` that breaks across pages,
    repeating its header. The columns wrap and add up to ``\linewidth``, so the table fits
    the text. Needs ``\usepackage{booktabs,array}`` and, for long tables,
    ``\usepackage{longtable}`` in the preamble (the table's first line, a comment, says so).
    """
    interval = table.attrs.get("interval", {})
    groups = _group_columns(table)
    health = diagnostics_by_group(table.attrs.get("diagnostics"))
    caption = _latex_caption(table, health)
    width = f"{100 * interval.get('prob', 0.95):g}\\% {interval.get('kind', 'eti').upper()}"
    head = r"Estimand & Detail & Median & " + width + r" \\"
    # wrapping columns summing to the line width: the table never runs past the text
    align = "".join(_column(f, a) for f, a in zip(
        (0.24, 0.32, 0.16, 0.28), ("raggedright", "raggedright", "raggedleft", "raggedleft"),
        strict=True))
    body = _latex_rows(table, groups, health, 4)
    long = len(table) + len(health) > LONGTABLE_ROWS
    preamble = r"% needs \usepackage{booktabs,array" + (",longtable" if long else "") + "}"
    if long:
        out = [
            preamble, r"{\small\setlength{\tabcolsep}{4pt}",
            f"\\begin{{longtable}}{{{align}}}",
            f"\\caption{{{caption}}}\\label{{{label}}}\\\\",
            r"\toprule", head, r"\midrule", r"\endfirsthead",
            r"\multicolumn{4}{r}{\footnotesize\itshape (continued)}\\",
            r"\toprule", head, r"\midrule", r"\endhead",
            r"\bottomrule", r"\endlastfoot", *body, r"\end{longtable}}",
        ]
        return "\n".join(out) + "\n"
    out = [
        preamble, r"\begin{table}[t]", r"\centering", r"\small", r"\setlength{\tabcolsep}{4pt}",
        f"\\caption{{{caption}}}", f"\\label{{{label}}}",
        f"\\begin{{tabular}}{{{align}}}", r"\toprule", head, r"\midrule", *body,
        r"\bottomrule", r"\end{tabular}", r"\end{table}",
    ]
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
