"""The documentation builds strictly: any Sphinx warning (a broken docstring, a missing page,
a dangling toctree entry) fails the build, and with it this test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS),
         str(out)],
        capture_output=True, text=True, timeout=600,
    )
    return proc, out


def test_docs_build_without_warnings(built):
    proc, out = built
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert (out / "index.html").is_file()


@pytest.mark.parametrize("page", [
    "getting_started", "concepts", "models", "json_schema", "benchmarks", "backtest", "calibration",
    "model_comparison", "pooled", "howto/fit_your_eval_logs", "howto/compare_families",
    "howto/forecast_and_plan", "howto/reports_for_a_paper", "api/index", "api/data",
    "api/families", "api/estimands", "api/fitting", "api/evaluation", "api/output",
    "api/presentation", "api/base", "api/cli", "notebooks/quickstart", "notebooks/replicate_paper",
    "notebooks/forecast_and_plan",
])
def test_every_page_is_built(built, page):
    _, out = built
    assert (out / f"{page}.html").is_file()


def test_api_pages_come_from_the_docstrings(built):
    _, out = built
    figures = (out / "api" / "output.html").read_text()
    assert "monkeypower.output.figures.exponents.plot_exponents" in figures
    style = (out / "api" / "presentation.html").read_text()
    assert "Okabe" in style  # the module docstring
    fitting = (out / "api" / "fitting.html").read_text()
    assert "attempts_for_target" in fitting and "to_csv" in fitting


def test_notebook_pages_show_the_committed_outputs(built):
    _, out = built
    page = (out / "notebooks" / "quickstart.html").read_text()
    assert "asymptotic_exponent [population tail" in page  # a printed output, not typed in
    assert "<img" in page  # a figure


# files of other rooms still citing the brief (their owners are replacing the citations; the
# list may only shrink)
_BRIEF_LEFT: set[str] = set()


def test_no_shipped_text_cites_the_unshipped_brief():
    # "BRIEF §n" points at a file users do not have: cite the literature or docs/concepts.md
    root = DOCS.parent
    shipped = [root / "README.md", *root.glob("docs/**/*.md"), *root.glob("notebooks/*.ipynb"),
               *root.glob("models/*.toml"), *root.glob("src/monkeypower/**/*.py"),
               *root.glob("benchmarks/*.py")]
    citing = {p.relative_to(root).as_posix() for p in shipped
              if "BRIEF §" in p.read_text(encoding="utf-8")}
    assert citing <= _BRIEF_LEFT, sorted(citing - _BRIEF_LEFT)
