"""Reports for people: the one-page Markdown report, the summary in every format, the LaTeX
table (validated structurally, and compiled when a TeX engine is installed), CSV."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import warnings

import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.output.report import FIGURES, render_tables, write_report
from monkeypower.presentation.tables import (
    diagnostics_sentence,
    summary_to_latex,
    summary_to_markdown,
)

pytestmark = pytest.mark.filterwarnings("ignore::monkeypower.fitting.diagnostics.SamplingWarning")
SMALL = dict(draws=300, tune=300, chains=2, progressbar=False)
# group labels full of LaTeX specials, to check the escaping
AWKWARD = "model_a & 50% #1 {x}"


@pytest.fixture(scope="module")
def groups():
    parts = [
        mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=64, n_attempts=300, seed=s,
                    labels={"model": name}).to_dataframe()
        for s, name in ((1, AWKWARD), (2, "plain"))
    ]
    data = mp.from_counts(pd.concat(parts), problem="problem", n="n", c="c", group_by="model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return mp.fit(data, "beta", seed=3, **SMALL)


# ----------------------------------------------------------------------------- LaTeX structure
def _strip_math(text: str) -> str:
    return re.sub(r"(?<!\\)\$.*?(?<!\\)\$", "", text)


def _column_spec(tex: str) -> str:
    """The column specification of the tabular/longtable (nested braces included)."""
    match = re.search(r"\\begin\{(?:tabular|longtable)\}\{", tex)
    assert match, "no tabular or longtable"
    depth, start = 1, match.end()
    for i in range(start, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[i], 0)
        if depth == 0:
            return tex[start:i]
    raise AssertionError("unclosed column specification")


def validate_latex_table(tex: str, n_columns: int) -> str:
    """Structural checks of a booktabs table (float or longtable); returns the caption."""
    # environments are balanced and properly nested
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, f"\\end{{{name}}} does not close the last begin"
    assert not stack, f"unclosed environments: {stack}"
    long = r"\begin{longtable}" in tex
    assert long or re.search(
        r"\\begin\{table\}.*\\begin\{tabular\}.*\\end\{tabular\}.*\\end\{table\}", tex, re.S)
    # braces balance (escaped braces excluded)
    unescaped = re.sub(r"\\[{}]", "", tex)
    depth = 0
    for ch in unescaped:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "a } closes nothing"
    assert depth == 0, "unbalanced braces"
    # booktabs rules in order (a longtable repeats its head on each page); no \hline
    rules = (r"\toprule", r"\midrule", r"\bottomrule")
    assert all(rule in tex for rule in rules), "booktabs rules missing"
    assert all(tex.count(rule) == (2 if long and rule != r"\bottomrule" else 1)
               for rule in rules)
    assert r"\hline" not in tex
    spec = _column_spec(tex)
    assert "|" not in spec and (spec.count("p{") == n_columns or len(spec) == n_columns)
    # every row has the right number of cells; specials are escaped outside math
    rows = [line for line in tex.splitlines()
            if line.rstrip().endswith("\\\\") and not line.startswith(("\\caption", "%"))]
    assert len(rows) >= 3  # the head and at least two rows
    for row in rows:
        if r"\multicolumn" in row:
            assert row.startswith(rf"\multicolumn{{{n_columns}}}"), row
            continue
        assert len(re.findall(r"(?<!\\)&", row)) == n_columns - 1, row
    for line in tex.splitlines():
        if line.startswith("% "):  # the preamble note
            continue
        plain = _strip_math(line)
        for special in "%#_^~":
            assert not re.search(rf"(?<!\\){re.escape(special)}", plain), (special, line)
    caption = re.search(r"\\caption\{(.*?)\}(?:\\label|\n\\label)", tex, re.S)
    assert caption, "no caption"
    return caption.group(1)


def test_latex_table_is_well_formed_and_states_estimand_and_convention(groups):
    with mp.interval_convention(0.9):
        tex = render_tables(groups)["latex"]
    caption = validate_latex_table(tex, n_columns=4)  # estimand, detail, median, CI
    assert "estimand" in caption and r"asymptotic exponent $b_\infty$" in caption
    assert r"90\% equal-tailed credible interval" in caption
    # the group is a heading row naming it (specials escaped) and its sampler health
    assert r"\textbf{model = model\_a \& 50\% \#1 \{x\}}" in tex
    assert tex.count("sampler: ") == 2
    # the caption reads like a sentence: group variables by name, not a Python tuple
    assert caption.startswith("beta fits by model.") and "(" not in caption.split(".")[0]
    single = groups["plain"].to_latex()
    assert "95\\% equal-tailed" in validate_latex_table(single, n_columns=4)
    assert "Sampler: " in single  # one fit's health is in its caption


def test_the_latex_checks_catch_broken_tables(groups):
    good = groups["plain"].to_latex()
    validate_latex_table(good, n_columns=4)
    broken = [
        good.replace(r"\end{tabular}", ""),                   # unclosed environment
        good.replace(r"\midrule", r"\hline"),                 # not booktabs
        good.replace(r"\_", "_", 1),                          # unescaped underscore
        good.replace(r"95\%", "95%"),                         # unescaped percent
        good.replace(r" & ", " ", 1),                         # a row short of a cell
    ]
    for tex in broken:
        with pytest.raises(AssertionError):
            validate_latex_table(tex, n_columns=4)


def seven_groups(groups, n_divergent=1) -> pd.DataFrame:
    """A 7-group summary (63+ rows) from one real fit's summary: what a paper's Pythia fit gives."""
    one = groups["plain"].summary(targets=[0.9])
    labels = [f"Pythia {size}" for size in ("70M", "160M", "410M", "1B", "1.4B", "6.9B", "12B")]
    parts = []
    for label in labels:
        part = one.copy()
        part.insert(0, "model", label)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    health = dict(one.attrs["diagnostics"])
    table.attrs = {**one.attrs, "title": "scaled_beta fits by model",
                   "diagnostics": {label: health for label in labels}}
    table.attrs["diagnostics"]["Pythia 1B"] = {
        **health, "n_divergent": n_divergent, "max_rhat": 1.04, "min_ess_bulk": 53.0,
        "ok": False, "problems": ["max R-hat 1.04 > 1.01", "min ESS bulk 53 < 400"],
        "max_pareto_k": 0.8, "n_high_pareto_k": 2}
    return table


def test_seven_group_latex_is_a_longtable_with_health_per_group(groups):
    table = seven_groups(groups)
    assert len(table) >= 63
    tex = summary_to_latex(table)
    caption = validate_latex_table(tex, n_columns=4)
    assert r"\begin{longtable}" in tex and r"\begin{table}" not in tex
    assert tex.startswith(r"% needs \usepackage{booktabs,array,longtable}")
    assert tex.count(r"\textbf{model = Pythia") == 7
    # the worst group's health, pluralised properly, and the problems named
    assert "sampler: 1 divergence, max R-hat 1.040, min ESS bulk 53" in tex
    assert "max Pareto k 0.80 (2 problems above 0.70)" in tex
    assert "problems in Pythia 1B" in caption and "1 divergence," in caption
    assert "2 divergences" in summary_to_latex(seven_groups(groups, n_divergent=2))
    # Markdown: a sampler table with one row per group, the worst flagged
    markdown = summary_to_markdown(table)
    assert "| Pythia 1B | 1 | 1.040 | 53 |" in markdown
    assert "PROBLEMS: max R-hat 1.04 > 1.01; min ESS bulk 53 < 400" in markdown
    short = summary_to_latex(groups["plain"].summary())
    assert r"\begin{table}" in short and "longtable" not in short


@pytest.mark.parametrize(("count", "text"), [(0, "0 divergences"), (1, "1 divergence,"),
                                             (3, "3 divergences")])
def test_sampler_health_is_pluralised(count, text):
    health = {"n_divergent": count, "max_rhat": 1.0, "min_ess_bulk": 500.0,
              "min_ess_tail": 400.0, "ok": True, "problems": []}
    assert text in diagnostics_sentence(health) + ","
    assert "1 divergences" not in diagnostics_sentence(health)


def _tex_engine():
    for engine in ("pdflatex", "tectonic"):
        if shutil.which(engine):
            return engine
    return None


def _compile(tex: str, folder) -> subprocess.CompletedProcess:
    document = (
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
        "\\usepackage{booktabs,array,longtable}\n\\usepackage{textcomp}\n"
        "\\begin{document}\n" + tex + "\\end{document}\n"
    )
    (folder / "table.tex").write_text(document)
    engine = _tex_engine()
    if engine is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no TeX engine in CI: .ci/run installs pdflatex (texlive-latex-base)")
        pytest.skip("no TeX engine (pdflatex or tectonic) installed")
    args = ([engine, "-interaction=nonstopmode", "-halt-on-error", "table.tex"]
            if engine == "pdflatex" else [engine, "table.tex"])
    proc = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (folder / "table.pdf").stat().st_size > 1000
    return proc


def test_latex_table_compiles(groups, tmp_path):
    proc = _compile(render_tables(groups)["latex"], tmp_path)
    log = (tmp_path / "table.log").read_text() if (tmp_path / "table.log").exists() else ""
    assert "Overfull \\hbox" not in proc.stdout + log


def test_seven_group_latex_compiles_and_fits_the_page(groups, tmp_path):
    # a 7-group fit: 70 rows across pages, no line wider than the text (no overfull box)
    proc = _compile(summary_to_latex(seven_groups(groups)), tmp_path)
    log = (tmp_path / "table.log").read_text() if (tmp_path / "table.log").exists() else ""
    assert "Overfull \\hbox" not in proc.stdout + log
    if (tmp_path / "table.log").exists():  # pdflatex: the table breaks across pages
        pages = re.search(r"Output written on table\.pdf \((\d+) pages?", log)
        assert pages and int(pages.group(1)) >= 2


# ------------------------------------------------------------------------------------ CSV
def test_fit_to_csv_text_and_file(groups, tmp_path):
    fit = groups["plain"]
    text = fit.to_csv(horizons=[300, 3000])
    table = pd.read_csv(io.StringIO(text))
    assert {"estimand", "detail", "median", "eti95_lower", "eti95_upper", "r_hat"} <= set(table)
    assert table["estimand"].iloc[0] == "asymptotic_exponent"
    path = fit.to_csv(tmp_path / "summary.csv", interval=0.5)
    assert pd.read_csv(path).columns.str.startswith("eti50").sum() == 2


# --------------------------------------------------------------------------------- report
def _links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", markdown)


def test_write_report_for_groups_links_every_output(groups, tmp_path, capsys):
    report = write_report(groups, tmp_path / "out", command="monkeypower fit x.csv --seed 3",
                          summary_kwargs={"targets": (0.9,)})
    out = report.parent
    text = report.read_text()
    # every link resolves, and every figure of every group is there as PNG and PDF
    links = _links(text)
    assert links and all((out / link).is_file() for link in links), links
    stems = ["model_a_50_1_x", "plain"]  # letters, digits and ._+- only
    for stem in stems:
        assert (out / f"{stem}.nc").is_file()
        for kind in FIGURES:
            for suffix in ("png", "pdf"):
                path = out / "figures" / stem / f"{kind}.{suffix}"
                assert path.stat().st_size > 1000
                assert path.relative_to(out).as_posix() in links
    for suffix in ("md", "tex", "csv", "json", "txt"):
        assert f"summary.{suffix}" in links
    assert "figures/scaling.png" in links and "figures/exponents.png" in links
    # it states the command, the convention, the estimands and the diagnostics
    assert "monkeypower fit x.csv --seed 3" in text
    assert "95% equal-tailed credible interval" in text
    for name in ("asymptotic_exponent", "effective_exponent", "forecast_pass_at_k",
                 "attempts_for_target"):
        assert f"`{name}`:" in text
    assert text.count("- **Diagnostics**:") == 2
    assert f"## model = {AWKWARD}" in text and "## model = plain" in text
    assert "pass_D@k = 0.9" in text  # the forecast figure's target
    assert "1 divergences" not in text and "# monkeypower report: beta fits by model" in text
    # JSON is the documented schema; the posterior loads back
    data = json.loads((out / "summary.json").read_text())
    assert data["schema"] == "monkeypower.fit.v1" and len(data["groups"]) == 2
    again = mp.load_fit(out / "plain.nc")
    assert again.outcomes == groups["plain"].outcomes
    # progress, one line per step, on stderr
    err = capsys.readouterr().err
    assert "[2/2] drawing the population figure (plain)" in err


def test_write_report_for_one_fit_uses_the_convention_given(groups, tmp_path):
    fit = groups["plain"]
    report = write_report(fit, tmp_path, summary_kwargs={"interval": 0.8}, progress=False,
                          truth={"asymptotic_exponent": 0.3})
    text = report.read_text()
    assert "80% equal-tailed credible interval" in text and "80% ETI" in text
    assert "`asymptotic_exponent` = 0.3" in text
    assert (tmp_path / "fit.nc").is_file()
    assert (tmp_path / "figures" / "fit" / "forecast.pdf").is_file()
    assert not (tmp_path / "figures" / "scaling.png").exists()  # no all-groups figure
    assert "eti80_lower" in (tmp_path / "summary.csv").read_text()
