r"""Group-level covariates of a pooled model: a table keyed by group, checked and standardised.

A pooled model (:mod:`monkeypower.fitting.pooled_model`) may regress each group's parameters on
numeric group covariates, e.g. ``log10_params`` of each Pythia model. The table is a
:class:`pandas.DataFrame` with one row per key and one numeric column per covariate. Its keys are
matched to the groups' keys:

* an index whose level names are group variables (``model``, or ``model`` and ``benchmark``)
  is matched on those components only, so a table keyed by ``model`` serves every
  ``(model, benchmark)`` group of that model;
* an unnamed index is matched against the whole group key (a bare value for a single group
  variable, a tuple otherwise);
* a table with a plain ``RangeIndex`` whose columns include group variables is keyed by them
  (the form a CSV file has).

Rows whose key matches no fitted group are ignored (a table may describe more models than one
fit uses, e.g. a held-out one); a table none of whose keys matches a group is an error.

Each column is standardised over the fitted groups,
:math:`\tilde x = (x - \bar x) / s_x` with the population standard deviation :math:`s_x`, so
the coefficients' priors are on a common scale; :attr:`GroupCovariates.center` and
:attr:`GroupCovariates.scale` convert a coefficient :math:`\tilde\gamma` back to the original
unit, :math:`\gamma = \tilde\gamma / s_x` (per decade when the column is a ``log10``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monkeypower.errors import OutcomesError

__all__ = ["GroupCovariates", "group_covariates", "covariate_row", "covariates_from_frame"]


@dataclass(frozen=True)
class GroupCovariates:
    """Covariate values of the fitted groups and their standardisation.

    Attributes
    ----------
    columns : tuple of str
        Covariate names, in the order of the coefficients.
    values : numpy.ndarray, shape (groups, covariates)
        Original values, one row per group in the order of the group keys.
    center, scale : numpy.ndarray, shape (covariates,)
        Mean and population standard deviation of each column over the groups.
    """

    columns: tuple[str, ...]
    values: np.ndarray
    center: np.ndarray
    scale: np.ndarray

    @property
    def standardised(self) -> np.ndarray:
        """``(values - center) / scale``, shape (groups, covariates)."""
        return self.standardise(self.values)

    def standardise(self, values: np.ndarray) -> np.ndarray:
        """Standardise rows of original values with the fitted groups' centre and scale."""
        return (np.asarray(values, dtype=np.float64) - self.center) / self.scale


def _empty(n_groups: int) -> GroupCovariates:
    return GroupCovariates((), np.zeros((n_groups, 0)), np.zeros(0), np.ones(0))


def _keyed(table: pd.DataFrame, group_names: Sequence[str]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The table indexed by its key and the group variables the key holds (empty: the whole key)."""
    names = [n for n in table.index.names if n is not None]
    if names:
        unknown = [n for n in names if n not in group_names]
        if unknown:
            raise OutcomesError(f"covariates: index level(s) {unknown} are not group variables; "
                                f"the groups are keyed by {list(group_names)}")
        return table, tuple(names)
    key_columns = [n for n in group_names if n in table.columns]
    if isinstance(table.index, pd.RangeIndex) and key_columns:
        return table.set_index(key_columns), tuple(key_columns)
    return table, ()


def _check_columns(table: pd.DataFrame) -> None:
    if table.shape[1] == 0:
        raise OutcomesError("covariates: the table has no columns (one numeric column per "
                            "covariate was expected)")
    for column in table.columns:
        series = table[column]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            raise OutcomesError(f"covariates: column {column!r} is not numeric (dtype "
                                f"{series.dtype}); encode it as numbers, e.g. an indicator 0/1")


def group_covariates(
    table: pd.DataFrame | None, keys: Sequence[tuple], group_names: Sequence[str],
) -> GroupCovariates:
    """Match a covariate table to the groups, check it and standardise it.

    Parameters
    ----------
    table : pandas.DataFrame or None
        One row per key, one numeric column per covariate (see the module docstring for how
        keys match). ``None``: no covariates.
    keys : sequence of tuple
        The fitted groups' keys.
    group_names : sequence of str
        The group variables, in key order.

    Returns
    -------
    GroupCovariates

    Raises
    ------
    OutcomesError
        A column that is not numeric, or is constant over the groups; a key that appears twice;
        no key matching any group; a group without a row, or with a missing or infinite value.
        Each message names the column or the group.
    """
    keys = [tuple(k) for k in keys]
    if table is None:
        return _empty(len(keys))
    if not isinstance(table, pd.DataFrame):
        raise OutcomesError(f"covariates must be a pandas DataFrame keyed by group, got "
                            f"{type(table).__name__}")
    table, by = _keyed(table, group_names)
    _check_columns(table)
    positions = [list(group_names).index(n) for n in by] if by else list(range(len(group_names)))

    def lookup(key: tuple) -> Any:
        part = tuple(key[i] for i in positions)
        return part[0] if len(part) == 1 else part

    index = list(table.index)
    duplicated = table.index[table.index.duplicated()].unique().tolist()
    if duplicated:
        raise OutcomesError(f"covariates: key(s) {duplicated[:5]} appear more than once")
    wanted = {lookup(key) for key in keys}
    if not wanted.intersection(index):
        raise OutcomesError(
            f"covariates: no key of the table matches a group (table keys include "
            f"{index[:5]}; groups {'by ' + str(list(by)) if by else ''} include "
            f"{sorted(wanted, key=str)[:5]}); check the spelling and the key column(s)")
    missing = [key for key in keys if lookup(key) not in table.index]
    if missing:
        raise OutcomesError(f"covariates: no row for group(s) {missing[:5]}"
                            + (f" ({len(missing)} in total)" if len(missing) > 5 else "")
                            + "; every group needs a value of every covariate")
    values = np.vstack([table.loc[lookup(key)].to_numpy(dtype=np.float64) for key in keys])
    bad = ~np.isfinite(values)
    if bad.any():
        g, j = np.argwhere(bad)[0]
        raise OutcomesError(f"covariates: group {keys[g]} has no finite value of "
                            f"{table.columns[j]!r} ({values[g, j]}); every group needs one")
    center, scale = values.mean(axis=0), values.std(axis=0)
    constant = [c for c, s in zip(table.columns, scale, strict=True) if not s > 0]
    if constant:
        raise OutcomesError(f"covariates: column(s) {constant} take a single value over the "
                            "fitted groups, so their coefficient cannot be estimated; drop them")
    return GroupCovariates(tuple(str(c) for c in table.columns), values, center, scale)


def covariates_from_frame(frame: pd.DataFrame, group_by: str | Sequence[str],
                          columns: str | Sequence[str]) -> pd.DataFrame:
    """A covariate table from columns of the data themselves (one value per group expected).

    Parameters
    ----------
    frame : pandas.DataFrame
        The long data (e.g. the counts table with a ``log10_params`` column on every row).
    group_by : str or sequence of str
        The group columns.
    columns : str or sequence of str
        The covariate columns.

    Returns
    -------
    pandas.DataFrame
        One row per group, indexed by the group columns (ready for ``fit_pooled``).

    Raises
    ------
    OutcomesError
        A column that is missing, or that takes more than one value (or a missing value) within
        a group; the message names the column and the first such groups.
    """
    group_by = [group_by] if isinstance(group_by, str) else list(group_by)
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in group_by + columns if c not in frame.columns]
    if missing:
        raise OutcomesError(f"covariates: column(s) {missing} not in the data; it has "
                            f"{list(frame.columns)}")
    grouped = frame.groupby(group_by, sort=False)[columns]
    distinct = grouped.nunique(dropna=False)
    for column in columns:
        varying = distinct.index[distinct[column] != 1].tolist()
        if varying:
            raise OutcomesError(f"covariates: column {column!r} takes more than one value "
                                f"within group(s) {varying[:5]}; a covariate has one value per "
                                "group")
    return grouped.first()


def covariate_row(covariates: GroupCovariates, given: Mapping[str, float] | pd.Series
                  ) -> np.ndarray:
    """One new group's covariates in the fitted columns' order, checked (original units).

    Raises
    ------
    OutcomesError
        A fitted covariate missing from ``given``, an unknown name, or a value that is not a
        finite number.
    """
    given = dict(given)
    missing = [c for c in covariates.columns if c not in given]
    unknown = [c for c in given if c not in covariates.columns]
    if missing or unknown:
        raise OutcomesError(
            "covariates of the new group: " + (f"missing {missing}" if missing else "")
            + ("; " if missing and unknown else "")
            + (f"unknown {unknown}" if unknown else "")
            + f"; the model was fitted with {list(covariates.columns)}")
    row = []
    for column in covariates.columns:
        value = given[column]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value):
            raise OutcomesError(f"covariates of the new group: {column!r} must be a finite "
                                f"number, got {value!r}")
        row.append(float(value))
    return np.asarray(row)
