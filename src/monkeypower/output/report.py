"""Write a fit's results to a folder: tables, figures, posterior and a one-page Markdown report.

:func:`write_report` produces, in ``out``::

    report.md                       the one-page report, linking everything below
    summary.{md,tex,csv,json,txt}   the summary table in every format
    <name>.nc                       the posterior of each fit (Fit.save; mp.load_fit reads it)
    figures/<name>/{scaling,exponents,forecast,population}.{png,pdf}
    figures/{scaling,exponents}.{png,pdf}   all groups on one axis (group fits only)

``<name>`` is ``fit`` for a single fit and the group labels (e.g. ``Pythia_12B``) for group
fits; the report has one section per group. The report states the estimands, the interval
convention, the sampler diagnostics and the command that produced it. The summary renderers
themselves are in :mod:`monkeypower.presentation.tables`.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from monkeypower.estimands import ESTIMANDS
from monkeypower.fitting import Fit, FitGroups
from monkeypower.fitting.diagnostics import data_support
from monkeypower.fitting.groups import group_label, group_stems
from monkeypower.fitting.json_schema import fit_to_dict
from monkeypower.intervals import resolve_interval
from monkeypower.output import figures
from monkeypower.output.atomic import atomic_folder
from monkeypower.output.figures import common_target, plot_exponents, plot_scaling
from monkeypower.presentation.style import save_figure
from monkeypower.presentation.tables import (
    diagnostics_sentence,
    readable_groups,
    summary_to_csv,
    summary_to_latex,
    summary_to_markdown,
)
from monkeypower.version import __version__

__all__ = ["FIGURES", "render_tables", "write_report", "fit_stem"]
# fit_stem: kept for callers of a single key; write_report names files with group_stems, which
# never lets two groups share a file.

FIGURES = ("scaling", "exponents", "forecast", "population")
"""The per-fit figures :func:`write_report` draws, in report order."""

TABLE_SUFFIXES = {"table": "txt", "markdown": "md", "latex": "tex", "json": "json", "csv": "csv"}


def fit_stem(key: tuple) -> str:
    """File-name stem of one group key alone (``"fit"`` for a single fit).

    Stems of several groups come from :func:`monkeypower.fitting.groups.group_stems`, which
    keeps them distinct where sanitising would merge two keys.
    """
    return group_stems([key])[key]


def _items(result: Fit | FitGroups) -> tuple[list[tuple[tuple, Fit]], tuple[str, ...]]:

    if isinstance(result, FitGroups):
        return list(result.fits.items()), tuple(result.group_names)
    return [((), result)], ()


def render_tables(
    result: Fit | FitGroups, summary_kwargs: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The summary of every fit, stacked, in every format.

    Parameters
    ----------
    result : Fit or FitGroups
        The fit(s); group fits get one leading column per group variable.
    summary_kwargs : mapping, optional
        Passed to :meth:`monkeypower.fitting.fit.Fit.summary` (``interval``, ``window``,
        ``horizons``, ``targets``, ``max_draws``).

    Returns
    -------
    dict of str
        Keys ``table`` (plain text with the convention and diagnostics), ``markdown``,
        ``latex``, ``json`` (``{"schema": ..., "groups": [...]}``) and ``csv``.
    """
    kwargs = dict(summary_kwargs or {})
    fits, names = _items(result)
    tables, dicts, health, notes = [], [], {}, []
    for key, one in fits:
        table = one.summary(**kwargs)
        entry = fit_to_dict(one, table)  # the same table: the estimands are computed once
        entry["group"] = dict(zip(names, key, strict=True))
        dicts.append(entry)
        health[group_label(key)] = table.attrs["diagnostics"]
        notes += [f"{group_label(key)}: {note}" if names else note
                  for note in table.attrs.get("notes", [])]
        for name, value in zip(names, key, strict=True):
            table.insert(0, name, value)
        tables.append(table)
    combined = pd.concat(tables, ignore_index=True)
    combined.attrs = dict(tables[0].attrs)
    combined.attrs["notes"] = notes
    if names:
        combined.attrs["diagnostics"] = health
        combined.attrs["title"] = (f"{tables[0].attrs['title'].split(' of ')[0]}s by "
                                   f"{readable_groups(names)}")
    text = combined.to_string(index=False, float_format=lambda v: f"{v:.4g}")
    header = f"Intervals: {combined.attrs['interval']['description']}.\n"
    diagnostics = "\n".join(f"{group_label(key)}: {diagnostics_sentence(health[group_label(key)])}"
                            for key, _ in fits)
    if notes:
        diagnostics += "\n" + "\n".join(f"Note: {note}" for note in notes)
    return {
        "table": header + text + "\n\n" + diagnostics,
        "markdown": summary_to_markdown(combined),
        "latex": summary_to_latex(combined),
        "json": json.dumps({"schema": dicts[0]["schema"], "groups": dicts}, indent=2),
        "csv": summary_to_csv(combined),
    }


def _captions(convention_label: str, target: float, window: str) -> dict[str, str]:
    return {
        "scaling": (
            "−log pass_D@k against k (log-log). Points: the empirical curve (unbiased "
            "estimator). Dashed: the least-squares power law, whose slope is the "
            "`effective_exponent` over the data's window. Line and band: posterior median and "
            f"{convention_label} of the in-sample forecast (`forecast_pass_at_k`), extrapolated "
            "beyond the largest observed k (dotted line)."
        ),
        "exponents": (
            "Posterior densities of the `asymptotic_exponent` b∞ (the population's tail, "
            f"k → ∞) and of the `effective_exponent` over {window} (population curve): two "
            f"different estimands. Shaded: {convention_label}; vertical lines: medians."
        ),
        "forecast": (
            "pass_D@k forecast for this benchmark (`forecast_pass_at_k`, solid) and for a new "
            "benchmark from the population (`population_pass_at_k`, dashed): medians and "
            f"{convention_label}. The `attempts_for_target` needed to reach pass_D@k = "
            f"{target:g} are read off each curve (dash-dot line: median; shaded span: "
            f"{convention_label})."
        ),
        "population": (
            "Histogram of the observed p̂ = c/n (problems with c > 0; the bar at the left is "
            "the fraction with c = 0) and the fitted population of p (posterior median of the "
            "fraction per bin; diamond: expected fraction with c = 0)."
        ),
    }


def _progress(enabled: bool, message: str) -> None:
    if enabled:
        print(f"monkeypower: {message}", file=sys.stderr, flush=True)


def _draw(kind: str, one: Fit, target: float, truth: Mapping[str, float] | None,
          interval: Any, window: tuple[int, int] | None):

    if kind == "scaling":
        # the least-squares line needs two k with 0 < pass_D@k < 1; none without a success or
        # when every attempt succeeded (the sequential design draws no empirical curve at all)
        return figures.plot_scaling(one, interval=interval, lsq=_has_signal(one.outcomes))
    if kind == "exponents":
        return figures.plot_exponents(one, window=window, truth=truth, interval=interval)
    if kind == "forecast":
        return figures.plot_forecast(one, target, curves=("forecast", "population"),
                                     interval=interval)
    return figures.plot_population(one)


def write_report(
    result: Fit | FitGroups,
    out: str | Path,
    *,
    summary_kwargs: Mapping[str, Any] | None = None,
    command: str | None = None,
    target: float | None = None,
    truth: Mapping[str, float] | None = None,
    tables: Mapping[str, str] | None = None,
    progress: bool = True,
) -> Path:
    """Write tables, figures, posteriors and a one-page Markdown report to ``out``.

    Parameters
    ----------
    result : Fit or FitGroups
        The fit(s). Group fits get one report section (and one figure folder) per group, plus
        figures with every group on one axis.
    out : str or Path
        The folder. It is written atomically: everything goes into a temporary folder beside
        it, renamed into place once all succeeded (:func:`monkeypower.output.atomic.atomic_folder`);
        a failure leaves an existing ``out`` as it was. An existing ``out`` is replaced only
        when it is empty or was written by monkeypower.
    summary_kwargs : mapping, optional
        Passed to :meth:`monkeypower.fitting.fit.Fit.summary`; its ``interval`` is the convention
        of every table and figure (default: the convention in force).
    command : str, optional
        The command line that produced the fit, quoted in the report.
    target : float, optional
        pass_D@k target of the forecast figure, the same for every group; default the first of
        ``summary_kwargs["targets"]``, else :func:`monkeypower.output.figures.common_target`.
    truth : mapping of estimand name to float, optional
        Known values (simulated data), drawn on the exponents figure and listed in the report.
    tables : mapping of str, optional
        Output of :func:`render_tables` when already computed (saves recomputing it).
    progress : bool, default True
        Print one line per step to stderr.

    Returns
    -------
    Path
        The report (``out / "report.md"``).

    Raises
    ------
    OutputFolderError
        If ``out`` is a file, cannot be written, or holds files monkeypower did not write.
    """
    final = Path(out)
    with atomic_folder(final) as work:
        _write_into(work, result, summary_kwargs, command, target, truth, tables, progress)
    _progress(progress, f"wrote {final / 'report.md'}")
    return final / "report.md"


def _has_signal(outcomes: Any) -> bool:
    """Whether the least-squares line can be drawn: some success, and not every attempt one."""
    return bool(outcomes.c.sum() > 0 and (outcomes.c < outcomes.n).any())


def _write_into(out: Path, result: Fit | FitGroups, summary_kwargs: Mapping[str, Any] | None,
                command: str | None, target: float | None, truth: Mapping[str, float] | None,
                tables: Mapping[str, str] | None, progress: bool) -> None:
    """The body of :func:`write_report`, writing into the (temporary) folder ``out``."""
    kwargs = dict(summary_kwargs or {})
    convention = resolve_interval(kwargs.get("interval"))
    kwargs["interval"] = convention
    fits, names = _items(result)

    _progress(progress, f"writing the summary tables to {out}")
    tables = dict(tables) if tables is not None else render_tables(result, kwargs)
    for fmt, suffix in TABLE_SUFFIXES.items():
        (out / f"summary.{suffix}").write_text(tables[fmt])

    figure_dir = out / "figures"
    sections = []
    stems = group_stems(key for key, _ in fits)
    if target is None:  # one target for every group, so their forecasts compare
        targets = kwargs.get("targets") or ()
        target = (float(targets[0]) if targets
                  else common_target([one.outcomes for _, one in fits]))
    for index, (key, one) in enumerate(fits, start=1):
        stem = stems[key]
        where = f" ({', '.join(map(str, key))})" if key else ""
        _progress(progress, f"[{index}/{len(fits)}] saving the posterior{where}")
        nc = one.save(out / f"{stem}.nc")
        goal = target
        links = {}
        for kind in FIGURES:
            _progress(progress, f"[{index}/{len(fits)}] drawing the {kind} figure{where}")
            figure = _draw(kind, one, goal, truth, convention, kwargs.get("window"))
            links[kind] = save_figure(figure, figure_dir / stem / kind)
        k1, k2 = kwargs.get("window") or one.default_window
        sections.append(_fit_section(out, key, names, one, nc, links, goal, convention,
                                     f"k in [{k1:,}, {k2:,}]"))

    overview = []
    if len(fits) > 1:
        _progress(progress, "drawing the figures with every group")
        lsq = all(_has_signal(one.outcomes) for _, one in fits)
        overview.append(("scaling", save_figure(
            plot_scaling(result, interval=convention, lsq=lsq), figure_dir / "scaling")))
        overview.append(("exponents", save_figure(
            plot_exponents(result, window=kwargs.get("window"), interval=convention),
            figure_dir / "exponents")))

    definitions = pd.read_csv(out / "summary.csv")["estimand"].unique()
    title = fits[0][1].spec.name + (f" fits by {readable_groups(names)}" if names else " fit")
    lines = [f"# monkeypower report: {title}", ""]
    lines += [
        f"Written by monkeypower {__version__} on "
        f"{_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}.", "",
    ]
    if command:
        lines += ["Produced by:", "", "```bash", command, "```", ""]
    lines += [
        "## Conventions", "",
        f"- **Intervals**: every interval in the tables and figures is a "
        f"{convention.description} (`{convention.label}`).",
        "- **Point estimates** are posterior medians.",
        "- **Estimands** (each table row and figure names one):",
    ]
    lines += [f"  - `{name}`: {ESTIMANDS[name].definition}"
              for name in definitions if name in ESTIMANDS]
    if truth:
        lines.append("- **Truth** (simulated data): " + ", ".join(
            f"`{name}` = {value:g}" for name, value in truth.items()))
    lines += [
        "", "## Summary", "",
        "Tables: [Markdown](summary.md) · [LaTeX](summary.tex) · [CSV](summary.csv) · "
        "[JSON](summary.json) · [text](summary.txt).", "",
        tables["markdown"].rstrip(), "",
    ]
    if overview:
        lines += ["## All groups", ""]
        captions = {
            "scaling": "Every group's empirical −log pass_D@k, least-squares line and in-sample "
                       f"forecast (median and {convention.label}) on one axis.",
            "exponents": "Asymptotic and effective exponents of every group: posterior medians "
                         f"with {convention.label}.",
        }
        for kind, paths in overview:
            lines += _figure_lines(out, kind, paths, captions[kind])
    lines += sections
    (out / "report.md").write_text("\n".join(lines).rstrip() + "\n")


def _figure_lines(out: Path, kind: str, paths: Sequence[Path], caption: str) -> list[str]:
    by_suffix = {p.suffix.lstrip("."): p.relative_to(out).as_posix() for p in paths}
    image = by_suffix.get("png") or next(iter(by_suffix.values()))
    others = " · ".join(f"[{fmt.upper()}]({rel})" for fmt, rel in by_suffix.items())
    return [f"![{kind}]({image})", "", f"*{caption}* ({others})", ""]


def _fit_section(out: Path, key: tuple, names: Sequence[str], one: Fit, nc: Path,
                 links: Mapping[str, Sequence[Path]], target: float, convention: Any,
                 window: str) -> str:
    outcomes = one.outcomes
    heading = ", ".join(f"{n} = {v}" for n, v in zip(names, key, strict=True)) or "The fit"
    health = one.health()
    health["problems"] += data_support(outcomes)[0]
    health["ok"] = not health["problems"]
    status = "all checks passed" if health["ok"] else "**PROBLEMS**: " + "; ".join(
        health["problems"])
    settings = one.sampler_settings
    lines = [
        f"## {heading}", "",
        f"- **Data**: {outcomes.n_problems:,} problems, up to {outcomes.max_attempts:,} attempts "
        f"each, {outcomes.design} design.",
        f"- **Model**: `{one.spec.name}` (family `{one.family.name}`); priors: "
        + "; ".join(f"`{line.split('  (')[0]}`" for line in one.spec.describe_priors()
                    .splitlines()) + ".",
        f"- **Sampler**: {settings['sampler']}, {settings['chains']} chains × "
        f"{settings['draws']} draws after {settings['tune']} tuning steps, target_accept "
        f"{settings['target_accept']:g}, seed {one.seed}.",
        f"- **Diagnostics**: {diagnostics_sentence(health, status=False)}: "
        f"{status}.",
        f"- **Posterior**: [{nc.name}]({nc.relative_to(out).as_posix()}) "
        f"(`monkeypower.load_fit(\"{nc.name}\")`).",
        "",
    ]
    captions = _captions(convention.label, target, window)
    for kind in FIGURES:
        lines += _figure_lines(out, kind, links[kind], captions[kind])
    return "\n".join(lines)
