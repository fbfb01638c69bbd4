"""Constraint values in the core: the sampler's ``constraints_of`` is asked on every path that ends a
trial COMPLETE or PRUNED and its values go into the trial's final write; the best trials are the
feasible ones; Optuna's ``system_attrs["constraints"]`` reads the typed field."""

from __future__ import annotations

import pytest

import tunelab
from tunelab import InvalidArgumentError, TrialState
from tunelab.samplers import RandomSampler, TPESampler


class Constrained(RandomSampler):
    """A sampler whose hook returns ``func(trial)`` and counts its calls."""

    def __init__(self, func, seed=0):
        super().__init__(seed=seed)
        self.func, self.asked = func, []

    def constraints_of(self, study, trial):
        self.asked.append((trial.number, trial.state))
        return self.func(trial)


def _above_half(trial):
    return [0.5 - trial.params["x"]]  # feasible when x >= 0.5


def test_the_hooks_values_are_stored_in_the_finish_write(storage_url):
    sampler = Constrained(_above_half)
    study = tunelab.create_study(storage=storage_url, sampler=sampler)
    writes = []
    finish = study.storage.finish_trial

    def spy(trial_id, state, values=None, **kwargs):
        writes.append(dict(kwargs.get("core") or {}))
        return finish(trial_id, state, values, **kwargs)

    study.storage.finish_trial = spy
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    frozen = study.tell(trial, 1.0)
    assert frozen.constraints == (0.5 - x,) and writes == [{"constraints": [0.5 - x]}]
    by_number = study.ask()
    y = by_number.suggest_float("x", 0, 1)
    by_number.save_params()
    study.tell(by_number.number, state=TrialState.PRUNED)
    failed = study.ask()
    study.tell(failed, state=TrialState.FAIL)
    assert [t.constraints for t in study.trials] == [(0.5 - x,), (0.5 - y,), None]
    assert sampler.asked == [(0, TrialState.COMPLETE), (1, TrialState.PRUNED)]


def test_values_the_objective_set_are_kept_and_the_hook_not_asked(storage_url):
    sampler = Constrained(_above_half)
    study = tunelab.create_study(storage=storage_url, sampler=sampler)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.set_constraint([-3.0])
    assert study.tell(trial, 1.0).constraints == (-3.0,) and sampler.asked == []


def test_a_hook_that_raises_fails_the_trial_with_the_reason_and_is_raised(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=Constrained(lambda t: t.params["missing"]))
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    with pytest.raises(KeyError, match="missing"):
        study.tell(trial, 1.0)
    record = study.trials[0]
    assert record.state == TrialState.FAIL and record.values is None
    assert record.fail_reason == "the sampler's constraints_of raised KeyError: 'missing'"
    with pytest.raises(KeyError, match="missing"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]  # nothing left RUNNING


def test_in_a_threaded_run_no_trial_is_left_running(storage_url):
    def func(trial):
        if trial.number == 2:
            raise RuntimeError("no constraint for you")
        return _above_half(trial)

    study = tunelab.create_study(storage=storage_url, sampler=Constrained(func))
    with pytest.raises(RuntimeError, match="no constraint for you"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=6, n_jobs=2, executor="thread")
    states = {t.number: t.state for t in study.trials}
    assert states[2] == TrialState.FAIL and TrialState.RUNNING not in states.values()


def test_the_pooled_step_ends_every_told_trial_when_a_hook_raises(storage_url):
    def func(trial):
        if trial.number == 1:
            raise RuntimeError("hook")
        return _above_half(trial)

    study = tunelab.create_study(storage=storage_url, sampler=Constrained(func))
    trials = [study.ask() for _ in range(3)]
    for trial in trials:
        trial.suggest_float("x", 0, 1)
    with pytest.raises(RuntimeError, match="hook"):
        study._tell_and_ask_many([(t, 1.0, None, None) for t in trials])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    assert study.trials[1].fail_reason == "the sampler's constraints_of raised RuntimeError: hook"
    assert study.trials[0].constraints is not None and len(study.trials) == 3  # nothing asked
    told = [study.ask() for _ in range(2)]
    for trial in told:
        trial.suggest_float("x", 0, 1)
    pairs = study._tell_and_ask_many([(t, 2.0, None, None) for t in told])
    assert [record.constraints is not None for record, _ in pairs] == [True, True]
    assert all(following is not None for _, following in pairs)


def test_best_trial_is_the_best_feasible_one(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=TPESampler(seed=3, constraints_func=_above_half))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    feasible = [t for t in study.trials if t.params["x"] >= 0.5]
    best = min(feasible, key=lambda t: t.value)
    assert study.best_trial.number == best.number and study.best_value == best.value
    assert study.best_params == best.params and [t.number for t in study.best_trials] == [best.number]
    assert min(study.trials, key=lambda t: t.value).params["x"] < 0.5  # the unconstrained best is not it


def test_no_feasible_trial_is_the_error_optuna_users_expect(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=Constrained(lambda t: [1.0]))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(ValueError, match=r"has no feasible COMPLETE trial yet: all 2 violate their constraints"):
        _ = study.best_trial
    with pytest.raises(InvalidArgumentError):
        _ = study.best_value
    assert study.best_trials == []
    multi = tunelab.create_study(storage=storage_url, directions=["minimize", "minimize"],
                                 sampler=Constrained(lambda t: [t.params["x"] - 0.5]))
    multi.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.params["x"]), n_trials=10)
    assert multi.best_trials and all(t.params["x"] <= 0.5 for t in multi.best_trials)


def test_optunas_system_attrs_keys_read_the_typed_fields(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=TPESampler(seed=0, constraints_func=_above_half))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    study.tell(study.ask(), state=TrialState.FAIL, fail_reason="out of memory")
    trial = study.trials[0]
    assert trial.system_attrs["constraints"] == [0.5 - trial.params["x"]] == list(trial.constraints)
    assert study.trials[-1].system_attrs["fail_reason"] == "out of memory"
    assert study.trials[-1].system_attrs.get("constraints") is None and "fail_reason" not in trial.system_attrs
    assert "constraints" not in dict(trial.system_attrs)  # not an entry: the typed field is the one source
    with pytest.raises(InvalidArgumentError, match=r"system_attrs\['constraints'\] is read-only"):
        trial.system_attrs["constraints"] = [0.0]
    with pytest.raises(TypeError, match=r"FrozenTrial\.system_attrs is a read-only snapshot"):
        trial.system_attrs["mine"] = 1
    live = study.ask()
    with pytest.raises(InvalidArgumentError, match=r"system attribute 'constraints' is reserved"):
        live.set_system_attr("constraints", [0.0])
    finished = study.trials[:-1]
    copy = tunelab.create_study(storage=storage_url)
    copy.add_trials(finished)
    assert [t.constraints for t in copy.trials] == [t.constraints for t in finished]
    assert copy.trials[-1].system_attrs["fail_reason"] == "out of memory"
