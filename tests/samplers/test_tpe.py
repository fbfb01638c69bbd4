from __future__ import annotations

import numpy as np
import pytest

import tunelab
from tunelab import TrialPruned
from tunelab.samplers import RandomSampler, TPESampler
from tunelab.study import TrialState


def quadratic(trial) -> float:
    return (trial.suggest_float("x", -10, 10) - 3) ** 2 + (trial.suggest_float("y", -10, 10) + 1) ** 2


def best(sampler, objective, n_trials: int, **kwargs) -> float:
    study = tunelab.create_study(sampler=sampler, **kwargs)
    study.optimize(objective, n_trials=n_trials)
    return study.best_value


def test_beats_random_search_on_a_quadratic_over_ten_seeds() -> None:
    tpe = [best(TPESampler(seed=s), quadratic, 60) for s in range(10)]
    rnd = [best(RandomSampler(seed=s), quadratic, 60) for s in range(10)]
    assert np.mean(tpe) < 0.5 * np.mean(rnd)
    assert sum(a < b for a, b in zip(tpe, rnd)) >= 8


def test_conditional_parameters_are_learned_only_from_their_own_branch() -> None:
    def objective(trial):  # both branches reach 0: c at 0.9 in branch a, d at 0.1 in branch b
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return abs(trial.suggest_float("c", 0, 1) - 0.9)
        return abs(trial.suggest_float("d", 0, 1) - 0.1)

    late_c, late_d = [], []
    for seed in range(3):
        study = tunelab.create_study(sampler=TPESampler(seed=seed))
        study.optimize(objective, n_trials=80)
        late_c += [t.params["c"] for t in study.trials[40:] if "c" in t.params]
        late_d += [t.params["d"] for t in study.trials[40:] if "d" in t.params]
    # each pulled towards its own branch's optimum; a shared model would pull both to one place
    assert len(late_c) >= 10 and np.median(late_c) > 0.7
    assert len(late_d) >= 10 and np.median(late_d) < 0.3


def test_a_branch_that_looks_worse_is_still_revisited() -> None:
    def objective(trial):  # branch a: a flat 0.5 (ties); branch b: 0 in a narrow window, 1 elsewhere
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        if kind == "a":
            return 0.5 + 0.0 * trial.suggest_float("u", 0, 1)
        if kind == "b":
            return 0.0 if abs(trial.suggest_float("x", 0, 1) - 0.7) < 0.03 else 1.0
        return 1.0 + 0.0 * trial.suggest_float("v", 0, 1)

    found = 0
    for seed in range(12):
        study = tunelab.create_study(sampler=TPESampler(seed=seed))
        study.optimize(objective, n_trials=80)
        found += study.best_value == 0.0
    # once the good set is all tied branch-a trials, the choice must not lock onto branch a
    # (with the former sharp categorical kernels, 1 / sqrt(n + 1): 3 of 12 seeds found the window; now 8)
    assert found >= 7


def test_pruned_trials_steer_the_search() -> None:
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, step=0)
        if x > 0.3:  # most trials are stopped early; the ones that ran further were low x
            raise TrialPruned()
        return x

    study = tunelab.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=50)
    late = [t.params["x"] for t in study.trials[25:]]
    assert np.mean(late) < 0.35
    assert any(t.state == TrialState.PRUNED for t in study.trials)


def test_running_trials_keep_parallel_asks_apart() -> None:
    study = tunelab.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(quadratic, n_trials=20)
    asked = [study.ask() for _ in range(4)]
    xs = [t.suggest_float("x", -10, 10) for t in asked]
    assert len(set(xs)) == 4


def test_multi_objective_and_constraints() -> None:
    def objective(trial):
        x = trial.suggest_float("x", 0, 2)
        trial.set_constraint([x - 1.0])  # feasible when x <= 1
        return x, (x - 2) ** 2

    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=60)
    late = [t.params["x"] for t in study.trials[30:]]
    assert np.mean([x <= 1.0 for x in late]) > 0.7


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="n_startup_trials=-1 is invalid for TPESampler"):
        TPESampler(n_startup_trials=-1)
    with pytest.raises(ValueError, match="n_ei_candidates=0 is invalid"):
        TPESampler(n_ei_candidates=0)


def test_pruned_trials_rank_by_the_value_their_pruner_projected():
    # three trials near x = 0.1 got to step 3 (raw 5.0, projected 3.0); one at x = 0.9 was stopped at
    # step 1 (raw 2.0) but projected to end at 1.0: by projection it is the best, by progress the worst
    for use_projections, expect_near_late_stopper in ((True, False), (False, True)):
        study = tunelab.create_study(sampler=TPESampler(seed=0, n_startup_trials=2, use_projections=use_projections))
        for x, step, raw, projected in [(0.05, 3, 5.0, 3.0), (0.1, 3, 5.0, 3.0), (0.15, 3, 5.0, 3.0),
                                        (0.9, 1, 2.0, 1.0)]:
            study.enqueue_trial({"x": x})
            trial = study.ask()
            trial.suggest_float("x", 0, 1)
            trial.report(raw, step)
            trial.set_system_attr("projected_value", projected)  # what a pruner stores when it stops a trial
            study.tell(trial, state=tunelab.TrialState.PRUNED)
        proposals = []
        for _ in range(10):
            trial = study.ask()
            proposals.append(trial.suggest_float("x", 0, 1))
            study.tell(trial, state=tunelab.TrialState.FAIL)
        assert (np.median(proposals) < 0.5) == expect_near_late_stopper, (use_projections, proposals)
    assert TPESampler().use_projections is False  # opt-in: the feedback benchmark found no gain
