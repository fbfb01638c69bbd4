"""The study API where Optuna users meet it: its arguments, positions and defaults, and the traps of
the first hour (pruned tells, the default pruner, an in-memory study sent elsewhere)."""

from __future__ import annotations

import gc
import inspect
import math
import pickle
import sys

import pytest

import tunelab
from tunelab import InvalidArgumentError, TrialState, TunelabError
from tunelab.pruners import MedianPruner, NopPruner
from tunelab.samplers import RandomSampler


def _x(trial):
    return trial.suggest_float("x", -1, 1) ** 2


def test_positional_arguments_where_optuna_takes_them():
    assert list(inspect.signature(tunelab.Study.optimize).parameters)[1:9] == [
        "func", "n_trials", "timeout", "n_jobs", "catch", "callbacks", "gc_after_trial", "show_progress_bar"]
    study = tunelab.create_study(sampler=RandomSampler(seed=0))
    seen = []
    study.optimize(_x, 3, None, 1, (ValueError,), [lambda s, t: seen.append(t.number)], True, False)
    assert seen == [0, 1, 2]
    trial = study.ask()
    trial.suggest_float("x", -1, 1)
    study.tell(trial, 0.5, None)
    assert study.tell(trial, None, TrialState.FAIL, True).state == TrialState.COMPLETE  # skip_if_finished
    for name in ("suggest_float", "suggest_int"):  # step and log are keyword-only, as in Optuna
        params = inspect.signature(getattr(tunelab.Trial, name)).parameters
        assert params["step"].kind is inspect.Parameter.KEYWORD_ONLY and params["log"].kind is params["step"].kind
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in inspect.signature(tunelab.create_study).parameters.values())
    study.enqueue_trial({"x": 0.5}, {"why": "known good"}, True)
    study.enqueue_trial({"x": 0.5}, None, True)  # skip_if_exists: already queued
    assert [t.user_attrs for t in study.get_trials(states=(TrialState.WAITING,))] == [{"why": "known good"}]
    assert [s.study_name for s in tunelab.get_all_study_summaries(study.storage, False)] == [study.study_name]


def test_gc_after_trial_collects_after_each_trial(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(1) or 0)
    tunelab.create_study().optimize(_x, n_trials=3, gc_after_trial=True)
    assert len(calls) == 3
    tunelab.create_study().optimize(_x, n_trials=2)
    assert len(calls) == 3
    with pytest.raises(tunelab.InvalidTypeError, match=r"^gc_after_trial=1 \(type int\) is invalid for Study.optimize"):
        tunelab.create_study().optimize(_x, n_trials=1, gc_after_trial=1)


def test_a_pruned_trial_told_without_values_keeps_its_last_report(storage_url):
    study = tunelab.create_study(storage=storage_url, direction="maximize")
    trial = study.ask()
    trial.report(-7.0, 0)
    trial.report(-5.0, 3)
    assert study.tell(trial, state=TrialState.PRUNED).value == -5.0
    by_number = study.ask()
    by_number.report(2.5, 1)
    study.tell(by_number.number, state=TrialState.PRUNED)
    silent = study.ask()
    study.tell(silent, state=TrialState.PRUNED)
    nan = study.ask()
    nan.report(math.nan, 0)
    study.tell(nan, state=TrialState.PRUNED)
    assert [t.value for t in study.trials] == [-5.0, 2.5, None, None]
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 4


def test_a_pruned_multi_objective_trial_keeps_no_value(storage_url):
    study = tunelab.create_study(storage=storage_url, directions=["minimize", "minimize"])
    trial = study.ask()
    trial.report([1.0, 2.0], 0)
    assert study.tell(trial, state=TrialState.PRUNED).values is None


def _sgd_like(trial):
    """A training loop that reports and asks the pruner, as Optuna's examples do: a bad trial stays bad."""
    quality = trial.suggest_float("quality", 0, 1)
    for step in range(10):
        trial.report(quality * (step + 1), step)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return quality * 10


def test_the_default_pruner_is_optunas_median_rule():
    study = tunelab.create_study(direction="maximize", sampler=RandomSampler(seed=0))
    assert isinstance(study.pruner, MedianPruner)
    study.optimize(_sgd_like, n_trials=20)
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert pruned and all(len(t.intermediate_values) < 10 for t in pruned)
    never = tunelab.create_study(direction="maximize", sampler=RandomSampler(seed=0), pruner=NopPruner())
    never.optimize(_sgd_like, n_trials=20)
    assert not never.get_trials(states=(TrialState.PRUNED,))
    loaded = tunelab.load_study(study_name=study.study_name, storage=study.storage)
    assert isinstance(loaded.pruner, MedianPruner)


def test_metric_names(storage_url):
    pd = pytest.importorskip("pandas")
    study = tunelab.create_study(storage=storage_url, directions=["minimize", "maximize"],
                                 sampler=RandomSampler(seed=0))
    assert study.metric_names is None
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    assert {"values_0", "values_1"} <= set(study.trials_dataframe().columns)
    study.set_metric_names(["cost", "gain"])
    assert tunelab.load_study(study_name=study.study_name, storage=study.storage).metric_names == ["cost", "gain"]
    frame = study.trials_dataframe()
    assert list(frame.columns[:3]) == ["number", "values_cost", "values_gain"]
    assert isinstance(frame, pd.DataFrame)
    with pytest.raises(InvalidArgumentError, match=r"^metric_names=\['a'\] is invalid for Study.set_metric_names: "
                                                   r"must name the study's 2 objective\(s\)"):
        study.set_metric_names(["a"])
    single = tunelab.create_study(storage=storage_url)
    single.set_metric_names(["loss"])
    single.optimize(_x, n_trials=1)
    assert "value_loss" in single.trials_dataframe(attrs=("number", "value")).columns


def test_trials_dataframe_columns_and_multi_index(storage_url):
    pytest.importorskip("pandas")
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=0))
    study.set_user_attr("owner", "me")

    def objective(trial):
        trial.set_user_attr("note", trial.number)
        return _x(trial)

    study.optimize(objective, n_trials=3)
    frame = study.trials_dataframe()
    assert list(frame.columns) == ["number", "value", "datetime_start", "datetime_complete", "duration", "params_x",
                                   "user_attrs_note", "state"]
    assert list(frame.state) == ["COMPLETE"] * 3
    small = study.trials_dataframe(attrs=("number", "value", "params"))
    assert list(small.columns) == ["number", "value", "params_x"]
    multi = study.trials_dataframe(attrs=("number", "value", "params"), multi_index=True)
    assert list(multi.columns) == [("number", ""), ("value", ""), ("params", "x")]
    assert list(multi[("params", "x")]) == [t.params["x"] for t in study.trials]
    assert tunelab.create_study().trials_dataframe().empty


def test_an_in_memory_study_pickles_as_an_independent_snapshot_as_in_optuna():
    study = tunelab.create_study(sampler=RandomSampler(seed=0))
    study.set_user_attr("owner", "me")
    study.optimize(_x, n_trials=3)
    running = study.ask()
    restored = pickle.loads(pickle.dumps(study))
    assert restored.study_name == study.study_name and restored.user_attrs == {"owner": "me"}
    before, after = study.trials[:3], restored.trials[:3]
    assert [(t.params, t.values, t.datetime_start, t.datetime_complete) for t in after] == [
        (t.params, t.values, t.datetime_start, t.datetime_complete) for t in before]
    assert restored.trials[3].state == TrialState.FAIL and "RUNNING" in restored.trials[3].fail_reason
    restored.optimize(_x, n_trials=2)
    assert len(restored.trials) == 6 and len(study.trials) == 4  # independent copies
    study.tell(running, 0.5)
    assert study.best_value == min(t.value for t in study.trials)


def test_a_snapshot_refuses_to_run_trials_in_a_dask_worker_and_says_what_to_do(monkeypatch):
    study = tunelab.create_study()
    study.optimize(_x, n_trials=1)
    payload = pickle.dumps(study.optimize)
    fake = type(sys)("distributed")
    fake.get_worker = lambda: type("Worker", (), {"address": "tcp://127.0.0.1:4242"})()
    monkeypatch.setitem(sys.modules, "distributed", fake)
    optimize = pickle.loads(payload)
    with pytest.raises(TunelabError, match=r"copy of an in-memory study \(storage=None\), unpickled in the Dask worker "
                                           r"tcp://127.0.0.1:4242: .*storage='sqlite:///study.db'.*executor=client"):
        optimize(_x, n_trials=1)
    assert len(optimize.__self__.trials) == 1  # it can still be read there

    def not_a_worker():
        raise ValueError("No worker found")

    fake.get_worker = not_a_worker
    pickle.loads(payload)(_x, n_trials=1)  # a client process unpickling it may run it


def test_a_study_in_a_file_pickles_as_a_handle_on_it(tmp_path):
    on_disk = tunelab.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    on_disk.optimize(_x, n_trials=2)
    again = pickle.loads(pickle.dumps(on_disk))
    again.optimize(_x, n_trials=1)
    assert len(on_disk.trials) == 3
