import math
import re
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import tunelab
from tunelab import (
    DuplicatedStudyError,
    InvalidArgumentError,
    InvalidTypeError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
    TrialState,
)
from tunelab.samplers import GridSampler, RandomSampler


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def test_optimize_finds_a_decent_minimum_and_exposes_best(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=40)
    assert len(study.trials) == 40
    assert study.best_value == min(t.value for t in study.trials)
    assert study.best_value < 1.0
    assert study.best_params == study.best_trial.params


def test_maximize_picks_the_largest(storage_url):
    study = tunelab.create_study(storage=storage_url, direction="maximize", sampler=RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=10)
    assert study.best_value == max(t.value for t in study.trials)


def test_ask_tell_loop(storage_url):
    study = tunelab.create_study(storage=storage_url)
    for _ in range(3):
        trial = study.ask()
        study.tell(trial, quadratic(trial))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert [t.number for t in study.trials] == [0, 1, 2]


def test_tell_twice_is_refused_and_the_first_result_kept(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(TrialFinishedError, match=r"trial 0 is already COMPLETE and cannot be changed"):
        study.tell(trial.number, 2.0)
    assert study.trials[0].values == (1.0,)
    assert study.tell(0, 3.0, skip_if_finished=True).values == (1.0,)


def test_tell_on_an_unknown_trial(storage_url):
    study = tunelab.create_study(storage=storage_url, study_name="s")
    with pytest.raises(TrialNotFoundError, match=r"study 's' has no trial number 7"):
        study.tell(7, 1.0)
    with pytest.raises(TypeError, match=r"trial='x' .* a Trial or a trial number"):
        study.tell("x", 1.0)


def test_tell_needs_values_or_a_state(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    with pytest.raises(InvalidArgumentError, match="tell needs values or a state"):
        study.tell(trial)
    with pytest.raises(InvalidArgumentError, match=r"state=TrialState.RUNNING is invalid for Study.tell: must be None, COMPLETE, PRUNED or FAIL"):
        study.tell(trial, state=TrialState.RUNNING)


def test_nan_makes_the_trial_fail_with_the_reason_and_inf_is_legal(storage_url):
    study = tunelab.create_study(storage=storage_url)
    study.optimize(lambda t: float("nan"), n_trials=1)
    study.optimize(lambda t: math.inf, n_trials=1)
    nan_trial, inf_trial = study.trials
    assert nan_trial.state == TrialState.FAIL
    assert "NaN" in nan_trial.fail_reason
    assert inf_trial.state == TrialState.COMPLETE and inf_trial.value == math.inf


def test_non_numeric_and_wrong_count_results_fail(storage_url):
    study = tunelab.create_study(storage=storage_url)
    study.optimize(lambda t: "good", n_trials=1)
    study.optimize(lambda t: (1.0, 2.0), n_trials=1)
    a, b = study.trials
    assert a.state == b.state == TrialState.FAIL
    assert "'good' (type str), not a number" in a.fail_reason
    assert "returned 2 value(s)" in b.fail_reason


def test_an_objective_that_raises_fails_its_trial_and_is_reraised(storage_url):
    study = tunelab.create_study(storage=storage_url)

    def broken(trial):
        trial.suggest_float("x", 0, 1)
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        study.optimize(broken, n_trials=3)
    (t,) = study.trials
    assert t.state == TrialState.FAIL
    assert "ZeroDivisionError: boom" in t.fail_reason
    assert "x" in t.params  # what it asked before failing is kept


def test_catch_records_failures_and_goes_on(storage_url):
    study = tunelab.create_study(storage=storage_url)

    def sometimes(trial):
        if trial.number % 2:
            raise ValueError("odd")
        return 1.0

    study.optimize(sometimes, n_trials=4, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL] * 2
    with pytest.raises(InvalidArgumentError, match=r"^catch=\('ValueError',\) is invalid for Study.optimize: "
                                                   r"must be an Exception class or a tuple of them$"):
        study.optimize(sometimes, n_trials=1, catch=("ValueError",))
    with pytest.raises(InvalidTypeError, match=r"^catch='ValueError' \(type str\) is invalid for Study.optimize"):
        study.optimize(sometimes, n_trials=1, catch="ValueError")
    with pytest.raises(InvalidArgumentError, match=r"^catch=<class 'KeyboardInterrupt'> is invalid for "
                                                   r"Study.optimize: must be an Exception class or a tuple of them$"):
        study.optimize(sometimes, n_trials=1, catch=KeyboardInterrupt)


def test_ctrl_c_leaves_no_trial_running_and_keeps_finished_ones(storage_url):
    study = tunelab.create_study(storage=storage_url)

    def interrupted(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, n_trials=10)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL, TrialState.WAITING]
    stopped, retry = study.trials[2:]
    assert stopped.fail_reason.startswith("interrupted")
    assert (retry.retry_of, retry.retry_count, retry.fixed_params) == (2, 1, stopped.params)
    study.optimize(interrupted, n_trials=1)  # the next run starts with the interrupted trial's copy
    assert study.trials[3].state == TrialState.COMPLETE and study.trials[3].params == stopped.params


def test_budget_arguments_are_validated(storage_url):
    study = tunelab.create_study(storage=storage_url)
    with pytest.raises(InvalidArgumentError, match=r"n_trials=-1 is invalid"):
        study.optimize(quadratic, n_trials=-1)
    with pytest.raises(InvalidArgumentError, match=r"timeout=0 is invalid"):
        study.optimize(quadratic, timeout=0)
    with pytest.raises(InvalidArgumentError, match=r"n_jobs=0 is invalid"):
        study.optimize(quadratic, n_trials=1, n_jobs=0)
    with pytest.raises(TypeError, match=r"func=3 .* a callable"):
        study.optimize(3, n_trials=1)


@pytest.mark.parametrize("timeout", [math.nan, math.inf, -math.inf, -1, 0, True, "10", 10**400],
                         ids=["nan", "inf", "-inf", "-1", "0", "True", "str", "10**400"])
def test_timeout_must_be_a_positive_finite_number(storage_url, timeout):
    study = tunelab.create_study(storage=storage_url)
    wrong_type = isinstance(timeout, (bool, str))
    shown = re.escape(repr(timeout)) + (rf" \(type {type(timeout).__name__}\)" if wrong_type else "")
    with pytest.raises(InvalidTypeError if wrong_type else InvalidArgumentError,
                       match=rf"^timeout={shown} is invalid for Study.optimize: "
                             r"must be None or a positive, finite number of seconds$"):
        study.optimize(quadratic, n_trials=1, timeout=timeout)  # n_trials: never hangs, even unfixed
    assert study.trials == []


def test_timeout_stops_the_loop(storage_url):
    study = tunelab.create_study(storage=storage_url)
    study.optimize(quadratic, timeout=0.3)
    assert len(study.trials) >= 1


def test_callbacks_see_each_finished_trial_and_can_stop(storage_url):
    seen = []

    def callback(study, trial):
        seen.append(trial.number)
        if len(seen) == 3:
            study.stop()

    study = tunelab.create_study(storage=storage_url)
    study.optimize(quadratic, n_trials=10, callbacks=[callback])
    assert seen == [0, 1, 2]


def test_threads_run_every_trial_once(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=0))
    names = set()

    def objective(trial):
        names.add(threading.current_thread().name)
        return quadratic(trial)

    study.optimize(objective, n_trials=20, n_jobs=2, executor="thread")
    assert names and threading.main_thread().name not in names  # every trial ran in a pool thread
    assert sorted(t.number for t in study.trials) == list(range(20))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_enqueued_trials_run_first_with_their_values(storage_url):
    study = tunelab.create_study(storage=storage_url)
    study.enqueue_trial({"x": 2.0})
    study.enqueue_trial({"x": 2.0}, skip_if_exists=True)
    study.optimize(quadratic, n_trials=2)
    assert study.trials[0].params == {"x": 2.0} and study.trials[0].value == 0.0
    assert len(study.trials) == 2


def test_an_enqueued_value_outside_the_range_is_a_clear_error(storage_url):
    study = tunelab.create_study(storage=storage_url)
    study.enqueue_trial({"x": 50.0})
    with pytest.raises(InvalidArgumentError, match=r"enqueued value x=50.0 is outside"):
        study.optimize(quadratic, n_trials=1)


def test_multi_objective_best_trials_is_the_pareto_front(storage_url):
    study = tunelab.create_study(storage=storage_url, directions=["minimize", "maximize"])
    for a, b in [(1, 1), (2, 3), (3, 2), (0, 0), (2, 2)]:
        trial = study.ask()
        study.tell(trial, (a, b))
    assert sorted(t.values for t in study.best_trials) == [(0.0, 0.0), (1.0, 1.0), (2.0, 3.0)]
    with pytest.raises(InvalidArgumentError, match="best_trial is for single-objective studies"):
        _ = study.best_trial
    trial = study.ask()
    with pytest.raises(InvalidArgumentError, match="report is for single-objective studies"):
        trial.report(1.0, 0)


def test_best_without_complete_trials_is_a_clear_error(storage_url):
    study = tunelab.create_study(storage=storage_url, study_name="empty")
    with pytest.raises(InvalidArgumentError, match="study 'empty' has no COMPLETE trial yet"):
        _ = study.best_params


def test_get_trials_filters_by_state(storage_url):
    study = tunelab.create_study(storage=storage_url)
    study.optimize(lambda t: float("nan") if t.number == 1 else 1.0, n_trials=3)
    assert [t.number for t in study.get_trials(states=[TrialState.FAIL])] == [1]
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2


def test_create_load_delete(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    tunelab.create_study(storage=url, study_name="a")
    with pytest.raises(DuplicatedStudyError, match=r"a study named 'a' already exists .* load_if_exists=True"):
        tunelab.create_study(storage=url, study_name="a")
    with pytest.raises(InvalidArgumentError, match=r"exists with directions \['minimize'\]; asked for \['maximize'\]"):
        tunelab.create_study(storage=url, study_name="a", direction="maximize", load_if_exists=True)
    assert tunelab.create_study(storage=url, study_name="a", load_if_exists=True).study_name == "a"
    assert tunelab.load_study(storage=url).study_name == "a"  # the only study
    tunelab.delete_study(study_name="a", storage=url)
    with pytest.raises(StudyNotFoundError, match="no study named 'a'"):
        tunelab.load_study(study_name="a", storage=url)


def test_bad_create_arguments(storage_url):
    with pytest.raises(InvalidArgumentError,
                       match=r"direction='up' is invalid for create_study: must be None, 'minimize' or 'maximize'"):
        tunelab.create_study(storage=storage_url, direction="up")
    assert tunelab.create_study(storage=storage_url, direction="MAXIMIZE").direction == tunelab.StudyDirection.MAXIMIZE
    with pytest.raises(InvalidArgumentError, match=r"^directions=\['minimize', 'up'\] is invalid for create_study: "
                                                   r"must be None or a non-empty list of 'minimize' / 'maximize'$"):
        tunelab.create_study(storage=storage_url, directions=["minimize", "up"])
    with pytest.raises(InvalidArgumentError, match=r"^directions=\[\] is invalid for create_study"):
        tunelab.create_study(storage=storage_url, directions=[])
    with pytest.raises(InvalidArgumentError, match="give direction or directions, not both"):
        tunelab.create_study(storage=storage_url, direction="minimize", directions=["minimize"])
    with pytest.raises(TypeError, match=r"sampler='tpe' .* a tunelab.samplers.Sampler"):
        tunelab.create_study(storage=storage_url, sampler="tpe")
    with pytest.raises(TypeError, match=r"storage=42 .* None, a database URL or a tunelab Storage"):
        tunelab.create_study(storage=42)


def test_a_study_survives_the_process_and_resumes(tmp_path):
    db = tmp_path / "resume.db"
    script = textwrap.dedent(f"""
        import tunelab
        study = tunelab.create_study(storage="sqlite:///{db}", study_name="r", load_if_exists=True)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    """)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    study = tunelab.load_study(study_name="r", storage=f"sqlite:///{db}")
    assert [t.number for t in study.trials] == list(range(10))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_random_sampler_is_reproducible_with_a_seed(storage_url):
    def run(seed):
        study = tunelab.create_study(sampler=RandomSampler(seed=seed))
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 100), n_trials=8)
        return [t.params for t in study.trials]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_grid_sampler_covers_the_grid_once_and_stops(storage_url):
    grid = {"x": [0.0, 1.0, 2.0], "act": ["relu", "tanh"]}
    study = tunelab.create_study(storage=storage_url, sampler=GridSampler(grid, seed=0))

    def objective(trial):
        return trial.suggest_float("x", 0, 2) + len(trial.suggest_categorical("act", ["relu", "tanh"]))

    study.optimize(objective, n_trials=100)
    points = sorted((t.params["x"], t.params["act"]) for t in study.trials)
    assert points == sorted((x, a) for x in grid["x"] for a in grid["act"])


def test_grid_sampler_rejects_parameters_outside_the_grid():
    study = tunelab.create_study(sampler=GridSampler({"x": [0.0]}))
    with pytest.raises(InvalidArgumentError, match=r"parameter 'y' is not in the GridSampler's search space \['x'\]"):
        study.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=1)
    with pytest.raises(InvalidArgumentError, match=r"search_space\['x'\]=\[\] is invalid for GridSampler"):
        GridSampler({"x": []})


def test_trials_dataframe(storage_url):
    pytest.importorskip("pandas")
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=4)
    df = study.trials_dataframe()
    assert list(df["number"]) == [0, 1, 2, 3]
    assert {"value", "params_x", "state"} <= set(df.columns)
    assert (df["value"] == [t.value for t in study.trials]).all()


def test_a_refused_fixed_distribution_starts_no_trial(storage_url):
    study = tunelab.create_study(storage=storage_url)
    with pytest.raises(InvalidTypeError, match=r"^fixed_distributions\['x'\]=5 \(type int\) is invalid for Study.ask: "
                                               r"must be a tunelab.space distribution$"):
        study.ask({"x": 5})
    with pytest.raises(InvalidArgumentError, match=r"^fixed_distributions key='' is invalid for Study.ask"):
        study.ask({"": tunelab.space.FloatDistribution(0, 1)})
    with pytest.raises(InvalidTypeError, match=r"^fixed_distributions=\[1\] \(type list\) is invalid for Study.ask"):
        study.ask([1])
    assert study.trials == []


def test_the_study_api_names_its_arguments(storage_url):
    study = tunelab.create_study(storage=storage_url, study_name="s")
    with pytest.raises(InvalidTypeError, match=r"^params=\[\('x', 1\)\] \(type list\) is invalid for "
                                               r"Study.enqueue_trial: must be a mapping of parameter name to value$"):
        study.enqueue_trial([("x", 1)])
    with pytest.raises(InvalidArgumentError, match=r"^states=\['COMPLETE'\] is invalid for Study.get_trials: must be "
                                                   r"None or a list of TrialState values$"):
        study.get_trials(states=["COMPLETE"])
    with pytest.raises(InvalidTypeError, match=r"^trial=\{\} \(type dict\) is invalid for Study.add_trial"):
        study.add_trial({})
    with pytest.raises(InvalidArgumentError, match=r"^attrs=\['nmber'\] is invalid for Study.trials_dataframe: "
                                                   r"must be None or a list of values among \['number', "):
        study.trials_dataframe(["nmber"])
    with pytest.raises(InvalidArgumentError, match=r"^callbacks=\[1\] is invalid for Study.optimize: "
                                                   r"must be None or a list of callables$"):
        study.optimize(quadratic, n_trials=1, callbacks=[1])
    with pytest.raises(InvalidArgumentError, match=r"^n_jobs=-2 is invalid for Study.optimize: must be a positive "
                                                   r"integer, or -1 for one job per CPU core$"):
        study.optimize(quadratic, n_trials=1, n_jobs=-2)
    with pytest.raises(InvalidTypeError, match=r"^study_name=5 \(type int\) is invalid for load_study: must be None or "
                                               r"a string$"):
        tunelab.load_study(study_name=5, storage=study.storage)
    with pytest.raises(StudyNotFoundError, match=r"no study named ''"):
        tunelab.load_study(study_name="", storage=study.storage)  # looked up, not stored: simply not there
    with pytest.raises(InvalidArgumentError, match=r"^study_name='' is invalid for create_study: must be None or a "
                                                   r"string of 1 to 512 characters without NUL$"):
        tunelab.create_study(study_name="", storage=study.storage)
    with pytest.raises(InvalidTypeError, match=r"^load_if_exists=1 \(type int\) is invalid for create_study"):
        tunelab.create_study(storage=storage_url, load_if_exists=1)
    assert study.trials == []
    study.optimize(quadratic, n_trials=np.int64(2), catch=[ValueError])  # numpy integers and lists are fine
    assert [t.state for t in study.get_trials(states={TrialState.COMPLETE})] == [TrialState.COMPLETE] * 2
