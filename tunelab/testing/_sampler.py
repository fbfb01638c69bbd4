"""The sampler checks: what every :class:`~tunelab.samplers.Sampler` does, whatever its strategy.

The parameters the checks ask for are listed in :func:`tunelab.testing.sampler_checks`; keep that
table in step with the objectives below.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import tunelab
from tunelab import TrialPruned, TrialState
from tunelab.samplers import Sampler
from tunelab.testing._checks import Check, expect

SEED = 0
MakeSampler = Callable[[int], Any]


# -- objectives (module level: worker processes import them) ------------------------------------------------

def bounded(trial: Any) -> float:
    """One parameter of each kind: linear, log, stepped, int, log int, categorical with mixed types."""
    x = trial.suggest_float("x", -1.0, 1.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    s = trial.suggest_float("s", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", 1, 9, step=2)
    k = trial.suggest_int("k", 1, 512, log=True)
    c = trial.suggest_categorical("c", ["a", "b", None, 3])
    return x * x + math.log(lr) ** 2 / 100 + s + n + math.log(k) + (0 if c == "b" else 1)


def _outside(params: dict[str, Any]) -> list[str]:
    """The values of :func:`bounded`'s parameters that are not in their distributions."""
    checks = {
        "x": lambda v: isinstance(v, float) and -1.0 <= v <= 1.0,
        "lr": lambda v: isinstance(v, float) and 1e-5 <= v <= 1e-1,
        "s": lambda v: v in (0.0, 0.25, 0.5, 0.75, 1.0),
        "n": lambda v: type(v) is int and v in (1, 3, 5, 7, 9),
        "k": lambda v: type(v) is int and 1 <= v <= 512,
        "c": lambda v: any(v is c or (type(v) is type(c) and v == c) for c in ("a", "b", None, 3)),
    }
    return [f"{name}={params.get(name)!r}" for name, ok in checks.items() if name in params and not ok(params[name])]


def _failing(trial: Any) -> float:
    x = trial.suggest_float("x", -2, 2)
    if trial.number % 5 == 1:
        raise ValueError("this objective fails every fifth trial")
    if trial.number % 5 == 2:
        trial.report(x * x + 1, step=0)
        trial.report(x * x, step=1)
        raise TrialPruned()
    if trial.number % 5 == 3:
        raise TrialPruned()
    return x * x


def _conditional(trial: Any) -> float:
    kind = trial.suggest_categorical("kind", ["svm", "tree"])
    if kind == "svm":
        return (math.log10(trial.suggest_float("C", 1e-3, 1e3, log=True)) - 1) ** 2
    return abs(trial.suggest_int("depth", 1, 12) - 4) + 0.5


def _changing(trial: Any) -> float:
    if trial.number < 15:
        return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 0, 5)
    # x widened, n gone, a new parameter
    return trial.suggest_float("x", -3, 3) ** 2 + len(trial.suggest_categorical("m", ["a", "bb"]))


def _single_values(trial: Any) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    a = trial.suggest_float("a", 0.5, 0.5)
    b = trial.suggest_int("b", 3, 3)
    lr = trial.suggest_float("l", 1e-3, 1e-3, log=True)
    one = trial.suggest_categorical("one", ["only"])
    return (x - 0.3) ** 2 + a + b + lr + len(one)


def _non_finite(trial: Any) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    if trial.number % 4 == 1:
        return math.inf  # a diverged training
    if trial.number % 4 == 2:
        return math.nan  # the trial fails
    return x * x


# -- helpers -------------------------------------------------------------------------------------------------

def new_sampler(make_sampler: MakeSampler, seed: int = SEED) -> Any:
    """``make_sampler(seed)``, required to be a Sampler."""
    sampler = make_sampler(seed)
    expect(isinstance(sampler, Sampler),
           f"make_sampler({seed}) returned {sampler!r} (type {type(sampler).__name__}), not a tunelab Sampler")
    return sampler


def _study(make_sampler: MakeSampler, **kwargs: Any) -> Any:
    return tunelab.create_study(sampler=new_sampler(make_sampler), **kwargs)


def _expect_trials(study: Any, count: int, states: tuple[Any, ...] | None = None) -> None:
    trials = study.trials
    expect(len(trials) == count, f"the study has {len(trials)} trials, expected {count}")
    if states is not None:
        wrong = [(t.number, t.state.name, t.fail_reason) for t in trials if t.state not in states]
        expect(not wrong, f"trials ended in unexpected states (number, state, fail reason): {wrong[:3]}")


def _expect_within(trials: list[Any]) -> None:
    for t in trials:
        bad = _outside(t.params)
        expect(not bad, f"trial {t.number} got values outside their distributions: {', '.join(bad)}")


# -- the checks ----------------------------------------------------------------------------------------------

def check_values_in_distributions(make_sampler: MakeSampler) -> None:
    """Every value lies in its distribution: bounds, log scale, step grid, int type and the choices."""
    study = _study(make_sampler)
    study.optimize(bounded, n_trials=40)
    _expect_trials(study, 40, (TrialState.COMPLETE,))
    _expect_within(study.trials)


def check_same_seed_same_values(make_sampler: MakeSampler) -> None:
    """Two studies whose samplers are made with the same seed try the same values in the same order."""
    runs = []
    for _ in range(2):
        study = _study(make_sampler)
        study.optimize(bounded, n_trials=24)
        runs.append([t.params for t in study.trials])
    differ = next((i for i, (a, b) in enumerate(zip(*runs)) if a != b), None)
    expect(differ is None, f"with the same seed, trial {differ} got {runs[0][differ] if differ is not None else ''} "
                           f"in one study and {runs[1][differ] if differ is not None else ''} in the other")


def check_conditional_parameters(make_sampler: MakeSampler) -> None:
    """A tree-shaped space: each trial has exactly the parameters of the branch it took, within bounds."""
    study = _study(make_sampler)
    study.optimize(_conditional, n_trials=40)
    for t in study.trials:
        branch = {"kind", "C"} if t.params.get("kind") == "svm" else {"kind", "depth"}
        expect(set(t.params) == branch, f"trial {t.number} has parameters {sorted(t.params)}, expected {sorted(branch)}")
        expect(t.params.get("depth", 1) in range(1, 13) and 1e-3 <= t.params.get("C", 1.0) <= 1e3,
               f"trial {t.number} got values outside their distributions: {t.params}")


def check_failed_and_pruned_trials(make_sampler: MakeSampler) -> None:
    """Failed and pruned trials (with and without reports) in the history do not stop the sampling."""
    study = _study(make_sampler)
    study.optimize(_failing, n_trials=40, catch=(ValueError,))
    states = [t.state for t in study.trials]
    expect((states.count(TrialState.FAIL), states.count(TrialState.PRUNED)) == (8, 16),
           f"expected 8 failed and 16 pruned trials of 40, got {states.count(TrialState.FAIL)} and "
           f"{states.count(TrialState.PRUNED)} of {len(states)}")
    outside = [t.number for t in study.trials if not -2 <= t.params.get("x", 0) <= 2]
    expect(not outside, f"trials {outside} got x outside [-2, 2]")


def check_worker_processes(make_sampler: MakeSampler) -> None:
    """``optimize(n_jobs=2)`` on a file storage (worker processes: the sampler must pickle) completes every trial."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        study = _study(make_sampler, storage=f"sqlite:///{os.path.join(folder, 'study.db')}")
        try:
            study.optimize(bounded, n_trials=12, n_jobs=2)
            _expect_trials(study, 12, (TrialState.COMPLETE,))
            _expect_within(study.trials)
        finally:
            study.storage.close()


def check_interleaved_ask_and_tell(make_sampler: MakeSampler) -> None:
    """Trials asked before earlier ones are told (ask, ask, tell, ...) get valid values."""
    study = _study(make_sampler)
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
    _expect_trials(study, 30)
    bad = [t.number for t in study.trials if not (-1 <= t.params["x"] <= 1 and t.params["c"] in ("a", "b", "c"))]
    expect(not bad, f"trials {bad} got values outside their distributions")


def check_threads_asking_at_once(make_sampler: MakeSampler) -> None:
    """Three threads asking and telling on one study at once: no error, every trial stored."""
    study = _study(make_sampler)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                t = study.ask()
                study.tell(t, t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3))
        except Exception as exc:  # noqa: BLE001 - a thread cannot fail the check itself: reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    expect(not errors, f"threads raised {errors[:3]!r}")
    _expect_trials(study, 30)


def check_search_space_changes(make_sampler: MakeSampler) -> None:
    """A parameter widened, one gone and one new between trials: later trials follow the new space."""
    study = _study(make_sampler)
    study.optimize(_changing, n_trials=35)
    for t in study.trials[15:]:
        expect(set(t.params) == {"x", "m"} and -3 <= t.params["x"] <= 3,
               f"trial {t.number} got {t.params}, expected x in [-3, 3] and m")


def check_multi_objective(make_sampler: MakeSampler) -> None:
    """Two objectives: supported, or refused at the first trial with an error that says so."""
    study = _study(make_sampler, directions=["minimize", "maximize"])
    try:
        study.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2, t.suggest_float("x", 0, 1)), n_trials=30)
    except tunelab.InvalidArgumentError as exc:
        expect("objective" in str(exc) and len(study.trials) == 1,
               f"a refusal must come at the first trial and say why (the number of objectives); "
               f"got {exc!r} after {len(study.trials)} trials")
        return
    expect(len(study.best_trials) >= 1, "no Pareto front after 30 complete trials")
    expect(all(0 <= t.params["x"] <= 1 for t in study.trials), "values outside [0, 1]")


def check_enqueued_values_are_kept(make_sampler: MakeSampler) -> None:
    """An enqueued trial gets the enqueued values, also once the sampler models the history."""
    study = _study(make_sampler)
    study.optimize(bounded, n_trials=12)
    study.enqueue_trial({"x": 0.25, "n": 7, "c": None})
    study.optimize(bounded, n_trials=3)
    t = study.trials[12]
    got = {name: t.params.get(name) for name in ("x", "n", "c")}
    expect(got == {"x": 0.25, "n": 7, "c": None}, f"the enqueued trial got {got}, expected x=0.25, n=7, c=None")
    _expect_within(study.trials)


def check_single_value_distributions(make_sampler: MakeSampler) -> None:
    """Distributions holding one value (low == high, one choice) give that value."""
    study = _study(make_sampler)
    study.optimize(_single_values, n_trials=25)
    want = {"a": 0.5, "b": 3, "l": 1e-3, "one": "only"}
    for t in study.trials:
        got = {name: t.params.get(name) for name in want}
        expect(got == want and 0.0 <= t.params["x"] <= 1.0, f"trial {t.number} got {t.params}, expected {want}")


def check_non_finite_objective_values(make_sampler: MakeSampler) -> None:
    """Infinite values (complete trials) and NaN (failed trials) in the history do not stop the sampling."""
    study = _study(make_sampler)
    study.optimize(_non_finite, n_trials=30)
    _expect_trials(study, 30, (TrialState.COMPLETE, TrialState.FAIL))
    expect(all(-1 <= t.params["x"] <= 1 for t in study.trials), "values outside [-1, 1]")


#: Every sampler check, in the order they run.
SAMPLER_CHECKS = tuple(Check(f.__name__.removeprefix("check_"), f) for f in (
    check_values_in_distributions,
    check_same_seed_same_values,
    check_conditional_parameters,
    check_failed_and_pruned_trials,
    check_worker_processes,
    check_interleaved_ask_and_tell,
    check_threads_asking_at_once,
    check_search_space_changes,
    check_multi_objective,
    check_enqueued_values_are_kept,
    check_single_value_distributions,
    check_non_finite_objective_values,
))
