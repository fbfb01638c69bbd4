"""Ctrl-C: every running trial ends FAIL ("interrupted ...") and is queued again with the
parameters it drew; nothing stays RUNNING, no worker is left behind; the next run finishes them."""

from __future__ import annotations

import os
import signal

import pytest

import tunelab
from tests.execution import objectives
from tests.execution.checks import assert_clean, completed, interrupted, retries_of
from tests.execution.drivers import group_gone, kill_group, python, wait_for
from tunelab._records import TrialState
from tunelab.storage import SQLStorage

DRIVER = """
    import sys, tunelab
    from tests.execution import objectives
    if __name__ == "__main__":
        url, n_jobs, executor = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        study = tunelab.create_study(storage=url, study_name="ctrl-c", load_if_exists=True)
        study.optimize(objectives.long_with_reports, n_trials=40, n_jobs=n_jobs,
                       executor=None if executor == "default" else executor)
"""


def _started(url: str, n: int) -> bool:
    """Whether ``n`` trials are running their objective (they reported)."""
    storage = SQLStorage(url)
    try:
        study_id = storage.get_study_id("ctrl-c")
        return len([t for t in storage.get_all_trials(study_id, states=(TrialState.RUNNING,))
                    if t.intermediate_values]) >= n
    except tunelab.StudyNotFoundError:
        return False
    finally:
        storage.close()


@pytest.mark.parametrize(("n_jobs", "executor", "target"), [
    (1, "default", "driver"),
    (4, "process", "driver"),  # kill -INT <study process>: it interrupts its workers itself
    (4, "process", "group"),  # Ctrl-C in a terminal: the study process and its workers get SIGINT
    (4, "thread", "driver"),
])
def test_ctrl_c_ends_running_trials_interrupted_and_queues_them_again(tmp_path, n_jobs, executor, target):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    driver = python(DRIVER, url, str(n_jobs), executor)
    try:
        wait_for(lambda: _started(url, n_jobs), timeout=60, what=f"{n_jobs} trials to start")
        if target == "group":
            os.killpg(driver.pid, signal.SIGINT)
        else:
            os.kill(driver.pid, signal.SIGINT)
        _, err = driver.communicate(timeout=30)
        assert err.rstrip().endswith("KeyboardInterrupt"), err[-3000:]
        assert "Error" not in err.replace("KeyboardInterrupt", ""), err[-3000:]  # no other failure on the way
        wait_for(lambda: group_gone(driver.pid), timeout=10, what="the workers to end")
    finally:
        kill_group(driver.pid)
        driver.communicate()
    study = tunelab.load_study(study_name="ctrl-c", storage=url)
    trials = assert_clean(study)
    stopped = interrupted(trials)
    assert len(stopped) >= n_jobs and [t for t in trials if t.state == TrialState.COMPLETE] == []
    assert all(t.fail_reason == "interrupted (KeyboardInterrupt)" for t in stopped)
    assert all("x" in t.params for t in stopped if t.intermediate_values)  # what they drew is kept
    queued = [t for t in trials if t.state == TrialState.WAITING]
    assert sorted(t.retry_of for t in queued) == [t.number for t in stopped]

    study.optimize(objectives.quick, n_trials=len(queued))  # the next run starts with the queued copies
    trials = assert_clean(study)
    for t in stopped:
        (retry,) = retries_of(trials)[t.number]
        assert retry.state == TrialState.COMPLETE and retry.params.items() >= t.params.items()
    assert len(completed(trials)) == len(queued)


def test_ctrl_c_while_the_study_writes_is_held_back_to_a_safe_point(tmp_path, monkeypatch):
    """A KeyboardInterrupt raised inside a storage write would leave the trial it was writing
    RUNNING; SIGINT arriving there is raised after the write instead."""
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
    storage = study.storage
    start_trial = storage.start_trial

    def start_then_ctrl_c(study_id):
        started = start_trial(study_id)
        if started.number == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C once the third trial is RUNNING, before ask returns
        return started

    monkeypatch.setattr(storage, "start_trial", start_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objectives.quick, n_trials=5)
    trials = assert_clean(study)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL, TrialState.WAITING]
    assert trials[2].fail_reason == "interrupted (KeyboardInterrupt)" and trials[3].retry_of == 2
