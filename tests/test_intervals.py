"""One interval convention, set in one place, used by every public default."""

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import monkeypower as mp


def every_module():
    """Every module of the package, so a new room cannot escape the check."""
    for info in pkgutil.walk_packages(mp.__path__, prefix="monkeypower."):
        if info.name != "monkeypower.cli":
            yield importlib.import_module(info.name)


def public_callables():
    for module in every_module():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj):
                for meth_name, meth in vars(obj).items():
                    if callable(meth) and not meth_name.startswith("_"):
                        yield f"{module.__name__}.{name}.{meth_name}", meth
            elif callable(obj):
                yield f"{module.__name__}.{name}", obj


def test_every_public_interval_argument_defaults_to_the_convention_in_force():
    checked = 0
    for qualname, fn in public_callables():
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        for pname in ("interval", "interval_prob", "ci_prob", "hdi_prob", "prob"):
            if pname in params and qualname.split(".")[-1] not in ("set_interval",
                                                                   "interval_convention"):
                default = params[pname].default
                assert default is None or default is inspect.Parameter.empty, (qualname, pname)
                checked += 1
    assert checked >= 3


def test_default_is_95_percent_equal_tailed():
    assert mp.get_interval() == mp.IntervalConvention(0.95, "eti")
    lo, hi = mp.get_interval().bounds(np.arange(1001.0))
    assert (lo, hi) == (pytest.approx(25.0), pytest.approx(975.0))


def test_set_and_context_change_it_and_restore():
    previous = mp.set_interval(0.9)
    try:
        assert mp.get_interval().prob == 0.9
        with mp.interval_convention(0.5, "hdi"):
            assert mp.get_interval() == mp.IntervalConvention(0.5, "hdi")
        assert mp.get_interval().prob == 0.9
    finally:
        mp.set_interval(previous.prob, previous.kind)
    assert mp.get_interval().prob == 0.95


def test_hdi_of_a_skewed_sample_is_shorter_than_the_eti():
    draws = np.random.default_rng(0).exponential(size=20_000)
    eti = mp.IntervalConvention(0.9, "eti").bounds(draws)
    hdi = mp.IntervalConvention(0.9, "hdi").bounds(draws)
    assert hdi[1] - hdi[0] < eti[1] - eti[0]
    assert hdi[0] == pytest.approx(0.0, abs=0.01)


def test_bad_conventions_are_refused():
    with pytest.raises(ValueError, match="prob"):
        mp.IntervalConvention(1.5)
    with pytest.raises(ValueError, match="kind"):
        mp.IntervalConvention(0.9, "central")
