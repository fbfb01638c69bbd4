"""MLflow tracking: one MLflow run per finished trial (Optuna's ``MLflowCallback``, extra ``mlflow``).

Pass the callback to :meth:`tunelab.study.Study.optimize`; each trial that finishes (COMPLETE, PRUNED
or FAIL) becomes one run, in an experiment named after the study::

    import tunelab
    from tunelab.integrations.mlflow import MLflowCallback

    tracker = MLflowCallback(tracking_uri="sqlite:///mlflow.db", metric_name="val_loss")
    study = tunelab.create_study(study_name="mlp")
    study.optimize(objective, n_trials=20, callbacks=[tracker])

What a run holds:

- **params**: the trial's parameters, and each schedule the trial drew with ``suggest_schedule``
  under its name (``lr`` -> ``"CosineDecay(...)"``, the schedule's repr), its config also as the
  JSON artifact ``schedules/<name>.json`` (``Schedule.from_config`` rebuilds it);
- **metrics**: the objective value under ``metric_name`` (several values under the names of a
  list, or ``<metric_name>_<i>``); the reported intermediate values as ``intermediate_value`` by
  step (``intermediate_value_<i>`` for a multi-objective study's vectors); the learning rate the
  training applied (the ``lr_trace`` the training integrations store) as ``lr`` by optimizer step;
- **tags**: ``number``, ``state``, ``direction``, ``study_name``, ``datetime_start``,
  ``datetime_complete``, ``fail_reason`` when there is one, the trial's user attributes
  (``tag_trial_user_attrs``) and the study's (``tag_study_user_attrs``, which win on a clash); a
  value is cut to MLflow's 8,000 characters. The run ends FAILED for a failed trial, else FINISHED.

The objective can log into its trial's run while it runs, with the callback's decorator::

    @tracker.track_in_mlflow()
    def objective(trial):
        ...
        mlflow.log_metric("train_loss", loss, step=epoch)   # into this trial's run

The tracker never loses a trial: when MLflow raises (server down, a refused value), the callback
warns, naming the trial and the error, and the study goes on; the trial stays in the study's
storage. Callbacks run in the process that calls ``optimize``, after each trial, in order.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunelab._constraints import Bool, String, constrained
from tunelab._errors import InvalidArgumentError, require_extra
from tunelab._records import FrozenTrial, TrialState
from tunelab.integrations._lr_trace import LR_TRACE_ATTR
from tunelab.integrations._tracking import (
    KWARGS,
    METRIC_NAME,
    check_metric_name,
    curves,
    direction_text,
    error_text,
    metric_names,
    schedules,
    warn_not_logged,
)

__all__ = ["RUN_ID_ATTR", "MLflowCallback"]

#: Trial system attribute holding the id of the MLflow run that ``track_in_mlflow`` opened.
RUN_ID_ATTR = "mlflow:run_id"

#: MLflow's longest param and tag values.
_MAX_PARAM, _MAX_TAG = 6000, 8000


def _experiment_id(mlflow: Any, name: str) -> str:
    """The id of the experiment ``name``, created when missing (by this process or, racing, another)."""
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(name)
    except mlflow.exceptions.MlflowException:
        experiment = client.get_experiment_by_name(name)  # another worker created it meanwhile
        if experiment is None:
            raise
        return experiment.experiment_id


def _cut(text: Any, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@constrained({"tracking_uri": (None, String(non_empty=True)), "metric_name": METRIC_NAME,
              "create_experiment": Bool(), "mlflow_kwargs": KWARGS, "tag_study_user_attrs": Bool(),
              "tag_trial_user_attrs": Bool()})
class MLflowCallback:
    """Log each finished trial as one MLflow run (see the module's docstring for what a run holds).

    Args:
        tracking_uri: where MLflow stores runs, set with ``mlflow.set_tracking_uri`` when given
            (a server URL, ``sqlite:///mlflow.db``, ``file:...``); None keeps MLflow's own setting.
        metric_name: the objective value's metric name; for a multi-objective study a list of one
            name per objective, or one name that becomes ``<name>_0``, ``<name>_1`` ...
        create_experiment: put the runs in an experiment named after the study (created when
            missing); False leaves the choice to MLflow (``mlflow.set_experiment``, the
            ``MLFLOW_EXPERIMENT_NAME`` variable, or ``experiment_id`` in ``mlflow_kwargs``).
        mlflow_kwargs: more keyword arguments for ``mlflow.start_run`` (``nested=True``, ``tags``,
            ``description``, ``run_name``: by default the trial's number).
        tag_study_user_attrs: tag each run with the study's user attributes.
        tag_trial_user_attrs: tag each run with the trial's user attributes (but ``lr_trace``,
            which is the ``lr`` metric).

    Raises :class:`tunelab.MissingExtraError` when MLflow is not installed (``pip install
    'tunelab[mlflow]'``).
    """

    def __init__(self, tracking_uri: str | None = None, metric_name: str | Sequence[str] = "value", *,
                 create_experiment: bool = True, mlflow_kwargs: Mapping[str, Any] | None = None,
                 tag_study_user_attrs: bool = False, tag_trial_user_attrs: bool = True) -> None:
        self._metric_name = check_metric_name(metric_name, "MLflowCallback")
        self._kwargs = dict(mlflow_kwargs or {})
        if create_experiment and "experiment_id" in self._kwargs:
            raise InvalidArgumentError(
                f"mlflow_kwargs={mlflow_kwargs!r} is invalid for MLflowCallback: must not hold 'experiment_id' "
                "with create_experiment=True (the runs go to the experiment named after the study)")
        require_extra("mlflow", "mlflow")
        self._tracking_uri = tracking_uri
        self._create_experiment = create_experiment
        self._tag_study = tag_study_user_attrs
        self._tag_trial = tag_trial_user_attrs

    def __repr__(self) -> str:
        return f"MLflowCallback(tracking_uri={self._tracking_uri!r}, metric_name={self._metric_name!r})"

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        names = metric_names(self._metric_name, len(study.directions), "MLflowCallback")
        try:
            self._log(study, trial, names)
        except Exception as exc:  # noqa: BLE001 - a tracker's failure never ends the study
            warn_not_logged("MLflowCallback", trial, exc)

    def track_in_mlflow(self) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        """A decorator that runs the objective inside its trial's MLflow run (``mlflow.log_*`` go there).

        The run is opened before the objective starts; the callback then adds the trial's record to
        it and ends it. When MLflow cannot open the run, the decorator warns and runs the objective
        without one.
        """

        def decorator(objective: Callable[[Any], Any]) -> Callable[[Any], Any]:
            @functools.wraps(objective)
            def tracked(trial: Any) -> Any:
                mlflow = require_extra("mlflow", "mlflow")
                try:
                    active = self._start(mlflow, trial.study.study_name, trial.number)
                except Exception as exc:  # noqa: BLE001 - the objective runs all the same
                    warnings.warn(f"tunelab: MLflowCallback could not open an MLflow run for trial {trial.number}: "
                                  f"{error_text(exc)}. The objective runs without one.",
                                  UserWarning, stacklevel=2)
                    return objective(trial)
                with active as run:  # started here, not resumed: MLflow refuses to resume a run outside
                    trial.set_system_attr(RUN_ID_ATTR, run.info.run_id)  # the experiment set active
                    return objective(trial)

            return tracked

        return decorator

    def _open(self, mlflow: Any, study_name: str, number: int) -> str:
        """Start and end (FINISHED) a run for trial ``number``; its id."""
        with self._start(mlflow, study_name, number) as run:
            return run.info.run_id

    def _start(self, mlflow: Any, study_name: str, number: int) -> Any:
        """Start the run of trial ``number`` (``mlflow.start_run``'s active run)."""
        if self._tracking_uri is not None:
            mlflow.set_tracking_uri(self._tracking_uri)
        kwargs = {"run_name": str(number), **self._kwargs}
        if self._create_experiment:
            kwargs["experiment_id"] = _experiment_id(mlflow, study_name)
        return mlflow.start_run(**kwargs)

    def _log(self, study: Any, trial: FrozenTrial, names: list[str]) -> None:
        mlflow = require_extra("mlflow", "mlflow")
        from mlflow.entities import Metric, Param, RunTag

        run_id = trial.system_attrs.get(RUN_ID_ATTR) or self._open(mlflow, study.study_name, trial.number)
        if self._tracking_uri is not None:
            mlflow.set_tracking_uri(self._tracking_uri)
        client = mlflow.MlflowClient()
        now = int(time.time() * 1000)
        metrics = [Metric(name, float(v), now, 0) for name, v in zip(names, trial.values or ())]
        metrics += [Metric(key, v, now, step) for key, points in curves(trial).items() for step, v in points]
        drawn = schedules(trial)
        params = {**trial.params, **{name: text for name, (text, _) in drawn.items()}}
        tags = {"number": trial.number, "state": trial.state.name, "direction": direction_text(study),
                "study_name": study.study_name, "datetime_start": trial.datetime_start,
                "datetime_complete": trial.datetime_complete}
        if trial.fail_reason is not None:
            tags["fail_reason"] = trial.fail_reason
        if self._tag_trial:
            tags.update({k: v for k, v in trial.user_attrs.items() if k != LR_TRACE_ATTR})
        if self._tag_study:
            tags.update(study.user_attrs)
        try:
            client.log_batch(run_id, metrics=metrics,
                             params=[Param(k, _cut(v, _MAX_PARAM)) for k, v in params.items()],
                             tags=[RunTag(k, _cut(v, _MAX_TAG)) for k, v in tags.items() if v is not None])
            for name, (_, config) in drawn.items():
                client.log_text(run_id, json.dumps(config, indent=2, sort_keys=True), f"schedules/{name}.json")
        except Exception:
            with contextlib.suppress(Exception):  # the run says it is incomplete, where MLflow still answers
                client.set_terminated(run_id, "FAILED")
            raise
        client.set_terminated(run_id, "FAILED" if trial.state == TrialState.FAIL else "FINISHED")
