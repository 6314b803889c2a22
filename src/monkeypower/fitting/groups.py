"""Fits of a collection of groups, addressed like the collection of outcomes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from monkeypower.fitting.fit import Fit

__all__ = ["FitGroups"]


@dataclass
class FitGroups(Mapping[tuple, Fit]):
    """Fits of every group of an :class:`~monkeypower.data.outcomes.OutcomesGroups`."""

    group_names: tuple[str, ...]
    fits: dict[tuple, Fit] = field(default_factory=dict)

    def __getitem__(self, key: Any) -> Fit:
        if isinstance(key, Mapping):
            key = tuple(key[name] for name in self.group_names)
        if not isinstance(key, tuple):
            key = (key,)
        return self.fits[key]

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fits)

    def __len__(self) -> int:
        return len(self.fits)

    def summary(self, **kwargs: Any) -> pd.DataFrame:
        """All groups' summaries stacked, with one column per group variable."""
        tables = []
        for key, one in self.fits.items():
            table = one.summary(**kwargs)
            for name, value in zip(self.group_names, key, strict=True):
                table.insert(0, name, value)
            tables.append(table)
        result = pd.concat(tables, ignore_index=True)
        result.attrs = dict(tables[0].attrs)
        result.attrs.pop("diagnostics", None)
        return result

    def save(self, folder: str | Path) -> list[Path]:
        """One NetCDF file per group in ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for key, one in self.fits.items():
            stem = "_".join(str(k) for k in key).replace("/", "-").replace(" ", "_")
            paths.append(one.save(folder / f"{stem}.nc"))
        return paths
