"""From a model spec to a posterior: spec, PyMC model, sampling, the Fit, LOO.

- :mod:`~monkeypower.fitting.spec`: model specs (TOML), resolved once to a spec plus its family;
- :mod:`~monkeypower.fitting.model`: :func:`build_model`, the pure PyMC builder;
- :mod:`~monkeypower.fitting.sampling`: :func:`fit`, the sampler runners and their cache;
- :mod:`~monkeypower.fitting.fit`: :class:`Fit` and :func:`load_fit`;
- :mod:`~monkeypower.fitting.groups`: :class:`FitGroups`;
- :mod:`~monkeypower.fitting.pooled_model`, :mod:`~monkeypower.fitting.pooled`: many groups in
  one partially pooled model (:func:`build_pooled_model`, :func:`fit_pooled`,
  :class:`PooledFit`), with group covariates (:mod:`~monkeypower.fitting.group_covariates`)
  and new-group predictions (:mod:`~monkeypower.fitting.pooled_prediction`);
- :mod:`~monkeypower.fitting.distributed`: ``fit_many``, many groups on a Dask cluster (imported
  on use, like Dask itself);
- :mod:`~monkeypower.fitting.diagnostics`, :mod:`~monkeypower.fitting.loo`: sampler health and
  leave-one-problem-out PSIS-LOO.
"""

from monkeypower.fitting.diagnostics import Diagnostics, SamplingWarning
from monkeypower.fitting.fit import Fit, load_fit
from monkeypower.fitting.groups import FitGroups
from monkeypower.fitting.loo import LOOWarning, problem_loo
from monkeypower.fitting.model import build_model
from monkeypower.fitting.pooled import PooledFit, fit_pooled
from monkeypower.fitting.pooled_model import build_pooled_model
from monkeypower.fitting.pooled_prediction import GroupPrediction
from monkeypower.fitting.sampling import fit
from monkeypower.fitting.settings import DEFAULT_SAMPLER, SAMPLERS, SamplerSettings
from monkeypower.fitting.spec import ModelSpec, ResolvedModel, available_models, load_spec

__all__ = [
    "DEFAULT_SAMPLER", "Diagnostics", "Fit", "FitGroups", "GroupPrediction", "LOOWarning",
    "ModelSpec", "PooledFit", "ResolvedModel", "SAMPLERS", "SamplerSettings", "SamplingWarning",
    "available_models", "build_model", "build_pooled_model", "fit", "fit_pooled", "load_fit",
    "load_spec", "problem_loo",
]
