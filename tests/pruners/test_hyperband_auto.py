"""HyperbandPruner(max_resource="auto"): the training length is read from the first completed trial."""

from __future__ import annotations

import pytest

import tunelab
from tunelab.pruners import HyperbandPruner


def run(study, level, steps=27, finish=True):
    trial = study.ask()
    said = []
    for s in range(steps):
        trial.report(level + 1.0 / (s + 1), s)
        if trial.should_prune():
            said.append(s)
            break
    if finish and not said:
        study.tell(trial, level)
    elif said:
        study.tell(trial, state=tunelab.TrialState.PRUNED)
    return said


def test_auto_is_the_default_and_is_worked_out_from_the_first_complete_trial():
    pruner = HyperbandPruner(min_resource=1, reduction_factor=3)
    assert pruner.max_resource is None and "max_resource='auto'" in repr(pruner)
    study = tunelab.create_study(pruner=pruner)
    running = study.ask()
    running.report(100.0, 0)
    assert not running.should_prune()  # nothing completed yet: no trial is stopped
    assert run(study, 0.0) == []  # steps 0..26 reported: max_resource = 27, known at the next question
    running.should_prune()
    assert pruner.max_resource == 27 and pruner.n_brackets == 4
    assert run(study, 5.0, steps=40) == []  # a longer trial later changes nothing
    assert pruner.max_resource == 27


def test_auto_decides_as_the_explicit_length():
    def decisions(max_resource):
        study = tunelab.create_study(study_name="same",
                                     pruner=HyperbandPruner(min_resource=1, max_resource=max_resource,
                                                            reduction_factor=3))
        run(study, 0.5)  # the first trial completes first in both studies
        return [run(study, level) for level in [3.0, 0.1, 2.0, 9.0, 0.3, 4.0, 1.0, 7.0, 0.2, 6.0] * 2]

    auto = decisions("auto")
    assert auto == decisions(27)
    assert any(auto) and not all(auto)


def test_every_process_works_out_the_same_length(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    study = tunelab.create_study(storage=url, study_name="h", pruner=HyperbandPruner(min_resource=1))
    run(study, 1.0, steps=9)
    run(study, 1.0, steps=30)
    other = tunelab.load_study(storage=url, study_name="h", pruner=HyperbandPruner(min_resource=1))
    trial = other.ask()
    trial.report(1.0, 0)
    trial.should_prune()
    assert other.pruner.max_resource == 9


def test_brackets_are_not_known_before_the_length():
    with pytest.raises(tunelab.InvalidArgumentError, match="no brackets until a trial of the study completes"):
        HyperbandPruner().bracket("s", 0)


@pytest.mark.parametrize(("value", "error", "match"), [
    ("full", tunelab.TunelabError, r"^max_resource='full' is invalid for HyperbandPruner"),
    (1, tunelab.TunelabError, r"^max_resource=1 is invalid for HyperbandPruner: must be an integer > min_resource=1"),
])
def test_bad_max_resource_is_refused(value, error, match):
    with pytest.raises(error, match=match):
        HyperbandPruner(min_resource=1, max_resource=value)
