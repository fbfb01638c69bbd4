"""WilcoxonPruner over problem instances: a trial stops early and returns its mean so far.

After optuna-examples pruners/wilcoxon_pruner_tsp_sa.py (instances in random order, step = the
instance's index, the default parameters enqueued first, the objective returns instead of raising).

APIs: pruners.WilcoxonPruner(p_threshold=, n_startup_steps=), Study.enqueue_trial, TPESampler(seed=),
Trial.report(value, step) with non-consecutive steps, Trial.should_prune, Study.best_params
"""
# ruff: noqa: I001
import optuna
import numpy as np

rng = np.random.default_rng(0)
DIFFICULTY = rng.uniform(1.0, 3.0, size=30)


def solve(instance, temperature, patience):
    """A stand-in for a heuristic solver: its cost on one instance, best near temperature 1, patience 50."""
    penalty = np.log(temperature) ** 2 + 0.1 * np.log(patience / 50) ** 2
    return DIFFICULTY[instance] * (1.0 + penalty) + rng.normal(0, 0.05)


def objective(trial):
    temperature = trial.suggest_float("temperature", 0.01, 10.0, log=True)
    patience = trial.suggest_int("patience", 10, 1000, log=True)
    costs = []
    for instance in rng.permutation(len(DIFFICULTY)):
        costs.append(solve(instance, temperature, patience))
        trial.report(costs[-1], int(instance))
        if trial.should_prune():
            break
    trial.set_user_attr("instances", len(costs))
    return float(np.mean(costs))


if __name__ == "__main__":
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1),
                                pruner=optuna.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=2))
    study.enqueue_trial({"temperature": 1.0, "patience": 50})
    study.optimize(objective, n_trials=12)
    used = [t.user_attrs["instances"] for t in study.trials]
    print(f"instances per trial: {used}; best {study.best_params}")
    assert used[0] == len(DIFFICULTY)
    assert sum(u < len(DIFFICULTY) for u in used) >= 3, used
