"""Trial records are read-only snapshots: shared with the storage's cache and handed to every sampler
and pruner, a write to one used to change what every other reader saw (and nothing stored)."""

from __future__ import annotations

import copy
import pickle

import pytest

import tunelab
from tunelab.pruners import BasePruner, NopPruner, SuccessiveHalvingPruner
from tunelab.samplers import RandomSampler

FIELDS = ["params", "distributions", "intermediate_values", "user_attrs", "system_attrs", "fixed_params",
          "intermediate_vectors", "schedule_configs"]


@pytest.fixture(params=["memory", "sqlite"])
def study(request, tmp_path):
    storage = None if request.param == "memory" else f"sqlite:///{tmp_path / 'r.db'}"
    study = tunelab.create_study(storage=storage, sampler=RandomSampler(seed=0), pruner=NopPruner())

    def objective(trial):
        trial.set_user_attr("note", "a")
        trial.report(1.0, 0)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=2)
    return study


@pytest.mark.parametrize("field", FIELDS)
def test_every_dict_field_of_a_record_refuses_writes_and_the_study_is_unchanged(study, field):
    before = [dict(getattr(t, field)) for t in study.trials]
    record = study.get_trials(deepcopy=False)[0]
    mapping = getattr(record, field)
    for write in (lambda m: m.__setitem__("k", 1), lambda m: m.update(k=1), lambda m: m.pop("x", None),
                  lambda m: m.clear(), lambda m: m.setdefault("k", 1)):
        with pytest.raises(TypeError, match=rf"FrozenTrial\.{field} is a read-only snapshot"):
            write(mapping)
    assert [dict(getattr(t, field)) for t in study.trials] == before


def test_copies_are_plain_writable_dicts(study):
    private = study.get_trials(deepcopy=True)[0]
    private.params["x"] = 5.0
    private.user_attrs["note"] = "b"
    assert study.trials[0].params["x"] != 5.0 and study.trials[0].user_attrs["note"] == "a"
    assert type(copy.deepcopy(study.trials[0]).system_attrs) is dict
    assert pickle.loads(pickle.dumps(study.trials[0])) == study.trials[0]


class Scribbler(BasePruner):
    """A third-party pruner that writes into the record it is handed."""

    def prune(self, study, trial):
        trial.user_attrs["seen"] = True
        return False


def test_a_plugin_writing_into_its_record_is_stopped_and_the_trial_ends_once(study):
    study.pruner = Scribbler()

    def objective(trial):
        trial.report(1.0, 0)
        trial.should_prune()
        return 1.0

    study.optimize(objective, n_trials=1, catch=(TypeError,))
    last = study.trials[-1]
    assert last.state.name == "FAIL" and "read-only snapshot" in last.fail_reason
    assert "seen" not in last.user_attrs


def test_a_pruner_still_reads_what_it_recorded_on_its_next_call():
    study = tunelab.create_study(sampler=RandomSampler(seed=0),
                                 pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    for value in (1.0, 2.0):  # two trials reach the first rungs
        trial = study.ask()
        for step in range(4):
            trial.report(value, step)
            trial.should_prune()
        study.tell(trial, value)
    trial = study.ask()
    trial.report(10.0, 1)  # the first rung (step 1): worse than both, so stopped there
    first = trial.should_prune()
    rungs = dict(study.get_trials(deepcopy=False)[-1].system_attrs)
    assert first is True and rungs  # the rung value and the stop were stored ...
    assert trial.should_prune() is True  # ... and the same question gets the same answer from them
    assert dict(study.get_trials(deepcopy=False)[-1].system_attrs) == rungs
