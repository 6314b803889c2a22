"""Saving and loading fits: a checksum of the content, and checks that what loads is a valid fit.

A saved fit (NetCDF, written by :func:`save_tree`) carries ``content_sha256``: a SHA-256 over
every variable of every group (name, dtype, shape, values) and the root attributes (model spec,
family, design, labels, seed, sampler settings). :func:`read_tree` recomputes it, then checks
what a checksum cannot vouch for by itself (a file written by someone else, or re-signed): that
the attributes parse, that every draw lies in the support of its prior (a scale or exponent
is positive, a mean lies in (0, 1), ...), that the family's parameters are finite, and that
the stored (n, c) pairs are the compression of the stored observed data. Any failure raises
:class:`SavedFitError` naming the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from monkeypower.data.design import Design
from monkeypower.data.outcomes import Outcomes
from monkeypower.data.sufficient import compress
from monkeypower.errors import DesignError, OutcomesError, SpecError, warn_caller
from monkeypower.fitting.spec import ModelSpec, ResolvedModel, resolve_model

__all__ = ["CHECKSUM_ATTR", "SavedFitError", "SavedFitWarning", "content_checksum",
           "read_tree", "save_tree"]

CHECKSUM_ATTR = "content_sha256"
"""Root attribute holding the checksum of a saved fit's content."""

_JSON_ATTRS = ("model_spec", "design", "labels", "sampler_settings")
_GROUPS = ("posterior", "observed_data", "constant_data", "log_likelihood_pairs")
# support (lower, upper) of each prior distribution, open at finite ends
_SUPPORT = {
    "Normal": lambda p: (-np.inf, np.inf),
    "HalfNormal": lambda p: (0.0, np.inf),
    "LogNormal": lambda p: (0.0, np.inf),
    "Gamma": lambda p: (0.0, np.inf),
    "InverseGamma": lambda p: (0.0, np.inf),
    "Exponential": lambda p: (0.0, np.inf),
    "HalfCauchy": lambda p: (0.0, np.inf),
    "Beta": lambda p: (0.0, 1.0),
    "Uniform": lambda p: (p["lower"], p["upper"]),
    "TruncatedNormal": lambda p: (p["lower"], p["upper"]),
}


class SavedFitError(ValueError):
    """A file that is not a valid saved fit (damaged, edited, or not a monkeypower fit)."""


class SavedFitWarning(UserWarning):
    """A saved fit that cannot be fully checked (written before fits carried a checksum)."""


def _normalised(values: np.ndarray) -> np.ndarray:
    """Values as NetCDF gives them back: an object array of only None/NaN reads back as NaN."""
    values = np.asarray(values)
    if values.dtype.kind == "O" and all(v is None or (isinstance(v, float) and v != v)
                                        for v in values.ravel()):
        return np.full(values.shape, np.nan)
    return values


def _value_bytes(values: np.ndarray) -> bytes:
    values = _normalised(values)
    if values.dtype.kind in "OUS":
        return "\x1f".join(str(v) for v in values.ravel()).encode()
    return np.ascontiguousarray(values).tobytes()


def content_checksum(tree: xr.DataTree) -> str:
    """SHA-256 of a fit's variables (every group) and root attributes (except the checksum)."""
    digest = hashlib.sha256()
    attrs = {k: str(v) for k, v in tree.attrs.items() if k != CHECKSUM_ATTR}
    digest.update(json.dumps(attrs, sort_keys=True).encode())
    for node in sorted(tree.subtree, key=lambda n: n.path):
        for name in sorted(map(str, node.dataset.variables)):
            values = _normalised(node.dataset.variables[name].values)
            kind = "str" if values.dtype.kind in "OUS" else values.dtype.str
            digest.update(f"{node.path}/{name}:{kind}:{values.shape}:".encode())
            digest.update(_value_bytes(values))
    return digest.hexdigest()


def save_tree(tree: xr.DataTree, path: Path) -> Path:
    """Write ``tree`` with its checksum to ``path`` (via a temporary file, then a rename)."""
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; save the fit to a file in it, such as "
                                f"{path / 'fit.nc'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: the folder {path.parent} does not exist")
    stored = tree.copy()
    stored.attrs = {**tree.attrs, CHECKSUM_ATTR: content_checksum(tree)}
    partial = path.parent / f".{path.name}.partial-{uuid.uuid4().hex[:12]}"
    try:
        stored.to_netcdf(partial, engine="h5netcdf")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _open(path: Path) -> xr.DataTree:
    """Read the whole file into memory and close it (so it can be overwritten at once)."""
    try:
        with xr.open_datatree(path, engine="h5netcdf") as opened:
            return opened.load().copy()
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise SavedFitError(f"{path}: not a readable NetCDF fit ({type(err).__name__}: "
                            f"{str(err).splitlines()[0] if str(err) else 'no detail'})") from None


def _check_attrs(tree: xr.DataTree, path: Path) -> dict[str, Any]:
    attrs = tree.attrs
    if "model_spec" not in attrs:
        raise SavedFitError(f"{path} is not a monkeypower fit (no model_spec attribute)")
    parsed: dict[str, Any] = {}
    for name in (*_JSON_ATTRS, "seed"):
        if name not in attrs:
            raise SavedFitError(f"{path}: attribute {name!r} is missing; the file is damaged")
    for name in _JSON_ATTRS:
        try:
            parsed[name] = json.loads(attrs[name])
        except (TypeError, json.JSONDecodeError) as err:
            raise SavedFitError(f"{path}: attribute {name!r} is not valid JSON ({err})") from None
    try:
        parsed["seed"] = int(attrs["seed"])
    except (TypeError, ValueError):
        raise SavedFitError(f"{path}: attribute 'seed' is {attrs['seed']!r}; expected an "
                            "integer") from None
    missing = [g for g in _GROUPS if g not in tree.children]
    if missing:
        raise SavedFitError(f"{path}: groups {missing} are missing; the file is damaged")
    return parsed


def _resolve(parsed: dict[str, Any], tree: xr.DataTree, path: Path) -> ResolvedModel:
    try:
        model = resolve_model(ModelSpec.from_dict(parsed["model_spec"]))
    except (SpecError, KeyError, TypeError) as err:
        raise SavedFitError(f"{path}: attribute 'model_spec' is not a valid spec ({err})") \
            from None
    family = tree.attrs.get("family")
    if family is not None and family != model.family.name:
        raise SavedFitError(f"{path}: attribute 'family' says {family!r} but the model spec's "
                            f"family is {model.family.name!r}; the file was edited")
    return model


def _check_draws(tree: xr.DataTree, model: ResolvedModel, path: Path) -> None:
    posterior = tree["posterior"].dataset
    for name in {*model.family.prior_variables, *model.family.params}:
        if name not in posterior:
            raise SavedFitError(f"{path}: the posterior has no draws of {name!r}")
        values = np.asarray(posterior[name].values, dtype=np.float64)
        if not np.isfinite(values).all():
            raise SavedFitError(f"{path}: posterior {name!r} holds non-finite draws")
        prior = model.spec.priors.get(name)
        if prior is None or prior.distribution not in _SUPPORT:
            continue
        lower, upper = _SUPPORT[prior.distribution](prior.params)
        bad = (values <= lower) | (values >= upper)
        if bad.any():
            raise SavedFitError(
                f"{path}: {int(bad.sum())} posterior draws of {name!r} lie outside the support "
                f"({lower:g}, {upper:g}) of its {prior.distribution} prior, e.g. "
                f"{values[bad].ravel()[0]:g}")


def _check_data(tree: xr.DataTree, parsed: dict[str, Any], path: Path) -> None:
    observed = tree["observed_data"].dataset
    constant = tree["constant_data"].dataset
    try:
        outcomes = Outcomes(observed["problem"].values, observed["n"].values,
                            observed["c"].values, Design.from_dict(parsed["design"]),
                            parsed["labels"])
        stats = compress(outcomes)
    except (OutcomesError, DesignError, KeyError, TypeError) as err:
        raise SavedFitError(f"{path}: the stored observed data are invalid ({err})") from None
    for name, expected in (("pair_n", stats.n), ("pair_c", stats.c),
                           ("pair_weight", stats.weight),
                           ("pair_of_problem", stats.pair_of_problem)):
        if name not in constant or not np.array_equal(constant[name].values, expected):
            raise SavedFitError(
                f"{path}: constant_data {name!r} does not match the observed data's (n, c) "
                "pairs; the file was edited")
    counts = tree["log_likelihood_pairs"].dataset.get("counts")
    if counts is None or counts.sizes.get("pair") != len(stats.n):
        raise SavedFitError(f"{path}: log_likelihood_pairs does not have one value per (n, c) "
                            "pair")


def read_tree(path: str | Path) -> tuple[xr.DataTree, ResolvedModel]:
    """Read a saved fit and check it; return the tree and its resolved model.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    SavedFitError
        If the file is not a readable fit, its checksum does not match its content, an
        attribute is missing or malformed, a draw lies outside its prior's support, or the
        stored pairs disagree with the stored data.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    tree = _open(path)
    parsed = _check_attrs(tree, path)
    stored = tree.attrs.get(CHECKSUM_ATTR)
    if stored is None:
        warn_caller(f"{path}: no {CHECKSUM_ATTR} attribute (saved by an older monkeypower); "
                    "its content cannot be verified", SavedFitWarning)
    elif stored != content_checksum(tree):
        raise SavedFitError(f"{path}: the content does not match its checksum; the file was "
                            "damaged or edited after it was saved")
    model = _resolve(parsed, tree, path)
    _check_draws(tree, model, path)
    _check_data(tree, parsed, path)
    return tree, model
