"""Asynchronous successive halving on synthetic learning curves; TrialPruned raised from optuna.exceptions.

After the pruning section of Optuna's tutorial (optuna.pruners.SuccessiveHalvingPruner).

APIs: pruners.SuccessiveHalvingPruner(min_resource=, reduction_factor=, min_early_stopping_rate=),
Trial.report, Trial.should_prune, optuna.exceptions.TrialPruned, samplers.RandomSampler(seed=),
FrozenTrial.state, FrozenTrial.intermediate_values, FrozenTrial.last_step, trial.TrialState
"""
# ruff: noqa: I001
import optuna
import math


def objective(trial):
    rate = trial.suggest_float("rate", 1e-3, 1.0, log=True)
    floor = trial.suggest_float("floor", 0.0, 1.0)
    loss = 1.0
    for epoch in range(27):
        loss = floor + math.exp(-rate * (epoch + 1))
        trial.report(loss, epoch)
        if trial.should_prune():
            raise optuna.exceptions.TrialPruned()
    return loss


if __name__ == "__main__":
    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, min_early_stopping_rate=0)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1), pruner=pruner)
    study.optimize(objective, n_trials=30)
    states = [t.state for t in study.trials]
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    print(f"{states.count(optuna.trial.TrialState.COMPLETE)} complete, {len(pruned)} pruned, best {study.best_value:.3f}")
    assert len(pruned) >= 10, len(pruned)
    assert all(t.last_step == max(t.intermediate_values) for t in pruned)
    assert all(t.last_step < 26 for t in pruned)
