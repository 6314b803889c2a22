"""JAX stays unimported through PSIS-LOO, figures and a whole command, and the window is exact;
ArviZ's plots and Matplotlib stay unimported through a whole command that draws no figure
(:mod:`monkeypower.fitting.nutpie_import`; the figure modules import Matplotlib when they
draw), while ``import arviz`` still gets the real package.

Each check runs in a fresh interpreter: in this one other tests may have imported JAX already.
The negative controls show the cost the window avoids is real: the same SciPy and matplotlib
calls outside it import JAX (if a future SciPy, matplotlib or arviz-base stops doing that, the
controls fail and the workaround can go).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

_PRELUDE = """
import json, sys
import numpy as np
import arviz_base
from monkeypower import lazy_jax

def figure():
    from matplotlib.figure import Figure
    Figure().add_subplot().plot([1, 2], [3, 4])

out = {"placeholder_at_start": type(sys.modules.get("jax")).__name__}
"""

_PAIR_PSIS = """
import xarray as xr
from monkeypower.fitting.loo import _pair_psis

def pair_psis():
    rng = np.random.default_rng(0)
    counts = xr.DataArray(rng.normal(-3.0, 0.2, (2, 200, 5)), dims=("chain", "draw", "pair"))
    posterior = xr.Dataset({"alpha": (("chain", "draw"), rng.normal(size=(2, 200)))})
    return _pair_psis(posterior, counts)
"""


def _run(body: str, setup: str = "") -> dict:
    script = _PRELUDE + setup + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def inside(tmp_path_factory) -> dict:
    """A whole command first (``monkeypower fit``: sampling, PSIS-LOO, the summary), then the
    window itself (figures inside it are checked directly: drawing ``--out``'s four costs
    five seconds), ending with a real import of JAX inside it."""
    folder = tmp_path_factory.mktemp("command")
    counts = str(folder / "counts.csv")
    return _run(setup=_PAIR_PSIS, body=f"""
        import monkeypower
        from monkeypower.cli import main
        data = monkeypower.simulate("beta", {{"alpha": 0.4, "beta": 3.0}}, n_problems=24,
                                    n_attempts=50, seed=3)
        data.to_dataframe().to_csv({counts!r}, index=False)
        out["rc"] = main(["fit", {counts!r}, "--layout", "counts", "--problem", "problem",
                          "--n", "n", "--c", "c", "--model", "beta", "--seed", "1"])
        out["loaded_after_command"] = lazy_jax.jax_is_loaded()
        out["plots_after_command"] = sorted({{"arviz", "arviz_plots", "matplotlib"}}
                                            & set(sys.modules))
        nutpie_arviz = sys.modules["nutpie.sample"].arviz
        out["nutpie_sees"] = type(nutpie_arviz).__name__
        import arviz
        out["real_arviz"] = hasattr(arviz, "plot_dist") and sys.modules["arviz"] is arviz
        out["stand_in_delegates"] = nutpie_arviz.from_netcdf is arviz.from_netcdf
        placeholder = sys.modules["jax"]
        with lazy_jax.jax_kept_unloaded():
            out["hidden_inside"] = "jax" not in sys.modules
            with lazy_jax.jax_kept_unloaded():
                out["hidden_nested"] = "jax" not in sys.modules
            out["still_hidden_after_nested"] = "jax" not in sys.modules
        out["restored_same_object"] = sys.modules.get("jax") is placeholder
        elpd, k, lppd, good_k = pair_psis()
        out["psis_finite"] = bool(np.isfinite(elpd).all() and np.isfinite(k).all())
        with lazy_jax.jax_kept_unloaded():
            figure()
        out["loaded_after_psis_and_figure"] = lazy_jax.jax_is_loaded()
        with lazy_jax.jax_kept_unloaded():
            import jax
            out["real_jax_version"] = jax.__version__
        out["real_jax_kept"] = sys.modules["jax"] is jax and lazy_jax.jax_is_loaded()
    """)


def test_a_whole_command_leaves_jax_unimported(inside):
    assert inside["rc"] == 0
    assert inside["loaded_after_command"] is False


def test_a_whole_command_leaves_arviz_plots_and_matplotlib_unimported(inside):
    assert inside["plots_after_command"] == []
    assert inside["nutpie_sees"] == "_DeferredArviz"


def test_import_arviz_after_nutpie_gets_the_real_package(inside):
    assert inside["real_arviz"]
    assert inside["stand_in_delegates"]


@pytest.mark.parametrize("first", ["nutpie", "arviz"])
def test_negative_control_a_plain_import_brings_arviz_plots(first):
    """``import nutpie`` alone imports ArviZ's plots (if a later nutpie stops doing so, this
    fails and :mod:`monkeypower.fitting.nutpie_import` can go); with ``arviz`` imported first
    nutpie gets the real module and nothing is replaced."""
    out = _run(f"""
        import {first}
        import monkeypower.fitting.sampling
        out["plots"] = "arviz_plots" in sys.modules
        out["nutpie_sees"] = type(sys.modules["nutpie.sample"].arviz).__name__
    """)
    assert out["plots"] is True
    assert out["nutpie_sees"] == "module"


def test_arviz_base_leaves_an_unloaded_placeholder(inside):
    assert inside["placeholder_at_start"] == "_LazyModule"


def test_the_window_hides_the_placeholder_and_puts_the_same_one_back(inside):
    assert inside["hidden_inside"] and inside["hidden_nested"]
    assert inside["still_hidden_after_nested"]  # the outer window is still open
    assert inside["restored_same_object"]


def test_psis_loo_and_figures_inside_the_window_leave_jax_unimported(inside):
    assert inside["psis_finite"]
    assert inside["loaded_after_psis_and_figure"] is False


def test_jax_imported_for_real_inside_the_window_stays(inside):
    assert inside["real_jax_version"]
    assert inside["real_jax_kept"]


@pytest.mark.parametrize("call", ["scipy", "matplotlib"])
def test_negative_control_outside_the_window_the_same_calls_import_jax(call):
    work = ("from scipy.special import logsumexp; logsumexp(np.zeros((3, 4)), axis=0)"
            if call == "scipy" else "figure()")
    out = _run(f"""
        {work}
        out["loaded"] = lazy_jax.jax_is_loaded()
    """)
    assert out["loaded"] is True
