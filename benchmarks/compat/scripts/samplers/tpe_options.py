"""TPE with Optuna's options: multivariate, group (conditional space), constant liar, startup trials.

After the TPESampler section of Optuna's docs and samplers benchmarks; a conditional space like
sklearn/sklearn_simple.py.

APIs: samplers.TPESampler(seed=, n_startup_trials=, multivariate=True, group=True, constant_liar=True,
n_ei_candidates=, warn_independent_sampling=False), create_study(sampler=), Study.sampler, Study.best_params
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    kind = trial.suggest_categorical("kind", ["bowl", "ridge"])
    x = trial.suggest_float("x", -5, 5)
    if kind == "bowl":
        y = trial.suggest_float("y", -5, 5)
        return (x - 1) ** 2 + (y + 2) ** 2
    width = trial.suggest_int("width", 1, 8)
    return abs(x) + 1.0 / width


if __name__ == "__main__":
    sampler = optuna.samplers.TPESampler(seed=4, n_startup_trials=8, multivariate=True, group=True,
                                         constant_liar=True, n_ei_candidates=16, warn_independent_sampling=False)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=40)
    assert study.sampler is sampler
    print(f"best {study.best_value:.4f} {study.best_params}")
    assert study.best_value < 1.0, study.best_value
    again = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=4, n_startup_trials=8, multivariate=True,
                                                                   group=True, constant_liar=True, n_ei_candidates=16,
                                                                   warn_independent_sampling=False))
    again.optimize(objective, n_trials=40)
    assert [t.params for t in again.trials] == [t.params for t in study.trials], "same seed, different trials"
