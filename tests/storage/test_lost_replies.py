"""Interrupted writes: a reply lost with the connection, a process stopped between two writes.

The connection loss is injected right after the write's statements ran (and, on SQLite, committed),
which is the one moment a retry cannot tell from the outside whether the first attempt took effect.
"""

from __future__ import annotations

import pytest

from tunelab._records import StudyDirection, TrialState
from tunelab.space import FloatDistribution
from tunelab.storage import Finish, _statements

BACKENDS = ["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def storage(request, tmp_path):
    from tests.storage.postgres import reset_pg
    from tunelab.storage import SQLStorage

    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'lost.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        reset_pg(url)
    s = SQLStorage(url)
    yield s
    s.close()


def _lose_first_reply(monkeypatch, name: str) -> list[int]:
    """Make ``_statements.<name>`` commit its work on its first call, then fail as a dropped connection would."""
    real = getattr(_statements, name)
    calls: list[int] = []

    def once(tx, *args):
        result = real(tx, *args)
        calls.append(1)
        if len(calls) == 1:
            if tx.dialect == "sqlite":
                import sqlite3

                import sqlalchemy

                tx.raw.execute("COMMIT")
                raise sqlalchemy.exc.OperationalError("COMMIT", None, sqlite3.OperationalError("connection lost"),
                                                      connection_invalidated=True)
            import psycopg

            if not tx.raw.autocommit:
                tx.raw.commit()
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return result

    monkeypatch.setattr(_statements, name, once)
    return calls


def test_a_start_whose_reply_was_lost_leaves_one_trial_not_two(storage, monkeypatch):
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    calls = _lose_first_reply(monkeypatch, "start")
    trial = storage.start_trial(sid)
    assert len(calls) == 2  # the retry ran again and found the trial its lost attempt committed, by its token
    trials = storage.get_all_trials(sid)
    assert [(t.number, t.state, t.trial_id) for t in trials] == [(0, TrialState.RUNNING, trial.trial_id)]


def test_a_finish_whose_reply_was_lost_is_not_refused_as_finished_already(storage, monkeypatch):
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    tid = storage.start_trial(sid).trial_id
    _lose_first_reply(monkeypatch, "finish")
    storage.finish_trial(tid, TrialState.COMPLETE, (2.5,))  # no TrialFinishedError for its own write
    assert (storage.get_trial(tid).state, storage.get_trial(tid).values) == (TrialState.COMPLETE, (2.5,))
    monkeypatch.undo()
    with pytest.raises(Exception, match="trial 0 is already COMPLETE"):  # another finish is still refused
        storage.finish_trial(tid, TrialState.COMPLETE, (2.5,))


def test_a_finish_and_start_whose_reply_was_lost_finishes_once_and_starts_once(storage, monkeypatch):
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    tid = storage.start_trial(sid).trial_id
    _lose_first_reply(monkeypatch, "finish_and_start")
    [following] = storage.finish_and_start_many([Finish(tid, TrialState.COMPLETE, (1.0,))], study_id=sid)
    trials = storage.get_all_trials(sid)
    assert [(t.number, t.state) for t in trials] == [(0, TrialState.COMPLETE), (1, TrialState.RUNNING)]
    assert following.trial_id == trials[1].trial_id and following.number == 1


def test_failing_a_lost_trial_and_queueing_its_retry_happen_together_or_not_at_all(tmp_path, monkeypatch):
    from tunelab.storage import SQLStorage, _sql

    s = SQLStorage(f"sqlite:///{tmp_path / 'retry.db'}", heartbeat_interval=1, retries=1)
    sid = s.create_study("s", [StudyDirection.MINIMIZE])
    tid = s.start_trial(sid).trial_id
    s.set_trial_params(tid, {"x": (0.5, FloatDistribution(0, 1))})

    def die(*args):
        raise KeyboardInterrupt  # the process stopped between the two writes

    monkeypatch.setattr(_sql, "_insert_trial", die)
    with pytest.raises(KeyboardInterrupt):
        s.fail_lost_trial(tid, "worker died")
    assert s.get_trial(tid).state == TrialState.RUNNING  # not failed without its retry
    monkeypatch.undo()
    assert s.fail_lost_trial(tid, "worker died") == (0, 1)
    failed, retry = s.get_all_trials(sid)
    assert (failed.state, failed.fail_reason) == (TrialState.FAIL, "worker died")
    assert (retry.state, retry.fixed_params, retry.retry_of) == (
        TrialState.WAITING, {"x": 0.5}, 0)
    s.close()


def test_a_batch_whose_reply_was_lost_finishes_each_trial_once_and_starts_one_for_each(storage, monkeypatch):
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    ids = [storage.start_trial(sid).trial_id for _ in range(3)]
    _lose_first_reply(monkeypatch, "finish_and_start")  # the batch's first statement: the lost attempt
    started = storage.finish_and_start_many([Finish(i, TrialState.COMPLETE, (float(i),)) for i in ids], study_id=sid)
    trials = storage.get_all_trials(sid)
    assert [(t.number, t.state) for t in trials] == [(n, TrialState.COMPLETE) for n in range(3)] + [
        (n, TrialState.RUNNING) for n in range(3, 6)]
    assert sorted(t.number for t in started) == [3, 4, 5]
