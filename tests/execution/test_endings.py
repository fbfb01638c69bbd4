"""Each trial ends in exactly one state when its worker dies, when someone else fails it as stale,
when its result is not a number, and when the storage refuses its result; the run goes on."""

from __future__ import annotations

import time

import pytest

import tunelab
from tests.execution import objectives
from tests.execution.checks import assert_clean, completed, retries_of
from tunelab import InvalidArgumentError
from tunelab._records import TrialState
from tunelab.storage import SQLStorage

#: (n_jobs, executor): in the study process, in threads, in worker processes.
MODES = [(1, None), (4, "thread"), (4, "process")]


def sqlite(tmp_path, **liveness) -> SQLStorage:
    return SQLStorage(f"sqlite:///{tmp_path / 'study.db'}", **liveness)


@pytest.mark.parametrize("retries", [0, 1])
def test_a_killed_worker_fails_only_its_own_trial(tmp_path, retries):
    study = tunelab.create_study(storage=sqlite(tmp_path, heartbeat_interval=0.2, retries=retries))
    study.optimize(objectives.killed_on_two, n_trials=9, n_jobs=3)
    trials = assert_clean(study)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [2]  # the healthy workers' trials, running or queued, finish
    assert failed[0].fail_reason.startswith("its worker died (ChildProcessError: worker process ")
    assert "killed by SIGKILL" in failed[0].fail_reason
    if retries:
        (retry,) = retries_of(trials)[2]
        assert retry.state == TrialState.COMPLETE and retry.params == failed[0].params
        assert len(completed(trials)) == 9  # the retry counts in the lost trial's place
    else:
        assert len(trials) == 9 and len(completed(trials)) == 8


@pytest.mark.parametrize(("n_jobs", "executor"), MODES)
def test_a_trial_failed_as_stale_meanwhile_keeps_that_record_and_the_run_goes_on(tmp_path, n_jobs, executor):
    storage = sqlite(tmp_path, heartbeat_interval=0.1, grace_period=0.5, retries=1)
    study = tunelab.create_study(storage=storage)
    study.optimize(objectives.sweeps_once, n_trials=8, n_jobs=n_jobs, executor=executor)  # no TrialFinishedError
    trials = assert_clean(study)
    stale = [t for t in trials if t.state == TrialState.FAIL]
    assert stale  # trial 2's sweep caught some running trials (which ones depends on timing)
    for t in stale:  # as the sweeper recorded it: not told again by the worker that resumed
        assert t.fail_reason.startswith("no heartbeat for more than 0 s") and t.values is None
        (retry,) = retries_of(trials)[t.number]
        assert retry.state == TrialState.COMPLETE
    assert len(completed(trials)) == 8  # each stale trial's retry counted in its place


def test_a_trial_of_a_worker_without_heartbeats_is_never_taken_for_a_dead_one(tmp_path):
    # a worker without heartbeats shares the study with one that sweeps: its silent trials are its
    # own business (they carry no heartbeat), not a dead worker's
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = tunelab.create_study(storage=SQLStorage(url), study_name="shared")  # no heartbeats here
    sweeper = SQLStorage(url, heartbeat_interval=0.1, grace_period=0.3, retries=1)
    sweeper_study_id = sweeper.get_study_id("shared")

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 0:
            time.sleep(0.5)
            assert sweeper.fail_stale_trials(sweeper_study_id) == []
        trial.report(x, 0)
        return x

    study.optimize(objective, n_trials=3)
    trials = assert_clean(study)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 and all(t.retry_of is None for t in trials)


@pytest.mark.parametrize(("n_jobs", "executor"), MODES)
def test_results_that_are_not_numbers_end_fail_and_the_run_goes_on(tmp_path, n_jobs, executor):
    study = tunelab.create_study(storage=sqlite(tmp_path))
    study.optimize(objectives.not_numbers, n_trials=5, n_jobs=n_jobs, executor=executor)
    trials = assert_clean(study)
    assert [t.state for t in trials] == [TrialState.FAIL] * 4 + [TrialState.COMPLETE]
    reasons = [t.fail_reason for t in trials[:4]]
    assert reasons[0] == "the objective returned None, not a number (is its return missing?)"
    assert reasons[1].startswith("the objective returned 1000000000") and reasons[1].endswith(
        "... (type int), not a number (OverflowError: int too large to convert to float)")
    assert reasons[2] == "the objective returned NoFloat() (type _NoFloat), not a number (RuntimeError: no float for you)"
    assert reasons[3] == ("the objective returned <int object> (type int), not a number "
                          "(OverflowError: int too large to convert to float)")


def test_tell_still_refuses_no_values_and_no_state():
    study = tunelab.create_study()
    trial = study.ask()
    with pytest.raises(InvalidArgumentError, match="tell needs values or a state: values=None and state=None"):
        study.tell(trial)
    assert study.tell(trial, 10**400).fail_reason.endswith("(OverflowError: int too large to convert to float)")


class _RefusesOnce:
    """Makes a storage method raise what a storage raises for a value it cannot store, once."""

    def __init__(self, method):
        self.method = method
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 1:
            raise InvalidArgumentError("name='x\\x00' is invalid: must be a string of 1 to 512 characters without NUL")
        return self.method(*args, **kwargs)


@pytest.mark.parametrize(("n_jobs", "executor"), MODES)
def test_a_result_the_storage_refuses_ends_fail_with_its_message(tmp_path, monkeypatch, n_jobs, executor):
    storage = sqlite(tmp_path)
    study = tunelab.create_study(storage=storage)
    for name in ("finish_trial", "finish_and_start_many"):
        monkeypatch.setattr(storage, name, _RefusesOnce(getattr(storage, name)))
    study.optimize(objectives.quick, n_trials=6, n_jobs=n_jobs, executor=executor)
    trials = assert_clean(study)
    refused = [t for t in trials if t.state == TrialState.FAIL]
    assert len(refused) == 1 and len(completed(trials)) == 5
    assert refused[0].fail_reason == ("the storage refused the result (InvalidArgumentError: name='x\\x00' is invalid: "
                                      "must be a string of 1 to 512 characters without NUL)")
    assert "x" not in refused[0].params  # the parameters not stored yet were dropped with it


@pytest.mark.parametrize(("n_jobs", "executor"), MODES)
def test_an_objective_error_is_raised_once_the_running_trials_ended(tmp_path, n_jobs, executor):
    study = tunelab.create_study(storage=sqlite(tmp_path))
    with pytest.raises(ZeroDivisionError, match="boom on three"):
        study.optimize(objectives.raises_on_three, n_trials=12, n_jobs=n_jobs, executor=executor)
    trials = assert_clean(study)
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [3]
    assert trials[3].fail_reason == "the objective raised ZeroDivisionError: boom on three"


@pytest.mark.parametrize(("n_jobs", "executor"), MODES)
def test_a_failing_callback_leaves_no_trial_running(tmp_path, n_jobs, executor):
    study = tunelab.create_study(storage=sqlite(tmp_path))

    def callback(study, trial):
        if trial.number == 1:
            raise LookupError("callback broke")

    with pytest.raises(LookupError, match="callback broke"):
        study.optimize(objectives.slow, n_trials=12, n_jobs=n_jobs, executor=executor, callbacks=[callback])
    trials = assert_clean(study)  # the trials in flight ended interrupted, each queued again
    for t in trials:
        assert t.state in (TrialState.COMPLETE, TrialState.WAITING) or t.fail_reason == (
            "interrupted: optimize stopped (LookupError: callback broke)")


@pytest.mark.parametrize(("n_jobs", "executor"), MODES)
def test_an_objective_calling_sys_exit_fails_its_trial_and_exits(tmp_path, n_jobs, executor):
    study = tunelab.create_study(storage=sqlite(tmp_path))
    with pytest.raises(SystemExit, match="3"):
        study.optimize(objectives.exits_on_one, n_trials=8, n_jobs=n_jobs, executor=executor)
    trials = assert_clean(study)
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [1]
    assert trials[1].fail_reason == "the objective raised SystemExit: 3"
