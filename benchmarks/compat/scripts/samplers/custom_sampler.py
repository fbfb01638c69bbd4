"""A user-written sampler: local search around the best trial on the common search space.

After optuna-examples samplers/simulated_annealing_sampler.py (a BaseSampler subclass with relative
and independent sampling, the intersection search space and distribution classes).

APIs: samplers.BaseSampler (infer_relative_search_space, sample_relative, sample_independent),
search_space.intersection_search_space(trials), distributions.FloatDistribution (low, high, log, step),
study.StudyDirection, trial.TrialState, Study.get_trials(deepcopy=False, states=), Study.direction,
samplers.RandomSampler.sample_independent
"""
# ruff: noqa: I001
import optuna
from optuna import distributions
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import TrialState
import numpy as np


class LocalSearchSampler(BaseSampler):
    def __init__(self, scale=0.1, seed=None):
        self._rng = np.random.default_rng(seed)
        self._fallback = optuna.samplers.RandomSampler(seed=seed)
        self._scale = scale
        self.relative_calls = 0

    def infer_relative_search_space(self, study, trial):
        return optuna.search_space.intersection_search_space(study.trials)

    def sample_relative(self, study, trial, search_space):
        done = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
        if not search_space or not done:
            return {}
        pick = min if study.direction == StudyDirection.MINIMIZE else max
        best = pick(done, key=lambda t: t.value)
        params = {}
        for name, dist in search_space.items():
            if not isinstance(dist, distributions.FloatDistribution) or dist.log or dist.step is not None:
                continue
            width = (dist.high - dist.low) * self._scale
            params[name] = float(np.clip(best.params[name] + self._rng.normal(0, width), dist.low, dist.high))
        self.relative_calls += 1
        return params

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return (x - 2) ** 2 + (y + 1) ** 2


if __name__ == "__main__":
    sampler = LocalSearchSampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=60)
    print(f"best {study.best_value:.4f} {study.best_params}; {sampler.relative_calls} relative samples")
    assert sampler.relative_calls >= 50
    assert study.best_value < 2.0, study.best_value
