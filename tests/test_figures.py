"""Publication figures (monkeypower.output.figures): every figure renders headlessly to PNG and PDF,
bands follow the interval convention, legends name estimands, global matplotlib state is kept."""

from __future__ import annotations

import copy
import os
import pathlib
import re
import subprocess
import sys
import warnings

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import monkeypower as mp
from _layout import layout_problems, legend_labels
from monkeypower.fitting.diagnostics import SamplingWarning
from monkeypower.output import figures

pytestmark = pytest.mark.filterwarnings("ignore::monkeypower.fitting.diagnostics.SamplingWarning")
SMALL = dict(draws=300, tune=300, chains=2, progressbar=False)


@pytest.fixture(scope="module")
def fits():
    a = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=96, n_attempts=500, seed=0,
                    labels={"model": "a"})
    b = mp.simulate("beta", {"alpha": 0.6, "beta": 3}, n_problems=96, n_attempts=500, seed=1,
                    labels={"model": "b"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return {"a": mp.fit(a, "beta", seed=1, **SMALL), "b": mp.fit(b, "beta", seed=2, **SMALL)}


legend_texts = legend_labels


def all_figures(fits):
    one = fits["a"]
    return {
        "scaling": figures.plot_scaling(one),
        "scaling_groups": figures.plot_scaling(fits, width="double"),
        "exponents": figures.plot_exponents(one, truth={"asymptotic_exponent": 0.3}),
        "exponents_forest": figures.plot_exponents(fits),
        "forecast": figures.plot_forecast(one, 0.9, curves=("forecast", "population")),
        "population": figures.plot_population(one, max_draws=50, samples_per_draw=500),
    }


def test_every_figure_renders_to_png_and_vector_pdf(fits, tmp_path):
    assert os.environ["MPLBACKEND"] == "Agg"  # headless (set in conftest)
    for name, fig in all_figures(fits).items():
        paths = figures.save_figure(fig, tmp_path / name)
        assert sorted(p.suffix for p in paths) == [".pdf", ".png"]
        png, pdf = (tmp_path / f"{name}.png").read_bytes(), (tmp_path / f"{name}.pdf").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, name
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000, name
        # vector: no raster image inside; TrueType fonts embedded (editable text), not Type 3
        assert b"/Subtype /Image" not in pdf, name
        assert b"/FontFile2" in pdf and b"/Type3" not in pdf, name
    # a suffix picks the one format
    assert figures.save_figure(all_figures(fits)["scaling"], tmp_path / "x.svg") == [
        tmp_path / "x.svg"]
    assert (tmp_path / "x.svg").read_text().lstrip().startswith("<?xml")


def test_rcparams_unchanged_by_plotting_and_saving(fits, tmp_path):
    before = copy.deepcopy(dict(matplotlib.rcParams))
    for name, fig in all_figures(fits).items():
        figures.save_figure(fig, tmp_path / name)
    with figures.publication_style("double") as rc:
        assert matplotlib.rcParams["font.size"] == rc["font.size"] == 9.0
    assert dict(matplotlib.rcParams) == before


def test_importing_the_package_leaves_rcparams_alone():
    code = (
        "import copy, sys, matplotlib\n"
        "before = copy.deepcopy(dict(matplotlib.rcParams))\n"
        "import monkeypower, monkeypower.output.figures, monkeypower.output.report\n"
        "import monkeypower.fitting.fit\n"
        "import monkeypower.evaluation.side_by_side\n"
        "import arviz, arviz_plots\n"
        "changed = [k for k, v in before.items() if matplotlib.rcParams[k] != v]\n"
        "assert not changed, changed\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    # the package itself never goes through pyplot (nutpie's arviz imports it; that is theirs)
    src = pathlib.Path(mp.__file__).parent
    pyplot = re.compile(r"^\s*(import matplotlib\.pyplot|from matplotlib\.pyplot import"
                        r"|from matplotlib import .*\bpyplot\b)", re.M)
    users = [p.name for p in src.rglob("*.py") if pyplot.search(p.read_text())]
    assert not users, users


def test_scaling_band_is_the_interval_convention(fits):
    fit = fits["a"]
    with mp.interval_convention(0.8, "hdi"):
        fig = figures.plot_scaling(fit, max_draws=100)
    assert any("80% HDI" in s for s in legend_texts(fig))
    ax = fig.axes[0]
    median_line = next(line for line in ax.get_lines()
                       if line.get_color() == figures.SERIES_COLOURS[0])
    k = np.asarray(median_line.get_xdata())
    draws = fit.forecast_pass_at_k(k, neg_log=True, max_draws=100)
    np.testing.assert_allclose(median_line.get_ydata(), draws.median())
    lo, hi = draws.interval(mp.IntervalConvention(0.8, "hdi"))
    band = ax.collections[0].get_paths()[0].vertices
    for x, y_lo, y_hi in zip(k, lo, hi, strict=True):
        ys = band[np.isclose(band[:, 0], x), 1]
        assert np.isclose(ys, y_lo).any() and np.isclose(ys, y_hi).any()
    # extrapolated beyond the largest observed k, which is marked
    assert k.max() == 100 * fit.outcomes.max_attempts
    assert any("largest observed k = 500" in s for s in legend_texts(fig))


def test_scaling_accepts_groups_and_dicts_of_fits(fits):
    groups = mp.FitGroups(("model",), {("a",): fits["a"], ("b",): fits["b"]})
    for fig in (figures.plot_scaling(groups), figures.plot_scaling(fits)):
        texts = legend_texts(fig)
        # each group named once; what the lines and bands are, said once
        assert "a" in texts and "b" in texts
        assert sum(s.startswith("in-sample forecast: median, 95% ETI") for s in texts) == 1
        colours = {line.get_color() for line in fig.axes[0].get_lines()}
        assert {figures.SERIES_COLOURS[0], figures.SERIES_COLOURS[1]} <= colours
    # data given explicitly must match the fits' keys
    data = mp.OutcomesGroups(("model",), {("a",): fits["a"].outcomes,
                                          ("b",): fits["b"].outcomes})
    assert figures.plot_scaling(data, groups).axes
    with pytest.raises(TypeError, match="Fit"):
        figures.plot_scaling({"a": "not a fit"})
    with pytest.raises(ValueError, match="curve"):
        figures.plot_scaling(fits["a"], curve="sideways")


def test_exponents_figure_names_both_estimands(fits):
    fit = fits["a"]
    texts = legend_texts(figures.plot_exponents(fit, window=(10, 500)))
    asym = fit.asymptotic_exponent()
    assert any(s.startswith("asymptotic exponent") and f"median {float(asym.median()):.3g}"
               in s for s in texts)
    assert any(s.startswith("effective exponent") and "k from 10 to 500" in s for s in texts)
    assert any("95% ETI" in s for s in texts)
    forest = figures.plot_exponents(fits)
    assert [t.get_text() for t in forest.axes[0].get_yticklabels()] == ["a", "b"]
    assert {" ".join(s.split(" ")[:2]) for s in legend_texts(forest)} == {
        "asymptotic exponent", "effective exponent"}


def test_forecast_reads_off_attempts_for_target(fits):
    fit = fits["a"]
    fig = figures.plot_forecast(fit, 0.9, max_draws=100)
    needed = fit.attempts_for_target(0.9)  # the read-off uses every draw
    lo, hi = needed.interval()
    text = next(s for s in legend_texts(fig)
                if s.startswith(r"attempts for $\mathrm{pass}_D@k$ ≥ 0.9"))
    assert f"median {float(needed.median()):,.0f}" in text
    assert f"95% ETI [{float(lo):,.0f}, {float(hi):,.0f}]" in text
    assert fig.axes[0].get_ylim() == (0.0, 1.0)
    # the default target is the next milestone above what the data reached
    solved = float(np.mean(fit.outcomes.c > 0))
    assert figures.default_target(fit.outcomes) > solved
    with pytest.raises(ValueError, match="target"):
        figures.plot_forecast(fit, 1.5)


def test_publication_sizes_and_palette(fits):
    fit = fits["a"]
    assert figures.plot_population(fit, max_draws=20, samples_per_draw=100,
                                   width="single").get_figwidth() == 3.5
    assert figures.plot_scaling(fit, width="double").get_figwidth() == 7.2
    assert figures.plot_scaling(fit, width=5).get_figwidth() == 5.0
    with pytest.raises(ValueError, match="width"):
        figures.plot_scaling(fit, width="triple")
    assert set(figures.SERIES_COLOURS) == set(figures.OKABE_ITO.values())
    # drawing on a caller's axes uses that figure
    own = Figure()
    ax = own.add_subplot()
    assert figures.plot_exponents(fit, ax=ax) is own and ax.get_legend() is not None


def test_the_package_exports_the_plots():
    assert figures.plot_scaling is mp.plot_scaling
    assert figures.plot_population is mp.plot_population
    assert mp.plot_exponents is figures.plot_exponents
    assert mp.plot_forecast is figures.plot_forecast
    assert mp.plot_group_exponents is figures.plot_group_exponents
    assert mp.plot_exponent_trend is figures.plot_exponent_trend


# ------------------------------------------------------------------------- layout, for a paper
@pytest.fixture(scope="module")
def seven(fits):
    """Seven groups (the Pythia suite's size) from the two fits: the all-groups figures."""
    names = ["Pythia 70M", "Pythia 160M", "Pythia 410M", "Pythia 1B", "Pythia 1.4B",
             "Pythia 6.9B", "Pythia 12B"]
    return {name: fits["ab"[i % 2]] for i, name in enumerate(names)}


# the pooled fit's figures (trend, forest) get the same check in tests/test_pooled.py, on that
# module's pooled fit (one pooled fit per CI run)
@pytest.mark.parametrize("width", ["single", "double"])
def test_every_figure_lays_out_inside_the_canvas_with_the_legend_clear_of_the_data(
        fits, seven, width):
    one = fits["a"]
    comparison = mp.compare({"beta": one, "beta again": one})
    drawn = {
        "scaling": figures.plot_scaling(one, width=width, max_draws=50),
        "scaling, 2 groups": figures.plot_scaling(fits, width=width, max_draws=50),
        "scaling, 7 groups": figures.plot_scaling(seven, width=width, max_draws=20),
        "exponents": figures.plot_exponents(one, truth={"asymptotic_exponent": 0.3},
                                            width=width, max_draws=50),
        "exponents, 7 groups": figures.plot_exponents(seven, width=width, max_draws=20),
        "forecast": figures.plot_forecast(one, 0.9, curves=("forecast", "population"),
                                          width=width, max_draws=50),
        "population": figures.plot_population(one, max_draws=20, samples_per_draw=200,
                                              width=width),
        "compare": comparison.plot(width=width),
    }
    for name, fig in drawn.items():
        assert layout_problems(fig) == [], name


def test_the_layout_check_catches_a_covering_legend_and_a_cut_label():
    # negative control: the two faults the paper pass found in compare.png
    fig = Figure(figsize=(3.5, 2.5), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar([0.0, 1.0], [1.0, 0.0], xerr=[0.1, 0.1], fmt="o", label="ELPD ± SE")
    ax.legend(loc="upper left", bbox_to_anchor=(-0.02, 1.02))
    ax.set_xlabel("ELPD, leave-one-problem-out (log score) " * 2)
    problems = layout_problems(fig)
    assert any("covers" in p for p in problems)
    assert any("runs off the canvas" in p for p in problems)
    tall = Figure(figsize=(3.5, 2.5))
    tall_ax = tall.add_subplot()
    lines = [tall_ax.plot([1, 2])[0] for _ in range(20)]
    tall.legend(lines, [f"entry {i}" for i in range(20)], loc="lower center")
    assert any("of the height" in p or "off the canvas" in p for p in layout_problems(tall))


def test_figures_name_their_group_and_legends_read_as_words(fits, seven):
    one = fits["a"]  # simulated with labels {"model": "a"}
    singles = [figures.plot_scaling(one), figures.plot_exponents(one),
               figures.plot_forecast(one, 0.9), figures.plot_population(
                   one, max_draws=20, samples_per_draw=100)]
    for fig in singles:
        assert fig.axes[0].get_title() == "a"
    many = [figures.plot_scaling(seven, max_draws=20), figures.plot_exponents(seven)]
    for fig in [*singles, *many]:
        for label in legend_labels(fig):
            plain = re.sub(r"\$[^$]*\$", "", label)
            assert not re.search(r"[a-z]+_[a-z]+", plain), label  # no code names
            assert "[k in" not in plain, label


def test_groups_differ_by_colour_and_marker(seven):
    fig = figures.plot_scaling(seven, max_draws=20)
    ax = fig.axes[0]
    assert ax.get_lines()
    grey = matplotlib.colors.to_hex("#666666")
    styles = {(matplotlib.colors.to_hex(line.get_color()), line.get_marker())
              for line in fig.legends[0].findobj(Line2D)
              if line.get_marker() not in (None, "None", "")}
    styles = {s for s in styles if s[0] != grey}
    assert len(styles) == 7
    assert len({marker for _, marker in styles}) == 7


def test_groups_forecast_one_common_target(fits):
    low = fits["a"].outcomes
    targets = {figures.default_target(o) for o in (low, fits["b"].outcomes)}
    assert figures.common_target([low, fits["b"].outcomes]) == max(targets)
    with pytest.raises(ValueError, match="at least one"):
        figures.common_target([])
