"""Objectives and plug-ins at module top level, so worker processes can import them."""

from __future__ import annotations

import os
import signal
import time

import tunelab
from tunelab.pruners import Pruner


def quadratic(trial):
    x = trial.suggest_float("x", -1, 1)
    trial.set_user_attr("pid", os.getpid())
    return x * x


def reports_then_maybe_pruned(trial):
    x = trial.suggest_float("x", 0, 1)
    for step in range(5):
        trial.report(x + step, step)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return x


class AboveTwoPruner(Pruner):
    """Prunes once the last reported value passes 2 (reads the reports back from the storage)."""

    def prune(self, study, trial):
        stored = study.storage.get_trial(trial.trial_id).intermediate_values
        return bool(stored) and stored[max(stored)] > 2


def raises_on_three(trial):
    if trial.suggest_int("i", 0, 100) >= 0 and trial.number == 3:
        raise ZeroDivisionError("boom on three")
    return 1.0


def dies_on_two(trial):
    """Kill -9 its own worker process on trial 2 (not on its retry)."""
    x = trial.suggest_float("x", -1, 1)
    if trial.number == 2 and "retry_of" not in trial.system_attrs:
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def slow(trial):
    time.sleep(0.05)
    return trial.suggest_float("x", -1, 1)
