"""Run a config: create or continue its study and spend the remaining budget.

A config whose study already exists in its storage continues it (see :mod:`tunelab.runner._budget`
for what counts): a run stopped by Ctrl-C, a crash or a SIGKILL picks up where it stopped, and
the trials it was running run again with their parameters.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from tunelab.runner import _protocol as P
from tunelab.runner._script import (
    ScriptFailedError,
    ScriptObjective,
    interrupt,
    interrupted,
    reset_interrupt,
    wait_idle,
)
from tunelab.runner._shared import SharedBudget

#: The signals that stop a ``tunelab run`` of a script cleanly (Ctrl-C, and ``kill``'s default).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Seconds past the objective's ``grace`` that an interrupted run waits for its trials to end.
IDLE_WAIT_S = 10.0


def open_storage(config: Any) -> Any:
    """The config's storage, heartbeating the trials this process runs when the config says so."""
    from tunelab.storage import get_storage

    if config.heartbeat_interval is None:
        return get_storage(config.storage)
    from tunelab.storage import SQLStorage

    return SQLStorage(config.storage, heartbeat_interval=config.heartbeat_interval,
                      grace_period=config.grace_period, retries=config.retries)


def open_study(config: Any) -> Any:
    """The config's study, created on the first run and loaded (with the config's plug-ins) after."""
    import tunelab

    study = tunelab.create_study(storage=open_storage(config), sampler=config.sampler, pruner=config.pruner,
                                 study_name=config.study_name, directions=list(config.directions),
                                 load_if_exists=True)
    spaces = {p.name: p.space.to_config() for p in config.parameters if p.kind == "schedule"}
    if spaces and study.system_attrs.get(P.SPACES_ATTR) != spaces:
        study.set_system_attr(P.SPACES_ATTR, spaces)
    study.set_user_attr("metrics", list(config.metrics))
    nominal = {p.name: p.total_steps for p in config.parameters if p.kind == "schedule" and p.total_steps}
    if nominal:
        study.set_user_attr(P.SCHEDULE_STEPS_ATTR, nominal)
    return study


def make_objective(config: Any) -> Callable[[Any], Any]:
    """The per-trial objective of a config: a script run, or the named Python function."""
    if config.objective.command is not None:
        return ScriptObjective(
            config.objective.command, config.parameters, storage_url=config.storage, metrics=config.metrics,
            pass_params=config.objective.pass_params, cwd=config.directory,
            log_dir=config.directory / f"{config.study_name}-logs", timeout=config.objective.timeout,
            grace=config.objective.grace, env=config.objective.env, budget=config.budget)
    return FunctionObjective(config)


class FunctionObjective:
    """``function = "module:function"``: the config's parameters are suggested, then the function
    is called with the trial (it reads ``trial.params`` and may suggest more); the module is
    imported with the config's folder first on ``sys.path``. With ``[pruner] budget = "epochs"`` it
    is called once per rung as ``function(trial, epochs=b)`` (:func:`tunelab.fidelity.run`)."""

    def __init__(self, config: Any) -> None:
        module_name, _, attr = config.objective.function.partition(":")
        folder = str(config.directory)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ beside a bad config
        try:
            self.function = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            from tunelab.config import ConfigError

            raise ConfigError(f"{config.path}: objective.function={config.objective.function!r} cannot be "
                              f"loaded: {exc}") from None
        finally:
            sys.dont_write_bytecode = writes
        self.parameters = config.parameters
        self.budget = config.budget

    def __call__(self, trial: Any) -> Any:
        from tunelab.config import suggest_all

        suggest_all(trial, self.parameters)
        if self.budget is None:
            return self.function(trial)
        from tunelab import fidelity

        name, top = self.budget
        return fidelity.run(trial, lambda t, b: self.function(t, **{name: b}), max_epochs=top)


def run_config(config: Any, *, study: Any = None, objective: Any = None, show_progress: bool = True,
               callbacks: Any = None) -> Any:
    """Run (or continue) the config's study until its budget is spent; returns the study.

    ``study`` is the config's study when the caller already opened it with :func:`open_study`
    (one storage object per process and file: a second SQLite storage on the same file in one
    process is not safe while the first is in use), ``objective`` the config's objective when the
    caller already made it with :func:`make_objective`.

    Other runs of the config (at the same time, on this machine or others sharing the storage)
    share its budget: see :mod:`tunelab.runner._shared`.

    Ctrl-C or SIGTERM stops the running scripts (a second Ctrl-C kills them), ends their trials
    FAIL as interrupted, queues each again with its parameters and raises KeyboardInterrupt;
    everything finished is stored, and calling this again continues with the queued trials.

    A config with ``[pbt]`` trains its population instead (:mod:`tunelab.runner._pbt`), to the end
    of the population's budget; calling this again resumes it.
    """
    study = study if study is not None else open_study(config)
    objective = objective if objective is not None else make_objective(config)
    if config.pbt is not None:
        return _run_population(config, study, objective)
    script = isinstance(objective, ScriptObjective)
    # a script trial is its own process: the driver only waits, so threads are enough
    executor = "thread" if script and config.n_jobs > 1 else None
    budget = SharedBudget(config, study, jobs=config.n_jobs, in_process=script or config.n_jobs == 1)
    checked = budget.objective(objective)
    every = [budget.after_trial, *(callbacks or [])]

    def optimize(n_trials: int | None, timeout: float | None) -> None:
        study.optimize(checked, n_trials=n_trials, timeout=timeout, n_jobs=config.n_jobs,
                       catch=(ScriptFailedError,), callbacks=every, show_progress_bar=show_progress,
                       executor=executor)

    reset_interrupt()
    with _stop_signals(study) if script else contextlib.nullcontext():
        try:
            budget.spend(optimize, say=_say if show_progress else None)
            if interrupted():  # stopped between two trials: nothing raised
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            if script:  # the other trials' threads still stop their scripts: let them end their trials
                wait_idle(config.objective.grace + IDLE_WAIT_S)
            raise
    return study


def _run_population(config: Any, study: Any, objective: Any) -> Any:
    """``[pbt]``: the population trains to the end of its budget; Ctrl-C as for a search (the
    running intervals FAIL as interrupted and are queued to run first, from the same checkpoints)."""
    from tunelab.runner._pbt import run_pbt

    reset_interrupt()
    with _stop_signals(study):
        try:
            run_pbt(config, study, objective)
            if interrupted():
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            wait_idle(config.objective.grace + IDLE_WAIT_S)
            raise
    return study


@contextlib.contextmanager
def _stop_signals(study: Any) -> Iterator[None]:
    """While a config's scripts run, Ctrl-C and SIGTERM stop them through :func:`interrupt` (never by
    raising in the middle of a storage write); a second Ctrl-C kills them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: Any) -> None:
        again = interrupted()
        interrupt(kill=again)
        study.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
