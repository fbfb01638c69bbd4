"""BruteForceSampler tries every combination of a discrete (conditional) space once, then the study stops.

After the BruteForceSampler section of Optuna's docs.

APIs: samplers.BruteForceSampler(seed=), Trial.suggest_int(step=), Trial.suggest_categorical,
Trial.suggest_float(step=), Study.optimize(n_trials=) ending early on an exhausted space
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    layers = trial.suggest_int("layers", 1, 3)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    if act == "relu":
        slope = trial.suggest_float("slope", 0.0, 0.2, step=0.1)
        return layers + slope
    return layers * 2.0


if __name__ == "__main__":
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    study.optimize(objective, n_trials=100)
    combos = sorted(tuple(sorted(t.params.items())) for t in study.trials)
    print(f"{len(study.trials)} trials, best {study.best_params}")
    assert len(combos) == 3 * 3 + 3 == len(set(combos)), combos
