"""Sphinx configuration of the monkeypower documentation.

Build: ``python3 -m uv run sphinx-build -W --keep-going -b html docs docs/_build/html``
(the test suite runs the same strict build, tests/test_docs.py).

Pages are Markdown (MyST); the API reference comes from the numpydoc docstrings (autodoc +
numpydoc; maths through MathJax). Notebooks are rendered by myst-nb **without executing them**:
the pages show the outputs committed with each notebook (produced by notebooks/execute.py), so
the build needs neither the shared data nor a kernel.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("MPLBACKEND", "Agg")

import monkeypower  # noqa: E402

project = "monkeypower"
author = "monkeypower developers"
copyright = "monkeypower developers"  # noqa: A001
release = monkeypower.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "notebooks/.ipynb_checkpoints",
                    "benchmarks/*"]  # tables the benchmark scripts write, included in pages
root_doc = "index"

# MyST / myst-nb
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
nb_execution_mode = "off"  # show the committed outputs; never run notebooks at build time
nb_output_stderr = "remove"  # progress bars and warnings of the run are not documentation

# autodoc / numpydoc
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc parameter lists say it, once
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False

# HTML
html_theme = "pydata_sphinx_theme"
html_title = f"monkeypower {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
