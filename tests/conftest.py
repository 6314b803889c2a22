"""Shared fixtures. Real third-party data is read from ../shared/data through `shared_data`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# PyMC sets JAX's host device count when this module is imported; it must happen before any test
# touches JAX, or numpyro/blackjax chains fail (seen with pymc 6.4 / jax 0.12).
import pymc.sampling.jax  # noqa: E402, F401

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
