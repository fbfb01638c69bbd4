"""NSGA-II on a constrained two-objective problem: the Pareto front holds feasible trials only.

After multi_objective/quadratic_simple.py and the constraints part of Optuna's NSGAIISampler docs.

APIs: samplers.NSGAIISampler(population_size=, mutation_prob=, crossover_prob=, swapping_prob=, seed=,
constraints_func=), create_study(directions=[...]), Study.best_trials, FrozenTrial.values, Study.directions,
study.StudyDirection
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", 0, 5)
    y = trial.suggest_float("y", 0, 3)
    return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2


def constraints(trial):
    x, y = trial.params["x"], trial.params["y"]
    return ((x - 5) ** 2 + y**2 - 25, -((x - 8) ** 2) - (y + 3) ** 2 + 7.7)


if __name__ == "__main__":
    sampler = optuna.samplers.NSGAIISampler(population_size=12, mutation_prob=None, crossover_prob=0.9,
                                            swapping_prob=0.5, seed=0, constraints_func=constraints)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=48)
    assert study.directions == [optuna.study.StudyDirection.MINIMIZE] * 2
    front = study.best_trials
    print(f"{len(front)} Pareto-optimal trials of {len(study.trials)}")
    assert front
    assert all(all(c <= 0 for c in constraints(t)) for t in front), "an infeasible trial on the Pareto front"
    for t in front:
        assert not any(o.values[0] <= t.values[0] and o.values[1] <= t.values[1] and o.values != t.values
                       for o in front), "a dominated trial on the front"
