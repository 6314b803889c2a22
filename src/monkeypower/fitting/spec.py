"""Named model specifications: population family, default priors with reasons, a short card.

One TOML file per named model lives in ``models/`` (shipped inside the wheel). Priors are stated
on interpretable quantities (tail exponent, mean success probability, scale).

Precedence, highest first:

1. priors passed in Python (``fit(..., priors={"alpha": {...}})``), per variable;
2. a user's TOML file (``model="path/to/my.toml"``), which may set ``base = "scaled_beta"`` to
   start from a built-in spec and override only some priors;
3. the built-in spec's defaults.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from monkeypower.errors import SpecError
from monkeypower.families import FAMILIES, Family, get_family
from monkeypower.fitting.settings import DEFAULT_MASS_MATRIX, MASS_MATRICES

__all__ = ["PriorSpec", "ModelSpec", "ResolvedModel", "load_spec", "resolve_model",
           "available_models", "DEFAULT_MODEL"]

DEFAULT_MODEL = "bridged_beta"
"""The model a fit uses when the caller names none (the CLI's ``--model`` default too).

The one whose b∞ intervals were calibrated on Beta and Kumaraswamy truths alike on the synthetic
grid (``docs/calibration_grid.md``, ``benchmarks/calibration_grid.py``), where ``scaled_beta``'s
missed Kumaraswamy truths from below (at n' = 10,000 less so: Beta truths 34 times in 41,
Kumaraswamy truths 33 in 39, most misses on the side of the other family, whose edge of the bend
prior the posterior leans toward); on Pythia/MATH not distinguishable from ``scaled_beta``
case by case, its predictive intervals covering 90–95% (``docs/backtest.md``).  About ten times
slower to fit than ``scaled_beta``, and its bend mixes slowly: a quarter to a third of fits at the
default 4 × 1,000 draws are flagged (R-hat just above 1.01) and pass with twice the draws."""

# Distributions a prior may use, and the parameters each takes.
_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "HalfNormal": ("sigma",),
    "LogNormal": ("mu", "sigma"),
    "Gamma": ("alpha", "beta"),
    "InverseGamma": ("alpha", "beta"),
    "Exponential": ("lam",),
    "Beta": ("alpha", "beta"),
    "Uniform": ("lower", "upper"),
    "HalfCauchy": ("beta",),
    "TruncatedNormal": ("mu", "sigma", "lower", "upper"),
}
# Parameters that must be positive (scales, shapes, rates) wherever they appear; the rest must be
# finite, except a truncation or Uniform bound (which may be infinite, below its upper one).
_POSITIVE_PARAMS = frozenset({"sigma", "alpha", "beta", "lam"})
_BOUNDS = ("lower", "upper")


def _check_prior_params(dist: str, params: Mapping[str, float], where: str) -> None:
    """Refuse a prior PyMC would build but not sample.

    (``sigma = -1`` ended in nutpie's "all initialization points failed".)
    """
    for key, value in params.items():
        if key in _POSITIVE_PARAMS and not value > 0:
            raise SpecError(f"{where}.{key}: {dist}'s {key} must be a positive number, "
                            f"got {value!r}")
        if key not in _BOUNDS and not math.isfinite(value):
            raise SpecError(f"{where}.{key}: expected a finite number, got {value!r}")
    if "lower" in params and not params["lower"] < params["upper"]:
        raise SpecError(f"{where}: {dist} needs lower < upper, got lower = {params['lower']!r}, "
                        f"upper = {params['upper']!r}")


@dataclass(frozen=True)
class PriorSpec:
    """A prior on one model variable.

    Parameters
    ----------
    distribution : str
        A PyMC distribution name from a fixed list (Normal, HalfNormal, LogNormal, Gamma,
        InverseGamma, Exponential, Beta, Uniform, HalfCauchy, TruncatedNormal).
    params : mapping
        Its parameters, e.g. ``{"mu": -1.2, "sigma": 1.0}``.
    meaning : str
        What the variable is.
    reason : str
        Why this default.
    """

    distribution: str
    params: Mapping[str, float]
    meaning: str = ""
    reason: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> PriorSpec:
        """Parse ``{"distribution": "LogNormal", "mu": ..., "reason": ...}``, naming ``where``."""
        data = dict(data)
        dist = data.pop("distribution", None)
        if dist not in _DISTRIBUTIONS:
            raise SpecError(
                f"{where}: 'distribution' must be one of {sorted(_DISTRIBUTIONS)}, got {dist!r}"
            )
        meaning = str(data.pop("meaning", ""))
        reason = str(data.pop("reason", ""))
        expected = _DISTRIBUTIONS[dist]
        unknown = sorted(set(data) - set(expected))
        missing = sorted(set(expected) - set(data))
        if unknown or missing:
            raise SpecError(
                f"{where}: {dist} takes parameters {list(expected)}; "
                + (f"unknown {unknown}" if unknown else "")
                + ("; " if unknown and missing else "")
                + (f"missing {missing}" if missing else "")
            )
        params = {}
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SpecError(f"{where}.{key}: expected a number, got {value!r}")
            params[key] = float(value)
        _check_prior_params(dist, params, where)
        return cls(dist, params, meaning, reason)

    def to_dict(self) -> dict[str, Any]:
        """JSON/TOML form."""
        return {"distribution": self.distribution, **self.params, "meaning": self.meaning,
                "reason": self.reason}

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.distribution}({args})"

    def build(self, name: str, **kwargs: Any):
        """Create the PyMC random variable inside the current model context."""
        import pymc as pm

        return getattr(pm, self.distribution)(name, **self.params, **kwargs)


@dataclass(frozen=True)
class ModelSpec:
    """A named model: a population family and priors on its variables."""

    name: str
    family: str
    priors: Mapping[str, PriorSpec]
    summary: str = ""
    card: str = ""
    source: str = "builtin"
    overrides: tuple[str, ...] = field(default=())
    sampler_defaults: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored in saved fits)."""
        return {
            "name": self.name, "family": self.family, "summary": self.summary,
            "card": self.card, "source": self.source, "overrides": list(self.overrides),
            "priors": {k: v.to_dict() for k, v in self.priors.items()},
            "sampler": dict(self.sampler_defaults),
        }

    def to_json(self) -> str:
        """Serialised :meth:`to_dict`."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`."""
        priors = {
            k: PriorSpec.from_mapping(v, f"priors.{k}") for k, v in data["priors"].items()
        }
        return cls(data["name"], data["family"], priors, data.get("summary", ""),
                   data.get("card", ""), data.get("source", "builtin"),
                   tuple(data.get("overrides", ())), dict(data.get("sampler", {})))

    def describe_priors(self) -> str:
        """One line per prior: ``alpha ~ LogNormal(mu=-1.2, sigma=1)  (tail exponent ...)``."""
        return "\n".join(
            f"{name} ~ {prior}" + (f"  ({prior.meaning})" if prior.meaning else "")
            for name, prior in self.priors.items()
        )


def _models_dir() -> Path:
    """The folder of built-in specs: inside the installed wheel, or the repo's ``models/``."""
    packaged = resources.files("monkeypower") / "models"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "models"


def available_models() -> list[str]:
    """Names of the built-in models."""
    return sorted(p.stem for p in _models_dir().glob("*.toml"))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML: {err}") from None


def _parse(data: dict[str, Any], source: str, base: ModelSpec | None) -> ModelSpec:
    allowed = {"name", "family", "summary", "card", "priors", "base", "sampler"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SpecError(f"{source}: unknown keys {unknown}; allowed {sorted(allowed)}")
    priors = dict(base.priors) if base else {}
    for key, value in data.get("priors", {}).items():
        if not isinstance(value, Mapping):
            raise SpecError(f"{source}: [priors.{key}] must be a table")
        if base is not None and key not in base.priors:
            raise SpecError(
                f"{source}: [priors.{key}] is not a variable of model {base.name!r}; its "
                f"variables are {list(base.priors)}"
            )
        priors[key] = PriorSpec.from_mapping(value, f"{source}: priors.{key}")
    family = data.get("family", base.family if base else None)
    if family is None:
        raise SpecError(f"{source}: missing 'family' (or 'base' naming a built-in model)")
    if family not in FAMILIES:  # found only at the fit before, as a ValueError
        raise SpecError(f"{source}: unknown family {family!r}; known families: "
                        f"{', '.join(sorted(FAMILIES))}")
    return ModelSpec(
        name=data.get("name", base.name if base else Path(source).stem),
        family=family,
        priors=priors,
        summary=data.get("summary", base.summary if base else ""),
        card=data.get("card", base.card if base else ""),
        source=source,
        overrides=tuple(data.get("priors", {})) if base else (),
        sampler_defaults=_sampler_defaults(data, source, base),
    )


_SAMPLER_KEYS = {"target_accept": float, "draws": int, "mass_matrix": str, "reason": str}


def _sampler_defaults(data: dict[str, Any], source: str, base: ModelSpec | None) -> dict:
    """The ``[sampler]`` table: NUTS settings this model needs (e.g. a higher target_accept)."""
    merged = dict(base.sampler_defaults) if base else {}
    for key, value in data.get("sampler", {}).items():
        if key not in _SAMPLER_KEYS:
            raise SpecError(f"{source}: [sampler].{key} is not a known setting; allowed "
                            f"{sorted(_SAMPLER_KEYS)}")
        merged[key] = _SAMPLER_KEYS[key](value)
    if "target_accept" in merged and not 0 < merged["target_accept"] < 1:
        raise SpecError(f"{source}: [sampler].target_accept must be in (0, 1)")
    if "draws" in merged and merged["draws"] < 1:
        raise SpecError(f"{source}: [sampler].draws must be a positive number of draws per "
                        f"chain, got {merged['draws']}")
    if merged.get("mass_matrix", DEFAULT_MASS_MATRIX) not in MASS_MATRICES:
        raise SpecError(f"{source}: [sampler].mass_matrix must be one of {MASS_MATRICES}, "
                        f"got {merged['mass_matrix']!r}")
    return merged


def load_spec(
    model: str | Path | ModelSpec = DEFAULT_MODEL,
    priors: Mapping[str, Mapping[str, Any] | PriorSpec] | None = None,
) -> ModelSpec:
    """Load a model spec by name or path, then apply priors passed in Python.

    Parameters
    ----------
    model : str, Path or ModelSpec
        A built-in name (see :func:`available_models`), a path to a TOML file, or a spec.
    priors : mapping, optional
        Per-variable overrides, e.g. ``{"alpha": {"distribution": "Gamma", "alpha": 2,
        "beta": 4}}``; highest precedence.

    Returns
    -------
    ModelSpec
    """
    if isinstance(model, ModelSpec):
        spec = model
    else:
        path = Path(model)
        if path.suffix == ".toml" or path.exists():
            if not path.exists():
                raise SpecError(f"model file {path} does not exist")
            data = _read_toml(path)
            base = load_spec(data["base"]) if "base" in data else None
            spec = _parse(data, str(path), base)
        else:
            known = available_models()
            if str(model) not in known:
                raise SpecError(f"unknown model {model!r}; built-in models are {known}")
            spec = _parse(_read_toml(_models_dir() / f"{model}.toml"), "builtin", None)
    if priors:
        merged = dict(spec.priors)
        for key, value in priors.items():
            if key not in merged:
                raise SpecError(
                    f"priors[{key!r}]: not a variable of model {spec.name!r}; its variables are "
                    f"{list(merged)}"
                )
            merged[key] = (
                value if isinstance(value, PriorSpec)
                else PriorSpec.from_mapping(value, f"priors[{key!r}]")
            )
        spec = ModelSpec(spec.name, spec.family, merged, spec.summary, spec.card, spec.source,
                         tuple(dict.fromkeys((*spec.overrides, *priors))),
                         spec.sampler_defaults)
    return spec


@dataclass(frozen=True)
class ResolvedModel:
    """A model spec together with its population family, checked against each other once.

    Everything downstream of the spec (:func:`~monkeypower.fitting.model.build_model`, the
    sampler, :class:`~monkeypower.Fit`) receives this object instead of resolving the spec again.
    """

    spec: ModelSpec
    family: Family


def resolve_model(
    model: str | Path | ModelSpec | ResolvedModel = DEFAULT_MODEL,
    priors: Mapping[str, Mapping[str, Any] | PriorSpec] | None = None,
) -> ResolvedModel:
    """Load the spec (:func:`load_spec`), find its family, and check the priors cover it.

    Raises
    ------
    SpecError
        If the spec's prior variables are not exactly the family's.
    """
    if isinstance(model, ResolvedModel):
        if priors:
            model = model.spec
        else:
            return model
    spec = load_spec(model, priors)
    family = get_family(spec.family)
    expected = set(family.prior_variables)
    if set(spec.priors) != expected:
        where = "" if spec.source == "builtin" else f"{spec.source}: "
        raise SpecError(
            f"{where}model {spec.name!r}: family {family.name!r} needs priors on exactly "
            f"{sorted(expected)}, the spec has {sorted(spec.priors)}"
        )
    return ResolvedModel(spec, family)
