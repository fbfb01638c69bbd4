from __future__ import annotations

import numpy as np
import pytest

import tunelab
from tunelab.samplers import NSGAIISampler, RandomSampler


def zdt1(trial):
    x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(5)]
    g = 1 + 9 * sum(x[1:]) / 4
    return x[0], g * (1 - np.sqrt(x[0] / g))


def front_quality(sampler) -> float:
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(zdt1, n_trials=300)
    # mean distance of the front to the true front f2 = 1 - sqrt(f1)
    return float(np.mean([t.values[1] - (1 - np.sqrt(t.values[0])) for t in study.best_trials]))


def test_improves_on_random_search_for_zdt1() -> None:
    assert front_quality(NSGAIISampler(seed=0, population_size=20)) < front_quality(RandomSampler(seed=0))


def test_constraints_keep_the_population_feasible() -> None:
    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_constraint([x + y - 1.0])
        return x, y

    study = tunelab.create_study(directions=["maximize", "maximize"],
                                 sampler=NSGAIISampler(seed=0, population_size=10))
    study.optimize(objective, n_trials=120)
    late = study.trials[60:]
    # near the constrained front x + y = 1 (random search: 36 % of trials within 0.2 of it)
    assert np.mean([abs(t.params["x"] + t.params["y"] - 1.0) < 0.2 for t in late]) > 0.45


def test_set_constraint_checks_its_values() -> None:
    study = tunelab.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="values=.* is invalid: must be real numbers, not NaN"):
        trial.set_constraint([float("nan")])
    with pytest.raises(TypeError, match="values"):
        trial.set_constraint("x")
    trial.set_constraint([0.5, -1])
    assert trial.freeze().constraints == (0.5, -1.0)


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="population_size=1 is invalid for NSGAIISampler"):
        NSGAIISampler(population_size=1)
