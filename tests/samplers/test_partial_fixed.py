"""PartialFixedSampler: fixed parameters hold their values; the base sampler chooses and learns the rest."""

from __future__ import annotations

import pytest

import tunelab
from tunelab.samplers import GPSampler, PartialFixedSampler, RandomSampler, TPESampler


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return x**2 + (y - 2) ** 2


@pytest.mark.parametrize("base", [lambda: TPESampler(seed=0), lambda: GPSampler(seed=0, n_startup_trials=5)])
def test_fixed_values_hold_and_the_rest_is_still_optimised(base):
    # Optuna's FAQ pattern: tune, then fix one parameter and go on tuning the others
    study = tunelab.create_study(sampler=base())
    study.optimize(objective, n_trials=10)
    study.sampler = PartialFixedSampler({"y": 2}, study.sampler)
    study.optimize(objective, n_trials=20)
    assert all(t.params["y"] == 2 for t in study.trials[10:])
    assert study.best_value < 1.0


def test_the_base_sampler_is_not_asked_about_fixed_parameters():
    asked = []

    class Recording(RandomSampler):
        def infer_relative_search_space(self, study, trial):
            return {"x": tunelab.space.FloatDistribution(-10, 10), "y": tunelab.space.IntDistribution(-5, 5)}

        def sample_relative(self, study, trial, search_space):
            asked.append(sorted(search_space))
            return {}

        def sample_independent(self, study, trial, name, distribution):
            asked.append(name)
            return super().sample_independent(study, trial, name, distribution)

    study = tunelab.create_study(sampler=PartialFixedSampler({"y": 2}, Recording(seed=0)))
    study.optimize(objective, n_trials=2)
    assert asked == [["x"], "x", ["x"], "x"]


def test_enqueued_values_come_first():
    study = tunelab.create_study(sampler=PartialFixedSampler({"y": 2}, RandomSampler(seed=0)))
    study.enqueue_trial({"y": -3})
    study.optimize(objective, n_trials=2)
    assert [t.params["y"] for t in study.trials] == [-3, 2]


def test_a_value_outside_the_distribution_is_refused_naming_it():
    study = tunelab.create_study(sampler=PartialFixedSampler({"y": 7}, RandomSampler(seed=0)))
    with pytest.raises(tunelab.InvalidArgumentError,
                       match=r"fixed_params\['y'\]=7 is invalid for PartialFixedSampler: must lie in the "
                             r"distribution the objective asked for, IntDistribution"):
        study.optimize(objective, n_trials=1)


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match=r"^fixed_params=\[\('y', 2\)\] \(type list\) is invalid for "
                                        r"PartialFixedSampler: must be a mapping"):
        PartialFixedSampler([("y", 2)], RandomSampler())
    with pytest.raises(TypeError, match=r"^base_sampler=.* is invalid for PartialFixedSampler: must be a tunelab Sampler"):
        PartialFixedSampler({"y": 2}, "tpe")
    with pytest.raises(TypeError, match=r"^fixed_params key=3 \(type int\) is invalid for PartialFixedSampler"):
        PartialFixedSampler({3: 2}, RandomSampler())


def test_the_callers_mapping_is_copied_and_hooks_reach_the_base_sampler():
    fixed = {"y": 2}
    base = TPESampler(seed=0, constraints_func=lambda t: [t.params["x"]])
    sampler = PartialFixedSampler(fixed, base)
    fixed["y"] = 4
    study = tunelab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=3)
    assert {t.params["y"] for t in study.trials} == {2}
    assert [base._feasibility.constraints(t) for t in study.trials] == [(t.params["x"],) for t in study.trials]
