"""A pruner written the Optuna way (subclassing ``BasePruner``) runs unchanged on tunelab."""

from __future__ import annotations

import tunelab as optuna
from tunelab.pruners import BasePruner, Pruner


class LastValueAbovePruner(BasePruner):
    """Optuna-style: prune when the last reported value is worse than every complete trial's at that step."""

    def __init__(self, warmup=1):
        self._warmup = warmup

    def prune(self, study, trial):
        step = trial.last_step
        if step is None or step < self._warmup:
            return False
        others = [t.intermediate_values[step] for t in study.get_trials(deepcopy=False,
                                                                           states=(optuna.TrialState.COMPLETE,))
                  if step in t.intermediate_values]
        return bool(others) and trial.intermediate_values[step] > max(others)


def test_base_pruner_is_the_pruner_class():
    assert BasePruner is Pruner
    assert isinstance(LastValueAbovePruner(), optuna.pruners.Pruner)


def test_an_optuna_style_pruner_stops_worse_trials():
    study = optuna.create_study(pruner=LastValueAbovePruner())

    def objective(trial):
        level = [2.0, 1.0, 9.0, 1.5][trial.number]
        for step in range(5):
            trial.report(level + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return level

    study.optimize(objective, n_trials=4)
    assert [t.state for t in study.trials] == [optuna.TrialState.COMPLETE, optuna.TrialState.COMPLETE,
                                               optuna.TrialState.PRUNED, optuna.TrialState.COMPLETE]
    assert max(study.trials[2].intermediate_values) == 1
