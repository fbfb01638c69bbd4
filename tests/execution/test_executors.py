"""n_jobs > 1: worker processes by default, threads on request, Dask, Ray, any Executor."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

import tunelab
from tests.execution import objectives
from tunelab import InvalidArgumentError, InvalidTypeError
from tunelab._records import TrialState
from tunelab.samplers import RandomSampler


def sqlite(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


def test_n_jobs_runs_trials_in_worker_processes_with_distinct_draws(tmp_path):
    study = tunelab.create_study(storage=sqlite(tmp_path), sampler=RandomSampler(seed=1))
    study.optimize(objectives.quadratic, n_trials=12, n_jobs=2)
    trials = study.trials
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
    assert len({t.params["x"] for t in trials}) == 12  # reseeded copies do not repeat each other


def test_workers_report_and_read_pruning_decisions_through_the_storage(tmp_path):
    study = tunelab.create_study(storage=sqlite(tmp_path), pruner=objectives.AboveTwoPruner())
    study.optimize(objectives.reports_then_maybe_pruned, n_trials=6, n_jobs=2)
    for trial in study.trials:
        assert trial.state == TrialState.PRUNED
        expected = [0, 1, 2] if trial.params["x"] > 0 else [0, 1, 2, 3]
        assert list(trial.intermediate_values) == expected


def test_a_lambda_objective_is_sent_by_cloudpickle(tmp_path):
    study = tunelab.create_study(storage=sqlite(tmp_path))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, n_jobs=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


def test_an_error_in_a_worker_fails_its_trial_and_is_raised_unless_caught(tmp_path):
    study = tunelab.create_study(storage=sqlite(tmp_path))
    with pytest.raises(ZeroDivisionError, match="boom on three"):
        study.optimize(objectives.raises_on_three, n_trials=6, n_jobs=2)
    failed = study.get_trials(states=[TrialState.FAIL])
    assert [t.number for t in failed] == [3] and "ZeroDivisionError: boom on three" in failed[0].fail_reason
    assert TrialState.RUNNING not in {t.state for t in study.trials}
    before = len(study.trials)
    study.optimize(objectives.raises_on_three, n_trials=4, n_jobs=2, catch=ZeroDivisionError)
    trials = study.trials
    assert [t.number for t in trials] == list(range(before + 4))
    assert [t.state for t in trials[before:]] == [TrialState.COMPLETE] * 4


def test_in_memory_storage_runs_worker_processes_served_by_the_study_process(caplog):
    study = tunelab.create_study()
    with caplog.at_level(logging.WARNING, logger="tunelab"):
        study.optimize(objectives.quadratic, n_trials=4, n_jobs=2)
        study.optimize(objectives.quadratic, n_trials=2, n_jobs=2, executor="process")
    assert "runs in threads" not in caplog.text
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6
    assert os.getpid() not in {t.user_attrs["pid"] for t in study.trials}
    study.optimize(objectives.quadratic, n_trials=2, n_jobs=2, executor="thread")
    assert {t.user_attrs["pid"] for t in study.trials[6:]} == {os.getpid()}
    with ProcessPoolExecutor(2) as pool, pytest.raises(
            InvalidArgumentError, match=r"needs a storage that worker processes can open; InMemoryStorage\(\) lives "
                                        r"in this process's memory: .*or executor='process' .*or executor='thread'"):
        study.optimize(objectives.quadratic, n_trials=1, n_jobs=2, executor=pool)


def test_thread_mode_on_request_and_bad_executors_refused(tmp_path):
    study = tunelab.create_study(storage=sqlite(tmp_path))
    study.optimize(objectives.quadratic, n_trials=4, n_jobs=2, executor="thread")
    assert {t.user_attrs["pid"] for t in study.trials} == {os.getpid()}
    with pytest.raises(InvalidArgumentError, match="executor='gpu' is invalid: must be 'process', 'thread'"):
        study.optimize(objectives.quadratic, n_trials=1, n_jobs=2, executor="gpu")
    with pytest.raises(InvalidTypeError, match="executor=3 .* must be None, 'process'"):
        study.optimize(objectives.quadratic, n_trials=1, executor=3)


def test_any_concurrent_futures_executor(tmp_path):
    study = tunelab.create_study(storage=sqlite(tmp_path))
    with ProcessPoolExecutor(2) as pool:
        study.optimize(objectives.quadratic, n_trials=6, n_jobs=2, executor=pool)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 6


@pytest.mark.timeout(300)
def test_dask_client_runs_the_trials(tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask is not installed (extra 'dask')")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        study = tunelab.create_study(storage=sqlite(tmp_path))
        study.optimize(objectives.quadratic, n_trials=6, n_jobs=2, executor=client)
        worker_pids = set(client.run(os.getpid).values())
        study.optimize(objectives.quadratic, n_trials=2, n_jobs=2, executor=cluster.scheduler_address)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 8
    assert {t.user_attrs["pid"] for t in study.trials[:6]} <= worker_pids


@pytest.mark.timeout(300)
def test_ray_runs_the_trials(tmp_path):
    ray = pytest.importorskip("ray", reason="ray is not installed (extra 'ray')")
    # a new local instance: never the cluster another run on this machine recorded in /tmp/ray (a live
    # one refuses num_cpus; a dead one keeps ray.init() waiting for minutes)
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    try:
        study = tunelab.create_study(storage=sqlite(tmp_path))
        study.optimize(objectives.quadratic, n_trials=4, n_jobs=2, executor="ray")
    finally:
        ray.shutdown()
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4


@pytest.mark.timeout(120)
def test_ray_refuses_at_once_a_cluster_that_is_gone(tmp_path, monkeypatch):
    """ray.init() waits minutes (3m25s measured) for a cluster that RAY_ADDRESS or the machine's last
    `ray start` names but that has stopped; executor='ray' says so in a moment instead."""
    import socket
    import time

    ray = pytest.importorskip("ray", reason="ray is not installed (extra 'ray')")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    study = tunelab.create_study(storage=sqlite(tmp_path))
    start = time.monotonic()
    with pytest.raises(InvalidArgumentError, match=rf"executor='ray' would join the Ray cluster at [0-9.]+:{port} "
                                                   r"\(named by RAY_ADDRESS\), which does not answer: .*RAY_ADDRESS=local"):
        study.optimize(objectives.quadratic, n_trials=2, n_jobs=2, executor="ray")
    assert time.monotonic() - start < 30 and not ray.is_initialized()
    assert study.trials == []  # refused before any trial was asked
    monkeypatch.setenv("RAY_ADDRESS", "local")  # the way out the message names: a new local instance
    try:
        study.optimize(objectives.quadratic, n_trials=2, n_jobs=2, executor="ray")
    finally:
        ray.shutdown()
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


def test_workers_that_only_evaluate_hold_no_database_connection(pg_url):
    """With n_jobs the study process asks and tells: workers whose objective and sampler do not read
    the study need no connection of their own, so more of them fit a server's max_connections (128
    workers on one of 100: benchmarks/parallel/scale.py). A sampler that reads the history (the
    default) connects in each worker. Counted once the first trial is told: a worker opens a
    connection for a moment while it loads the study, then lets it go (under load, a sample could
    land in that moment)."""
    psycopg = pytest.importorskip("psycopg")
    database = pg_url.rsplit("/", 1)[1]
    study = tunelab.create_study(storage=pg_url, sampler=RandomSampler(seed=0))
    peak = []
    with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        def held() -> int:
            return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()[0]

        before = held()
        done = threading.Event()

        loaded = threading.Event()  # set when the first trial is told: every worker has loaded by then

        def sample() -> None:
            while not done.wait(0.1):
                if loaded.is_set():
                    peak.append(held())

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            study.optimize(objectives.sleeps_a_second, n_trials=8, n_jobs=4,
                           callbacks=[lambda study, trial: loaded.set()])
        finally:
            done.set()
            sampler.join()
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 8
    assert len(peak) >= 5 and max(peak) - before <= 1, (before, str(peak))  # the study process's own, at most


def test_workers_see_the_environment_of_each_optimize_call(tmp_path, monkeypatch):
    """Worker processes come from a forkserver, which keeps the environment it started with: each
    optimize call hands its own to its workers (a variable set, changed or removed in between)."""
    study = tunelab.create_study(storage=sqlite(tmp_path))
    monkeypatch.delenv("TUNELAB_TEST_ENV", raising=False)
    study.optimize(objectives.notes_the_environment, n_trials=2, n_jobs=2)  # the forkserver runs from here on
    monkeypatch.setenv("TUNELAB_TEST_ENV", "offline")
    study.optimize(objectives.notes_the_environment, n_trials=2, n_jobs=2)
    monkeypatch.setenv("TUNELAB_TEST_ENV", "changed")
    study.optimize(objectives.notes_the_environment, n_trials=2, n_jobs=2)
    monkeypatch.delenv("TUNELAB_TEST_ENV")
    study.optimize(objectives.notes_the_environment, n_trials=2, n_jobs=2)
    assert [t.user_attrs["env"] for t in study.trials] == [None] * 2 + ["offline"] * 2 + ["changed"] * 2 + [None] * 2
