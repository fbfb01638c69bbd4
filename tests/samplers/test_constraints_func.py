"""``constraints_func=`` (Optuna's argument) on TPE, GP, NSGA-II and the automatic sampler: called
once per trial ending COMPLETE or PRUNED, its values stored with the trial, feasible trials preferred."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tunelab
from tunelab import TrialState
from tunelab.samplers import AutoSampler, GPSampler, NSGAIISampler, TPESampler

MAKERS = {
    "TPESampler": lambda seed, f: TPESampler(seed=seed, n_startup_trials=8, constraints_func=f),
    "GPSampler": lambda seed, f: GPSampler(seed=seed, n_startup_trials=6, constraints_func=f),
    "NSGAIISampler": lambda seed, f: NSGAIISampler(seed=seed, population_size=8, constraints_func=f),
    "AutoSampler": lambda seed, f: AutoSampler(seed=seed, constraints_func=f),
}
TRIALS = {"TPESampler": 40, "GPSampler": 25, "NSGAIISampler": 120, "AutoSampler": 25}


def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    return (x - 0.1) ** 2 + (y - 0.1) ** 2  # unconstrained optimum (0.1, 0.1) is infeasible


def corner(trial):
    """Feasible when x >= 0.6 and y >= 0.6: the feasible optimum is 0.5, at (0.6, 0.6)."""
    return [0.6 - trial.params["x"], 0.6 - trial.params["y"]]


def best_feasible(study):
    feasible = [t.value for t in study.trials if t.state == TrialState.COMPLETE and max(corner(t)) <= 0]
    return min(feasible, default=math.inf)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_the_feasible_optimum_is_found_more_often_with_constraints_func(name):
    # measured on seeds 0-5 (best feasible value, optimum 0.5): with constraints_func TPE 0.51-0.55,
    # GP and the default 0.500 every time, NSGA-II 0.52-0.61; without, 0.60-1.6 (none within 0.05)
    with_func, without = [], []
    for seed in range(3):
        for found, func in ((with_func, corner), (without, None)):
            study = tunelab.create_study(sampler=MAKERS[name](seed, func))
            study.optimize(objective, n_trials=TRIALS[name])
            found.append(best_feasible(study))
    assert np.mean(with_func) < np.mean(without), (with_func, without)
    if name != "NSGAIISampler":  # a genetic algorithm converges more slowly
        assert all(v < 0.5 + 0.05 for v in with_func), with_func


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_called_once_per_complete_or_pruned_trial_never_for_failed_ones(name):
    calls = []

    def func(trial):
        calls.append((trial.number, trial.state))
        return [trial.params["x"] - 0.5]

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 4 == 1:
            raise tunelab.TrialPruned()
        if trial.number % 4 == 2:
            raise ValueError("fails")
        return x

    sampler = MAKERS[name](0, func)
    study = tunelab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=12, catch=(ValueError,))
    states = {t.number: t.state for t in study.trials}
    assert sorted(n for n, _ in calls) == [n for n, s in states.items() if s != TrialState.FAIL]
    assert all(s in (TrialState.COMPLETE, TrialState.PRUNED) for _, s in calls)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_constraints_of_gives_the_values_the_core_stores(name):
    sampler = MAKERS[name](0, lambda t: (t.params["x"] - 0.25, -1.0))
    study = tunelab.create_study(sampler=sampler)
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    ending = trial.freeze(TrialState.COMPLETE, (1.0,))
    assert sampler.constraints_of(study, ending) == (trial.params["x"] - 0.25, -1.0)
    assert sampler.constraints_of(study, trial.freeze(TrialState.FAIL)) is None
    assert MAKERS[name](0, None).constraints_of(study, ending) is None


def test_constraint_values_are_stored_with_the_trial():
    study = tunelab.create_study(sampler=TPESampler(seed=0, constraints_func=corner))
    study.optimize(objective, n_trials=5)
    assert [t.constraints for t in study.trials] == [tuple(corner(t)) for t in study.trials]


def test_values_set_by_the_objective_win_and_func_is_not_called():
    calls = []

    def func(trial):
        calls.append(trial.number)
        return [1.0]

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 0:
            trial.set_constraint([-2.0])
        return x

    sampler = TPESampler(seed=0, constraints_func=func)
    study = tunelab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=3)
    assert calls == [1, 2]
    assert study.trials[0].constraints == (-2.0,)


def test_the_automatic_sampler_calls_it_once_per_trial_for_all_its_delegates():
    calls = []

    def func(trial):
        calls.append(trial.number)
        return [0.5 - trial.params["x"]]

    sampler = AutoSampler(seed=0, constraints_func=func)
    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    assert calls == list(range(12))
    assert set(sampler._delegates) == {"GPSampler"}
    gp = sampler._delegates["GPSampler"]
    assert [gp._feasibility.violation(t) > 0 for t in study.trials] == [t.params["x"] < 0.5 for t in study.trials]


@pytest.mark.parametrize(("result", "error", "match"), [
    ([float("nan")], tunelab.TunelabError, r"constraints_func\(trial 0\)\[0\]=nan is invalid for TPESampler"),
    (0.5, TypeError, r"constraints_func\(trial 0\)=0.5 \(type float\) is invalid for TPESampler: must be a sequence"),
    ("a", TypeError, r"constraints_func\(trial 0\)='a' \(type str\) is invalid for TPESampler"),
    (["x"], TypeError, r"constraints_func\(trial 0\)\[0\]='x' \(type str\) is invalid for TPESampler"),
])
def test_a_bad_result_of_constraints_func_is_refused_naming_it(result, error, match):
    sampler = TPESampler(seed=0, constraints_func=lambda t: result)
    study = tunelab.create_study(sampler=sampler)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    with pytest.raises(error, match=match):
        sampler.constraints_of(study, trial.freeze(TrialState.COMPLETE, (0.5,)))


def test_numpy_results_and_empty_sequences_are_accepted():
    sampler = TPESampler(seed=0, constraints_func=lambda t: np.array([t.params["x"] - 2.0]))
    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert sampler._feasibility.constraints(study.trials[0]) == (study.trials[0].params["x"] - 2.0,)
    sampler = TPESampler(seed=0, constraints_func=lambda t: [])
    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert sampler._feasibility.constraints(study.trials[0]) is None  # no constraint: feasible
