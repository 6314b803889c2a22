"""What the benchmark scripts share: where the third-party data are (never copied into this
repository), a result cache outside the repository, and number formatting for docs pages."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
import warnings
from pathlib import Path

CACHE = Path.home() / ".cache" / "monkeypower-benchmarks"

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PYTHIA_COUNTS = SHARED_DATA / "llmonkeys_pythia_math" / "counts.csv"


def pythia_counts():
    """The Pythia/MATH counts as an OutcomesGroups keyed by model (as tests/conftest.py reads)."""
    import monkeypower as mp

    if not PYTHIA_COUNTS.exists():
        raise SystemExit(f"the shared data are not at {PYTHIA_COUNTS}; this benchmark needs them")
    return mp.read_outcomes(PYTHIA_COUNTS, problem="problem_idx", n="n", c="c",
                            group_by="model")


def run_child(code: str, cfg: dict, name: str) -> dict:
    """Run ``code`` in a fresh Python process with ``cfg`` as JSON in ``argv[1]``; return the
    JSON of its last ``RESULT`` line (one BLAS thread, warnings off). Exits naming ``name`` with
    the child's stderr when it fails."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(cfg)], capture_output=True,
                          text=True, env=env, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    if proc.returncode or not lines:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT"):])


def fit_gated(data, model: str, seed: int, fit_kwargs: dict) -> tuple:
    """``model`` fitted with ``fit_kwargs``, refitted once if unhealthy (the backtest's health
    gate: :func:`monkeypower.evaluation.backtest.health.boosted_settings`, a child seed).

    Returns the fit that counts (check ``fit.diagnostics.ok``: a refit may fail too) and its
    bookkeeping: seconds in all, seconds of the first fit, whether it was refitted.
    """
    import monkeypower as mp
    from monkeypower.evaluation.backtest.health import REFIT_KEY, boosted_settings
    from monkeypower.seeding import child_seed

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # health is recorded with the row, not warned
        fit = mp.fit(data, model=model, seed=seed, progressbar=False, **fit_kwargs)
        first = time.perf_counter() - start
        refitted = not fit.diagnostics.ok
        if refitted:
            fit = mp.fit(data, model=model, seed=child_seed(seed, REFIT_KEY), progressbar=False,
                         **boosted_settings(model, fit_kwargs))
    return fit, {"seconds": time.perf_counter() - start, "first_seconds": first,
                 "refitted": refitted}


def save(part: str, value: object) -> None:
    """Cache a benchmark part's results (outside the repository)."""
    path = CACHE / f"{part}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")  # a run stopped mid-write leaves the old file
    tmp.write_bytes(pickle.dumps(value))
    tmp.replace(path)


def load(part: str) -> object | None:
    """A cached part's results, or None when it has not been run."""
    path = CACHE / f"{part}.pkl"
    return pickle.loads(path.read_bytes()) if path.exists() else None


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial rate k / n (95% for the default z)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return centre - half, centre + half


def pct(x: float) -> str:
    """A rate as a whole percentage ("–" when undefined)."""
    return "–" if x != x else f"{100 * x:.0f}%"


BENCHMARKS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_between_markers(name: str, text: str, page: Path = BENCHMARKS_PAGE) -> None:
    """Replace what lies between ``<!-- name:start -->`` and ``<!-- name:end -->`` of ``page``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    content = page.read_text(encoding="utf-8")
    if start not in content or end not in content:
        raise SystemExit(f"{page} has no {start} ... {end} markers")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    page.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")


def load_note() -> str:
    """``"load L on N cores"``: the one-minute load average now and the machine's cores."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def publish(name: str, text: str, page: bool) -> None:
    """Print a benchmark's table; with ``page``, also write it between its markers."""
    print(text)
    if page:
        write_between_markers(name, text)
