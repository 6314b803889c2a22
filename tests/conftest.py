"""Shared fixtures. Real third-party data is read from ../shared/data through `shared_data`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Keep the bytecode Python compiles. Machines that set PYTHONDONTWRITEBYTECODE=1 (these do), with
# uv installing no .pyc files, made every test process (xdist workers, each notebook kernel, each
# CLI subprocess) compile PyMC, PyTensor, SciPy, ArviZ ... from source again: 12.3 s of CPU per
# `import monkeypower.cli, pymc`, against 3.7 s once the .pyc files exist (measured here).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import pytest  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")

# PyMC sets JAX's host device count when this module is imported; it must happen before any test
# touches JAX, or numpyro/blackjax chains fail (seen with pymc 6.4 / jax 0.12).
import pymc.sampling.jax  # noqa: E402, F401

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# The longest files first (measured on a fresh clone with the machine's caches warm,
# 2026-12-02; benchmarks need not agree), so that with --dist loadfile neither worker is left
# alone with one of them at the end. The first two files share no graph: on a cold machine one
# process compiles a graph while the other would wait on its lock (nutpie_compile).
# Only the order of files changes; tests within a file keep theirs.
LONGEST_FIRST = ("test_nutpie_compile.py", "test_family_contract.py", "test_notebooks_run_b.py",
                 "test_loo_recovery.py", "test_real_data.py", "test_family_fits.py",
                 "test_docs.py", "test_fit.py", "test_figures.py", "test_quadrature_families.py",
                 "test_cli.py", "test_notebooks.py", "test_pooled.py", "test_saved_fits.py",
                 "test_lazy_jax.py", "test_families.py", "test_reporting.py",
                 "test_power_law_verdict.py", "test_model_comparison.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real evaluation data beside the checkout; skips where it is absent.

    In CI (``CI=true``) the folder must exist, so a missing folder fails instead of skipping.
    """
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared data folder {SHARED_DATA} is missing")
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_data_if_present() -> Path | None:
    """The shared data folder, or None where it is absent (for code that then simulates).

    In CI (``CI=true``) the folder must exist, as for ``shared_data``.
    """
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the shared data folder {SHARED_DATA} is missing")
    return None


@pytest.fixture(scope="session")
def pythia_counts(shared_data):
    """The Pythia/MATH counts as an OutcomesGroups keyed by model name."""
    import monkeypower as mp

    return mp.read_outcomes(
        shared_data / "llmonkeys_pythia_math" / "counts.csv",
        problem="problem_idx", n="n", c="c", group_by="model",
    )
