"""WeightsAndBiasesCallback in W&B's offline mode, read back from the runs' transaction logs."""

from __future__ import annotations

import json
import re
import struct
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

import tunelab
from tunelab import InvalidArgumentError, InvalidTypeError, MissingExtraError, TrialState
from tunelab.integrations._lr_trace import LrTrace
from tunelab.integrations.wandb import WeightsAndBiasesCallback
from tunelab.samplers import RandomSampler


@pytest.fixture
def wandb(tmp_path, monkeypatch):
    """wandb in offline mode, writing only under ``tmp_path``."""
    wandb = pytest.importorskip("wandb", reason="wandb is not installed (extra 'wandb')")
    monkeypatch.chdir(tmp_path)
    for variable in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.setenv(variable, str(tmp_path))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONSOLE", "off")
    yield wandb
    if wandb.run is not None:
        wandb.finish()
    wandb.teardown()  # W&B reads its settings (the directories above) once per process setup


def _records(path: Path):
    """The protobuf records of an offline run's ``.wandb`` file (W&B's LevelDB-style log: a 7-byte
    header, then 32 KiB blocks of chunks, each with a CRC, a length and a full/first/middle/last type)."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", "not a W&B transaction log"
    pos, block, pending = 7, 32768, b""
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:  # too little room for a chunk header: the block is padded
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        if kind == 0:  # zero padding up to the end of the block
            pos += left
            continue
        pending += data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # FULL, LAST
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def _key(item) -> str:
    return item.key or "/".join(item.nested_key)


def read_runs(tmp_path: Path) -> dict[str, dict]:
    """Every offline run under ``tmp_path`` (at any depth) by name: its config, history rows, summary and exit code.

    W&B's service writes the logs in the background: shutting it down (it restarts on the next
    ``wandb.init``) is what makes them complete on disk.
    """
    import wandb

    wandb.teardown()
    runs = {}
    for path in sorted(tmp_path.glob("**/wandb/offline-run-*/run-*.wandb")):
        run = {"config": {}, "history": [], "summary": {}, "exit_code": None, "group": None}
        name = None
        for record in _records(path):
            kind = record.WhichOneof("record_type")
            if kind == "run":
                name, run["group"] = record.run.display_name, record.run.run_group
                run["config"].update({_key(i): json.loads(i.value_json) for i in record.run.config.update})
            elif kind == "config":
                run["config"].update({_key(i): json.loads(i.value_json) for i in record.config.update})
            elif kind == "history":
                run["history"].append({_key(i): json.loads(i.value_json) for i in record.history.item
                                       if not _key(i).startswith("_")})
            elif kind == "summary":
                run["summary"].update({_key(i): json.loads(i.value_json) for i in record.summary.update
                                       if not _key(i).startswith("_")})
            elif kind == "exit":
                run["exit_code"] = record.exit.exit_code
        runs[name] = run
    return runs


def objective(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    trace = LrTrace()
    for step in range(4):
        trace.add(step * 10, 0.1 / (step + 1))
        trial.report(x + step, step)
    trace.save(trial)
    if trial.number == 2:
        raise RuntimeError("boom")
    return x**2


def test_one_run_per_study_holds_a_row_per_trial(wandb, tmp_path):
    study = tunelab.create_study(study_name="rows", sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=3, catch=(RuntimeError,),
                   callbacks=[WeightsAndBiasesCallback("loss", wandb_kwargs={"project": "p", "name": "study"})])
    wandb.finish()
    (run,) = read_runs(tmp_path).values()
    assert run["config"]["direction"] == "MINIMIZE" and run["config"]["study_name"] == "rows"
    rows = run["history"]
    assert [r["trial_number"] for r in rows] == [0, 1, 2]
    for row, trial in zip(rows, study.trials):
        assert row["x"] == pytest.approx(trial.params["x"]) and row["state"] == trial.state.name
    assert [r.get("loss") for r in rows[:2]] == pytest.approx([t.value for t in study.trials[:2]])
    assert "loss" not in rows[2]  # the failed trial has no value
    assert run["exit_code"] == 0


def test_one_run_per_trial_holds_its_config_summary_and_curves_by_step(wandb, tmp_path):
    from tunelab import schedules

    def train(trial):
        schedule = trial.suggest_schedule("lr", schedules.space(["cosine"], initial=(1e-3, 1e-1), total_steps=30))
        trace = LrTrace()
        for step in range(0, 30, 10):
            trace.add(step, float(schedule(step)))
        trace.save(trial)
        trial.report(0.5, 0)
        trial.report(0.25, 1)
        if trial.number == 1:
            raise RuntimeError("boom")
        return 0.25

    study = tunelab.create_study(study_name="multi", sampler=RandomSampler(seed=0))
    study.optimize(train, n_trials=2, catch=(RuntimeError,),
                   callbacks=[WeightsAndBiasesCallback(wandb_kwargs={"project": "p"}, as_multirun=True)])
    runs = read_runs(tmp_path)
    assert sorted(runs) == ["trial-0", "trial-1"]
    for trial in study.trials:
        run = runs[f"trial-{trial.number}"]
        assert run["group"] == "multi"
        config = run["config"]
        assert config["number"] == trial.number and config["lr.family"] == "cosine"
        assert config["lr"] == repr(trial.schedule("lr"))
        assert config["schedules"]["lr"] == json.loads(json.dumps(trial.schedule_configs["lr"]))
        lr = [(r["lr_step"], r["lr"]) for r in run["history"] if "lr" in r]
        assert lr == [tuple(p) for p in trial.user_attrs["lr_trace"]]
        reports = [(r["intermediate_value_step"], r["intermediate_value"]) for r in run["history"]
                   if "intermediate_value" in r]
        assert reports == [(0, 0.5), (1, 0.25)]
        assert run["summary"]["state"] == trial.state.name
    assert runs["trial-0"]["summary"]["value"] == 0.25 and runs["trial-0"]["exit_code"] == 0
    assert "value" not in runs["trial-1"]["summary"] and runs["trial-1"]["exit_code"] == 1
    assert wandb.run is None  # every trial's run is finished


def test_multi_objective_values_are_named_by_the_list_or_numbered(wandb, tmp_path):
    def two(trial):
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    study = tunelab.create_study(study_name="mo", directions=["minimize", "maximize"])
    study.optimize(two, n_trials=1, callbacks=[WeightsAndBiasesCallback(["error", "speed"], as_multirun=True)])
    study.optimize(two, n_trials=1, callbacks=[WeightsAndBiasesCallback(as_multirun=True)])
    runs = read_runs(tmp_path)
    first, second = study.trials
    assert runs["trial-0"]["summary"]["error"] == pytest.approx(first.values[0])
    assert runs["trial-0"]["summary"]["speed"] == pytest.approx(first.values[1])
    assert runs["trial-1"]["summary"]["value_0"] == pytest.approx(second.values[0])
    assert runs["trial-1"]["config"]["direction"] == "MINIMIZE,MAXIMIZE"
    with pytest.raises(InvalidArgumentError, match=r"metric_name=\['a'\] is invalid for WeightsAndBiasesCallback: "
                       r"must be one name, or a list of 2 names"):
        study.optimize(two, n_trials=1, callbacks=[WeightsAndBiasesCallback(["a"])])


def test_track_in_wandb_logs_the_objectives_own_rows_into_the_trials_run(wandb, tmp_path):
    callback = WeightsAndBiasesCallback(as_multirun=True)

    @callback.track_in_wandb()
    def tracked(trial):
        x = trial.suggest_float("x", 0, 1)
        wandb.log({"train_loss": x})
        return x

    study = tunelab.create_study(study_name="inside")
    study.optimize(tracked, n_trials=2, callbacks=[callback])
    runs = read_runs(tmp_path)
    assert sorted(runs) == ["trial-0", "trial-1"]
    for trial in study.trials:
        run = runs[f"trial-{trial.number}"]
        assert [r["train_loss"] for r in run["history"] if "train_loss" in r] == pytest.approx([trial.value])
        assert run["summary"]["value"] == pytest.approx(trial.value)


def test_the_study_run_starts_with_the_callback_so_the_objective_can_log_into_it(wandb, tmp_path):
    callback = WeightsAndBiasesCallback(wandb_kwargs={"project": "p", "name": "study"})  # as Optuna's: run started
    assert wandb.run is not None

    def logging(trial):  # no decorator: wandb.log goes to the study's run
        x = trial.suggest_float("x", 0, 1)
        wandb.log({"train_loss": x})
        return x

    study = tunelab.create_study(study_name="own-rows")
    study.optimize(logging, n_trials=2, callbacks=[callback])
    wandb.finish()
    (run,) = read_runs(tmp_path).values()
    assert [r["train_loss"] for r in run["history"] if "train_loss" in r] == pytest.approx(
        [t.value for t in study.trials])
    assert [r["trial_number"] for r in run["history"] if "trial_number" in r] == [0, 1]


def test_track_in_wandb_in_worker_processes_keeps_each_trials_rows_in_a_run_of_its_own(wandb, tmp_path):
    callback = WeightsAndBiasesCallback(as_multirun=True)

    @callback.track_in_wandb()
    def tracked(trial):
        x = trial.suggest_float("x", 0, 1)
        wandb.log({"train_loss": x, "trial": trial.number})
        return x

    study = tunelab.create_study(study_name="workers")
    study.optimize(tracked, n_trials=4, n_jobs=2, callbacks=[callback])  # worker processes: 2 trials each
    import wandb as w
    w.teardown()
    rows = []
    for path in sorted(tmp_path.glob("**/wandb/offline-run-*/run-*.wandb")):
        names = {r.run.display_name for r in _records(path) if r.WhichOneof("record_type") == "run"}
        logged = [{_key(i): json.loads(i.value_json) for i in r.history.item} for r in _records(path)
                  if r.WhichOneof("record_type") == "history"]
        rows.append((names, [r["trial"] for r in logged if "trial" in r]))
    objective_runs = [(names, trials) for names, trials in rows if trials]
    assert len(objective_runs) == 4  # one run per trial, not one per worker holding two trials' rows
    for names, trials in objective_runs:
        assert len(trials) == 1 and names == {f"trial-{trials[0]}"}


def test_a_tracker_that_fails_warns_naming_the_trial_and_the_study_goes_on(wandb, tmp_path):
    callback = WeightsAndBiasesCallback(wandb_kwargs={"mode": "no-such-mode"}, as_multirun=True)
    study = tunelab.create_study(study_name="lost")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[callback])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    messages = [str(w.message) for w in caught if "WeightsAndBiasesCallback could not log" in str(w.message)]
    assert len(messages) == 2
    for number, message in enumerate(messages):
        assert message.startswith(f"tunelab: WeightsAndBiasesCallback could not log trial {number} (COMPLETE): ")
        assert "no-such-mode" in message


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"metric_name": ""}, InvalidArgumentError, r"metric_name='' is invalid for WeightsAndBiasesCallback"),
    ({"metric_name": "intermediate_value"}, InvalidArgumentError,
     r"metric_name='intermediate_value' is invalid for WeightsAndBiasesCallback: must be distinct names other "
     r"than 'lr'"),
    ({"metric_name": None}, InvalidTypeError, r"metric_name=None \(type NoneType\) is invalid"),
    ({"wandb_kwargs": "project"}, InvalidTypeError, r"wandb_kwargs='project' \(type str\) is invalid"),
    ({"as_multirun": 1}, InvalidTypeError, r"as_multirun=1 \(type int\) is invalid for WeightsAndBiasesCallback"),
])
def test_bad_arguments_are_refused_by_name(kwargs, error, match):
    with pytest.raises(error, match=match):
        WeightsAndBiasesCallback(**kwargs)


def test_without_wandb_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if it were not installed
    with pytest.raises(MissingExtraError, match=r"'wandb' is not installed; install it with: "
                       r"pip install 'tunelab\[wandb\]'"):
        WeightsAndBiasesCallback()


def test_the_tracking_guide_runs(wandb, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow", reason="the guide's first example uses MLflow (extra 'mlflow')")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # the guide must switch it on itself
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the guide's temporary directories
    guide = (Path(__file__).resolve().parents[2] / "docs" / "tracking.md").read_text()
    blocks = re.findall(r"^```([^\n]*)\n(.*?)^```", guide, re.S | re.M)
    assert {info for info, _ in blocks} == {"python", "python no-run"}
    namespace: dict = {}
    try:
        for info, code in blocks:
            if info == "python":
                exec(compile(code, "docs/tracking.md", "exec"), namespace)
        client = mlflow.MlflowClient(namespace["uri"])
        experiment = client.get_experiment_by_name("mlflow-guide")
        runs = client.search_runs([experiment.experiment_id])
    finally:
        mlflow.set_tracking_uri(None)
    assert len(runs) == 3 and all(len(client.get_metric_history(r.info.run_id, "lr")) == 10 for r in runs)
    logged = read_runs(tmp_path)
    assert sorted(logged) == ["trial-0", "trial-1", "trial-2"]
    assert all(len([r for r in run["history"] if "lr" in r]) == 10 for run in logged.values())
