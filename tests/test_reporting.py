"""Reports for people: the one-page Markdown report, the summary in every format, the LaTeX
table (validated structurally, and compiled when a TeX engine is installed), CSV."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import warnings

import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.output.report import FIGURES, render_tables, write_report

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


def validate_latex_table(tex: str, n_columns: int) -> str:
    """Structural checks of a booktabs table; returns the caption."""
    # environments are balanced and properly nested
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, f"\\end{{{name}}} does not close the last begin"
    assert not stack, f"unclosed environments: {stack}"
    assert re.search(r"\\begin\{table\}.*\\begin\{tabular\}.*\\end\{tabular\}.*\\end\{table\}",
                     tex, re.S)
    # braces balance (escaped braces excluded)
    unescaped = re.sub(r"\\[{}]", "", tex)
    depth = 0
    for ch in unescaped:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "a } closes nothing"
    assert depth == 0, "unbalanced braces"
    # booktabs rules, once each, in order; no vertical rules or \hline
    rules = (r"\toprule", r"\midrule", r"\bottomrule")
    assert all(rule in tex for rule in rules), "booktabs rules missing"
    positions = [tex.index(rule) for rule in rules]
    assert positions == sorted(positions)
    assert all(tex.count(rule) == 1 for rule in rules)
    assert r"\hline" not in tex
    spec = re.search(r"\\begin\{tabular\}\{([^}]*)\}", tex).group(1)
    assert "|" not in spec and len(spec) == n_columns
    # every row has the right number of cells; specials are escaped outside math
    body = tex[tex.index(r"\toprule") + len(r"\toprule"):tex.index(r"\bottomrule")]
    rows = [r for r in body.replace(r"\midrule", "").split("\n") if r.strip()]
    assert len(rows) >= 2
    for row in rows:
        assert row.rstrip().endswith(r"\\"), row
        assert len(re.findall(r"(?<!\\)&", row)) == n_columns - 1, row
    for line in tex.splitlines():
        plain = _strip_math(line)
        for special in "%#_^~":
            assert not re.search(rf"(?<!\\){re.escape(special)}", plain), (special, line)
    caption = re.search(r"\\caption\{(.*)\}\n\\label", tex, re.S)
    assert caption, "no caption"
    return caption.group(1)


def test_latex_table_is_well_formed_and_states_estimand_and_convention(groups):
    with mp.interval_convention(0.9):
        tex = render_tables(groups)["latex"]
    caption = validate_latex_table(tex, n_columns=1 + 4)  # model + estimand, detail, median, CI
    assert "estimand" in caption and r"asymptotic exponent $b_\infty$" in caption
    assert r"90\% equal-tailed credible interval" in caption
    assert r"model\_a \& 50\% \#1 \{x\}" in tex  # specials escaped in the cells
    single = groups["plain"].to_latex()
    assert "95\\% equal-tailed" in validate_latex_table(single, n_columns=4)


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


def _tex_engine():
    for engine in ("pdflatex", "tectonic"):
        if shutil.which(engine):
            return engine
    return None


@pytest.mark.skipif(_tex_engine() is None, reason="no TeX engine (pdflatex or tectonic) installed")
def test_latex_table_compiles(groups, tmp_path):
    tex = render_tables(groups)["latex"]
    document = (
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
        "\\usepackage{booktabs}\n\\usepackage{textcomp}\n"
        "\\begin{document}\n" + tex + "\\end{document}\n"
    )
    (tmp_path / "table.tex").write_text(document)
    engine = _tex_engine()
    args = ([engine, "-interaction=nonstopmode", "-halt-on-error", "table.tex"]
            if engine == "pdflatex" else [engine, "table.tex"])
    proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "table.pdf").stat().st_size > 1000


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
