"""A worker dies mid-trial; RDBStorage's heartbeat fails its trial and RetryFailedTrialCallback runs it again.

After optuna-examples pytorch/pytorch_checkpoint.py and Optuna's FAQ on heartbeats (the dying
worker is this script run again with the argument "worker").

APIs: storages.RDBStorage(url, heartbeat_interval=, grace_period=, failed_trial_callback=),
storages.RetryFailedTrialCallback(max_retry=), RetryFailedTrialCallback.retried_trial_number(frozen_trial),
RetryFailedTrialCallback.retry_history(frozen_trial), load_study(study_name=, storage=), trial.TrialState
"""
# ruff: noqa: I001
import optuna
from optuna.storages import RetryFailedTrialCallback
import os
import subprocess
import sys
import time


def storage():
    return optuna.storages.RDBStorage("sqlite:///retry.db", heartbeat_interval=1, grace_period=2,
                                      failed_trial_callback=RetryFailedTrialCallback(max_retry=1))


def dying(trial):
    trial.suggest_float("x", 0, 1)
    os._exit(3)  # killed mid-trial: no chance to tell the storage


def objective(trial):
    return trial.suggest_float("x", 0, 1)


if __name__ == "__main__":
    if sys.argv[1:] == ["worker"]:
        optuna.load_study(study_name="retry", storage=storage()).optimize(dying, n_trials=1)
        sys.exit(0)
    study = optuna.create_study(study_name="retry", storage=storage())
    code = subprocess.run([sys.executable, os.path.abspath(__file__), "worker"]).returncode
    assert code == 3, code
    assert study.trials[0].state == optuna.trial.TrialState.RUNNING
    time.sleep(3.5)  # past the grace period
    study.optimize(objective, n_trials=1)
    trials = study.trials
    print(f"states {[t.state.name for t in trials]}")
    assert trials[0].state == optuna.trial.TrialState.FAIL
    retried = [t for t in trials if RetryFailedTrialCallback.retried_trial_number(t) == 0]
    assert retried, "no trial ran as a retry of trial 0"
    assert retried[0].state == optuna.trial.TrialState.COMPLETE
    assert retried[0].params == trials[0].params
    assert RetryFailedTrialCallback.retry_history(retried[0]) == [0]
