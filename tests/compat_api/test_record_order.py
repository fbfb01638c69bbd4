"""Trial records sort by number, as Optuna's do (``sorted(study.trials, reverse=True)``)."""

from __future__ import annotations

import pytest

import tunelab


def test_records_sort_by_number_and_refuse_other_types():
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    trials = study.trials
    assert [t.number for t in sorted(trials, reverse=True)] == [3, 2, 1, 0]
    assert trials[0] < trials[1] <= trials[1] and not trials[2] < trials[1]
    assert max(trials).number == 3
    with pytest.raises(TypeError):
        trials[0] < 1  # noqa: B015 - the comparison is the test
