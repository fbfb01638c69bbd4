from __future__ import annotations

import logging

import tunelab
from tunelab.samplers import AutoSampler


def test_default_sampler_is_the_automatic_one() -> None:
    assert isinstance(tunelab.create_study().sampler, AutoSampler)


def test_conditional_space_goes_to_the_gp_sampler_and_the_choice_is_logged(caplog) -> None:
    def objective(trial):
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return trial.suggest_float("x", 0, 1)
        return trial.suggest_int("n", 0, 3)

    study = tunelab.create_study(sampler=AutoSampler(seed=0))
    with caplog.at_level(logging.INFO, logger="tunelab"):
        study.optimize(objective, n_trials=15)
    choice = study.system_attrs["auto:choice"]
    assert choice["sampler"] == "GPSampler" and "one objective" in choice["reason"]
    assert any("AutoSampler chose GPSampler" in r.getMessage() for r in caplog.records)
    assert all(("x" in t.params) != ("n" in t.params) for t in study.trials)  # one branch's parameter each


def test_mostly_categorical_space_goes_to_the_gp_sampler_and_long_runs_to_tpe(monkeypatch) -> None:
    import tunelab.samplers._auto as auto

    monkeypatch.setattr(auto, "GP_TRIAL_LIMIT", 12)
    study = tunelab.create_study(sampler=AutoSampler(seed=0))
    study.optimize(lambda t: len(t.suggest_categorical("a", ["x", "yy"]) + t.suggest_categorical("b", ["p", "qq"]))
                   + t.suggest_float("z", 0, 1), n_trials=5)
    assert study.system_attrs["auto:choice"]["sampler"] == "GPSampler"
    study.optimize(lambda t: len(t.suggest_categorical("a", ["x", "yy"]) + t.suggest_categorical("b", ["p", "qq"]))
                   + t.suggest_float("z", 0, 1), n_trials=10)
    choice = study.system_attrs["auto:choice"]
    assert choice["sampler"] == "TPESampler" and "long run" in choice["reason"] and choice["from_trial"] == 12


def test_numeric_space_uses_the_gaussian_process_sampler() -> None:
    study = tunelab.create_study(sampler=AutoSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_float("y", -1, 1) ** 2, n_trials=3)
    assert study.system_attrs["auto:choice"]["sampler"] == "GPSampler"


def test_multi_objective_goes_to_tpe_then_nsga2(monkeypatch) -> None:
    import tunelab.samplers._auto as auto

    monkeypatch.setattr(auto, "MULTI_TPE_LIMIT", 6)
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=AutoSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)), n_trials=5)
    assert study.system_attrs["auto:choice"]["sampler"] == "TPESampler"
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)), n_trials=3)
    assert study.system_attrs["auto:choice"]["sampler"] == "NSGAIISampler"
