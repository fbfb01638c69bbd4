"""Quadratic with a categorical offset: optimise, continue the same study, then run on a time budget.

After optuna-examples basic/quadratic.py.

APIs: create_study(), Study.optimize(n_trials=), Study.optimize(objective, 12) (positional n_trials), Study.optimize(timeout=), Trial.suggest_float,
Trial.suggest_categorical, Study.best_value, Study.best_params, Study.trials
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", -50, 50)
    offset = trial.suggest_categorical("offset", [-1, 0, 1])
    return (x - 3) ** 2 + offset


if __name__ == "__main__":
    study = optuna.create_study()
    study.optimize(objective, n_trials=8)
    first = study.best_value
    print(f"after 8 trials: {first:.3f} {study.best_params}")
    study.optimize(objective, 12)  # n_trials given positionally, as many scripts do
    assert len(study.trials) == 20, len(study.trials)
    assert study.best_value <= first
    study.optimize(objective, timeout=0.5)
    assert len(study.trials) > 20
    assert set(study.best_params) == {"x", "offset"}
    print(f"after {len(study.trials)} trials: {study.best_value:.3f} {study.best_params}")
