"""Trial records: the core's own fields are typed, stored apart from plug-ins' state, and read from older files."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

import tunelab
from tunelab import InvalidArgumentError, InvalidTypeError
from tunelab._records import StudyDirection, TrialState
from tunelab.space import FloatDistribution
from tunelab.storage import SQLStorage


def test_core_fields_are_typed_and_kept_apart_from_plugin_state(tmp_path):
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", directions=["minimize", "maximize"])
    study.enqueue_trial({"x": 0.25})
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.set_constraint([0.5, -1.0])
    trial.report([1.0, 2.0], step=3)
    trial.set_system_attr("myplugin:state", {"k": 1})
    study.tell(trial, state=TrialState.FAIL, fail_reason="gave up")
    [record] = tunelab.load_study(storage=f"sqlite:///{tmp_path / 's.db'}", study_name=study.study_name).trials
    assert (record.fail_reason, record.constraints, record.fixed_params, record.intermediate_vectors) == (
        "gave up", (0.5, -1.0), {"x": 0.25}, {3: (1.0, 2.0)})
    assert (record.retry_of, record.retry_count) == (None, 0)
    assert record.system_attrs == {"myplugin:state": {"k": 1}}  # plug-ins' area holds only plug-ins' state


@pytest.mark.parametrize("key", ["fail_reason", "constraints", "retry_of", "fixed_params", "schedule:lr"])
def test_a_plugin_cannot_write_the_core_fields_through_system_attributes(key):
    study = tunelab.create_study()
    trial = study.ask()
    with pytest.raises(InvalidArgumentError, match=f"system attribute '{key}' is reserved: it is one of the trial's"):
        trial.set_system_attr(key, 1)
    assert study.trials[0].system_attrs == {}


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("constraints", [float("nan")], r"core field 'constraints'\[0\]=nan is invalid: must be a number"),
    ("constraints", [], "core field 'constraints'=.* is invalid: must be a non-empty list of numbers"),
    ("retry_of", -1, "core field 'retry_of'=-1 is invalid: must be an integer >= 0"),
    ("fail_reason", 3, "core field 'fail_reason'=3 .* must be a string"),
    ("intermediate_vectors", {"x": [1]}, "core field 'intermediate_vectors' step='x' is invalid: must be a step number"),
    ("intermediate_vectors", [1], "core field 'intermediate_vectors'=.* must be a dict of step"),
    ("nonsense", 1, "core field='nonsense' is invalid: must be one of"),
])
def test_core_fields_of_the_wrong_shape_are_refused(key, value, allowed):
    storage = SQLStorage("sqlite://")
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    tid = storage.start_trial(sid).trial_id
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match=allowed):
        storage.set_trial_attr(tid, "core", key, value)
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match=allowed):
        storage.create_trial(sid, core={key: value})


def _schema_1_file(path) -> None:
    """A study written by tunelab before schema 2: core fields among the system attributes, no write_token."""
    storage = SQLStorage(f"sqlite:///{path}")
    sid = storage.create_study("old", [StudyDirection.MINIMIZE])
    trial = storage.start_trial(sid)
    storage.set_trial_params(trial.trial_id, {"x": (0.5, FloatDistribution(0, 1))})
    storage.finish_trial(trial.trial_id, TrialState.FAIL, core={"fail_reason": "boom", "schedule:lr": {
        "class": "ConstantLR", "args": {"base_lr": 0.1}}}, system_attrs={"grid_id": 3})
    storage.close()
    con = sqlite3.connect(path)
    con.execute("UPDATE tunelab_trial_attrs SET kind = 'system' WHERE kind = 'core'")
    con.execute("ALTER TABLE tunelab_trials DROP COLUMN write_token")
    con.execute("UPDATE tunelab_meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()


def test_a_schema_1_file_reads_with_typed_fields_read_only_and_is_upgraded_when_opened_for_writing(tmp_path):
    path = tmp_path / "old.db"
    _schema_1_file(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    reader = SQLStorage(f"sqlite:///{path}", read_only=True)
    [trial] = reader.get_all_trials(reader.get_study_id("old"))
    assert (trial.fail_reason, trial.schedule_configs["lr"]["class"], trial.system_attrs) == (
        "boom", "ConstantLR", {"grid_id": 3})
    reader.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # read-only: untouched
    writer = SQLStorage(f"sqlite:///{path}")
    [again] = writer.get_all_trials(writer.get_study_id("old"))
    assert again == trial
    writer.close()
    con = sqlite3.connect(path)
    kinds = dict(con.execute("SELECT key, kind FROM tunelab_trial_attrs").fetchall())
    version = con.execute("SELECT value FROM tunelab_meta WHERE key = 'schema_version'").fetchone()[0]
    con.close()
    assert (kinds, version) == ({"fail_reason": "core", "schedule:lr": "core", "grid_id": "system"}, "2")
