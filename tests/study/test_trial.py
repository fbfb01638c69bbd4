import math

import pytest

import tunelab
from tunelab import InvalidArgumentError, InvalidTypeError, TrialFinishedError
from tunelab.samplers import RandomSampler
from tunelab.space import FloatDistribution, IntDistribution


def test_same_name_twice_returns_the_same_value(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=0))
    trial = study.ask()
    first = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    assert trial.suggest_float("lr", 1e-4, 1e-1, log=True) == first
    assert trial.params == {"lr": first}


def test_same_name_with_another_distribution_is_an_error(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    trial.suggest_int("units", 1, 10)
    with pytest.raises(InvalidArgumentError, match=r"parameter .units. was already suggested .*\(one name, one distribution\)"):
        trial.suggest_int("units", 1, 20)


def test_conditional_spaces_are_plain_ifs(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=1))

    def objective(trial):
        kind = trial.suggest_categorical("kind", ["linear", "mlp"])
        if kind == "mlp":
            layers = trial.suggest_int("layers", 1, 3)
            for i in range(layers):
                trial.suggest_int(f"width_{i}", 8, 64, log=True)
        return 1.0

    study.optimize(objective, n_trials=30)
    for t in study.trials:
        if t.params["kind"] == "linear":
            assert set(t.params) == {"kind"}
        else:
            assert set(t.params) == {"kind", "layers"} | {f"width_{i}" for i in range(t.params["layers"])}
            assert all(8 <= t.params[f"width_{i}"] <= 64 for i in range(t.params["layers"]))


def test_suggest_after_the_trial_finished_is_refused(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, 0.5)
    with pytest.raises(TrialFinishedError, match=r"trial 0 is already finished \(suggest refused\)"):
        trial.suggest_float("y", 0, 1)
    with pytest.raises(TrialFinishedError, match="report refused"):
        trial.report(1.0, step=1)


def test_report_records_intermediate_values_and_validates_step(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    trial.report(0.9, step=0)
    trial.report(0.5, step=3)
    with pytest.raises(InvalidArgumentError, match=r"^step=-1 is invalid for Trial.report: must be an integer in "
                                                   r"\[0, 9223372036854775807\]$"):
        trial.report(0.1, step=-1)
    with pytest.raises(InvalidTypeError, match=r"^step=1.5 \(type float\) is invalid for Trial.report"):
        trial.report(0.1, step=1.5)
    with pytest.raises(TypeError, match=r"value='bad'"):
        trial.report("bad", step=4)
    study.tell(trial, 0.5)
    assert study.trials[0].intermediate_values == {0: 0.9, 3: 0.5}


def test_params_reach_the_storage_at_the_first_report(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = tunelab.create_study(storage=url, study_name="s")
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    trial.report(x, 0)
    other = tunelab.load_study(study_name="s", storage=url)
    assert other.trials[0].params == {"x": x}


def test_should_prune_asks_the_pruner_with_the_reported_values(storage_url):
    seen = []

    class Recorder(tunelab.pruners.Pruner):
        def prune(self, study, trial):
            seen.append(dict(trial.intermediate_values))
            return trial.last_step == 2

    study = tunelab.create_study(storage=storage_url, pruner=Recorder())

    def objective(trial):
        for step in range(5):
            trial.report(1.0 / (step + 1), step)
            if trial.should_prune():
                raise tunelab.TrialPruned()
        return 0.0

    study.optimize(objective, n_trials=1)
    (t,) = study.trials
    assert t.state == tunelab.TrialState.PRUNED
    assert seen[-1] == {0: 1.0, 1: 0.5, 2: 1 / 3}
    assert t.values == (1 / 3,)  # a pruned trial keeps its last reported value


def test_user_attrs_are_stored_and_must_be_json(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    trial.set_user_attr("note", {"a": [1, 2]})
    with pytest.raises(InvalidArgumentError, match=r"attribute 'bad'=.* must be JSON-serialisable"):
        trial.set_user_attr("bad", object())
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {"note": {"a": [1, 2]}}


def test_fixed_distributions_are_suggested_at_ask(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=3))
    trial = study.ask({"x": FloatDistribution(0, 1), "n": IntDistribution(1, 3)})
    assert set(trial.params) == {"x", "n"}
    study.tell(trial, trial.params["x"])
    assert study.best_params == trial.params


def test_int_and_float_values_have_the_right_types(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("n", 1, 9, step=2) + t.suggest_float("x", 0, 1, step=0.5), n_trials=10)
    for t in study.trials:
        assert isinstance(t.params["n"], int) and t.params["n"] in (1, 3, 5, 7, 9)
        assert t.params["x"] in (0.0, 0.5, 1.0)
        assert not math.isnan(t.value)


def test_asking_a_name_again_with_equal_arguments_returns_its_value(storage_url):
    study = tunelab.create_study(storage=storage_url, sampler=RandomSampler(seed=0))
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0.0, 1.0) == x and trial.suggest_float("x", 0, 1, step=None, log=False) == x
    n = trial.suggest_int("n", 1, 9, step=2)
    assert trial.suggest_int("n", 1, 9, step=2) == n and trial.suggest_int("n", 1.0, 9, step=2) == n
    c = trial.suggest_categorical("c", ["a", 1, None])
    assert trial.suggest_categorical("c", ("a", 1, None)) == c
    with pytest.raises(InvalidTypeError, match=r"^low=False \(type bool\) is invalid for FloatDistribution"):
        trial.suggest_float("x", False, 1)  # equal to the held 0.0, yet no number
    with pytest.raises(InvalidArgumentError, match=r"^high=nan is invalid for FloatDistribution"):
        trial.suggest_float("x", 0, math.nan)
    with pytest.raises(InvalidArgumentError, match=r"parameter 'c' was already suggested"):
        trial.suggest_categorical("c", ["a", True, None])  # True is not 1 among choices
    with pytest.raises(InvalidArgumentError, match=r"parameter 'n' was already suggested"):
        trial.suggest_int("n", 1, 9)
    assert trial.params == {"x": x, "n": n, "c": c}


def test_names_are_checked_by_the_table_before_anything_is_drawn(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    with pytest.raises(InvalidArgumentError, match=r"^name='x{40}\.\.\.' \(600 characters\) is invalid for "
                                                   r"Trial.suggest_float: must be a string of 1 to 512 characters "
                                                   r"without NUL$"):
        trial.suggest_float("x" * 600, 0, 1)
    with pytest.raises(InvalidArgumentError, match=r"^name='a\\x00b' is invalid for Trial.suggest_int"):
        trial.suggest_int("a\x00b", 0, 1)
    with pytest.raises(InvalidTypeError, match=r"^name=3 \(type int\) is invalid for Trial.suggest_categorical"):
        trial.suggest_categorical(3, ["a"])
    with pytest.raises(InvalidTypeError, match=r"^space='cosine' \(type str\) is invalid for Trial.suggest_schedule: "
                                               r"must be a schedule space"):
        trial.suggest_schedule("lr", "cosine")
    with pytest.raises(InvalidArgumentError, match=r"^key='' is invalid for Trial.set_user_attr"):
        trial.set_user_attr("", 1)
    assert trial.params == {} and trial.user_attrs == {}


def test_constraint_values_are_a_non_empty_list_of_numbers(storage_url):
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    with pytest.raises(InvalidArgumentError, match=r"^values=\[\] is invalid for Trial.set_constraint: must be a "
                                                   r"non-empty list of real numbers, not NaN$"):
        trial.set_constraint([])
    with pytest.raises(InvalidArgumentError, match=r"^values=\[0.0, nan\] is invalid: must be real numbers, not NaN$"):
        trial.set_constraint([0.0, math.nan])
    with pytest.raises(InvalidTypeError, match=r"^values\[0\]=True \(type bool\) is invalid for Trial.set_constraint: "
                                               r"must be a real number$"):
        trial.set_constraint([True])
    with pytest.raises(InvalidTypeError, match=r"^values=\{1\.0\} \(type set\) is invalid"):
        trial.set_constraint({1.0})  # the order of constraints matters
    trial.set_constraint((-1, math.inf, 10**400))
    study.tell(trial, 1.0)
    assert study.trials[0].constraints == (-1.0, math.inf, math.inf)


def test_report_takes_numpy_steps_and_values(storage_url):
    np = pytest.importorskip("numpy")
    study = tunelab.create_study(storage=storage_url)
    trial = study.ask()
    trial.report(np.float32(0.5), step=np.int64(2))
    assert trial.intermediate_values == {2: 0.5} and type(next(iter(trial.intermediate_values))) is int
