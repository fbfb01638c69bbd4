"""Every concrete sampler exported by tunelab.samplers runs through these tests."""

from __future__ import annotations

import inspect
import math
import threading

import pytest

import tunelab
import tunelab.samplers as samplers
from tunelab import TrialPruned
from tunelab.samplers import GridSampler, Sampler
from tunelab.study import TrialState

GRID = {"x": [-1.0, 0.0, 0.5, 1.0], "n": [1, 2, 3], "c": ["a", "b"]}

SAMPLERS = sorted(name for name in samplers.__all__
                  if inspect.isclass(getattr(samplers, name)) and issubclass(getattr(samplers, name), Sampler)
                  and not inspect.isabstract(getattr(samplers, name)))


def make(name: str, seed: int | None = 0) -> Sampler:
    cls = getattr(samplers, name)
    return cls(GRID, seed=seed) if cls is GridSampler else cls(seed=seed)


def grid_only(name: str) -> None:
    if name == "GridSampler":
        pytest.skip("GridSampler draws only from its grid")


def study_with(name: str, **kwargs) -> tunelab.Study:
    return tunelab.create_study(sampler=make(name), **kwargs)


def bounded(trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    s = trial.suggest_float("s", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", 1, 9, step=2)
    k = trial.suggest_int("k", 1, 512, log=True)
    c = trial.suggest_categorical("c", ["a", "b", None, 3])
    return x * x + math.log(lr) ** 2 / 100 + s + n + math.log(k) + (0 if c == "b" else 1)


def check_bounds(trial) -> None:
    p = trial.params
    assert -1.0 <= p["x"] <= 1.0
    assert 1e-5 <= p["lr"] <= 1e-1
    assert p["s"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert p["n"] in (1, 3, 5, 7, 9) and isinstance(p["n"], int)
    assert 1 <= p["k"] <= 512 and isinstance(p["k"], int)
    assert p["c"] in ("a", "b", None, 3)


@pytest.mark.parametrize("name", SAMPLERS)
def test_values_respect_bounds_log_step_and_choices(name: str) -> None:
    grid_only(name)
    study = study_with(name)
    study.optimize(bounded, n_trials=40)
    assert len(study.trials) == 40
    for t in study.trials:
        assert t.state == TrialState.COMPLETE
        check_bounds(t)


@pytest.mark.parametrize("name", SAMPLERS)
def test_same_seed_same_sequence(name: str) -> None:
    def objective(trial):
        if name == "GridSampler":
            return trial.suggest_float("x", -1, 1) + trial.suggest_int("n", 1, 3) + len(
                trial.suggest_categorical("c", ["a", "b"]))
        return bounded(trial)

    runs = []
    for _ in range(2):
        study = study_with(name)
        study.optimize(objective, n_trials=24 if name != "GridSampler" else 10)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name", SAMPLERS)
def test_conditional_space(name: str) -> None:
    grid_only(name)

    def objective(trial):
        kind = trial.suggest_categorical("kind", ["svm", "tree"])
        if kind == "svm":
            return (math.log10(trial.suggest_float("C", 1e-3, 1e3, log=True)) - 1) ** 2
        return abs(trial.suggest_int("depth", 1, 12) - 4) + 0.5

    study = study_with(name)
    study.optimize(objective, n_trials=40)
    for t in study.trials:
        assert set(t.params) == ({"kind", "C"} if t.params["kind"] == "svm" else {"kind", "depth"})
        assert t.params.get("depth", 1) in range(1, 13)
        assert 1e-3 <= t.params.get("C", 1.0) <= 1e3


@pytest.mark.parametrize("name", SAMPLERS)
def test_failed_and_pruned_trials_in_history(name: str) -> None:
    grid_only(name)

    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        if trial.number % 5 == 1:
            raise ValueError("boom")
        if trial.number % 5 == 2:
            trial.report(x * x + 1, step=0)
            trial.report(x * x, step=1)
            raise TrialPruned()
        if trial.number % 5 == 3:
            raise TrialPruned()
        return x * x

    study = study_with(name)
    study.optimize(objective, n_trials=40, catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAIL) == 8 and states.count(TrialState.PRUNED) == 16
    assert all(-2 <= t.params["x"] <= 2 for t in study.trials)


@pytest.mark.parametrize("name", SAMPLERS)
def test_parallel_threads(name: str) -> None:
    grid_only(name)
    study = study_with(name)
    study.optimize(bounded, n_trials=30, n_jobs=2)
    assert len(study.trials) == 30
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    for t in study.trials:
        check_bounds(t)


@pytest.mark.parametrize("name", SAMPLERS)
def test_ask_ask_tell_interleaving(name: str) -> None:
    grid_only(name)
    study = study_with(name)
    open_trials = []
    for i in range(30):
        trial = study.ask()
        trial.suggest_float("x", -1, 1)
        trial.suggest_categorical("c", ["a", "b", "c"])
        open_trials.append(trial)
        if i % 3 == 2:  # tell the oldest two, keep one running
            for t in open_trials[:2]:
                study.tell(t, t.params["x"] ** 2)
            open_trials = open_trials[2:]
    for t in open_trials:
        study.tell(t, state=TrialState.FAIL)
    assert len(study.trials) == 30
    assert all(-1 <= t.params["x"] <= 1 and t.params["c"] in "abc" for t in study.trials)


@pytest.mark.parametrize("name", SAMPLERS)
def test_threads_asking_at_once(name: str) -> None:
    grid_only(name)
    study = study_with(name)
    errors = []

    def worker() -> None:
        try:
            for _ in range(10):
                t = study.ask()
                study.tell(t, t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3))
        except Exception as exc:  # reported below: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(study.trials) == 30


@pytest.mark.parametrize("name", SAMPLERS)
def test_search_space_changes_between_trials(name: str) -> None:
    grid_only(name)

    def objective(trial):
        if trial.number < 15:
            return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 0, 5)
        # x widened, n gone, a new parameter
        return trial.suggest_float("x", -3, 3) ** 2 + len(trial.suggest_categorical("m", ["a", "bb"]))

    study = study_with(name)
    study.optimize(objective, n_trials=35)
    for t in study.trials[15:]:
        assert set(t.params) == {"x", "m"} and -3 <= t.params["x"] <= 3


@pytest.mark.parametrize("name", SAMPLERS)
def test_multi_objective(name: str) -> None:
    """Supported, or refused at the first trial with an error that says so (never a silent mix-up)."""
    grid_only(name)
    study = study_with(name, directions=["minimize", "maximize"])
    try:
        study.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2, t.suggest_float("x", 0, 1)), n_trials=30)
    except tunelab.InvalidArgumentError as exc:
        assert "objective" in str(exc) and len(study.trials) == 1
        return
    assert len(study.best_trials) >= 1
    assert all(0 <= t.params["x"] <= 1 for t in study.trials)


def test_grid_sampler_covers_its_grid_with_parallel_workers() -> None:
    study = tunelab.create_study(sampler=make("GridSampler"))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("n", 1, 3)
                   + len(t.suggest_categorical("c", ["a", "b"])), n_trials=100, n_jobs=2)
    points = {(t.params["x"], t.params["n"], t.params["c"]) for t in study.trials}
    assert len(points) == 24


def test_every_exported_sampler_is_covered() -> None:
    assert {"AutoSampler", "TPESampler", "NSGAIISampler", "RandomSampler", "GridSampler"} <= set(SAMPLERS)


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize(("seed", "error", "match"), [
    (-1, tunelab.TunelabError, r"seed=-1 is invalid for {}: must be None or a non-negative integer"),
    ("0", TypeError, r"seed='0' \(type str\) is invalid for {}"),
])
def test_every_sampler_checks_its_seed_the_same_way(name, seed, error, match):
    with pytest.raises(error, match=match.format(name)):
        make(name, seed=seed)
