"""Members in worker processes: a killed worker's member resumes from its last checkpoint."""

import uuid

import pytest

import tunelab
from tests.pbt import toys
from tunelab.pbt import PopulationBasedTraining
from tunelab.samplers import RandomSampler


@pytest.fixture
def storage(sql_url, tmp_path):
    """Where the study lives, and the checkpoint directory to name (None: beside the SQLite file)."""
    return sql_url, None if sql_url.startswith("sqlite") else str(tmp_path / "checkpoints")


def test_a_killed_worker_loses_only_its_interval_which_runs_again_from_the_same_checkpoint(tmp_path, monkeypatch,
                                                                                          storage):
    url, checkpoint_dir = storage
    monkeypatch.setenv("TUNELAB_PBT_KILL_MARKER", str(tmp_path / "killed"))
    study = tunelab.create_study(storage=url, study_name=f"killed-{uuid.uuid4().hex[:8]}",
                                 sampler=RandomSampler(seed=0))
    pbt = PopulationBasedTraining(4, budget=8, interval=2, steps_per_unit=3, seed=0)
    found = pbt.optimize(study, toys.train_killed_once, save=toys.save, load=toys.load, n_jobs=2,
                         checkpoint_dir=checkpoint_dir)

    assert (tmp_path / "killed").exists()  # the worker did kill itself
    trials = [t for t in study.trials if "pbt" in t.user_attrs]
    failed = [t for t in trials if t.state == tunelab.TrialState.FAIL]
    assert len(failed) == 1 and "its worker died" in failed[0].fail_reason
    info = failed[0].user_attrs["pbt"]
    assert (info["member"], info["generation"]) == (1, 2)
    again = [t for t in trials if t.state == tunelab.TrialState.COMPLETE
             and (t.user_attrs["pbt"]["member"], t.user_attrs["pbt"]["generation"]) == (1, 2)]
    assert len(again) == 1  # one COMPLETE interval per member and generation, the retry's
    assert again[0].user_attrs["pbt"]["parent"] == info["parent"] and again[0].params == failed[0].fixed_params
    assert again[0].user_attrs["pbt"]["attempt"] == 1
    assert len(trials) == 4 * 4 + 1
    # every lineage's state holds each optimizer step exactly once, at the rate of its schedule
    for t in trials:
        if t.state == tunelab.TrialState.COMPLETE and t.user_attrs["pbt"]["generation"] == 3:
            used = toys.load(study.system_attrs["pbt:config"]["checkpoint_dir"] + f"/trial_{t.number}")["used"]
            assert [s for s, _ in used] == list(range(24))
            assert all(t.schedule("lr")(s) == rate for s, rate in used)
    assert found.best_value == pytest.approx(min(t.value for t in trials if t.state == tunelab.TrialState.COMPLETE
                                                 and t.user_attrs["pbt"]["generation"] == 3))


def _on_engine(tmp_path, executor):
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path / 'pbt.db'}", study_name="engine",
                                 sampler=RandomSampler(seed=0))
    found = PopulationBasedTraining(4, budget=6, interval=2, steps_per_unit=3, seed=0).optimize(
        study, toys.train, save=toys.save, load=toys.load, n_jobs=2, executor=executor)
    trials = [t for t in study.trials if "pbt" in t.user_attrs]
    assert len(trials) == 12 and all(t.state == tunelab.TrialState.COMPLETE for t in trials)
    used = toys.load(found.checkpoint)["used"]
    assert [s for s, _ in used] == list(range(18)) and all(found.schedule(s) == r for s, r in used)


def test_members_run_in_threads(tmp_path):
    _on_engine(tmp_path, "thread")


def test_members_run_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        _on_engine(tmp_path, client)


@pytest.mark.timeout(120)
def test_members_run_on_ray(tmp_path):
    ray = pytest.importorskip("ray")
    try:
        _on_engine(tmp_path, "ray")
    finally:
        ray.shutdown()


DRIVER = """
import sys
sys.path.insert(0, {root!r})
import tunelab
from tests.pbt import toys
from tunelab.pbt import PopulationBasedTraining
study = tunelab.create_study(storage={url!r}, study_name={name!r}, sampler=tunelab.samplers.RandomSampler(seed=0),
                             load_if_exists=True)
PopulationBasedTraining(3, budget=8, interval=2, seed=0).optimize(study, toys.train_stalls_once, save=toys.save,
                                                                   load=toys.load, checkpoint_dir={checkpoints!r})
"""


def test_a_killed_driver_resumes_from_the_study_and_its_checkpoints(tmp_path, monkeypatch, storage):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    (url, checkpoints), name = storage, f"driver-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "stalled"
    monkeypatch.setenv("TUNELAB_PBT_STALL_MARKER", str(marker))
    child = subprocess.Popen([sys.executable, "-c", DRIVER.format(root=root, url=url, name=name, checkpoints=checkpoints)],
                             env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the driver never reached generation 2"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    study = tunelab.load_study(study_name=name, storage=url)
    assert [t.state for t in study.trials].count(tunelab.TrialState.RUNNING) == 1
    found = PopulationBasedTraining(3, budget=8, interval=2, seed=0).optimize(  # the study knows its checkpoints
        study, toys.train_stalls_once, save=toys.save, load=toys.load)
    trials = [t for t in study.trials if "pbt" in t.user_attrs]
    abandoned = [t for t in trials if t.state == tunelab.TrialState.FAIL]
    assert len(abandoned) == 1 and abandoned[0].fail_reason.startswith("abandoned")
    assert len([t for t in trials if t.state == tunelab.TrialState.COMPLETE]) == 3 * 4
    assert [s for s, _ in toys.load(found.checkpoint)["used"]] == list(range(8))
    assert Path(found.checkpoint).is_relative_to(checkpoints or tmp_path)
