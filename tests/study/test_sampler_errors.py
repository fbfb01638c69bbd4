"""A sampler that raises while a trial starts (its before_trial, search space or joint sampling) ends
that trial FAIL with the reason, and the error reaches the caller: no trial is left RUNNING."""

from __future__ import annotations

import pytest

import tunelab
from tunelab.samplers import BaseSampler, RandomSampler


class Broken(BaseSampler):
    def __init__(self, where):
        self.where, self.random = where, RandomSampler(seed=0)

    def before_trial(self, study, trial):
        if self.where == "before_trial":
            raise RuntimeError("no before")

    def infer_relative_search_space(self, study, trial):
        if self.where == "space":
            raise RuntimeError("no space")
        return {"x": tunelab.distributions.FloatDistribution(0, 1)}

    def sample_relative(self, study, trial, search_space):
        raise RuntimeError("no joint sample")

    def sample_independent(self, study, trial, name, distribution):
        return self.random.sample_independent(study, trial, name, distribution)


@pytest.mark.parametrize("where", ["before_trial", "space", "sample_relative"])
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_the_started_trial_ends_fail_and_the_error_is_raised(where, backend, tmp_path):
    storage = None if backend == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    study = tunelab.create_study(storage=storage, sampler=Broken(where))
    with pytest.raises(RuntimeError, match="no "):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(RuntimeError, match="no "):
        study.ask()
    states = [(t.state.name, t.fail_reason) for t in study.trials]
    assert [s for s, _ in states] == ["FAIL", "FAIL"]
    assert all(reason.startswith("the sampler raised RuntimeError while the trial started: no ")
               for _, reason in states)
