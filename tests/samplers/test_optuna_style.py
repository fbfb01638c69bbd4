"""A sampler written the Optuna way (subclassing ``BaseSampler`` with Optuna's method names and
argument names) runs unchanged on tunelab, every hook called as Optuna calls it."""

from __future__ import annotations

import numpy as np

import tunelab as optuna
from tunelab.samplers import BaseSampler, Sampler
from tunelab.space import FloatDistribution


class LocalSearchSampler(BaseSampler):
    """Optuna-style: relative sampling around the best trial, random for everything else."""

    def __init__(self, seed=None):
        self._rng = np.random.RandomState(seed)
        self._fallback = optuna.samplers.RandomSampler(seed=seed)
        self.calls = []

    def infer_relative_search_space(self, study, trial):
        done = study.get_trials(deepcopy=False, states=[optuna.TrialState.COMPLETE])
        if not done:
            return {}
        return {n: d for n, d in done[0].distributions.items() if isinstance(d, FloatDistribution)}

    def sample_relative(self, study, trial, search_space):
        self.calls.append(("sample_relative", trial.number, sorted(search_space)))
        done = study.get_trials(deepcopy=False, states=[optuna.TrialState.COMPLETE])
        if not search_space or not done:
            return {}
        best = min(done, key=lambda t: t.value) if study.direction == optuna.StudyDirection.MINIMIZE else max(
            done, key=lambda t: t.value)
        return {name: float(np.clip(best.params[name] + self._rng.normal(0, 0.1 * (d.high - d.low)), d.low, d.high))
                for name, d in search_space.items()}

    def sample_independent(self, study, trial, param_name, param_distribution):
        self.calls.append(("sample_independent", trial.number, param_name))
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial):
        self.calls.append(("before_trial", trial.number))

    def after_trial(self, study, trial, state, values):
        self.calls.append(("after_trial", trial.number, state, values))

    def reseed_rng(self):
        self._rng.seed()


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    c = trial.suggest_categorical("c", ["a", "b"])
    return (x - 2) ** 2 + (y + 1) ** 2 + (0 if c == "a" else 1)


def test_base_sampler_is_the_sampler_class():
    assert BaseSampler is Sampler
    assert isinstance(LocalSearchSampler(), optuna.samplers.Sampler)


def test_an_optuna_style_sampler_runs_unchanged_and_learns():
    sampler = LocalSearchSampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=60)
    assert study.best_value < 2.0
    first = [c for c in sampler.calls if c[1] == 0]
    assert first == [("before_trial", 0), ("sample_independent", 0, "x"), ("sample_independent", 0, "y"),
                     ("sample_independent", 0, "c"), ("after_trial", 0, optuna.TrialState.COMPLETE,
                                                       (study.trials[0].value,))]
    later = [c for c in sampler.calls if c[1] == 5]
    assert later[:2] == [("before_trial", 5), ("sample_relative", 5, ["x", "y"])]
    assert ("sample_independent", 5, "c") in later and ("sample_independent", 5, "x") not in later


def test_after_trial_gets_the_state_and_values_of_failed_and_pruned_trials():
    sampler = LocalSearchSampler(seed=0)
    study = optuna.create_study(sampler=sampler)

    def failing(trial):
        trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise optuna.TrialPruned()
        if trial.number == 2:
            raise ValueError("boom")
        return 1.0

    study.optimize(failing, n_trials=3, catch=(ValueError,))
    ends = [c[2:] for c in sampler.calls if c[0] == "after_trial"]
    assert ends == [(optuna.TrialState.COMPLETE, (1.0,)), (optuna.TrialState.PRUNED, None),
                    (optuna.TrialState.FAIL, None)]
