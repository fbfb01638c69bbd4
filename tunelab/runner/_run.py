"""Run a config: create or continue its study and spend the remaining budget.

A config whose study already exists in its storage continues it: ``budget.n_trials`` counts the
study's finished trials (COMPLETE, PRUNED, and FAILs other than interrupted ones), so a run stopped
by Ctrl-C or a crash picks up where it stopped; trials that were interrupted run again.
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from tunelab._records import FAIL_REASON_ATTR, TrialState
from tunelab.runner import _protocol as P
from tunelab.runner._script import ScriptFailedError, ScriptObjective, interrupt, reset_interrupt

INTERRUPTED_PREFIX = "interrupted"


def counted(trials: list[Any]) -> int:
    """Trials that count against ``n_trials``: finished and not interrupted."""
    return sum(1 for t in trials if t.state.is_finished() and not (
        t.state == TrialState.FAIL and str(t.system_attrs.get(FAIL_REASON_ATTR, "")).startswith(INTERRUPTED_PREFIX)))


def open_study(config: Any) -> Any:
    """The config's study, created on the first run and loaded (with the config's plug-ins) after."""
    import tunelab

    study = tunelab.create_study(storage=config.storage, sampler=config.sampler, pruner=config.pruner,
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
            grace=config.objective.grace, env=config.objective.env)
    return FunctionObjective(config)


class FunctionObjective:
    """``function = "module:function"``: the config's parameters are suggested, then the function
    is called with the trial (it reads ``trial.params`` and may suggest more); the module is
    imported with the config's folder first on ``sys.path``."""

    def __init__(self, config: Any) -> None:
        module_name, _, attr = config.objective.function.partition(":")
        folder = str(config.directory)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        try:
            self.function = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            from tunelab.config import ConfigError

            raise ConfigError(f"{config.path}: objective.function={config.objective.function!r} cannot be "
                              f"loaded: {exc}") from None
        self.parameters = config.parameters

    def __call__(self, trial: Any) -> Any:
        from tunelab.config import suggest_all

        suggest_all(trial, self.parameters)
        return self.function(trial)


def remaining(config: Any, study: Any) -> int | None:
    """Trials left to run in this call (None: no trial budget, only a timeout)."""
    if config.n_trials is None:
        return None
    return max(config.n_trials - counted(study.trials), 0)


def run_config(config: Any, *, study: Any = None, show_progress: bool = True, callbacks: Any = None) -> Any:
    """Run (or continue) the config's study until its budget is spent; returns the study.

    ``study`` is the config's study when the caller already opened it with :func:`open_study`
    (one storage object per process and file: a second SQLite storage on the same file in one
    process is not safe while the first is in use). Ctrl-C stops the running scripts, marks their
    trials interrupted and raises KeyboardInterrupt; everything finished is stored, and calling
    this again continues.
    """
    study = study if study is not None else open_study(config)
    objective = make_objective(config)
    left = remaining(config, study)
    if left == 0:
        return study
    reset_interrupt()
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_sigint(signum: int, frame: Any) -> None:
            interrupt()
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, on_sigint)
    # a script trial is its own process: the driver only waits, so threads are enough
    executor = "thread" if isinstance(objective, ScriptObjective) and config.n_jobs > 1 else None
    try:
        study.optimize(objective, n_trials=left, timeout=config.timeout, n_jobs=config.n_jobs,
                       catch=(ScriptFailedError,), callbacks=callbacks, show_progress_bar=show_progress,
                       executor=executor)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return study
