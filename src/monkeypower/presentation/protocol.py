"""The result protocol: every result object prints, renders and serialises the same way.

A result implements one method, :meth:`Result.summary`, returning a :class:`pandas.DataFrame`
whose ``attrs`` may carry

``title``
    What the table is (one line; the caption of the LaTeX table, the heading of the Markdown).
``interval``
    The interval convention of the table's bounds (:meth:`IntervalConvention.to_dict`); the
    renderings state it once.
``notes``
    Further sentences a reader needs (sampler health, what a column means), printed under the
    table and appended to the LaTeX caption.

and inherits the rest: :meth:`~Result.to_markdown`, :meth:`~Result.to_latex`,
:meth:`~Result.to_csv`, :meth:`~Result.to_dict` / :meth:`~Result.to_json`, a readable ``str()``
(the Markdown), ``_repr_html_`` (a table in a notebook) and a one-line ``repr()`` that
never dumps arrays (a dataclass result declares ``repr=False`` to keep it). A result with a
richer layout (the Fit's summary table) overrides a renderer, never the protocol.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from monkeypower.presentation.tables import clean_json_value, format_value, latex_escape

__all__ = ["Result", "frame_to_markdown", "frame_to_latex", "frame_to_dict", "frame_caption"]


def frame_caption(table: pd.DataFrame) -> str:
    """Title, interval convention and notes of a summary table, as one plain sentence block."""
    parts = []
    if table.attrs.get("title"):
        parts.append(str(table.attrs["title"]).rstrip(".") + ".")
    interval = table.attrs.get("interval")
    if interval:
        parts.append(f"Intervals: {interval.get('description', interval)}.")
    parts += [str(note).rstrip(".") + "." for note in table.attrs.get("notes", ())]
    return " ".join(parts)


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a meaningful index (e.g. model names) turned into a column."""
    if isinstance(table.index, pd.RangeIndex):
        return table
    flat = table.reset_index()
    flat.attrs = dict(table.attrs)
    return flat


def _cells(table: pd.DataFrame) -> list[list[str]]:
    return [[format_value(v) for v in row] for row in table.itertuples(index=False, name=None)]


def frame_to_markdown(table: pd.DataFrame) -> str:
    """A Markdown table with the title above and the convention and notes below."""
    table = _flat(table)
    header = [str(c) for c in table.columns]
    lines = []
    if table.attrs.get("title"):
        lines += [f"**{table.attrs['title']}**", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(cells) + " |" for cells in _cells(table)]
    interval = table.attrs.get("interval")
    tail = ([f"Intervals: {interval.get('description', interval)}."] if interval else [])
    tail += [str(note) for note in table.attrs.get("notes", ())]
    if tail:
        lines += [""] + tail
    return "\n".join(lines) + "\n"


def frame_to_latex(table: pd.DataFrame, label: str = "tab:monkeypower") -> str:
    """A booktabs table (``longtable`` above 30 rows, so it breaks across pages)."""
    table = _flat(table)
    columns = [latex_escape(c) for c in table.columns]
    align = "".join("r" if pd.api.types.is_numeric_dtype(table[c]) else "l"
                    for c in table.columns)
    caption = latex_escape(frame_caption(table))
    body = [" & ".join(latex_escape(v) for v in cells) + r" \\" for cells in _cells(table)]
    head = " & ".join(columns) + r" \\"
    if len(table) > 30:
        return "\n".join([
            f"\\begin{{longtable}}{{{align}}}", f"\\caption{{{caption}}}\\label{{{label}}}\\\\",
            r"\toprule", head, r"\midrule", r"\endfirsthead", r"\toprule", head, r"\midrule",
            r"\endhead", r"\bottomrule", r"\endfoot", *body, r"\end{longtable}",
        ]) + "\n"
    return "\n".join([
        r"\begin{table}[t]", r"\centering", f"\\caption{{{caption}}}", f"\\label{{{label}}}",
        f"\\begin{{tabular}}{{{align}}}", r"\toprule", head, r"\midrule", *body,
        r"\bottomrule", r"\end{tabular}", r"\end{table}",
    ]) + "\n"


def frame_to_dict(table: pd.DataFrame) -> dict[str, Any]:
    """JSON-ready form: title, interval, notes and the rows (NaN → null, ±inf → "inf")."""
    table = _flat(table)
    return {
        "title": table.attrs.get("title"),
        "interval": table.attrs.get("interval"),
        "notes": list(table.attrs.get("notes", ())),
        "rows": [{str(k): clean_json_value(v) for k, v in row.items()}
                 for row in table.to_dict("records")],
    }


class Result:
    """Mixin giving a result object the package's common displays and formats.

    Subclasses implement :meth:`summary`.
    """

    def summary(self) -> pd.DataFrame:  # pragma: no cover - the one method to implement
        """The result as a table (``attrs``: title, interval, notes)."""
        raise NotImplementedError

    def to_markdown(self) -> str:
        """The summary as a Markdown table with its title, convention and notes."""
        return frame_to_markdown(self.summary())

    def to_latex(self, label: str = "tab:monkeypower") -> str:
        """The summary as a booktabs LaTeX table; the caption states convention and notes."""
        return frame_to_latex(self.summary(), label=label)

    def to_csv(self, path: str | Path | None = None) -> str | Path:
        """The summary as CSV: the text, or written to ``path`` (then the path is returned)."""
        text = _flat(self.summary()).to_csv(index=False)
        if path is None:
            return text
        path = Path(path)
        path.write_text(text)
        return path

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of the summary."""
        return frame_to_dict(self.summary())

    def to_json(self) -> str:
        """:meth:`to_dict` serialised."""
        return json.dumps(self.to_dict(), indent=2)

    def __str__(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        """One line naming the result (never its arrays); ``str()`` gives the table."""
        try:
            title = str(self.summary().attrs.get("title") or "")
        except Exception:  # noqa: BLE001 - a repr must not fail
            title = ""
        return f"<{type(self).__name__}{': ' + title if title else ''}>"

    def _repr_html_(self) -> str:
        table = _flat(self.summary())
        caption = html.escape(frame_caption(table))
        body = table.to_html(index=False, na_rep="–", float_format=format_value, escape=True)
        return f"<div><p><em>{caption}</em></p>{body}</div>"
