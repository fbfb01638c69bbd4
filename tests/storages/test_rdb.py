"""Optuna's storage names: RDBStorage over SQLStorage, RetryFailedTrialCallback on tunelab's retry links."""

from __future__ import annotations

import pickle
import time

import pytest

import tunelab
import tunelab.storage
import tunelab.storages
from tests.storage.postgres import pg_url, reset_pg  # noqa: F401 - pg_url is a fixture
from tunelab import InvalidArgumentError, InvalidTypeError
from tunelab.space import FloatDistribution
from tunelab.storage import SQLStorage
from tunelab.storages import RDBStorage, RetryFailedTrialCallback
from tunelab.storages._retry import RETRY_HISTORY_KEY, UNLIMITED
from tunelab.study import StudyDirection, TrialState

X = FloatDistribution(0.0, 1.0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rdb.db'}"
    url = request.getfixturevalue("pg_url")
    reset_pg(url)
    return url


def test_the_optuna_paths_reach_tunelabs_objects():
    assert tunelab.storages.InMemoryStorage is tunelab.storage.InMemoryStorage
    assert tunelab.storages.JournalStorage is tunelab.storage.JournalStorage
    assert tunelab.storages.journal.JournalStorage is tunelab.storage.JournalStorage
    assert tunelab.storages.JournalFileStorage is tunelab.storages.journal.JournalFileBackend
    assert tunelab.storages.BaseStorage is tunelab.storage.Storage
    assert tunelab.storages.RetryHeartbeatStaleTrialCallback is RetryFailedTrialCallback
    assert issubclass(RDBStorage, SQLStorage)


def test_rdb_storage_writes_what_sql_storage_reads(url):
    rdb = RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
    study = tunelab.create_study(storage=rdb, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    plain = tunelab.load_study(study_name="s", storage=url)
    assert [t.params for t in plain.trials] == [t.params for t in study.trials]
    assert repr(rdb).startswith("RDBStorage(")
    rebuilt = pickle.loads(pickle.dumps(rdb))
    assert type(rebuilt) is RDBStorage and rebuilt.get_study_id("s") == rdb.get_study_id("s")
    rdb.close()
    rebuilt.close()


def test_arguments_are_refused_by_name():
    with pytest.raises(InvalidArgumentError, match="heartbeat_interval=0 is invalid for RDBStorage"):
        RDBStorage("sqlite://", heartbeat_interval=0)
    with pytest.raises(InvalidTypeError, match="engine_kwargs=3 .* is invalid for RDBStorage: must be None or a "
                                               "mapping"):
        RDBStorage("sqlite://", 3)
    with pytest.raises(InvalidArgumentError, match="not both"):
        RDBStorage("sqlite://", heartbeat_interval=1, failed_trial_callback=print,
                   heartbeat_stale_trial_callback=print)
    with pytest.raises(InvalidArgumentError, match="failed_trial_callback=.* needs heartbeats: give heartbeat_interval"):
        RDBStorage("sqlite://", failed_trial_callback=RetryFailedTrialCallback())
    with pytest.raises(InvalidArgumentError, match="max_retry=-1 is invalid for RetryFailedTrialCallback"):
        RetryFailedTrialCallback(max_retry=-1)
    with pytest.raises(InvalidTypeError, match="trial=3 .* is invalid for RetryFailedTrialCallback.retry_history"):
        RetryFailedTrialCallback.retry_history(3)


def test_optuna_defaults_and_the_retry_policy():
    assert RDBStorage("sqlite://", heartbeat_interval=3).grace_period == 6.0  # Optuna: two intervals
    assert RDBStorage("sqlite://", heartbeat_interval=3, grace_period=10).grace_period == 10.0
    one = RDBStorage("sqlite://", heartbeat_interval=1, failed_trial_callback=RetryFailedTrialCallback(max_retry=1))
    assert one.retries == 1 and one.get_heartbeat_interval() == 1
    endless = RDBStorage("sqlite://", heartbeat_interval=1,
                         heartbeat_stale_trial_callback=RetryFailedTrialCallback())
    assert endless.retries == UNLIMITED
    assert RDBStorage("sqlite://", heartbeat_interval=1, failed_trial_callback=print).retries == 0


def _die(storage, study_id, trial_id):
    """The worker running ``trial_id`` is gone: its heartbeat stops."""
    storage.stop_heartbeat(trial_id)


def test_a_dead_workers_trial_is_retried_and_the_series_recorded(url):
    storage = RDBStorage(url, heartbeat_interval=0.1, grace_period=0.4,
                         failed_trial_callback=RetryFailedTrialCallback(max_retry=2, inherit_intermediate_values=True))
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    first = storage.start_trial(sid)
    storage.set_trial_params(first.trial_id, {"x": (0.25, X)})
    storage.set_trial_intermediate_value(first.trial_id, 0, 5.0)
    _die(storage, sid, first.trial_id)
    time.sleep(0.7)
    second = storage.start_trial(sid)  # the sweep fails trial 0 and queues 1, which this ask claims
    assert (second.number, second.retry_of, second.fixed_params) == (1, 0, {"x": 0.25})
    assert second.intermediate_values == {0: 5.0}
    _die(storage, sid, second.trial_id)
    time.sleep(0.7)
    third = storage.start_trial(sid)
    storage.finish_trial(third.trial_id, TrialState.COMPLETE, (1.0,), params={"x": (0.25, X)})
    trials = storage.get_all_trials(sid)
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE]
    assert [RetryFailedTrialCallback.retried_trial_number(t) for t in trials] == [None, 0, 0]
    assert [RetryFailedTrialCallback.retry_history(t) for t in trials] == [[], [0], [0, 1]]
    assert trials[2].system_attrs == {RETRY_HISTORY_KEY: [0, 1]} and trials[2].retry_count == 2
    _die(storage, sid, storage.start_trial(sid).trial_id)  # a fresh trial 3, not a retry
    time.sleep(0.7)
    assert storage.start_trial(sid).number == 4  # 3 failed; max_retry=2 counts per series, 3's is new
    assert storage.get_all_trials(sid)[4].retry_of == 3
    storage.close()


def test_a_callback_is_called_with_the_study_and_the_failed_trial(url):
    seen = []
    storage = RDBStorage(url, heartbeat_interval=0.1, grace_period=0.3,
                         failed_trial_callback=lambda study, trial: seen.append((study.study_name, trial)))
    study = tunelab.create_study(storage=storage, study_name="cb")
    lost = study.ask()
    _die(storage, 0, lost._trial_id)
    time.sleep(0.6)
    study.ask()
    [(name, trial)] = seen
    assert name == "cb" and trial.number == lost.number and trial.state == TrialState.FAIL
    assert "no heartbeat" in trial.fail_reason
    assert [t.number for t in study.trials] == [0, 1]  # no retry queued: the callback decides
    storage.close()


def test_the_callback_called_directly_queues_the_retry_on_any_storage():
    study = tunelab.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(2.0, 3)
    study.tell(trial, state=TrialState.FAIL)
    RetryFailedTrialCallback(max_retry=1, inherit_intermediate_values=True)(study, study.trials[0])
    retry = study.trials[1]
    assert retry.state == TrialState.WAITING and retry.fixed_params == study.trials[0].params
    assert retry.intermediate_values == {3: 2.0} and RetryFailedTrialCallback.retry_history(retry) == [0]
    study.tell(study.ask(), state=TrialState.FAIL)
    RetryFailedTrialCallback(max_retry=1)(study, study.trials[1])  # its one retry is spent
    assert len(study.trials) == 2


def test_fail_stale_trials_fails_a_study_nobody_asks_from(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    storage = RDBStorage(url, heartbeat_interval=0.1, grace_period=0.3)
    study = tunelab.create_study(storage=storage, study_name="s")
    trial = study.ask()
    _die(storage, 0, trial._trial_id)
    time.sleep(0.6)
    assert tunelab.storages.fail_stale_trials(study) == [0]
    assert study.trials[0].state == TrialState.FAIL
    with pytest.raises(InvalidTypeError, match="study=3 .* must be a tunelab Study"):
        tunelab.storages.fail_stale_trials(3)
    storage.close()
