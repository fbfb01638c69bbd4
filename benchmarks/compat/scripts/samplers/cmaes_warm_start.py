"""CMA-ES on a shifted sphere, then warm-started on the sphere from the first study's trials.

After optuna-examples samplers/warm_starting_cma.py.

APIs: samplers.CmaEsSampler(seed=, sigma0=), samplers.CmaEsSampler(source_trials=), Study.trials as
source trials, Study.best_value, Study.best_params
"""
# ruff: noqa: I001
import optuna


def sphere(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return x**2 + y**2


def shifted_sphere(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return (x - 0.5) ** 2 + (y - 0.5) ** 2


if __name__ == "__main__":
    source = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0, sigma0=3.0))
    source.optimize(shifted_sphere, n_trials=40)
    print(f"source task: {source.best_value:.4f} {source.best_params}")
    target = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0, source_trials=source.trials))
    target.optimize(sphere, n_trials=20)
    print(f"target task: {target.best_value:.4f} {target.best_params}")
    assert source.best_value < 20.0, source.best_value
    assert target.best_value < 5.0, target.best_value
