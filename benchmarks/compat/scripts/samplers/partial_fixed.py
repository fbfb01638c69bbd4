"""Fix one parameter of a finished study and go on tuning the others (PartialFixedSampler).

After Optuna's FAQ "How can I optimize a model with some fixed parameters?".

APIs: samplers.PartialFixedSampler(fixed_params, base_sampler), TPESampler(seed=), Study.sampler = ...,
Study.best_params
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return x**2 + (y - 2) ** 2


if __name__ == "__main__":
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=10)
    study.sampler = optuna.samplers.PartialFixedSampler({"y": 2}, study.sampler)
    study.optimize(objective, n_trials=10)
    later = study.trials[10:]
    print(f"best {study.best_value:.3f} {study.best_params}")
    assert all(t.params["y"] == 2 for t in later), [t.params for t in later]
