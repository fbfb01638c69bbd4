"""Objectives with their own arguments (lambda, closure, functools.partial) run with n_jobs=2.

After Optuna's FAQ "How to define objective functions that have own arguments?" and "How can I
run trials in parallel?" (n_jobs).

APIs: Study.optimize(lambda trial: ..., n_jobs=2), Study.optimize(closure, n_jobs=2),
Study.optimize(functools.partial(...)), Trial.suggest_float, Study.trials, FrozenTrial.state
"""
# ruff: noqa: I001
import optuna
import functools


def objective(trial, low, high):
    x = trial.suggest_float("x", low, high)
    return (x - 2) ** 2


def make_objective(low, high):
    def closure(trial):
        return objective(trial, low, high)

    return closure


if __name__ == "__main__":
    low, high = -10, 10
    study = optuna.create_study()
    study.optimize(lambda trial: objective(trial, low, high), n_trials=8, n_jobs=2)
    study.optimize(make_objective(0, 5), n_trials=8, n_jobs=2)
    study.optimize(functools.partial(objective, low=1, high=3), n_trials=4)
    assert len(study.trials) == 20
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert all(0 <= t.params["x"] <= 5 for t in study.trials[8:16])
    print(f"best {study.best_value:.4f} {study.best_params}")
