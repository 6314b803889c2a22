"""Fits of a collection of groups, addressed like the collection of outcomes."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from monkeypower.fitting.fit import Fit
from monkeypower.presentation.protocol import Result

__all__ = ["FitGroups", "group_label", "group_stems"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def group_label(key: tuple) -> str:
    """How a group key is shown: its values joined by ``", "`` (``"fit"`` for no key)."""
    return ", ".join(str(k) for k in key) or "fit"


def _sanitise(key: tuple) -> str:
    stem = _UNSAFE.sub("_", "_".join(str(k) for k in key)).strip("._") if key else "fit"
    return stem or "group"


def _key_hash(key: tuple) -> str:
    text = json.dumps([[type(k).__name__, str(k)] for k in key])
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def group_stems(keys: Iterable[tuple]) -> dict[tuple, str]:
    """A file-name stem for each group key, distinct even where sanitising would merge two.

    A stem keeps letters, digits and ``._+-`` of the key's values joined by ``_`` (anything else
    becomes ``_``), so ``("Pythia 12B",)`` gives ``Pythia_12B`` and the empty key gives ``fit``.
    Keys whose stems would coincide -- ``"a b"`` and ``"a_b"``, ``"x/y"`` and ``"x-y"``, or
    stems equal up to case (case-insensitive file systems) -- each get ``-`` and the first
    8 hex digits of a SHA-256 of the key appended, so no file overwrites another.

    Parameters
    ----------
    keys : iterable of tuple
        The group keys.

    Returns
    -------
    dict
        Key → stem, in the order of ``keys``.
    """
    keys = list(keys)
    plain = {key: _sanitise(key) for key in keys}
    counts = Counter(stem.lower() for stem in plain.values())
    stems = {key: stem if counts[stem.lower()] == 1 else f"{stem}-{_key_hash(key)}"
             for key, stem in plain.items()}
    if len({s.lower() for s in stems.values()}) != len(stems):  # pragma: no cover - 32-bit clash
        stems = {key: f"{plain[key]}-{hashlib.sha256(repr(key).encode()).hexdigest()}"
                 for key in keys}
    return stems


@dataclass(repr=False)
class FitGroups(Result, Mapping[tuple, Fit]):
    """Fits of every group of an :class:`~monkeypower.data.outcomes.OutcomesGroups`.

    A result like one fit: :meth:`summary` stacks the groups' summaries, and ``to_markdown``,
    ``to_latex``, ``to_csv`` and ``to_json`` give that table.
    """

    group_names: tuple[str, ...]
    fits: dict[tuple, Fit] = field(default_factory=dict)

    def __getitem__(self, key: Any) -> Fit:
        if isinstance(key, Mapping):
            key = tuple(key[name] for name in self.group_names)
        if not isinstance(key, tuple):
            key = (key,)
        if key not in self.fits:
            known = ", ".join(group_label(k) for k in list(self.fits)[:10])
            raise KeyError(f"no group {group_label(key)!r} among the fits; groups include "
                           f"{known}")
        return self.fits[key]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fits)

    def __len__(self) -> int:
        return len(self.fits)

    def __repr__(self) -> str:
        """One line per group (each fit's own one-line repr); no summary is computed."""
        lines = [f"<FitGroups by {list(self.group_names)}: {len(self.fits)} groups>"]
        lines += [f"  {group_label(key)}: {one!r}" for key, one in self.fits.items()]
        return "\n".join(lines)

    def summary(self, **kwargs: Any) -> pd.DataFrame:
        """All groups' summaries stacked, with one column per group variable.

        ``attrs["diagnostics"]`` maps each group's label (:func:`group_label`) to that fit's
        health (``Fit.summary().attrs["diagnostics"]``: divergences, R-hat, ESS, Pareto k,
        what the data cannot support); ``attrs["notes"]`` gathers the fits' notes, each
        prefixed with its group.
        """
        tables, health, notes = [], {}, []
        for key, one in self.fits.items():
            table = one.summary(**kwargs)
            health[group_label(key)] = table.attrs.get("diagnostics", {})
            notes += [f"{group_label(key)}: {note}" for note in table.attrs.get("notes", [])]
            for name, value in zip(self.group_names, key, strict=True):
                table.insert(0, name, value)
            tables.append(table)
        result = pd.concat(tables, ignore_index=True)
        result.attrs = dict(tables[0].attrs)
        models = sorted({one.spec.name for one in self.fits.values()})
        result.attrs["title"] = (f"{', '.join(models)} fits of {len(self.fits)} groups by "
                                 f"{', '.join(self.group_names)}")
        result.attrs["diagnostics"] = health
        result.attrs["notes"] = notes
        return result

    def stems(self) -> dict[tuple, str]:
        """The file-name stem of each group (:func:`group_stems`): distinct for every group."""
        return group_stems(self.fits)

    def save(self, folder: str | Path) -> list[Path]:
        """One NetCDF file per group in ``folder``, named by :meth:`stems` (never colliding)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stems = self.stems()
        return [one.save(folder / f"{stems[key]}.nc") for key, one in self.fits.items()]
