"""copy_study (Optuna's signature): between tunelab storages, and from an Optuna database."""

from __future__ import annotations

import datetime
import math

import pytest

import tunelab
from tests.storages.optuna_history import make_optuna_history
from tunelab import DuplicatedStudyError, InvalidTypeError, StudyNotFoundError
from tunelab.storage import InMemoryStorage, JournalStorage
from tunelab.study import StudyDirection, TrialState
from tunelab.study._copy import copy_study


def _history(storage):
    study = tunelab.create_study(storage=storage, study_name="src", directions=["minimize", "maximize"],
                                 sampler=tunelab.samplers.RandomSampler(seed=1), pruner=tunelab.pruners.NopPruner())
    study.set_user_attr("owner", "me")
    for i in range(3):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        trial.suggest_categorical("c", ["a", None])
        trial.report([x, math.nan], 0)
        trial.set_user_attr("i", i)
        trial.set_constraint([x - 0.5])
        if i == 2:
            study.tell(trial, state=TrialState.FAIL, fail_reason="it broke")
        else:
            study.tell(trial, [x, math.inf if i else 1.0])
    study.tell(study.ask(), state=TrialState.PRUNED)
    study.enqueue_trial({"x": 0.25})
    study.ask()  # RUNNING: a worker's trial in flight
    study.enqueue_trial({"x": 0.75}, user_attrs={"why": "try this"})
    return study


@pytest.mark.parametrize("target_kind", ["memory", "sqlite", "journal"])
def test_every_field_and_time_is_copied(tmp_path, target_kind):
    source = _history(f"sqlite:///{tmp_path / 'src.db'}")
    target = {"memory": InMemoryStorage(), "sqlite": f"sqlite:///{tmp_path / 'dst.db'}",
              "journal": JournalStorage(str(tmp_path / "dst.log"))}[target_kind]
    copy_study(from_study_name="src", from_storage=f"sqlite:///{tmp_path / 'src.db'}", to_storage=target,
               to_study_name="dst")
    copied = tunelab.load_study(study_name="dst", storage=target)
    assert copied.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    assert copied.user_attrs == {"owner": "me"}
    before, after = source.trials, copied.trials
    assert [t.state for t in after] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL,
                                        TrialState.PRUNED, TrialState.FAIL, TrialState.WAITING]
    for old, new in zip(before[:4], after[:4]):
        for field in ("number", "values", "params", "distributions", "intermediate_values", "intermediate_vectors", "user_attrs",
                      "fail_reason", "constraints", "datetime_start", "datetime_complete"):
            assert getattr(new, field) == getattr(old, field), (old.number, field)
    assert after[2].fail_reason == "it broke"
    assert "RUNNING in" in after[4].fail_reason and after[4].fixed_params == {"x": 0.25}
    assert after[4].datetime_start == before[4].datetime_start
    assert (after[5].fixed_params, after[5].user_attrs, after[5].datetime_start) == ({"x": 0.75}, {"why": "try this"},
                                                                                       None)


def test_a_taken_name_and_a_missing_study_are_refused_before_anything_is_written(tmp_path):
    source = _history(InMemoryStorage())
    target = InMemoryStorage()
    tunelab.create_study(storage=target, study_name="src")
    with pytest.raises(DuplicatedStudyError, match="a study named 'src' already exists in InMemoryStorage"):
        copy_study(from_study_name="src", from_storage=source.storage, to_storage=target)
    with pytest.raises(StudyNotFoundError, match="no study named 'nope'"):
        copy_study(from_study_name="nope", from_storage=source.storage, to_storage=target)
    with pytest.raises(InvalidTypeError, match="from_storage=3 .* is invalid for copy_study"):
        copy_study(from_study_name="src", from_storage=3, to_storage=target)
    assert [s.n_trials for s in target.get_all_studies()] == [0]


def test_a_copy_that_fails_half_way_leaves_nothing(tmp_path):
    source = _history(InMemoryStorage())

    class Breaking(InMemoryStorage):
        def create_trial(self, study_id, **kwargs):
            if len(self.get_all_trials(study_id)) == 3:
                raise OSError("the disk went away")
            return super().create_trial(study_id, **kwargs)

    target = Breaking()
    with pytest.raises(OSError, match="the disk went away"):
        copy_study(from_study_name="src", from_storage=source.storage, to_storage=target)
    assert target.get_all_studies() == []


def test_copy_study_reads_an_optuna_database_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    history = make_optuna_history(url)
    target = f"sqlite:///{tmp_path / 'tunelab.db'}"
    copy_study(from_study_name="multi", from_storage=url, to_storage=target, to_study_name="from-optuna")
    copied = tunelab.load_study(study_name="from-optuna", storage=target).trials
    assert [t.values for t in copied] == [tuple(t.values) for t in history["multi"]]
    assert [t.params for t in copied] == [t.params for t in history["multi"]]


def test_optuna_times_are_read_as_utc_or_local_time(tmp_path):
    import sqlalchemy as sa

    from tunelab.storages._optuna_db import OptunaDatabase

    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    make_optuna_history(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT datetime_start FROM trials WHERE number = 0")).scalar()
    engine.dispose()
    naive = datetime.datetime.fromisoformat(stored)
    with OptunaDatabase(url, datetimes="utc") as db:
        assert db.read_study("single").trials[0].start == naive.replace(tzinfo=datetime.timezone.utc).timestamp()
    with OptunaDatabase(url, datetimes="local") as db:
        assert db.read_study("single").trials[0].start == naive.timestamp()
    with OptunaDatabase(url) as db:  # written by Optuna 5: UTC
        assert db.datetimes == "utc"


def test_a_tunelab_file_open_in_this_process_is_not_read_through_another_connection(tmp_path, monkeypatch):
    from tunelab.storages import _optuna_db

    url = f"sqlite:///{tmp_path / 'open.db'}"
    study = tunelab.create_study(storage=url, study_name="a")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    # closing a second connection on the file would drop the locks this process's connections hold
    monkeypatch.setattr(_optuna_db, "_engine", lambda *a, **k: pytest.fail("the open file was read again"))
    copy_study(from_study_name="a", from_storage=url, to_storage=InMemoryStorage())
    with pytest.raises(tunelab.StorageError, match="is a tunelab database .*, not an Optuna database"):
        _optuna_db.OptunaDatabase(url)
