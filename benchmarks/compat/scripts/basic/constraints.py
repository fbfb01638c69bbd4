"""Constrained quadratic: TPE with constraints_func; the best trial is a feasible one.

After optuna-examples basic/quadratic_constraint.py (which reads the constraint values back from
``trial.system_attrs["constraints"]``; Optuna >= 4 returns the best feasible trial as best_trial).

APIs: TPESampler(constraints_func=, seed=), create_study(sampler=), FrozenTrial.params,
FrozenTrial.system_attrs["constraints"], Study.best_trial, Study.best_value
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_categorical("y", [-1, 0, 1])
    return x**2 + y


def constraints(trial):
    # Feasible when every value is <= 0: here x >= 1.5 (the unconstrained optimum x = 0 is infeasible).
    return (1.5 - trial.params["x"],)


if __name__ == "__main__":
    sampler = optuna.samplers.TPESampler(constraints_func=constraints, seed=3)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=30)
    best = study.best_trial
    print(f"best trial #{best.number}: {best.params} value={best.value:.3f}")
    assert constraints(best)[0] <= 0, "best_trial is infeasible (Optuna >= 4 returns the best feasible trial)"
    # The published example's own way: the constraint values stored with each trial.
    feasible = [t for t in study.trials if all(c <= 0.0 for c in t.system_attrs["constraints"])]
    assert min(feasible, key=lambda t: t.value).number == best.number
    assert study.best_value == best.value
