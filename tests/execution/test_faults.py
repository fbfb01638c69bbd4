"""Failures a long study meets: workers and the driver killed with -9, many writers, dropped connections.

Every test checks that no completed trial is lost and no trial number is duplicated.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import tunelab
from tests.execution import objectives
from tests.execution.drivers import kill_group, python, wait_for
from tunelab._records import TrialState
from tunelab.storage import SQLStorage


def assert_numbered_once(trials) -> None:
    assert [t.number for t in trials] == list(range(len(trials)))


@pytest.mark.parametrize("retries", [0, 1])
def test_a_worker_killed_mid_trial_loses_only_that_trial(tmp_path, retries):
    storage = SQLStorage(f"sqlite:///{tmp_path / 'study.db'}", heartbeat_interval=0.2, retries=retries)
    study = tunelab.create_study(storage=storage)
    study.optimize(objectives.dies_on_two, n_trials=8, n_jobs=2)
    trials = study.trials
    assert_numbered_once(trials)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [2]  # the trial queued behind it runs on its replacement
    assert all("its worker died" in t.fail_reason for t in failed)
    assert TrialState.RUNNING not in {t.state for t in trials}
    if retries:
        retries_of = {t.retry_of: t for t in trials if t.retry_of is not None}
        assert sorted(retries_of) == [t.number for t in failed]
        # a retry repeats what its lost trial had drawn (a trial lost before it started drew nothing)
        assert all(retries_of[t.number].params.items() >= t.params.items() for t in failed)
        assert "x" in next(t for t in failed if t.number == 2).params
        assert len([t for t in trials if t.state == TrialState.COMPLETE]) == 8  # the study reached its count
    else:
        assert len(trials) == 8


DRIVER = """
    import sys, tunelab
    from tunelab.storage import SQLStorage
    from tests.execution import objectives
    if __name__ == "__main__":
        storage = SQLStorage(sys.argv[1], heartbeat_interval=0.2, grace_period=1.0)
        study = tunelab.create_study(storage=storage, study_name="long", load_if_exists=True)
        study.optimize(objectives.slow, n_trials=400, n_jobs=2)
"""


def _kill_driver_then_continue(url: str) -> None:
    driver = python(DRIVER, url)
    try:
        wait_for(lambda: _n_complete(url) >= 6, timeout=60)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=10)
        time.sleep(1.5)  # orphaned workers notice the driver is gone and stop
        before = {t.number: t.values for t in _trials(url) if t.state == TrialState.COMPLETE}
        storage = SQLStorage(url, heartbeat_interval=0.2, grace_period=1.0)
        study = tunelab.load_study(study_name="long", storage=storage)
        study.optimize(objectives.slow, n_trials=4, n_jobs=2)
        time.sleep(1.2)
        storage.fail_stale_trials(study._study_id)  # trials the dead driver left RUNNING
        trials = study.trials
    finally:
        kill_group(driver.pid)  # the driver, and any worker still running
        driver.communicate()
    assert_numbered_once(trials)
    assert {t.number: t.values for t in trials if t.number in before} == before  # no completed trial lost
    assert TrialState.RUNNING not in {t.state for t in trials}
    assert len([t for t in trials if t.state == TrialState.COMPLETE]) >= len(before) + 4
    assert all("no heartbeat" in t.fail_reason for t in trials if t.state == TrialState.FAIL)


def _trials(url: str):
    storage = SQLStorage(url)
    try:
        return storage.get_all_trials(storage.get_study_id("long"))
    except tunelab.StudyNotFoundError:
        return []
    finally:
        storage.close()


def _n_complete(url: str) -> int:
    return len([t for t in _trials(url) if t.state == TrialState.COMPLETE])


def test_the_driver_killed_then_the_study_continues_sqlite(tmp_path):
    _kill_driver_then_continue(f"sqlite:///{tmp_path / 'study.db'}")


@pytest.mark.postgres
def test_the_driver_killed_then_the_study_continues_postgresql(pg_url):
    from tests.storage.postgres import reset_pg

    reset_pg(pg_url)
    _kill_driver_then_continue(pg_url)


WRITER = """
    import sys, tunelab
    study = tunelab.create_study(study_name="many", storage=sys.argv[1], load_if_exists=True)
    for _ in range(10):
        trial = study.ask()
        x = trial.suggest_float("x", -1, 1)
        trial.report(x, 0)
        trial.report(x + 1, 1)
        trial.set_user_attr("x", x)
        study.tell(trial, x * x)
"""


def _eight_writers(url: str) -> None:
    procs = [python(WRITER, url) for _ in range(8)]
    errors = []
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        if proc.returncode:
            errors.append(err[-2000:])
    assert errors == []
    trials = tunelab.load_study(study_name="many", storage=url).trials
    assert_numbered_once(trials)
    assert len(trials) == 80
    for t in trials:
        x = t.user_attrs["x"]
        assert t.state == TrialState.COMPLETE and t.values == (x * x,) and t.params["x"] == pytest.approx(x)
        assert t.intermediate_values == {0: x, 1: x + 1}


def test_eight_processes_write_one_sqlite_file(tmp_path):
    _eight_writers(f"sqlite:///{tmp_path / 'many.db'}")


@pytest.mark.postgres
def test_eight_processes_write_one_postgresql_database(pg_url):
    from tests.storage.postgres import reset_pg

    reset_pg(pg_url)
    _eight_writers(pg_url)


@pytest.mark.postgres
def test_dropped_postgresql_connections_mid_study_are_recovered(pg_url):
    import psycopg

    from tests.storage.postgres import reset_pg

    reset_pg(pg_url)
    database = pg_url.rsplit("/", 1)[1]
    study = tunelab.create_study(storage=pg_url, study_name="dropped")
    stop = threading.Event()
    dropped = []

    def drop() -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            while not stop.wait(0.15):
                rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall()
                dropped.append(len(rows))

    thread = threading.Thread(target=drop)
    thread.start()
    try:
        study.optimize(objectives.slow, n_trials=24, n_jobs=2)
        study.optimize(objectives.slow, n_trials=8)  # and in the study process itself
    finally:
        stop.set()
        thread.join()
    assert sum(dropped) > 0  # connections really were cut
    trials = study.trials
    assert_numbered_once(trials)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 32


ASKER = """
    import sys, time, tunelab
    from tunelab.storage import SQLStorage
    storage = SQLStorage(sys.argv[1], heartbeat_interval=0.2, grace_period=1.0, retries=1)
    study = tunelab.load_study(study_name="asked", storage=storage)
    trial = study.ask()
    print(trial.suggest_float("lr", 1e-5, 1e-1, log=True), flush=True)
    time.sleep(60)
"""


def test_ask_tell_users_get_a_dead_askers_trial_failed_and_retried(tmp_path):
    url = f"sqlite:///{tmp_path / 'asked.db'}"
    storage = SQLStorage(url, heartbeat_interval=0.2, grace_period=1.0, retries=1)
    study = tunelab.create_study(storage=storage, study_name="asked")
    asker = python(ASKER, url)
    try:
        lr = float(asker.stdout.readline())
        time.sleep(1.5)
        assert study.trials[0].state == TrialState.RUNNING  # alive: heartbeating, not failed
    finally:
        os.kill(asker.pid, signal.SIGKILL)
        asker.communicate()
    time.sleep(1.5)
    retry = study.ask()  # the ask sweeps: the dead asker's trial fails and comes back as this retry
    assert retry.suggest_float("lr", 1e-5, 1e-1, log=True) == lr
    study.tell(retry, 0.5)
    first, second = study.trials
    assert first.state == TrialState.FAIL and "no heartbeat" in first.fail_reason
    assert second.state == TrialState.COMPLETE and second.retry_of == 0
