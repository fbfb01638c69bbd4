"""Objectives that return NaN, None or a string: each such trial ends FAIL and the study goes on.

After Optuna's FAQ "What happens when I return NaN?" (a failed trial is recorded with a warning;
``optimize`` does not stop and no trial is left RUNNING).

APIs: Study.optimize with objectives returning float("nan") / None / str, trial.TrialState.FAIL,
FrozenTrial.state, FrozenTrial.value, Study.best_value over the trials that completed
"""
# ruff: noqa: I001
import optuna
import math
import warnings


def objective(trial):
    n = trial.suggest_int("n", 0, 3)
    return [float("nan"), None, "not a number", 1.5][n] if trial.number < 3 else float(n)


if __name__ == "__main__":
    study = optuna.create_study()
    study.enqueue_trial({"n": 0})
    study.enqueue_trial({"n": 1})
    study.enqueue_trial({"n": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=6)
    states = [t.state for t in study.trials]
    print([s.name for s in states])
    assert states[:3] == [optuna.trial.TrialState.FAIL] * 3, states
    assert states[3:] == [optuna.trial.TrialState.COMPLETE] * 3, states
    assert all(t.value is None for t in study.trials[:3])
    assert not math.isnan(study.best_value)
