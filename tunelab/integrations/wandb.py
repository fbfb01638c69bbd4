"""Weights & Biases tracking of a study (Optuna's ``WeightsAndBiasesCallback``, extra ``wandb``).

Pass the callback to :meth:`tunelab.study.Study.optimize`. By default the whole study is one W&B
run with one history row per finished trial; with ``as_multirun=True`` each trial is a run of its
own, grouped under the study's name::

    import tunelab
    from tunelab.integrations.wandb import WeightsAndBiasesCallback

    tracker = WeightsAndBiasesCallback(metric_name="val_loss", wandb_kwargs={"project": "mlp"})
    study = tunelab.create_study(study_name="mlp")
    study.optimize(objective, n_trials=20, callbacks=[tracker])
    wandb.finish()   # one run per study: end it (or let the process end it)

One run per study (``as_multirun=False``): each finished trial logs a row holding its parameters,
each schedule it drew with ``suggest_schedule`` (under its name, as the schedule's repr), its
value(s) under ``metric_name`` (or ``<metric_name>_<i>``), ``trial_number`` and ``state``; the
run's config holds the study's ``direction`` and ``study_name``. The run is W&B's active run
(``wandb.run``); as Optuna's callback does, the constructor starts it with ``wandb_kwargs`` when
there is none (so the objective can ``wandb.log`` into it at once), and a trial after
``wandb.finish()`` starts the next.

One run per trial (``as_multirun=True``): the run (``name="trial-<number>"``, ``group=<study
name>`` unless ``wandb_kwargs`` say otherwise) has the parameters, the schedules' reprs and configs
(``schedules``), ``number``, ``study_name`` and ``direction`` in its config; the value(s),
``state`` and ``number`` in its summary; and in its history the curves by step, each against its
own step key: ``intermediate_value`` (``intermediate_value_<i>`` for a multi-objective study) over
``intermediate_value_step``, and the learning rate the training applied (the ``lr_trace`` the
training integrations store) ``lr`` over ``lr_step``. A failed trial's run ends with exit code 1.

``track_in_wandb()`` decorates the objective so that its ``wandb.log`` calls go to its trial's run
(``as_multirun=True``) or to the study's run. W&B keeps one active run per process, and callbacks
run in the study's process: with ``n_jobs=1`` the trial's run holds both the objective's rows and
the callback's record. In worker processes (``n_jobs > 1``) the objective's rows go to a run of
their own (same name and group), which ends with the objective, and the callback's record to
another; threads (``executor="thread"``) would mix trials in one run.

The tracker never loses a trial: when W&B raises, the callback warns, naming the trial and the
error, and the study goes on; the trial stays in the study's storage. Tested in W&B's offline mode
(``WANDB_MODE=offline``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunelab._constraints import Bool, constrained
from tunelab._errors import TrialPruned, require_extra
from tunelab._records import FrozenTrial, TrialState
from tunelab.execution._startup import in_worker_process
from tunelab.integrations._tracking import (
    KWARGS,
    METRIC_NAME,
    check_metric_name,
    curves,
    direction_text,
    metric_names,
    schedules,
    warn_not_logged,
)

__all__ = ["WeightsAndBiasesCallback"]


@constrained({"metric_name": METRIC_NAME, "wandb_kwargs": KWARGS, "as_multirun": Bool()})
class WeightsAndBiasesCallback:
    """Log a study to Weights & Biases (see the module's docstring for what is logged where).

    Args:
        metric_name: the objective value's name; for a multi-objective study a list of one name
            per objective, or one name that becomes ``<name>_0``, ``<name>_1`` ...
        wandb_kwargs: keyword arguments for ``wandb.init`` (``project``, ``entity``, ``mode``,
            ``dir``, ``tags`` ...).
        as_multirun: one W&B run per trial (with the trial's curves), instead of one run per study.

    Raises :class:`tunelab.MissingExtraError` when wandb is not installed (``pip install
    'tunelab[wandb]'``).
    """

    def __init__(self, metric_name: str | Sequence[str] = "value", wandb_kwargs: Mapping[str, Any] | None = None,
                 as_multirun: bool = False) -> None:
        self._metric_name = check_metric_name(metric_name, "WeightsAndBiasesCallback")
        self._kwargs = dict(wandb_kwargs or {})
        wandb = require_extra("wandb", "wandb")
        self._as_multirun = as_multirun
        self._pid = os.getpid()  # the process whose optimize runs this callback (a copy keeps it)
        if not as_multirun and wandb.run is None and not in_worker_process():
            self._init(wandb, "", 0)  # as Optuna's: the objective can wandb.log into the study's run at once

    def __repr__(self) -> str:
        return f"WeightsAndBiasesCallback(metric_name={self._metric_name!r}, as_multirun={self._as_multirun})"

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        names = metric_names(self._metric_name, len(study.directions), "WeightsAndBiasesCallback")
        try:
            wandb = require_extra("wandb", "wandb")
            if self._as_multirun:
                self._log_run(wandb, study, trial, names)
            else:
                self._log_row(wandb, study, trial, names)
        except Exception as exc:  # noqa: BLE001 - a tracker's failure never ends the study
            warn_not_logged("WeightsAndBiasesCallback", trial, exc)

    def track_in_wandb(self) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        """A decorator that starts the trial's run (or the study's) before the objective runs, so
        that the objective's ``wandb.log`` calls land there; the callback then completes it."""

        def decorator(objective: Callable[[Any], Any]) -> Callable[[Any], Any]:
            @functools.wraps(objective)
            def tracked(trial: Any) -> Any:
                wandb = require_extra("wandb", "wandb")
                if self._as_multirun and (os.getpid() != self._pid or in_worker_process()):
                    return self._run_in_worker(wandb, objective, trial)
                if wandb.run is None:
                    self._init(wandb, trial.study.study_name, trial.number)
                return objective(trial)

            return tracked

        return decorator

    def _run_in_worker(self, wandb: Any, objective: Callable[[Any], Any], trial: Any) -> Any:
        """Run ``objective`` in a run of its trial that ends with it: the callback runs in the study's
        process, so it cannot end a worker's run (which the worker's next trial would log into)."""
        if wandb.run is not None:
            wandb.run.finish()
        run = self._init(wandb, trial.study.study_name, trial.number)
        failed = True
        try:
            result = objective(trial)
            failed = False
            return result
        except TrialPruned:
            failed = False
            raise
        finally:
            run.finish(exit_code=1 if failed else 0)

    def _init(self, wandb: Any, study_name: str, number: int) -> Any:
        if not self._as_multirun:
            return wandb.init(**self._kwargs)
        return wandb.init(**{"name": f"trial-{number}", "group": study_name, **self._kwargs})

    def _log_row(self, wandb: Any, study: Any, trial: FrozenTrial, names: list[str]) -> None:
        run = wandb.run if wandb.run is not None else self._init(wandb, study.study_name, trial.number)
        run.config.update({"direction": direction_text(study), "study_name": study.study_name},
                          allow_val_change=True)
        row = {**trial.params, **{name: text for name, (text, _) in schedules(trial).items()},
               **dict(zip(names, trial.values or ())), "trial_number": trial.number, "state": trial.state.name}
        run.log(row)

    def _log_run(self, wandb: Any, study: Any, trial: FrozenTrial, names: list[str]) -> None:
        run = wandb.run if wandb.run is not None else self._init(wandb, study.study_name, trial.number)
        failed = True
        try:
            drawn = schedules(trial)
            run.config.update({**trial.params, **{name: text for name, (text, _) in drawn.items()},
                               "schedules": {name: config for name, (_, config) in drawn.items()},
                               "number": trial.number, "study_name": study.study_name,
                               "direction": direction_text(study)}, allow_val_change=True)
            for key, points in curves(trial).items():
                run.define_metric(key, step_metric=f"{key}_step")
                for step, value in points:
                    run.log({f"{key}_step": step, key: value})
            run.summary.update({**dict(zip(names, trial.values or ())), "state": trial.state.name,
                                "number": trial.number})
            failed = False
        finally:
            run.finish(exit_code=1 if failed or trial.state == TrialState.FAIL else 0)
