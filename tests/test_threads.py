"""Pieces of array work on threads: every piece runs once, errors and NumPy's error state cross
into the workers, and the curves computed in chunks on threads are the one-pass bits."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from monkeypower import threads
from monkeypower.estimands import curves
from monkeypower.families import get_family
from test_family_contract import median_params as _median


@pytest.fixture
def four_cores(monkeypatch):
    """Threads even on a one-core machine."""
    monkeypatch.setattr(threads, "available_cores", lambda: 4)


def test_every_piece_runs_once_on_several_threads(four_cores):
    out = np.zeros(10)
    names = set()

    def work(i: int) -> None:
        names.add(threading.current_thread().name)
        out[i] += i

    threads.run_in_threads(work, range(10))
    np.testing.assert_array_equal(out, np.arange(10))
    assert len(names) > 1 and threading.main_thread().name not in names


def test_one_piece_or_one_thread_runs_in_the_caller(four_cores):
    names = []
    threads.run_in_threads(lambda _: names.append(threading.current_thread().name), [0])
    threads.run_in_threads(lambda _: names.append(threading.current_thread().name), [1, 2],
                           max_threads=1)
    assert names == [threading.main_thread().name] * 3


def test_an_error_in_a_piece_is_raised_to_the_caller(four_cores):
    def work(i: int) -> None:
        if i == 3:
            raise ValueError("piece 3")

    with pytest.raises(ValueError, match="piece 3"):
        threads.run_in_threads(work, range(6))


def test_numpy_error_state_holds_in_the_workers(four_cores):
    """A thread starts with an empty context; the pieces run in a copy of the caller's."""
    def log_zero(_: int) -> None:
        np.log(np.zeros(3))

    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        threads.run_in_threads(log_zero, range(4))
    with np.errstate(divide="ignore"):  # the suite turns warnings into errors: none is raised
        threads.run_in_threads(log_zero, range(4))


def test_forecast_curve_in_chunks_on_threads_is_the_one_pass_curve(monkeypatch):
    rng = np.random.default_rng(2)
    params = {"alpha": 0.3 * np.exp(rng.normal(0, 0.1, 401)),
              "beta": 3.0 * np.exp(rng.normal(0, 0.1, 401))}
    n = np.full(40, 1000)
    c = rng.integers(0, 30, 40)
    k = np.geomspace(1, 1e6, 25)
    family = get_family("beta")
    monkeypatch.setattr(curves, "available_cores", lambda: 1)
    one = curves.forecast_log_fail(family, params, k, n, c, np.ones(40))
    monkeypatch.setattr(curves, "available_cores", lambda: 7)  # 7 chunks of 58 draws, uneven
    monkeypatch.setattr(threads, "available_cores", lambda: 4)
    chunked = curves.forecast_log_fail(family, params, k, n, c, np.ones(40))
    assert np.isfinite(one).all()
    np.testing.assert_array_equal(chunked, one)


@pytest.mark.parametrize("name, threaded", [("beta", True), ("beta_mixture", True),
                                            ("scaled_beta", False),
                                            ("zero_inflated_scaled_beta", False),
                                            ("bridged_beta", False),
                                            ("scaled_kumaraswamy", False),
                                            ("kumaraswamy", False), ("logit_normal", False)])
def test_no_threads_around_a_kernel_that_runs_on_its_own(monkeypatch, name, threaded):
    """The scaled Beta's numba loop is parallel (numba's workqueue layer aborts on two launches
    at once); the quadrature families' fused kernel has its own thread pool."""
    family = get_family(name)
    assert family.parallel_kernel is not threaded
    asked = []
    monkeypatch.setattr(curves, "available_cores", lambda: 4)
    monkeypatch.setattr(curves, "run_in_threads",
                        lambda work, pieces, max_threads=None: asked.append(max_threads))
    theta = {p: np.full(8, v) for p, v in _median(name).items()}
    curves.forecast_log_fail(family, theta, [10.0, 100.0], np.full(3, 100), np.arange(3),
                             np.ones(3))
    assert asked == [4 if threaded else 1]


def test_the_package_s_numba_kernels_release_the_gil():
    """``njit_cached`` compiles with ``nogil=True`` unless told otherwise, so the kernels the
    threads run (Beta's betaln, the quadrature families' node placement) do not hold the GIL."""
    from monkeypower.families import _numba_cache, _special_numba, kumaraswamy

    assert _special_numba._betaln_flat.targetoptions["nogil"] is True
    assert kumaraswamy._place_nb.targetoptions["nogil"] is True
    held = _numba_cache.njit_cached(nogil=False)(lambda x: x + 1.0)
    assert held.targetoptions["nogil"] is False  # an explicit choice still wins


@pytest.mark.parametrize("name", ["bridged_beta", "scaled_kumaraswamy", "kumaraswamy",
                                  "logit_normal", "tailed_logit_normal"])
def test_the_fused_kernel_gets_elements_enough_for_its_threads(monkeypatch, name):
    """Families with ``parallel_kernel`` get no threads around them, so their own threads must
    see the work: the NumPy path handed the fused quadrature chunks of 2,048 elements, below
    the 4,096 a thread needs, and a forecast ran on one core."""
    from monkeypower.families import _laplace_integral

    seen = []
    real = _laplace_integral._in_threads
    monkeypatch.setattr(_laplace_integral, "_in_threads",
                        lambda values, n: seen.append(n) or real(values, n))
    family = get_family(name)
    draws = {k: np.full((40, 1), v) for k, v in _median(name).items()}
    c = np.tile(np.arange(500.0), (40, 1))
    out = family.log_moment(c, 1000.0 - c, draws)
    assert out.shape == (40, 500) and np.isfinite(out).all()
    assert max(seen) == 20_000 >= 2 * _laplace_integral.MIN_ELEMENTS_PER_THREAD
