"""Execute the notebooks in place, so the outputs committed with them come from running code.

Usage, from the repository root::

    python3 -m uv run python notebooks/execute.py                  # every notebook
    python3 -m uv run python notebooks/execute.py quickstart.ipynb # some

Each notebook runs top to bottom in a fresh kernel (nbclient) with this folder as its working
directory, and is written back with its outputs and the seconds it took (in its metadata).
``MONKEYPOWER_SHARED_DATA`` is set to the empty string, so ``replicate_paper.ipynb`` uses its
simulated stand-in: the shared third-party data must not enter the repository, and neither may
tables or figures derived from it. The test suite (``tests/test_notebooks.py``) executes the
notebooks again, in a temporary copy, without writing anything back.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> float:
    """Run one notebook and write it back with its outputs; return the seconds it took."""
    book = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(book, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    seconds = time.perf_counter() - start
    book.metadata["monkeypower"] = {"executed_seconds": round(seconds, 1)}
    nbformat.write(book, path)
    return seconds


def main(names: list[str]) -> int:
    """Execute the named notebooks (default: all in this folder)."""
    os.environ["MONKEYPOWER_SHARED_DATA"] = ""
    os.environ.pop("MPLBACKEND", None)  # let the kernel use its inline backend
    paths = [HERE / name for name in names] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path):.1f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
