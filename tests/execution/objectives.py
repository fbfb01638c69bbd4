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
    if trial.number == 2 and trial.freeze().retry_of is None:
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def slow(trial):
    time.sleep(0.05)
    return trial.suggest_float("x", -1, 1)


def killed_on_two(trial):
    """Kill -9 its own worker process on trial 2 (not on its retry); the other trials take longer,
    so they are running or queued on the healthy workers when it dies."""
    x = trial.suggest_float("x", -1, 1)
    if trial.number == 2 and trial.freeze().retry_of is None:
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.4)
    return x * x


def long_with_reports(trial):
    """About 20 s, reporting every 50 ms: what Ctrl-C interrupts."""
    x = trial.suggest_float("x", -1, 1)
    for step in range(400):
        trial.report(x, step)
        time.sleep(0.05)
    return x


def quick(trial):
    return trial.suggest_float("x", -1, 1)


def sweeps_once(trial):
    """On trial 2 (not a retry), another storage object fails every RUNNING trial as stale, as a
    sweeper in another process would after a heartbeat pause; then everyone reports on."""
    from tunelab.storage import SQLStorage

    x = trial.suggest_float("x", -1, 1)
    if trial.number == 2 and trial.freeze().retry_of is None:
        sweeper = SQLStorage(trial.study.storage.url, heartbeat_interval=0.1, grace_period=0.5, retries=1)
        study_id = sweeper.get_study_id(trial.study.study_name)
        deadline = time.monotonic() + 10
        while not sweeper.fail_stale_trials(study_id, grace_seconds=0.0):  # a beat may land in between
            assert time.monotonic() < deadline, "the sweep found no running trial"
            time.sleep(0.01)
        sweeper.close()
    for step in range(3):
        trial.report(x, step)
        time.sleep(0.05)
    return x


class _NoFloat:
    def __float__(self):
        raise RuntimeError("no float for you")

    def __repr__(self):
        return "NoFloat()"


def not_numbers(trial):
    """Returns, by trial number: None, 10**400, an object whose __float__ raises, 10**5000, then 1.0."""
    trial.suggest_float("x", 0, 1)
    results = [None, 10**400, _NoFloat(), 10**5000, 1.0]
    return results[trial.number % len(results)]


def exits_on_one(trial):
    """``sys.exit(3)`` on trial 1, as a training script's argument parser would."""
    import sys

    x = trial.suggest_float("x", 0, 1)
    if trial.number == 1:
        sys.exit(3)
    time.sleep(0.05)
    return x


def on_a_cluster(trial):
    """About 1.5 s on a Dask or Ray worker: notes its process and worker in the trial and in an empty
    file ``<number>.<pid>`` of the directory named by the study's user attribute "marks" (so a test
    can find, and kill, the process running a trial)."""
    x = trial.suggest_float("x", -1, 1)
    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("worker", _worker_name())
    open(os.path.join(trial.study.user_attrs["marks"], f"{trial.number}.{os.getpid()}"), "w").close()
    time.sleep(1.5)
    return x * x


def _worker_name() -> str:
    """The Dask worker's name, or the Ray node's id, this trial runs on."""
    import sys

    if "distributed" in sys.modules:
        from distributed import get_worker

        try:
            return str(get_worker().name)
        except ValueError:  # not in a Dask worker
            pass
    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            return ray.get_runtime_context().get_node_id()
    return "?"


def sleeps_a_second(trial):
    x = trial.suggest_float("x", -1, 1)
    time.sleep(1.0)
    return x * x


def notes_the_environment(trial):
    """Stores the worker's value of TUNELAB_TEST_ENV (None where unset)."""
    trial.set_user_attr("env", os.environ.get("TUNELAB_TEST_ENV"))
    return trial.suggest_float("x", -1, 1)
