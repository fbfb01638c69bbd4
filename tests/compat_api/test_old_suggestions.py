"""Optuna 2's suggest methods, deprecated in Optuna: older scripts still run after the import swap."""

from __future__ import annotations

import math

import pytest

import tunelab
from tunelab.distributions import FloatDistribution
from tunelab.trial import FixedTrial


def test_the_old_suggestions_draw_what_suggest_float_draws_and_warn():
    def objective(trial):
        with pytest.warns(FutureWarning, match=r"suggest_uniform\(name, low, high\) is Optuna's deprecated"):
            a = trial.suggest_uniform("a", -1.0, 1.0)
        with pytest.warns(FutureWarning, match=r"runs it as suggest_float\(name, low, high, log=True\)"):
            b = trial.suggest_loguniform("b", 1e-5, 1e-1)
        with pytest.warns(FutureWarning, match=r"suggest_float\(name, low, high, step=q\)"):
            c = trial.suggest_discrete_uniform("c", 0.0, 1.0, 0.25)
        return a + math.log10(b) + c

    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=5)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 5
    assert study.trials[0].distributions == {"a": FloatDistribution(-1.0, 1.0),
                                             "b": FloatDistribution(1e-5, 1e-1, log=True),
                                             "c": FloatDistribution(0.0, 1.0, step=0.25)}
    assert all(t.params["c"] in (0.0, 0.25, 0.5, 0.75, 1.0) for t in study.trials)


def test_a_fixed_trial_answers_them_and_bad_ranges_are_refused_as_suggest_float_refuses_them():
    trial = FixedTrial({"a": 0.5, "b": 1e-3, "c": 0.5})
    with pytest.warns(FutureWarning):
        assert (trial.suggest_uniform("a", 0, 1), trial.suggest_loguniform("b", 1e-5, 1e-1),
                trial.suggest_discrete_uniform("c", 0, 1, 0.25)) == (0.5, 1e-3, 0.5)
    live = tunelab.create_study().ask()
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="low"):
        live.suggest_loguniform("x", 0.0, 1.0)
