"""Many groups on a real Dask cluster: the same draws as the serial fit, and no group lost.

Small ``LocalCluster``s of 2 worker processes of one thread each; the workers fork from the test
process after it compiled the Beta model (as ``fit_many(n_workers=...)`` does on Linux), so they
start with the model compiled.
"""

import os

import numpy as np
import pytest

import monkeypower as mp
import monkeypower.fitting.distributed as distributed_fitting
from monkeypower.fitting.distributed import default_chunk_size, fit_many, local_client
from monkeypower.presentation.progress import progress_bar

SAMPLING = {"seed": 11, "draws": 100, "tune": 100, "chains": 2}
N_GROUPS = 4


def _groups() -> mp.OutcomesGroups:
    groups = {(f"m{i}", "bench"): mp.simulate("beta", {"alpha": 0.3 + 0.1 * i, "beta": 3.0},
                                              n_problems=32, n_attempts=200, seed=i)
              for i in range(N_GROUPS)}
    return mp.OutcomesGroups(("model", "benchmark"), groups)


def _same_draws(a: mp.FitGroups, b: mp.FitGroups) -> None:
    assert list(a) == list(b)
    for key in a:
        for name in ("alpha", "mean"):
            np.testing.assert_array_equal(a[key].tree["posterior"][name].values,
                                          b[key].tree["posterior"][name].values)
        assert a[key].seed == b[key].seed


@pytest.fixture(scope="module")
def data():
    return _groups()


@pytest.fixture(scope="module")
def serial(data):
    with pytest.warns(mp.SamplingWarning):  # 100 draws: ESS warnings, named by group
        return mp.fit(data, "beta", progressbar=False, **SAMPLING)


@pytest.fixture(scope="module")
def client(serial):
    """A cluster of this process's forks (after ``serial`` compiled the model here)."""
    with local_client(2) as c:
        assert len(c.scheduler_info(n_workers=-1)["workers"]) == 2
        yield c


def test_serial_fit_many_equals_fit(data, serial):
    with pytest.warns(mp.SamplingWarning):
        again = fit_many(data, "beta", progressbar=False, **SAMPLING)
    _same_draws(serial, again)


def _group_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, mp.SamplingWarning)]


@pytest.mark.slow
def test_local_cluster_equals_serial(data, serial):
    with pytest.warns(mp.SamplingWarning) as record:
        spread = fit_many(data, "beta", n_workers=2, chunk_size=1, progressbar=False,
                          **SAMPLING)
    _same_draws(serial, spread)
    assert any("group {'model': 'm3'" in text for text in _group_warnings(record))


@pytest.mark.slow
def test_client_equals_serial(data, serial, client):
    with pytest.warns(mp.SamplingWarning):
        spread = fit_many(data, "beta", client=client, progressbar=False, **SAMPLING)
    _same_draws(serial, spread)


@pytest.mark.slow
# distributed drops a socket of the dead worker's connection to the garbage collector
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_killed_worker_loses_no_group(data, serial, tmp_path, monkeypatch):
    """The first attempt at group 2 kills its worker process; the scheduler reruns it."""
    flag = tmp_path / "killed"
    fit_group = distributed_fitting.fit_group
    victim_seed = distributed_fitting.child_seed(SAMPLING["seed"], 2)

    def dying_fit_group(stats, model, settings, group_seed):
        if group_seed == victim_seed and not flag.exists():
            flag.touch()
            os._exit(1)  # the worker process dies mid-task, as on a lost machine
        return fit_group(stats, model, settings, group_seed)

    # the workers fork from this process, so they run the patched function
    monkeypatch.setattr(distributed_fitting, "fit_group", dying_fit_group)
    with pytest.warns(mp.SamplingWarning):
        spread = fit_many(data, "beta", n_workers=2, chunk_size=1, progressbar=False,
                          **SAMPLING)
    assert flag.exists(), "no worker was killed: the test proved nothing"
    assert len(spread) == N_GROUPS
    _same_draws(serial, spread)


def test_one_place_to_run(data):
    with pytest.raises(ValueError, match="at most one of client, scheduler and n_workers"):
        fit_many(data, "beta", seed=1, scheduler="tcp://127.0.0.1:1", n_workers=2)
    with pytest.raises(ValueError, match="n_workers must be a whole number of at least 1"):
        fit_many(data, "beta", seed=1, n_workers=0)
    with pytest.raises(TypeError, match="group collection"):
        fit_many(data[("m0", "bench")], "beta", seed=1)
    with pytest.raises(TypeError, match="seed must be an int"):
        fit_many(data, "beta", seed=None)


def test_chunks_balance_the_workers():
    assert default_chunk_size(4, 2) == 1
    assert default_chunk_size(1000, 2) == 32  # 63 would be 8 per worker: capped at 32
    assert default_chunk_size(160, 2) == 10
    assert default_chunk_size(0, 2) == 1


def test_progress_shows_done_total_and_time_left(capsys):
    with progress_bar(4, "fitting beta") as bar:
        bar.update(3)
    text = capsys.readouterr().err
    assert "fitting beta" in text and "3/4" in text and ("group/s" in text or "s/group" in text)
    with progress_bar(4, "quiet", enabled=False) as bar:
        bar.update(4)
    assert capsys.readouterr().err == ""
