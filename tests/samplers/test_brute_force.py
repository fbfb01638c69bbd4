"""BruteForceSampler: every combination of a finite define-by-run space once, then the study stops.

The shipped conformance checks ask for continuous ranges, which an exhaustive search refuses; the
same properties are checked here on discrete spaces."""

from __future__ import annotations

import itertools
import threading

import pytest

import tunelab
from tunelab import TrialState
from tunelab.samplers import BruteForceSampler


def conditional(trial):
    layers = trial.suggest_int("layers", 1, 3)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    if act == "relu":
        return layers + trial.suggest_float("slope", 0.0, 0.2, step=0.1)
    return layers * 2.0


def dependent(trial):  # the second range depends on the first value (Optuna's documented example)
    c = trial.suggest_categorical("c", ["float", "int"])
    if c == "float":
        return trial.suggest_float("x", 1, 3, step=0.5)
    a = trial.suggest_int("a", 1, 3)
    return a + trial.suggest_int("b", a, 3)


def combos(study):
    return [tuple(sorted(t.params.items())) for t in study.trials]


@pytest.mark.parametrize(("objective", "size"), [(conditional, 3 * 3 + 3), (dependent, 5 + 6)])
def test_every_combination_once_then_the_study_stops(objective, size):
    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(objective, n_trials=100)
    assert len(study.trials) == size
    assert len(set(combos(study))) == size


def test_values_lie_in_their_distributions_and_keep_their_types():
    def objective(trial):
        n = trial.suggest_int("n", 1, 9, step=2)
        k = trial.suggest_int("k", 1, 4, log=True)
        s = trial.suggest_float("s", 0.0, 1.0, step=0.25)
        c = trial.suggest_categorical("c", ["a", None, 3])
        return n + k + s + (0 if c is None else 1)

    study = tunelab.create_study(sampler=BruteForceSampler(seed=1))
    study.optimize(objective, n_trials=1000)
    assert len(study.trials) == 5 * 4 * 5 * 3
    got = set(combos(study))
    want = {tuple(sorted({"n": n, "k": k, "s": s, "c": c}.items(), key=lambda kv: kv[0]))
            for n, k, s, c in itertools.product([1, 3, 5, 7, 9], [1, 2, 3, 4], [0.0, 0.25, 0.5, 0.75, 1.0],
                                                ["a", None, 3])}
    assert got == want
    assert all(type(t.params["n"]) is int and type(t.params["s"]) is float for t in study.trials)


def test_same_seed_same_order_and_seeds_differ():
    def order(seed):
        study = tunelab.create_study(sampler=BruteForceSampler(seed=seed))
        study.optimize(conditional, n_trials=100)
        return combos(study)

    assert order(3) == order(3)
    assert order(3) != order(4)


def test_failed_and_pruned_trials_count_as_tried():
    def objective(trial):
        x = trial.suggest_int("x", 0, 5)
        if x == 1:
            raise ValueError("fails")
        if x == 2:
            raise tunelab.TrialPruned()
        return x

    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(objective, n_trials=50, catch=(ValueError,))
    assert sorted(t.params["x"] for t in study.trials) == [0, 1, 2, 3, 4, 5]
    assert {t.params["x"]: t.state for t in study.trials}[1] == TrialState.FAIL


def test_interleaved_asks_take_different_combinations():
    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    running = []
    for _ in range(6):  # six trials asked before any is told
        trial = study.ask()
        trial.suggest_int("x", 0, 5)
        running.append(trial)
    assert sorted(t.params["x"] for t in running) == [0, 1, 2, 3, 4, 5]
    for t in running:
        study.tell(t, t.params["x"])


def test_threads_cover_the_space():
    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    errors = []

    def worker():
        try:
            for _ in range(8):
                t = study.ask()
                study.tell(t, t.suggest_int("x", 0, 9) + t.suggest_int("y", 0, 1))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len({(t.params["x"], t.params["y"]) for t in study.trials}) == 20


def grid_objective(trial):
    return trial.suggest_int("x", 0, 3) * 10 + trial.suggest_int("y", 0, 2)


def test_worker_processes_cover_the_space(tmp_path):
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path / 'b.db'}", sampler=BruteForceSampler(seed=0))
    study.optimize(grid_objective, n_trials=40, n_jobs=2)
    assert len({(t.params["x"], t.params["y"]) for t in study.trials}) == 12


def test_enqueued_values_are_kept_and_count_as_tried():
    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    study.enqueue_trial({"x": 2, "y": 1})
    study.optimize(grid_objective, n_trials=100)
    assert combos(study)[0] == (("x", 2), ("y", 1))
    assert len(study.trials) == 12 == len(set(combos(study)))


def test_a_study_asked_again_after_exhaustion_repeats_a_combination():
    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("x", 0, 1), n_trials=10)
    assert len(study.trials) == 2
    study.optimize(lambda t: t.suggest_int("x", 0, 1), n_trials=10)
    assert len(study.trials) == 3 and study.trials[2].params["x"] in (0, 1)


def test_avoid_premature_stop_waits_for_running_trials():
    for avoid, stops in ((False, True), (True, False)):
        study = tunelab.create_study(sampler=BruteForceSampler(seed=0, avoid_premature_stop=avoid))
        stopped = []
        study.stop = lambda stopped=stopped: stopped.append(True)
        first, second = study.ask(), study.ask()
        first.suggest_int("x", 0, 1)
        second.suggest_int("x", 0, 1)
        study.tell(first, 0.0)  # the second is still running
        assert bool(stopped) == stops


def test_continuous_ranges_are_refused_naming_the_parameter():
    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    with pytest.raises(tunelab.InvalidArgumentError, match=r"finite search space: parameter 'lr' is FloatDistribution"):
        study.optimize(lambda t: t.suggest_float("lr", 1e-3, 1.0, log=True), n_trials=1)


def test_large_ranges_do_not_enumerate_every_value():
    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("n", 0, 10**12), n_trials=5)
    assert len({t.params["n"] for t in study.trials}) == 5


def test_parameters_asked_in_another_order_than_their_names():
    def objective(trial):  # "z" first, "b" only on one branch: the names sort otherwise
        z = trial.suggest_int("z", 0, 1)
        a = trial.suggest_categorical("a", ["p", "q"])
        if z == 1:
            return trial.suggest_int("b", 0, 2) + len(a)
        x = trial.suggest_int("x", z, 2)  # its range depends on an earlier value
        return x + len(a)

    study = tunelab.create_study(sampler=BruteForceSampler(seed=2))
    study.optimize(objective, n_trials=100)
    assert len(study.trials) == len(set(combos(study))) == 2 * 3 + 2 * 3
