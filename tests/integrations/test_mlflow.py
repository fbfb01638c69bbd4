"""MLflowCallback: one MLflow run per finished trial, read back from a local MLflow store."""

from __future__ import annotations

import json
import sys
import warnings

import pytest

import tunelab
from tunelab import InvalidArgumentError, InvalidTypeError, MissingExtraError, TrialState
from tunelab.integrations._lr_trace import LrTrace
from tunelab.integrations.mlflow import RUN_ID_ATTR, MLflowCallback
from tunelab.samplers import RandomSampler
from tunelab.schedules import Schedule


@pytest.fixture
def mlflow(tmp_path, monkeypatch):
    """MLflow writing to a file store in ``tmp_path`` (and nothing in the working directory)."""
    mlflow = pytest.importorskip("mlflow", reason="MLflow is not installed (extra 'mlflow')")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps the file store behind a switch
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"file:{tmp_path}/unused")
    yield mlflow
    mlflow.set_tracking_uri(None)  # the callback sets MLflow's global URI, as Optuna's does


@pytest.fixture
def uri(tmp_path):
    return f"file:{tmp_path}/mlruns"


def runs_of(mlflow, uri, study_name):
    """The runs of the experiment named ``study_name``, by run name (the trial's number)."""
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name(study_name)
    assert experiment is not None, f"no experiment {study_name!r}"
    return {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}


def history(mlflow, uri, run, key):
    return sorted((m.step, m.value) for m in mlflow.MlflowClient(uri).get_metric_history(run.info.run_id, key))


def objective(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    trial.set_user_attr("note", f"kind {kind}")
    for step in range(3):
        trial.report(x + step, step)
    if trial.number == 1:
        raise tunelab.TrialPruned()
    if trial.number == 2:
        raise RuntimeError("boom")
    return x**2


def test_each_finished_trial_is_one_run_with_its_params_values_curves_and_tags(mlflow, uri):
    study = tunelab.create_study(study_name="mlp", sampler=RandomSampler(seed=0), pruner=tunelab.pruners.NopPruner())
    study.optimize(objective, n_trials=3, catch=(RuntimeError,), callbacks=[MLflowCallback(uri, "loss")])
    runs = runs_of(mlflow, uri, "mlp")
    assert sorted(runs) == ["0", "1", "2"]
    for trial in study.trials:
        run = runs[str(trial.number)]
        assert run.data.params == {"x": str(trial.params["x"]), "kind": trial.params["kind"]}
        tags = run.data.tags
        assert tags["number"] == str(trial.number) and tags["state"] == trial.state.name
        assert tags["direction"] == "MINIMIZE" and tags["study_name"] == "mlp"
        assert tags["note"] == trial.user_attrs["note"]  # the trial's user attributes, by default
        assert history(mlflow, uri, run, "intermediate_value") == [(s, trial.params["x"] + s) for s in range(3)]
    complete, pruned, failed = (runs[str(n)] for n in range(3))
    assert complete.data.metrics["loss"] == pytest.approx(study.trials[0].value)
    assert pruned.data.metrics["loss"] == pytest.approx(study.trials[1].value)  # its last report, as Optuna's
    assert "loss" not in failed.data.metrics
    assert [r.info.status for r in (complete, pruned, failed)] == ["FINISHED", "FINISHED", "FAILED"]
    assert "boom" in failed.data.tags["fail_reason"]


def test_the_applied_learning_rate_is_the_lr_metric_and_the_schedule_a_param_and_an_artifact(mlflow, uri):
    from tunelab import schedules

    space = schedules.space(["cosine", "exponential"], initial=(1e-3, 1e-1), total_steps=40)

    def train(trial):
        schedule = trial.suggest_schedule("lr", space)
        trace = LrTrace(max_points=8)
        for step in range(40):
            trace.add(step, float(schedule(step)))
        trace.save(trial)
        return float(schedule(39))

    study = tunelab.create_study(study_name="sched", sampler=RandomSampler(seed=1))
    study.optimize(train, n_trials=2, callbacks=[MLflowCallback(uri)])
    runs = runs_of(mlflow, uri, "sched")
    for trial in study.trials:
        run = runs[str(trial.number)]
        drawn = trial.schedule("lr")
        assert [tuple(p) for p in trial.user_attrs["lr_trace"]] == history(mlflow, uri, run, "lr")
        assert [s for s, _ in history(mlflow, uri, run, "lr")] == [0, 8, 16, 24, 32]
        assert run.data.params["lr"] == repr(drawn)
        assert run.data.params["lr.family"] == trial.params["lr.family"]
        assert "lr_trace" not in run.data.tags  # it is the metric, not a tag
        text = mlflow.MlflowClient(uri).download_artifacts(run.info.run_id, "schedules/lr.json")
        with open(text) as f:
            assert Schedule.from_config(json.load(f)) == drawn
        assert run.data.metrics["value"] == pytest.approx(trial.value)


def test_a_multi_objective_study_logs_each_value_under_its_name(mlflow, uri):
    def two(trial):
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    study = tunelab.create_study(study_name="mo", directions=["minimize", "maximize"])
    study.optimize(two, n_trials=2, callbacks=[MLflowCallback(uri, ["error", "speed"])])
    study2 = tunelab.create_study(study_name="mo2", directions=["minimize", "maximize"])
    study2.optimize(two, n_trials=1, callbacks=[MLflowCallback(uri)])
    for trial in study.trials:
        metrics = runs_of(mlflow, uri, "mo")[str(trial.number)].data.metrics
        assert metrics == pytest.approx({"error": trial.values[0], "speed": trial.values[1]})
    run = runs_of(mlflow, uri, "mo2")["0"]
    assert run.data.metrics == pytest.approx({"value_0": study2.trials[0].values[0],
                                              "value_1": study2.trials[0].values[1]})
    assert run.data.tags["direction"] == "MINIMIZE,MAXIMIZE"
    with pytest.raises(InvalidArgumentError, match=r"metric_name=\['a', 'b', 'c'\] is invalid for MLflowCallback: "
                       r"must be one name, or a list of 2 names"):
        study.optimize(two, n_trials=1, callbacks=[MLflowCallback(uri, ["a", "b", "c"])])


def test_study_user_attrs_are_tags_when_asked_and_trial_ones_can_be_left_out(mlflow, uri):
    study = tunelab.create_study(study_name="attrs")
    study.set_user_attr("dataset", "digits")

    def noted(trial):
        trial.set_user_attr("note", "x")
        trial.set_user_attr("dataset", "mine")
        return 1.0

    study.optimize(noted, n_trials=1, callbacks=[MLflowCallback(uri, tag_study_user_attrs=True)])
    tags = runs_of(mlflow, uri, "attrs")["0"].data.tags
    assert tags["dataset"] == "digits" and tags["note"] == "x"  # the study's attributes win a clash
    study.optimize(noted, n_trials=1, callbacks=[MLflowCallback(uri, tag_trial_user_attrs=False)])
    tags = runs_of(mlflow, uri, "attrs")["1"].data.tags
    assert "note" not in tags and "dataset" not in tags


def test_mlflow_kwargs_go_to_start_run_and_create_experiment_false_uses_the_chosen_experiment(mlflow, uri):
    client = mlflow.MlflowClient(uri)
    chosen = client.create_experiment("chosen")
    study = tunelab.create_study(study_name="elsewhere")
    callback = MLflowCallback(uri, create_experiment=False,
                              mlflow_kwargs={"experiment_id": chosen, "run_name": "mine", "tags": {"team": "t"}})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[callback])
    assert client.get_experiment_by_name("elsewhere") is None
    (run,) = client.search_runs([chosen])
    assert run.info.run_name == "mine" and run.data.tags["team"] == "t" and run.data.tags["number"] == "0"


def test_track_in_mlflow_logs_the_objectives_own_metrics_into_the_trials_run(mlflow, uri):
    callback = MLflowCallback(uri)

    @callback.track_in_mlflow()
    def tracked(trial):
        x = trial.suggest_float("x", 0, 1)
        for epoch in range(3):
            mlflow.log_metric("train_loss", x / (epoch + 1), step=epoch)
        mlflow.log_param("power", 2)
        return x

    study = tunelab.create_study(study_name="inside")
    study.optimize(tracked, n_trials=2, callbacks=[callback])
    runs = runs_of(mlflow, uri, "inside")
    assert sorted(runs) == ["0", "1"]  # one run per trial, not one from the objective and one from the callback
    for trial in study.trials:
        run = runs[str(trial.number)]
        assert trial.system_attrs[RUN_ID_ATTR] == run.info.run_id
        steps, losses = zip(*history(mlflow, uri, run, "train_loss"))
        assert steps == (0, 1, 2) and losses == pytest.approx([trial.value / (e + 1) for e in range(3)])
        assert run.data.params["power"] == "2" and run.data.metrics["value"] == pytest.approx(trial.value)
        assert run.info.status == "FINISHED"
    assert mlflow.active_run() is None


def test_track_in_mlflow_with_nested_runs_each_trial_as_a_child_of_the_active_run(mlflow, uri):
    mlflow.set_tracking_uri(uri)
    callback = MLflowCallback(uri, mlflow_kwargs={"nested": True})

    @callback.track_in_mlflow()
    def tracked(trial):
        x = trial.suggest_float("x", 0, 1)
        mlflow.log_metric("inner", x)
        return x

    study = tunelab.create_study(study_name="children")
    with mlflow.start_run(run_name="parent") as parent:
        study.optimize(tracked, n_trials=2, callbacks=[callback])
        assert mlflow.active_run().info.run_id == parent.info.run_id  # the parent is still the active run
    runs = runs_of(mlflow, uri, "children")
    assert sorted(runs) == ["0", "1"]
    for trial in study.trials:
        run = runs[str(trial.number)]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.metrics["inner"] == pytest.approx(trial.value) == run.data.metrics["value"]
        assert run.info.status == "FINISHED"


def test_track_in_mlflow_runs_in_the_studys_experiment_whatever_experiment_is_set(mlflow, uri):
    mlflow.set_tracking_uri(uri)
    chosen = mlflow.set_experiment("set-by-the-user").experiment_id
    callback = MLflowCallback(uri)

    @callback.track_in_mlflow()
    def tracked(trial):
        x = trial.suggest_float("x", 0, 1)
        mlflow.log_metric("inner", x)
        return x

    study = tunelab.create_study(study_name="own-experiment")
    study.optimize(tracked, n_trials=2, callbacks=[callback])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    runs = runs_of(mlflow, uri, "own-experiment")
    assert sorted(runs) == ["0", "1"] and all(r.data.metrics["inner"] == r.data.metrics["value"] for r in runs.values())
    assert mlflow.MlflowClient(uri).search_runs([chosen]) == []


def test_a_tracker_that_fails_warns_naming_the_trial_and_the_study_goes_on(mlflow, tmp_path):
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    study = tunelab.create_study(study_name="lost")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3,
                       callbacks=[MLflowCallback(f"file:{blocker}/mlruns")])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    messages = [str(w.message) for w in caught if "MLflowCallback could not log" in str(w.message)]
    assert len(messages) == 3
    for number, message in enumerate(messages):
        assert message.startswith(f"tunelab: MLflowCallback could not log trial {number} (COMPLETE): ")
        assert "The study goes on" in message


def test_a_record_mlflow_refuses_leaves_its_run_failed_and_warns(mlflow, uri):
    def odd(trial):
        trial.set_user_attr("weight*decay", 1)  # MLflow refuses '*' in a tag's name
        return trial.suggest_float("x", 0, 1)

    study = tunelab.create_study(study_name="refused")
    with pytest.warns(UserWarning, match=r"MLflowCallback could not log trial 0 \(COMPLETE\): MlflowException: .*"
                      r"weight\*decay.*The study goes on"):
        study.optimize(odd, n_trials=1, callbacks=[MLflowCallback(uri)])
    assert runs_of(mlflow, uri, "refused")["0"].info.status == "FAILED"
    study.optimize(odd, n_trials=1, callbacks=[MLflowCallback(uri, tag_trial_user_attrs=False)])
    assert runs_of(mlflow, uri, "refused")["1"].data.metrics["value"] == pytest.approx(study.trials[1].value)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"metric_name": ""}, InvalidArgumentError, r"metric_name='' is invalid for MLflowCallback"),
    ({"metric_name": "lr"}, InvalidArgumentError, r"metric_name='lr' is invalid for MLflowCallback: must be distinct "
                                                  r"names other than 'lr' and 'intermediate_value'"),
    ({"metric_name": ["a", "a"]}, InvalidArgumentError, r"metric_name=\['a', 'a'\] is invalid"),
    ({"metric_name": 3}, InvalidTypeError, r"metric_name=3 \(type int\) is invalid for MLflowCallback"),
    ({"tracking_uri": 5}, InvalidTypeError, r"tracking_uri=5 \(type int\) is invalid for MLflowCallback"),
    ({"create_experiment": "yes"}, InvalidTypeError, r"create_experiment='yes' \(type str\) is invalid"),
    ({"mlflow_kwargs": ["nested"]}, InvalidTypeError, r"mlflow_kwargs=\['nested'\] \(type list\) is invalid"),
    ({"mlflow_kwargs": {"experiment_id": "1"}}, InvalidArgumentError,
     r"mlflow_kwargs=\{'experiment_id': '1'\} is invalid for MLflowCallback: must not hold 'experiment_id' "
     r"with create_experiment=True"),
])
def test_bad_arguments_are_refused_by_name(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLflowCallback(**kwargs)


def test_without_mlflow_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if it were not installed
    with pytest.raises(MissingExtraError, match=r"'mlflow' is not installed; install it with: "
                       r"pip install 'tunelab\[mlflow\]'"):
        MLflowCallback()
