"""Fast tier: model structure, likelihood oracles, specs — no MCMC."""

import tomllib

import numpy as np
import pymc as pm
import pytest
from scipy import stats

import monkeypower as mp
from monkeypower.errors import SpecError


@pytest.fixture(scope="module")
def small():
    return mp.simulate("beta", {"alpha": 0.4, "beta": 3.0}, n_problems=60, n_attempts=200, seed=4)


def potential_at(model: pm.Model, point: dict) -> float:
    """The likelihood potential at a point of the value (unconstrained) variables."""
    return float(model.compile_logp(vars=[model.potentials[0]], jacobian=False,
                                    mode="FAST_COMPILE")(point))


def unconstrained(model: pm.Model, values: dict) -> dict:
    """Map constrained values to the model's value variables (log/logit transforms)."""
    point = {}
    for rv in model.free_RVs:
        value_var = model.rvs_to_values[rv]
        transform = model.rvs_to_transforms.get(rv)
        x = np.asarray(values[rv.name], dtype=float)
        point[value_var.name] = transform.forward(x, *rv.owner.inputs).eval() if transform else x
    return point


def test_structure_and_finite_gradient(small):
    model = mp.build_model(small, "scaled_beta")
    assert sorted(v.name for v in model.free_RVs) == ["alpha", "mean", "scale"]
    assert "beta" in model.named_vars and len(model.potentials) == 1
    assert model.named_vars["n"].get_value().shape == (mp.compress(small).n_pairs,)
    ip = model.initial_point()
    logp = model.compile_logp(mode="FAST_COMPILE")(ip)
    grad = model.compile_dlogp(mode="FAST_COMPILE")(ip)
    assert np.isfinite(logp) and np.all(np.isfinite(grad))


def test_beta_likelihood_equals_scipy_betabinomial(small):
    model = mp.build_model(small, "beta")
    alpha, mean = 0.37, 0.12
    beta = alpha * (1 - mean) / mean
    value = potential_at(model, unconstrained(model, {"alpha": alpha, "mean": mean}))
    expected = stats.betabinom.logpmf(small.c, small.n, alpha, beta).sum()
    assert value == pytest.approx(expected, rel=1e-10)


def test_scaled_beta_likelihood_uses_compressed_pairs_exactly(small):
    compressed = mp.build_model(small, "scaled_beta")
    values = {"alpha": 0.3, "mean": 0.2, "scale": 0.6}
    ours = potential_at(compressed, unconstrained(compressed, values))
    family = mp.get_family("scaled_beta")
    natural = family.natural_params(values, "numpy")
    from scipy.special import gammaln

    per_problem = (gammaln(small.n + 1) - gammaln(small.c + 1) - gammaln(small.n - small.c + 1)
                   + family.log_moment(small.c, small.n - small.c, natural))
    assert ours == pytest.approx(per_problem.sum(), rel=1e-10)


@pytest.mark.parametrize("jacobian", [False, True])
def test_bridged_beta_samples_a_shifted_mean_and_keeps_the_model(small, jacobian):
    """``mean`` is sampled as logit(mean) + bend·log(alpha); the log-density is unchanged.

    Oracle: the joint density written out with scipy (priors of the spec, the family's L over
    the problems) and, with ``jacobian``, each coordinate's log|d value / d coordinate|.
    """
    from scipy.special import gammaln, logit

    model = mp.build_model(small, "bridged_beta")
    assert [v.name for v in model.free_RVs] == ["alpha", "bend", "mean", "scale"]
    assert model.rvs_to_values[model["mean"]].name == "mean_shifted_logit__"
    logp = model.compile_logp(jacobian=jacobian, mode="FAST_COMPILE")
    family = mp.get_family("bridged_beta")
    log_coef = gammaln(small.n + 1) - gammaln(small.c + 1) - gammaln(small.n - small.c + 1)
    for alpha, bend, mean, scale in [(0.3, 0.5, 0.2, 0.8), (0.05, 0.9, 0.6, 0.3),
                                     (1.7, 0.1, 0.03, 0.99)]:
        point = {"alpha_log__": np.log(alpha), "bend_logodds__": logit(bend),
                 "mean_shifted_logit__": logit(mean) + bend * np.log(alpha),
                 "scale_logodds__": logit(scale)}
        natural = family.natural_params(
            {"alpha": alpha, "bend": bend, "mean": mean, "scale": scale}, "numpy")
        expected = (stats.lognorm(1.0, scale=np.exp(-1.2)).logpdf(alpha)
                    + sum(stats.beta(1, 1).logpdf(v) for v in (bend, mean, scale))
                    + np.sum(log_coef + family.log_moment(small.c, small.n - small.c, natural)))
        if jacobian:
            expected += np.log(alpha) + sum(np.log(v * (1 - v)) for v in (bend, mean, scale))
        assert logp(point) == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_a_shifted_variable_keeps_its_prior_and_another_prior_its_default_transform(small):
    model = mp.build_model(small, "bridged_beta")
    draws = pm.draw(model["mean"], draws=4000, random_seed=3, mode="FAST_COMPILE")
    assert stats.kstest(draws, stats.beta(1, 1).cdf).pvalue > 1e-3
    assert stats.kstest(draws, stats.beta(1.3, 1).cdf).pvalue < 1e-3  # the test can tell
    other = mp.build_model(small, "bridged_beta", priors={
        "mean": {"distribution": "Uniform", "lower": 0.0, "upper": 1.0}})
    assert other.rvs_to_values[other["mean"]].name == "mean_interval__"


def test_sequential_design_drops_binomial_coefficient():
    fixed = mp.Outcomes(problem=[0, 1, 2], n=[60, 120, 600], c=[1, 3, 0])
    seq = mp.Outcomes(problem=[0, 1, 2], n=[60, 120, 600], c=[1, 3, 0], design="sequential")
    values = {"alpha": 0.5, "mean": 0.1}
    m_fixed, m_seq = mp.build_model(fixed, "beta"), mp.build_model(seq, "beta")
    diff = potential_at(m_fixed, unconstrained(m_fixed, values)) - potential_at(
        m_seq, unconstrained(m_seq, values))
    from scipy.special import comb

    assert diff == pytest.approx(np.log(comb([60, 120, 600], [1, 3, 0])).sum(), rel=1e-12)


def test_priors_override_and_precedence(tmp_path):
    spec = mp.load_spec("scaled_beta", priors={"alpha": {"distribution": "Gamma", "alpha": 2,
                                                          "beta": 5}})
    assert str(spec.priors["alpha"]) == "Gamma(alpha=2, beta=5)"
    assert str(spec.priors["scale"]) == str(mp.load_spec("scaled_beta").priors["scale"])
    user = tmp_path / "mine.toml"
    user.write_text('base = "scaled_beta"\nname = "mine"\n[priors.scale]\n'
                    'distribution = "Beta"\nalpha = 1.0\nbeta = 5.0\nreason = "hard tasks"\n')
    from_file = mp.load_spec(user)
    assert from_file.name == "mine" and str(from_file.priors["scale"]) == "Beta(alpha=1, beta=5)"
    both = mp.load_spec(user, priors={"scale": {"distribution": "Uniform", "lower": 0,
                                                "upper": 1}})
    assert both.priors["scale"].distribution == "Uniform"


def test_every_builtin_model_gives_reasons_for_its_priors():
    for name in mp.available_models():
        spec = mp.load_spec(name)
        family = mp.get_family(spec.family)
        assert set(spec.priors) == set(family.prior_variables), name
        for prior_name, prior in spec.priors.items():
            assert len(prior.reason) > 40 and prior.meaning, (name, prior_name)
        assert spec.card.strip() and spec.summary


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "nope"}, "unknown model 'nope'"),
        ({"model": "beta", "priors": {"gamma": {"distribution": "Normal", "mu": 0, "sigma": 1}}},
         "not a variable of model 'beta'"),
        ({"model": "beta", "priors": {"alpha": {"distribution": "Cauchy", "alpha": 0}}},
         "'distribution' must be one of"),
        ({"model": "beta", "priors": {"alpha": {"distribution": "Gamma", "alpha": 1}}},
         r"missing \['beta'\]"),
        # PyMC builds these; nutpie then fails with "all initialization points failed"
        ({"model": "beta", "priors": {"alpha": {"distribution": "LogNormal", "mu": -1,
                                                "sigma": -1}}},
         r"priors\['alpha'\]\.sigma: LogNormal's sigma must be a positive number, got -1.0"),
        ({"model": "beta", "priors": {"alpha": {"distribution": "Beta", "alpha": 0, "beta": 1}}},
         "Beta's alpha must be a positive number"),
        ({"model": "beta", "priors": {"alpha": {"distribution": "Normal", "mu": float("nan"),
                                                "sigma": 1}}},
         r"\.mu: expected a finite number, got nan"),
        ({"model": "beta", "priors": {"alpha": {"distribution": "Uniform", "lower": 1,
                                                "upper": 0}}},
         "Uniform needs lower < upper"),
    ],
)
def test_spec_errors_are_clear(kwargs, message):
    with pytest.raises(SpecError, match=message):
        mp.load_spec(**kwargs)


def test_a_spec_file_is_checked_when_loaded(tmp_path):
    """An unknown family was found only by the fit (a ValueError, a traceback in the CLI);
    priors on variables the family does not have, by the fit too; both now name the file."""
    builtin = (mp.fitting.spec._models_dir() / "beta.toml").read_text()
    (tmp_path / "family.toml").write_text(builtin.replace('family = "beta"', 'family = "nope"'))
    with pytest.raises(SpecError, match=r"family\.toml: unknown family 'nope'; known families: "
                                        r"beta, "):
        mp.load_spec(tmp_path / "family.toml")
    (tmp_path / "typo.toml").write_text(builtin.replace("[priors.alpha]", "[priors.alpah]"))
    with pytest.raises(SpecError, match=r"typo\.toml: model 'beta': family 'beta' needs priors "
                                        r"on exactly \['alpha', 'mean'\]"):
        mp.fitting.spec.resolve_model(tmp_path / "typo.toml")
    bounded = {"distribution": "TruncatedNormal", "mu": 0, "sigma": 1, "lower": 0,
               "upper": float("inf")}  # an infinite bound is a bound
    assert mp.load_spec("beta", priors={"alpha": bounded}).priors["alpha"].params["upper"] > 1e308


def test_one_default_model_everywhere():
    """Every entry point that takes a model defaults to DEFAULT_MODEL, a built-in model, or
    makes its caller name one; so does every CLI command with ``--model``.

    Can fail: a signature or the CLI option left on its own literal when the default moves (the
    plan command fitted ``beta`` without a word until it was walked here).
    """
    import argparse
    import inspect

    import monkeypower as mp
    from monkeypower.cli import build_parser
    from monkeypower.fitting import distributed, model, pooled, pooled_model, sampling, spec

    assert spec.DEFAULT_MODEL in spec.available_models()
    entry_points = [spec.load_spec, spec.resolve_model, model.build_model, sampling.fit,
                    distributed.fit_many, pooled.fit_pooled, pooled_model.build_pooled_model]
    entry_points += [getattr(mp, name) for name in mp.__all__
                     if inspect.isfunction(getattr(mp, name))]
    walked = 0
    for function in entry_points:
        parameter = inspect.signature(function).parameters.get("model")
        if parameter is None:
            continue
        walked += 1
        assert parameter.default in (spec.DEFAULT_MODEL, inspect.Parameter.empty), \
            function.__qualname__
    assert walked >= 9  # the seven above, mp.sbc and mp.simulate_campaign
    commands = next(action for action in build_parser()._actions
                    if isinstance(action, argparse._SubParsersAction)).choices
    with_model = [name for name, sub in commands.items()
                  if any("--model" in a.option_strings for a in sub._actions)]
    assert {"demo", "fit", "plan"} <= set(with_model)
    for name in with_model:
        default = next(a.default for a in commands[name]._actions if "--model" in a.option_strings)
        assert default == spec.DEFAULT_MODEL, name


@pytest.mark.parametrize("key,bad,message,good", [
    ("mass_matrix", '"full"', "must be one of", '"low_rank"'),
    ("draws", "0", "must be a positive", "2500"),
])
def test_spec_sampler_setting_is_checked_and_inherited(tmp_path, key, bad, message, good):
    """A spec's ``[sampler]`` settings are checked; a derived spec inherits them."""
    wrong = tmp_path / "bad.toml"
    wrong.write_text(f'base = "beta"\nname = "bad"\n[sampler]\n{key} = {bad}\n')
    with pytest.raises(SpecError, match=rf"bad\.toml: \[sampler\]\.{key} {message}"):
        mp.load_spec(wrong)
    parent = tmp_path / "parent.toml"
    parent.write_text(f'base = "beta"\nname = "parent"\n[sampler]\n{key} = {good}\n'
                      'reason = "measured"\n')
    child = tmp_path / "child.toml"
    child.write_text(f'base = "{parent.as_posix()}"\nname = "child"\n')
    expected = tomllib.loads(f"x = {good}")["x"]
    assert mp.load_spec(parent).sampler_defaults[key] == expected
    assert mp.load_spec(child).sampler_defaults[key] == expected
    assert key not in mp.load_spec("beta").sampler_defaults


def test_the_refit_doubles_the_specs_draws_or_the_callers(tmp_path):
    """The backtest's refit doubles the spec's draws when the caller gives none."""
    from monkeypower.evaluation.backtest.health import boosted_settings

    more = tmp_path / "more.toml"
    more.write_text('base = "beta"\nname = "more"\n[sampler]\ndraws = 2500\n')
    assert boosted_settings(str(more), {})["draws"] == 5000
    assert boosted_settings(str(more), {"draws": 300})["draws"] == 600
    assert boosted_settings("beta", {})["draws"] == 2000  # the package default, 1,000
