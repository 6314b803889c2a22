"""Files named by a path, a folder, a glob, or a list of these — one rule for every reader."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from glob import glob
from pathlib import Path

from monkeypower.errors import OutcomesError

__all__ = ["expand_paths"]


def expand_paths(
    path_or_paths: str | Path | Iterable[str | Path],
    *,
    what: str,
    in_folder: Callable[[Path], list[Path]],
    describe_folder: str,
) -> list[Path]:
    """The files named by a file, a folder (``in_folder`` lists it), a glob, or a list of these.

    Parameters
    ----------
    path_or_paths : str, Path or iterable of them
        What the user gave.
    what : str
        What the files are, for messages (e.g. ``"Inspect eval logs"``).
    in_folder : callable
        The files of interest in a folder (searched recursively by the caller's rule).
    describe_folder : str
        What ``in_folder`` looks for, for the message when it finds nothing.

    Returns
    -------
    list of Path
        Distinct files in the order given (folders and globs sorted).

    Raises
    ------
    OutcomesError
        An empty list, a folder with no such file, a glob matching no file, or a path that does
        not exist; the message names it.
    """
    items = [path_or_paths] if isinstance(path_or_paths, (str, Path)) else list(path_or_paths)
    if not items:
        raise OutcomesError(f"no {what} given (an empty list of paths)")
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = in_folder(path)
            if not found:
                raise OutcomesError(f"{path}: no {what} in this folder ({describe_folder})")
            files += found
        elif path.is_file():
            files.append(path)
        elif any(ch in str(item) for ch in "*?["):
            found = sorted(Path(p) for p in glob(str(item), recursive=True) if Path(p).is_file())
            if not found:
                raise OutcomesError(f"{item}: the pattern matches no file")
            files += found
        else:
            raise OutcomesError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))
