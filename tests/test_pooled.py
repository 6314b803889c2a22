"""Many groups in one model: the pooled builder, its fit, per-group Fits, new groups, bad input.

One pooled fit (module fixture, beta family, 7 groups with a known trend of log alpha in a
covariate, one group with 8 problems only) serves every sampling test; the rest builds models or
checks input without sampling.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from scipy import special

import monkeypower as mp
from _layout import layout_problems, legend_labels
from monkeypower import cli as cli_module
from monkeypower.cli import main
from monkeypower.errors import OutcomesError, SpecError
from monkeypower.families import get_family
from monkeypower.fitting import pooled as pooled_module
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.fitting.group_covariates import covariates_from_frame
from monkeypower.fitting.model import pair_data
from monkeypower.fitting.nutpie_compile import _graph_cache_path
from monkeypower.fitting.pooled_model import (
    group_variable_draws,
    pooled_structure,
    unconstrained_scale,
)
from monkeypower.fitting.sampling import CompiledModels
from monkeypower.fitting.spec import PriorSpec, load_spec, resolve_model
from monkeypower.output.figures import forest

FAST = dict(draws=1000, tune=1000, chains=2, progressbar=False)
TREND = 0.25
"""True change of log alpha per unit of the covariate x."""
SMALL = "m3"
"""The group with 8 problems; its alpha lies 1.0 above the trend line on the log scale."""


def _groups() -> tuple[dict, pd.DataFrame, dict]:
    rng = np.random.default_rng(2024)
    groups, x, truth = {}, {}, {}
    for g in range(7):
        log_alpha = np.log(0.2) + TREND * (g - 3) + 0.1 * rng.standard_normal()
        problems = 64
        if f"m{g}" == SMALL:
            log_alpha, problems = np.log(0.2) + 1.0, 8
        alpha = float(np.exp(log_alpha))
        groups[f"m{g}"] = mp.simulate("beta", {"alpha": alpha, "beta": 9 * alpha},
                                      n_problems=problems, n_attempts=200, seed=100 + g)
        x[f"m{g}"], truth[f"m{g}"] = float(g), alpha
    table = pd.DataFrame({"x": x})
    table.index.name = "group"
    return groups, table, truth


@pytest.fixture(scope="module")
def simulated():
    return _groups()


@pytest.fixture(scope="module")
def pooled_and_calls(simulated):
    """The pooled fit, and how often the model was compiled and sampled while fitting it."""
    groups, table, _ = simulated
    calls = {"compile": 0, "sample": 0}
    compile_, sample = pooled_module.compile_for_nutpie, pooled_module.sample_model

    def counted_compile(*args, **kwargs):
        calls["compile"] += 1
        return compile_(*args, **kwargs)

    def counted_sample(*args, **kwargs):
        calls["sample"] += 1
        return sample(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SamplingWarning)
        patch.setattr(pooled_module, "compile_for_nutpie", counted_compile)
        patch.setattr(pooled_module, "sample_model", counted_sample)
        patch.setattr(pooled_module, "_COMPILED", CompiledModels(4))
        result = mp.fit_pooled(groups, "beta", table, seed=6, **FAST)
    calls["warned"] = " ".join(str(w.message) for w in caught if w.category is SamplingWarning)
    return result, calls


@pytest.fixture(scope="module")
def pooled(pooled_and_calls):
    return pooled_and_calls[0]


# ---------------------------------------------------------------------------- no sampling
def test_the_pooled_likelihood_is_the_sum_of_the_groups_likelihoods(simulated):
    """At the initial point every group has the same parameters (the hyperpriors' centres); the
    one potential over the concatenated pairs must equal the sum over groups of the marginal
    log-likelihood computed pair by pair in NumPy."""
    groups, _, _ = simulated
    for name in ("beta", "scaled_beta"):
        model = mp.build_pooled_model(groups, name)
        point = model.initial_point()
        spec, family = load_spec(name), get_family(name)
        variables = {}
        for v in family.prior_variables:
            scale, centre, _ = unconstrained_scale(spec.priors[v])
            variables[v] = float(scale.inverse(centre))
        params = family.natural_params(variables)
        total = 0.0
        for outcomes in groups.values():
            data = pair_data(mp.compress(outcomes))
            log_lik = data["log_binomial_coefficient"] + family.log_moment(
                data["c"], data["n"] - data["c"], params)
            total += float(np.sum(data["weight"] * log_lik))
        assert _potential(model)(point) == pytest.approx(total, rel=1e-10)
        n_pairs = sum(mp.compress(o).n_pairs for o in groups.values())
        assert model["pair_group"].get_value().shape == (n_pairs,)
        assert len(model.potentials) == 1
    # the scaled Beta's primitive takes per-pair parameter vectors with finite gradients
    assert np.isfinite(model.compile_dlogp(mode="FAST_COMPILE")(point)).all()


def _potential(model):
    """The model's one potential as a function of a point (value variables by name)."""
    value = model.replace_rvs_by_values(model.potentials)[0]
    return model.compile_fn(value, inputs=model.value_vars, on_unused_input="ignore",
                            mode="FAST_COMPILE")


@pytest.mark.parametrize(
    ("prior", "kind", "centre", "spread"),
    [(PriorSpec("LogNormal", {"mu": -1.2, "sigma": 1.0}), "log", -1.2, 1.0),
     (PriorSpec("Beta", {"alpha": 1.0, "beta": 1.0}), "logit", 0.0,
      float(special.logit(0.8413447460685429))),
     (PriorSpec("Normal", {"mu": 2.0, "sigma": 3.0}), "identity", 2.0, 3.0)],
)
def test_hyperpriors_are_centred_on_the_spec_prior(prior, kind, centre, spread):
    scale, got_centre, got_spread = unconstrained_scale(prior)
    assert scale.kind == kind
    assert got_centre == pytest.approx(centre, abs=1e-9)
    assert got_spread == pytest.approx(spread, rel=1e-6)
    x = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(scale.inverse(scale.forward(x)), x)


def test_a_prior_without_a_known_support_is_refused():
    with pytest.raises(SpecError, match="TruncatedNormal"):
        unconstrained_scale(PriorSpec("TruncatedNormal",
                                      {"mu": 0, "sigma": 1, "lower": 0, "upper": 2}))


def test_crossed_groups_get_one_effect_per_key_component():
    out = {key: mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=10, n_attempts=20,
                            seed=i)
           for i, key in enumerate([("a", "MATH"), ("a", "GSM"), ("b", "MATH"), ("c", "GSM")])}
    table = pd.DataFrame({"size": [1.0, 2.0, 3.0]}, index=pd.Index(["a", "b", "c"], name="model"))
    structure = pooled_structure(out, table, group_names=("model", "benchmark"))
    assert structure.effects == ("model", "benchmark")
    assert structure.levels == {"model": ["a", "b", "c"], "benchmark": ["MATH", "GSM"]}
    np.testing.assert_array_equal(structure.level_of_group["benchmark"], [0, 1, 0, 1])
    np.testing.assert_allclose(structure.covariates.values[:, 0], [1, 1, 2, 3])
    with_interaction = pooled_structure(out, table, group_names=("model", "benchmark"),
                                        interaction=True)
    assert with_interaction.effects == ("model", "benchmark", "group")
    model = mp.build_pooled_model(out, "beta", table, group_names=("model", "benchmark"))
    names = {v.name for v in model.free_RVs}
    assert {"alpha_sd_model", "alpha_sd_benchmark", "alpha_coef"} <= names


def _two_groups():
    return {k: mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=5, n_attempts=10,
                           seed=i) for i, k in enumerate(["a", "b"])}


@pytest.mark.parametrize(
    ("table", "message"),
    [(pd.DataFrame({"x": [1.0]}, index=pd.Index(["a"], name="group")),
      r"no row for group\(s\) \[\('b',\)\]"),
     (pd.DataFrame({"x": [1.0, np.nan]}, index=pd.Index(["a", "b"], name="group")),
      r"group \('b',\) has no finite value of 'x'"),
     (pd.DataFrame({"x": ["big", "small"]}, index=pd.Index(["a", "b"], name="group")),
      "column 'x' is not numeric"),
     (pd.DataFrame({"x": [True, False]}, index=pd.Index(["a", "b"], name="group")),
      "column 'x' is not numeric"),
     (pd.DataFrame({"x": [1.0, 1.0], "y": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="group")),
      r"column\(s\) \['x'\] take a single value"),
     (pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["A", "B"], name="group")),
      "no key of the table matches a group"),
     (pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=pd.Index(["a", "b", "a"], name="group")),
      "appear more than once"),
     (pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="model")),
      r"index level\(s\) \['model'\] are not group variables"),
     (pd.DataFrame(index=pd.Index(["a", "b"], name="group")), "no columns")],
)
def test_bad_covariates_are_named(table, message):
    with pytest.raises(OutcomesError, match=message):
        mp.build_pooled_model(_two_groups(), "beta", table)


def test_a_csv_shaped_table_is_keyed_by_its_group_columns():
    table = pd.DataFrame({"group": ["b", "a", "z"], "x": [2.0, 1.0, 9.0]})
    structure = pooled_structure(_two_groups(), table)
    np.testing.assert_allclose(structure.covariates.values[:, 0], [1.0, 2.0])


def test_the_centred_form_draws_each_group_around_the_line(simulated):
    groups, table, _ = simulated
    model = mp.build_pooled_model(groups, "beta", table, centred=True)
    names = {v.name for v in model.free_RVs}
    assert {"alpha_eta", "mean_eta", "alpha_sd_group"} <= names
    assert not any(name.startswith("alpha_z_") for name in names)
    structure = pooled_structure(groups, table, centred=True)
    eta = np.log([[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]]])
    draws = group_variable_draws({"alpha_eta": eta, "mean_eta": np.zeros_like(eta)}, structure,
                                 resolve_model("beta"))
    np.testing.assert_allclose(draws["alpha"], np.exp(eta))
    np.testing.assert_allclose(draws["beta"], np.exp(eta))  # mean 0.5: beta = alpha
    crossed = {("a", "x"): groups["m0"], ("b", "y"): groups["m1"]}
    with pytest.raises(ValueError, match="centred=True needs a single group effect"):
        pooled_structure(crossed, group_names=("model", "benchmark"), centred=True)


def test_other_group_counts_do_not_share_compiled_code(simulated):
    """nutpie's compiled code is cached on disk by graph; the number of groups fixes the length
    of the parameter vector, so it must be part of the key (a 10-group fit once loaded the code
    of a 7-group one)."""
    groups, _, _ = simulated
    five = dict(list(groups.items())[:5])
    assert (_graph_cache_path(mp.build_pooled_model(groups, "beta"))
            != _graph_cache_path(mp.build_pooled_model(five, "beta")))


def test_covariates_can_come_from_columns_of_the_data():
    frame = pd.DataFrame({"model": ["a", "a", "b"], "size": [1.0, 1.0, 2.0], "c": [1, 2, 3]})
    table = covariates_from_frame(frame, "model", "size")
    assert table.index.name == "model" and table["size"].to_dict() == {"a": 1.0, "b": 2.0}
    with pytest.raises(OutcomesError, match=r"column 'c' takes more than one value within "
                                            r"group\(s\) \['a'\]"):
        covariates_from_frame(frame, "model", ["size", "c"])
    with pytest.raises(OutcomesError, match=r"column\(s\) \['tokens'\] not in the data"):
        covariates_from_frame(frame, "model", "tokens")


def test_one_group_is_not_pooled():
    with pytest.raises(OutcomesError, match="at least two groups"):
        mp.build_pooled_model({"a": _two_groups()["a"]}, "beta")


# ---------------------------------------------------------------------------- one pooled fit
def test_the_model_is_compiled_and_sampled_once_for_all_groups(pooled_and_calls):
    pooled, calls = pooled_and_calls
    assert (calls["compile"], calls["sample"]) == (1, 1)
    # Measured with this seed: 0 divergences and R-hat 1.006 when the compiled code comes from
    # the disk cache, 4 of 2,000 and R-hat 1.016 when this process compiled it (the two differ
    # in the last bits, ~1e-13, and the trajectories part). Divergences must be rare and reported.
    diagnostics = pooled.diagnostics
    assert diagnostics.n_divergent <= 0.005 * diagnostics.n_draws, diagnostics
    if diagnostics.n_divergent:
        assert "divergent" in calls["warned"]
    assert diagnostics.max_rhat < 1.03, diagnostics


def test_each_group_gets_a_fit_from_its_own_pooled_draws(pooled, simulated):
    groups, _, _ = simulated
    fit = pooled["m5"]
    assert isinstance(fit, mp.Fit)
    g = pooled.keys.index(("m5",))
    np.testing.assert_array_equal(fit.posterior["alpha"].values,
                                  pooled.posterior["alpha"].values[..., g])
    assert fit.outcomes.n_problems == groups["m5"].n_problems
    table = fit.summary()
    assert "asymptotic_exponent" in set(table["estimand"])
    fits = pooled.fits()
    assert isinstance(fits, mp.FitGroups) and len(fits) == 7
    assert pooled.exponents().shape[0] == 7


def test_loo_of_the_pooled_fit_per_group(pooled):
    table = pooled.loo_against({key: pooled[key] for key in pooled.keys})
    assert list(table["group"]) == [k[0] for k in pooled.keys] + ["total"]
    assert np.isfinite(table["elpd_pooled"]).all()
    # against itself the paired difference is exactly zero
    assert (table["difference"] == 0).all() and (table["se_difference"] == 0).all()
    assert table["elpd_pooled"].iloc[-1] == pytest.approx(table["elpd_pooled"].iloc[:-1].sum())


def _standalone_log_alpha(outcomes) -> tuple[float, float]:
    """Median and sd of log alpha of the beta model fitted to one group alone, by quadrature
    on a 400 x 400 grid in (log alpha, logit mean) with the spec's priors (no MCMC noise)."""
    stats = mp.compress(outcomes)
    log_alpha = np.linspace(-6.0, 3.0, 400)[:, None]
    logit_mean = np.linspace(-9.0, 4.0, 400)[None, :]
    alpha, mean = np.exp(log_alpha), special.expit(logit_mean)
    beta = alpha * (1 - mean) / mean
    family = get_family("beta")
    log_post = np.zeros((400, 400))
    for n, c, w in zip(stats.n, stats.c, stats.weight, strict=True):
        log_post += w * family.log_moment(c, n - c, {"alpha": alpha, "beta": beta})
    # LogNormal(-1.2, 1) on alpha -> Normal(-1.2, 1) on log alpha; Beta(1, 1) on the mean ->
    # logistic density on its logit
    log_post += -0.5 * (log_alpha + 1.2) ** 2 + np.log(mean * (1 - mean))
    weights = np.exp(log_post - log_post.max()).sum(axis=1)
    weights /= weights.sum()
    cdf = np.cumsum(weights)
    grid = log_alpha[:, 0]
    median = float(np.interp(0.5, cdf, grid))
    sd = float(np.sqrt(np.sum(weights * (grid - np.sum(weights * grid)) ** 2)))
    return median, sd


@pytest.mark.slow
def test_a_small_group_is_shrunk_toward_the_trend(pooled, simulated):
    """The 8-problem group lies off the trend: pooled, its log alpha must move toward the trend
    line and narrow compared with its standalone posterior. Independent fits (no pooling) give
    the standalone posterior exactly, so this fails when pooling is off."""
    groups, _, _ = simulated
    alone_median, alone_sd = _standalone_log_alpha(groups[SMALL])
    g = pooled.keys.index((SMALL,))
    draws = np.log(pooled.posterior["alpha"].values[..., g]).ravel()
    x = pooled.structure.covariates.standardised[g]
    line = np.median(pooled.posterior["alpha_pop_mean"].values
                     + pooled.posterior["alpha_coef"].values @ x)
    assert abs(np.median(draws) - line) < 0.7 * abs(alone_median - line)
    assert draws.std() < 0.7 * alone_sd


@pytest.mark.slow
def test_the_trend_is_recovered(pooled):
    """Truth 0.25 per unit on log alpha. A single seeded check, so at a 99% interval: a
    calibrated posterior misses with probability 0.01; the 95% interval's lower bound above 0
    checks the trend is detected (the multi-seed coverage is in benchmarks/pooled.py)."""
    coef = pooled.coefficient("x")
    lower, upper = coef.interval(0.99)
    assert lower <= TREND <= upper
    assert coef.interval(0.95)[0] > 0
    table = pooled.summary()
    assert set(table["estimand"]) == {"population_mean", "coefficient", "between_group_sd"}
    assert "per original unit" in " ".join(table.attrs["notes"])


def _width(estimand) -> float:
    lower, upper = estimand.interval()
    return float(upper - lower)


@pytest.mark.slow
def test_a_new_group_is_less_certain_than_a_fitted_one(pooled):
    fitted = pooled["m5"].asymptotic_exponent()
    new = pooled.predict_group({"x": 5.0}, seed=1).asymptotic_exponent()
    assert _width(new) > _width(fitted)
    again = pooled.predict_group({"x": 5.0}, seed=1).asymptotic_exponent()
    np.testing.assert_array_equal(new.draws, again.draws)
    assert "between-group" in " ".join(pooled.predict_group({"x": 5.0}, seed=1)
                                       .summary().attrs["notes"])


@pytest.mark.parametrize(
    ("covariates", "error", "message"),
    [(None, OutcomesError, "give the new group's values"),
     ({"y": 1.0}, OutcomesError, r"missing \['x'\]; unknown \['y'\]"),
     ({"x": float("nan")}, OutcomesError, "'x' must be a finite number"),
     ({"x": "big"}, OutcomesError, "'x' must be a finite number")],
)
def test_bad_new_group_covariates_are_named(pooled, covariates, error, message):
    with pytest.raises(error, match=message):
        pooled.predict_group(covariates, seed=0)


def test_the_trend_figure_draws_bands_and_groups(pooled):
    stand_ins = {key: pooled[key] for key in pooled.keys}  # the code path of independent fits
    figure = mp.plot_exponent_trend(pooled, "x", independent=stand_ins, seed=0, points=8)
    ax = figure.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "x"
    assert len(ax.collections) >= 2 + 2 * len(pooled.keys)  # two bands, two bars per group
    with pytest.raises(KeyError, match="no covariate 'y'"):
        mp.plot_exponent_trend(pooled, "y")


def _pooled_markers(ax):
    """The forest's pooled medians (filled vermillion markers): x values and row positions."""
    line = next(line for line in ax.get_lines() if line.get_marker() == "o"
                and to_hex(line.get_color()) == to_hex(forest.POOLED_COLOUR))
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def test_the_forest_draws_one_row_per_group_at_the_pooled_medians(pooled):
    with mp.interval_convention(0.9, "eti"):
        figure = mp.plot_group_exponents(pooled)
        table = pooled.exponents()
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == sorted(k[0] for k in pooled.keys)  # one row per group
    x, y = _pooled_markers(ax)
    expected = table.set_index("group")["median"]
    # rows top to bottom (y = 0, -1, ...) by pooled median, smallest first
    np.testing.assert_allclose(y, -np.arange(len(labels)))
    np.testing.assert_allclose(x, expected[labels].to_numpy())
    assert list(expected[labels]) == sorted(expected)
    bars = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in bars], table.set_index("group")
                               .loc[labels, "eti90_lower"])  # the convention in force
    assert "90% ETI" in ax.get_xlabel() and ax.get_ylabel() == "group (by pooled median)"
    # the population band: for the beta family b∞ = alpha, so the typical group is exp(mean)
    band = ax.patches[0]
    typical = np.exp(pooled.posterior["alpha_pop_mean"].values.ravel())
    np.testing.assert_allclose([band.get_x(), band.get_x() + band.get_width()],
                               np.quantile(typical, [0.05, 0.95]), rtol=1e-9)
    assert any("90% ETI" in s and "typical group" in s for s in legend_labels(figure))


def test_the_forest_orders_by_a_covariate_and_puts_each_fit_alone_beside(pooled):
    stand_ins = {key[0]: pooled[key] for key in pooled.keys if key != ("m0",)}  # a subset
    figure = mp.plot_group_exponents(pooled, stand_ins, covariate="x", population=False)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"m{g}" for g in range(7)]  # x = 0 ... 6
    assert ax.get_ylabel() == "group (by x)" and not ax.patches
    _, y = _pooled_markers(ax)
    alone = next(line for line in ax.get_lines() if line.get_markerfacecolor() == "white")
    # each fit alone just below its pooled row, for the groups given only
    np.testing.assert_allclose(alone.get_ydata(), y[1:] - 2 * forest._OFFSET)
    np.testing.assert_allclose(alone.get_xdata(), [float(stand_ins[f"m{g}"]
                                                         .asymptotic_exponent().median())
                                                   for g in range(1, 7)])
    texts = legend_labels(figure)
    assert any(s.startswith("each group fitted alone") for s in texts)


@pytest.mark.parametrize(("independent", "error", "message"), [
    ({"m9": None}, KeyError, r"key\(s\) \['m9'\] match no group"),
    ({("m1", "MATH"): None}, KeyError, "match no group"),
    ({"m1": "not a fit"}, TypeError, r"independent\['m1'\] is a str, not a Fit"),
    ({}, ValueError, "holds no fits"),
])
def test_the_forest_refuses_independent_fits_of_unknown_groups(pooled, independent, error,
                                                               message):
    with pytest.raises(error, match=message):
        mp.plot_group_exponents(pooled, independent)
    with pytest.raises(KeyError, match="no covariate 'y'"):
        mp.plot_group_exponents(pooled, covariate="y")


@pytest.mark.parametrize("width", ["single", "double"])
def test_the_pooled_figures_lay_out_inside_the_canvas_with_the_legend_clear(pooled, width):
    """The layout check of every figure kind (tests/test_figures.py) on the pooled figures,
    drawn from this module's pooled fit."""
    stand_ins = {key: pooled[key] for key in pooled.keys}
    drawn = {
        "forest": mp.plot_group_exponents(pooled, width=width),
        "forest beside alone, by x": mp.plot_group_exponents(pooled, stand_ins, covariate="x",
                                                              width=width),
        "trend": mp.plot_exponent_trend(pooled, "x", independent=stand_ins, seed=0, points=8,
                                        width=width),
    }
    for name, fig in drawn.items():
        assert layout_problems(fig) == [], name


# ---------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def counts_files(simulated, tmp_path_factory):
    groups, table, _ = simulated
    folder = tmp_path_factory.mktemp("pooled_cli")
    frames = [out.to_dataframe().assign(group=key) for key, out in groups.items()]
    pd.concat(frames).to_csv(folder / "counts.csv", index=False)
    table.reset_index().to_csv(folder / "sizes.csv", index=False)
    return folder / "counts.csv", folder / "sizes.csv"


def _cli(counts, *extra):
    return ["fit", str(counts), "--problem", "problem", "--n", "n", "--c", "c", "--group-by",
            "group", "--model", "beta", "--seed", "5", "--no-progress", *extra]


def _no_pooled_fit(*args, **kwargs):
    raise AssertionError("sampling started although an option was invalid")


@pytest.mark.parametrize(("extra", "message"), [
    (("--covariates", "sizes.csv"), "--covariates sizes.csv: only with --pool"),
    (("--pool", "--workers", "2"), "--pool fits every group in one model in this process"),
    (("--pool", "--covariates", "missing.csv"), "--covariates missing.csv: no such file"),
    (("--pool", "--group", "m1"), "--pool: needs --group-by columns giving at least two groups"),
    (("--compare-independent",), "--compare-independent: only with --pool"),
])
def test_pool_options_are_checked_before_sampling(counts_files, capsys, monkeypatch, extra,
                                                  message):
    monkeypatch.setattr(mp, "fit_pooled", _no_pooled_fit)
    monkeypatch.setattr(mp, "fit_many", _no_pooled_fit)
    code = main(_cli(counts_files[0], *extra))
    err = capsys.readouterr().err
    assert code == 2 and message in err


def test_fit_pool_passes_the_covariates_and_prints_both_levels(counts_files, pooled, capsys,
                                                              monkeypatch):
    seen = {}

    def recorded(data, model, covariates, **kwargs):
        seen.update(groups=len(data), model=model, covariates=covariates, seed=kwargs["seed"])
        return pooled

    monkeypatch.setattr(mp, "fit_pooled", recorded)
    counts, sizes = counts_files
    assert main(_cli(counts, "--pool", "--covariates", str(sizes), "--format", "markdown")) == 0
    out = capsys.readouterr().out
    assert seen["groups"] == 7 and seen["model"] == "beta" and seen["seed"] == 5
    assert list(seen["covariates"].columns) == ["group", "x"]
    assert "log alpha per unit of x" in out and "asymptotic_exponent" in out


def test_fit_pool_compare_independent_writes_the_forest_and_the_loo_table(
        counts_files, pooled, capsys, monkeypatch, tmp_path):
    seen = {}

    def alone(data, model, **kwargs):
        seen.update(groups=len(data), model=model, seed=kwargs["seed"])
        return pooled.fits()  # stand-ins: the code path of independent fits

    def report(fits, out, **kwargs):  # the per-group report is tested elsewhere (test_cli.py)
        out.mkdir()
        return out / "report.md"

    monkeypatch.setattr(mp, "fit_pooled", lambda *args, **kwargs: pooled)
    monkeypatch.setattr(mp, "fit_many", alone)
    monkeypatch.setattr(cli_module, "write_report", report)
    counts, sizes = counts_files
    out = tmp_path / "out"
    assert main(_cli(counts, "--pool", "--covariates", str(sizes), "--compare-independent",
                     "--out", str(out))) == 0
    assert seen == {"groups": 7, "model": "beta", "seed": 5}  # same model and seed as pooled
    printed = capsys.readouterr().out
    assert "elpd_pooled" in printed and "positive favours pooling" in printed
    assert {p.name for p in (out / "figures").iterdir()} == {"pooled_exponents.png",
                                                             "pooled_exponents.pdf"}
    loo = pd.read_csv(out / "pooled_loo.csv")
    assert list(loo["group"]) == [f"m{g}" for g in range(7)] + ["total"]
    assert (loo["difference"] == 0).all()  # stand-ins: pooled against itself
    assert "elpd_independent" in (out / "pooled_loo.md").read_text()
