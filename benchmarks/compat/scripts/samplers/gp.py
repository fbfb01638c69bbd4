"""Gaussian-process Bayesian optimisation of a 2-D function with a deterministic objective.

After the GPSampler section of Optuna's docs (the sampler Optuna recommends for small budgets).

APIs: samplers.GPSampler(seed=, n_startup_trials=, deterministic_objective=True), Trial.suggest_float,
Trial.suggest_int, Study.best_value, Study.best_trial.number
"""
# ruff: noqa: I001
import optuna
import math


def objective(trial):
    x = trial.suggest_float("x", -5, 10)
    y = trial.suggest_float("y", 0, 15)
    k = trial.suggest_int("k", 1, 3)
    branin = (y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x)
    return branin + 10 + (k - 2) ** 2


if __name__ == "__main__":
    sampler = optuna.samplers.GPSampler(seed=0, n_startup_trials=6, deterministic_objective=True)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=20)
    print(f"best {study.best_value:.3f} at trial {study.best_trial.number}: {study.best_params}")
    assert study.best_value < 5.0, study.best_value
    assert study.best_trial.number >= 6, "the GP found nothing better than its random start-up trials"
