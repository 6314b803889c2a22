"""Write an output folder all at once: a failure leaves the old folder, never half a new one.

:func:`atomic_folder` hands out a temporary folder *beside* the destination (same file system,
so the final step is a rename), and only when the block finishes without an exception moves it
into place: the old folder is renamed aside, the new one renamed in, the old one deleted. On an
exception the temporary folder is removed and the destination is untouched.

Every folder written this way carries a marker file (:data:`MARKER`). An existing destination is
replaced only when it is empty or carries the marker, so a typo such as ``--out ~`` can never
delete files that monkeypower did not write (:func:`check_destination` says so before any work).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["MARKER", "OutputFolderError", "atomic_folder", "check_destination"]

MARKER = ".monkeypower-output"
"""Name of the marker file in every folder written by :func:`atomic_folder`."""


class OutputFolderError(ValueError):
    """An output folder that cannot be written, or only by deleting others' files."""


def check_destination(out: str | Path, option: str = "out") -> Path:
    """Check that ``out`` can be (re)placed by :func:`atomic_folder`; raise saying why not.

    Parameters
    ----------
    out : str or Path
        The destination folder.
    option : str, default "out"
        How the caller names it in messages (e.g. ``"--out"``).

    Returns
    -------
    Path
        ``out`` as an absolute path.

    Raises
    ------
    OutputFolderError
        If ``out`` is an existing file, holds files monkeypower did not write, or its parent
        folder cannot be created or written.
    """
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{option} {out}: is a file; expected a folder (new or written "
                                "by monkeypower)")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise OutputFolderError(
            f"{option} {out}: the folder holds files monkeypower did not write, and writing "
            "replaces the whole folder; choose a new folder or empty this one")
    parent = out.parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFolderError(f"{option} {out}: {existing} is a file, not a folder")
    probe = _sibling(existing / "probe", "check")
    try:  # the one reliable test: make (and remove) a folder where the output will go
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        raise OutputFolderError(f"{option} {out}: cannot write in {existing} "
                                f"({err.strerror or err})") from None
    return out


@contextmanager
def atomic_folder(out: str | Path, option: str = "out") -> Iterator[Path]:
    """Yield a temporary folder; move it to ``out`` when the block succeeds.

    Parameters
    ----------
    out : str or Path
        The destination (checked with :func:`check_destination`).
    option : str, default "out"
        How the caller names the destination in messages.

    Yields
    ------
    Path
        The folder to write into (beside ``out``, removed if the block raises).
    """
    out = check_destination(out, option)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = _sibling(out, "partial")
    work.mkdir()  # mode from the umask, as the folder itself would get
    try:
        (work / MARKER).write_text("written by monkeypower; the whole folder is replaced on the "
                                   "next write\n")
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = _sibling(out, "old")
        out.rename(old)
    try:
        work.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        shutil.rmtree(work, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _sibling(out: Path, what: str) -> Path:
    """A new hidden name beside ``out`` (same file system, so renames are atomic)."""
    return out.parent / f".{out.name}.{what}-{uuid.uuid4().hex[:12]}"
