"""Optuna's module paths (optuna.trial, .exceptions, .distributions, .search_space, .study) hold
tunelab's own objects: one object, a canonical tunelab path and Optuna's path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tunelab
from tunelab import InvalidArgumentError, InvalidTypeError
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution


def test_each_optuna_path_is_the_canonical_object():
    import tunelab.distributions
    import tunelab.exceptions
    import tunelab.search_space
    import tunelab.space
    import tunelab.trial

    same = {
        tunelab.trial.Trial: tunelab.Trial, tunelab.trial.FrozenTrial: tunelab.FrozenTrial,
        tunelab.trial.TrialState: tunelab.TrialState, tunelab.trial.FixedTrial: tunelab.FixedTrial,
        tunelab.trial.create_trial: tunelab.create_trial, tunelab.trial.BaseTrial: tunelab.BaseTrial,
        tunelab.exceptions.OptunaError: tunelab.TunelabError, tunelab.exceptions.TrialPruned: tunelab.TrialPruned,
        tunelab.exceptions.DuplicatedStudyError: tunelab.DuplicatedStudyError,
        tunelab.exceptions.StorageInternalError: tunelab.StorageError,
        tunelab.exceptions.UpdateFinishedTrialError: tunelab.TrialFinishedError,
        tunelab.distributions.FloatDistribution: tunelab.space.FloatDistribution,
        tunelab.distributions.IntDistribution: tunelab.space.IntDistribution,
        tunelab.distributions.CategoricalDistribution: tunelab.space.CategoricalDistribution,
        tunelab.distributions.BaseDistribution: tunelab.space.BaseDistribution,
        tunelab.distributions.json_to_distribution: tunelab.space.distribution_from_json,
        tunelab.study.StudyDirection: tunelab.StudyDirection, tunelab.study.Study: tunelab.Study,
        tunelab.study.get_all_study_names: tunelab.get_all_study_names,
        tunelab.study.copy_study: tunelab.copy_study,
    }
    for alias, canonical in same.items():
        assert alias is canonical, (alias, canonical)
    assert issubclass(tunelab.exceptions.UpdateFinishedTrialError, RuntimeError)
    assert issubclass(tunelab.exceptions.ExperimentalWarning, Warning)


def test_the_optuna_modules_export_optuna_names_only():
    import tunelab.exceptions
    import tunelab.trial

    assert set(tunelab.trial.__all__) == {"BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState",
                                          "create_trial"}
    assert "TunelabError" not in tunelab.exceptions.__all__  # one object, two paths: not three
    assert not {"Trial", "FrozenTrial", "TrialState"} & set(tunelab.study.__all__)
    for module in (tunelab.trial, tunelab.exceptions, tunelab.distributions, tunelab.search_space,
                   tunelab.logging, tunelab.study):
        assert all(hasattr(module, name) for name in module.__all__), module


def test_every_optuna_module_path_is_an_attribute_of_the_package():
    code = ("import tunelab as optuna; print([type(getattr(optuna, m)).__name__ for m in ('trial', 'exceptions', "
            "'distributions', 'search_space', 'logging', 'study', 'storages', 'integration', 'samplers', 'pruners')])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == str(["module"] * 10)


def test_import_tunelab_stays_light():
    code = ("import sys, tunelab; heavy = [m for m in ('tunelab.study', 'numpy', 'sqlalchemy', 'tunelab.trial', "
            "'tunelab.logging') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_from_optuna_style_imports_work_after_the_swap():
    code = ("import tunelab as optuna; from tunelab.trial import TrialState; from tunelab import distributions; "
            "from tunelab.study import MaxTrialsCallback; from tunelab.search_space import intersection_search_space; "
            "print(optuna.trial.TrialState is TrialState, optuna.exceptions.TrialPruned is optuna.TrialPruned)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["True", "True"]


# -- distributions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("distribution", [FloatDistribution(0, 1), FloatDistribution(1e-5, 1, log=True),
                                          FloatDistribution(0, 1, step=0.25), IntDistribution(2, 10, step=2),
                                          IntDistribution(1, 100, log=True), CategoricalDistribution(["a", None, 1])])
def test_distribution_json_round_trips_in_optunas_shape(distribution):
    from tunelab.distributions import distribution_to_json, json_to_distribution

    text = distribution_to_json(distribution)
    assert set(json.loads(text)) == {"name", "attributes"}
    assert json_to_distribution(text) == distribution


def test_optuna_json_of_a_distribution_reads_back():
    from tunelab.distributions import json_to_distribution

    text = '{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0, "high": 1.0, "log": false}}'
    assert json_to_distribution(text) == FloatDistribution(0.0, 1.0)


def test_check_distribution_compatibility_has_optunas_meaning():
    from tunelab.distributions import check_distribution_compatibility

    check_distribution_compatibility(FloatDistribution(0, 1), FloatDistribution(-5, 5))  # a range may change
    with pytest.raises(ValueError, match=r"another kind of distribution"):
        check_distribution_compatibility(FloatDistribution(0, 1), IntDistribution(0, 1))
    with pytest.raises(InvalidArgumentError, match=r"other categorical choices"):
        check_distribution_compatibility(CategoricalDistribution(["a"]), CategoricalDistribution(["b"]))
    with pytest.raises(InvalidTypeError, match=r"^dist_new=1 \(type int\) is invalid for "
                                               r"check_distribution_compatibility"):
        check_distribution_compatibility(FloatDistribution(0, 1), 1)


# -- search space -------------------------------------------------------------------------------------


def _objective(trial):
    kind = trial.suggest_categorical("kind", ["a", "b"])
    x = trial.suggest_float("x", 0.0, 1.0)
    if kind == "a":
        trial.suggest_int("n", 2, 10, step=2)
    trial.suggest_float("moving", 0.0, 1.0 + trial.number)  # a range that changes: never common
    if trial.number == 3:
        raise tunelab.TrialPruned()
    return x


def test_intersection_search_space_keeps_what_every_complete_trial_asked_alike():
    from tunelab.search_space import IntersectionSearchSpace, intersection_search_space

    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=1))
    study.enqueue_trial({"kind": "b"})
    study.optimize(_objective, n_trials=8)
    space = intersection_search_space(study.trials)
    assert list(space) == ["kind", "x"]
    assert space["x"] == FloatDistribution(0.0, 1.0)
    incremental = IntersectionSearchSpace()
    assert incremental.calculate(study) == space
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert incremental.calculate(study) == intersection_search_space(study.trials) == {"x": space["x"]}
    with_pruned = intersection_search_space(study.trials, include_pruned=True)
    assert with_pruned == {"x": space["x"]}
    assert intersection_search_space([]) == {}
    with pytest.raises(InvalidArgumentError, match="follows one study"):
        incremental.calculate(tunelab.create_study())


# -- trials made outside a study ---------------------------------------------------------------------


def test_create_trial_and_add_trials_seed_another_study():
    distributions = {"x": FloatDistribution(-10, 10), "kind": CategoricalDistribution(["a", "b"])}
    made = tunelab.trial.create_trial(params={"x": 0.0, "kind": "a"}, distributions=distributions, value=0.0)
    assert (made.number, made.state, made.values) == (-1, tunelab.TrialState.COMPLETE, (0.0,))
    study = tunelab.create_study()
    study.add_trial(made)
    study.add_trial(tunelab.create_trial(state=tunelab.TrialState.PRUNED, params={"x": 1.0},
                                         distributions={"x": distributions["x"]}, intermediate_values={0: 3.0}))
    other = tunelab.create_study()
    other.add_trials(study.trials)
    assert [t.params for t in other.trials] == [{"x": 0.0, "kind": "a"}, {"x": 1.0}]
    assert other.trials[1].intermediate_values == {0: 3.0} and other.best_params == {"x": 0.0, "kind": "a"}


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({}, InvalidArgumentError, r"a COMPLETE trial needs value= or values="),
    ({"value": 1.0, "values": [1.0]}, InvalidArgumentError, r"give value or values, not both"),
    ({"value": 1.0, "params": {"x": 1}}, InvalidArgumentError, r"params and distributions must name the same"),
    ({"value": 1.0, "params": {"x": 5.0}, "distributions": {"x": FloatDistribution(0, 1)}}, InvalidArgumentError,
     r"^params\['x'\]=5.0 is invalid for create_trial: must be a value of FloatDistribution"),
    ({"value": "a"}, InvalidTypeError, r"^value='a' \(type str\) is invalid for create_trial"),
])
def test_create_trial_refuses_what_add_trial_could_not_store(kwargs, error, match):
    with pytest.raises(error, match=match):
        tunelab.create_trial(**kwargs)


def test_add_trials_checks_every_trial_before_storing_one():
    study = tunelab.create_study()
    good = tunelab.create_trial(value=1.0)
    waiting = tunelab.create_trial(state=tunelab.TrialState.WAITING)
    with pytest.raises(InvalidArgumentError, match=r"^trials\[1\].state=TrialState.WAITING is invalid for "
                                                   r"Study.add_trials"):
        study.add_trials([good, waiting])
    assert study.trials == []


def test_create_trial_takes_optunas_named_constraints_in_order():
    made = tunelab.create_trial(value=1.0, constraints={"c0": -1.0, "c1": 0.5})
    assert made.constraints == (-1.0, 0.5) and made.system_attrs["constraints"] == [-1.0, 0.5]


def test_fixed_trial_runs_an_objective_on_given_values():
    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        n = trial.suggest_int("n", 1, 5)
        trial.report(x, 0)
        assert not trial.should_prune()
        trial.set_user_attr("seen", True)
        return x**2 + n + (trial.suggest_categorical("kind", ["a", "b"]) == "b")

    fixed = tunelab.trial.FixedTrial({"x": 3.0, "n": 2, "kind": "b"}, number=7)
    assert objective(fixed) == 12.0
    assert fixed.params == {"x": 3.0, "n": 2, "kind": "b"} and fixed.user_attrs == {"seen": True}
    assert fixed.number == 7 and isinstance(fixed, tunelab.BaseTrial)
    with pytest.raises(InvalidArgumentError, match=r"FixedTrial has no value for parameter 'y'"):
        fixed.suggest_float("y", 0, 1)
    with pytest.raises(InvalidArgumentError, match=r"^params\['x'\]=3.0 is invalid for FixedTrial: must be a value "
                                                   r"of FloatDistribution\(low=0.0, high=1.0"):
        tunelab.FixedTrial({"x": 3.0}).suggest_float("x", 0, 1)
    with pytest.raises(InvalidTypeError, match=r"^params=\[1\] \(type list\) is invalid for FixedTrial"):
        tunelab.FixedTrial([1])


def test_fixed_trial_rebuilds_the_schedule_a_study_trial_drew():
    from tunelab import schedules

    space = schedules.space(families=["constant", "exponential"], initial=(1e-4, 1e-1))
    trial = tunelab.create_study().ask()
    drawn = trial.suggest_schedule("lr", space, total_steps=100)
    assert tunelab.FixedTrial(trial.params).suggest_schedule("lr", space, total_steps=100) == drawn


def test_max_trials_callback_caps_the_study_across_runs(tmp_path):
    from tunelab.study import MaxTrialsCallback

    url = f"sqlite:///{tmp_path / 'cap.db'}"

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 3 == 2:
            raise ValueError("fails")
        return x

    for _ in range(2):  # a second run of the capped study starts one trial, sees the cap and stops
        study = tunelab.create_study(study_name="capped", storage=url, load_if_exists=True)
        study.optimize(objective, n_trials=50, catch=(ValueError,),
                       callbacks=[MaxTrialsCallback(4, states=(tunelab.TrialState.COMPLETE,))])
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "FAIL"]
    every = tunelab.create_study()
    every.optimize(objective, n_trials=50, catch=(ValueError,), callbacks=[MaxTrialsCallback(4, states=None)])
    assert len(every.trials) == 4
    with pytest.raises(InvalidArgumentError, match=r"^n_trials=0 is invalid for MaxTrialsCallback"):
        MaxTrialsCallback(0)


def test_get_all_study_names(tmp_path):
    url = f"sqlite:///{tmp_path / 'names.db'}"
    for name in ("b", "a"):
        tunelab.create_study(study_name=name, storage=url)
    assert tunelab.get_all_study_names(url) == ["b", "a"]
    tunelab.delete_study(study_name="b", storage=url)
    assert tunelab.get_all_study_names(storage=url) == ["a"]
