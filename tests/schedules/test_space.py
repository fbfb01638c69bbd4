import pytest

import tunelab
from tunelab import InvalidArgumentError, schedules
from tunelab.samplers import RandomSampler
from tunelab.schedules._space import FAMILIES
from tunelab.space import CategoricalDistribution

ALL = list(FAMILIES)


def run(space, n_trials=80, total_steps=200, storage=None):
    study = tunelab.create_study(storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: float(t.suggest_schedule("lr", space, total_steps=total_steps)(total_steps - 1)),
                   n_trials=n_trials)
    return study


def test_every_family_is_reachable_and_rebuilt_from_the_stored_trial(tmp_path):
    space = schedules.space(families=ALL)
    study = run(space, storage=f"sqlite:///{tmp_path / 's.db'}")
    seen = set()
    for t in study.trials:
        family = t.params["lr.family"]
        seen.add(family)
        rebuilt = t.schedule("lr")
        assert rebuilt == space.build(t.params, "lr", total_steps=200)
        assert t.value == rebuilt(199)
    assert seen == set(ALL)


def test_the_space_is_ordinary_conditional_parameters():
    space = schedules.space(families=["exponential", "step"])
    study = run(space, n_trials=30)
    for t in study.trials:
        family = t.params["lr.family"]
        assert t.distributions["lr.family"] == CategoricalDistribution(["exponential", "step"])
        own = {k for k in t.params if k != "lr.family"}
        assert own and all(k.startswith(f"lr.{family}.") for k in own)


def test_arguments_are_fractions_of_the_training_length():
    space = schedules.space(families=["exponential"], args={"exponential": {"decay_fraction": 0.25}})
    study = tunelab.create_study(sampler=RandomSampler(seed=1))
    trial = study.ask()
    long = trial.suggest_schedule("lr", space, total_steps=1000)
    short = trial.suggest_schedule("lr", space, total_steps=100)
    assert long.decay_steps == 250 and short.decay_steps == 25
    assert long.initial_learning_rate == short.initial_learning_rate
    assert long(1000) == pytest.approx(short(100))  # the same curve, compressed


def test_initial_rate_range_is_respected_on_a_log_scale():
    space = schedules.space(families=["constant"], initial=(1e-3, 1e-2))
    study = run(space, n_trials=40)
    rates = [t.params["lr.constant.initial"] for t in study.trials]
    assert all(1e-3 <= r <= 1e-2 for r in rates)
    assert study.trials[0].distributions["lr.constant.initial"].log


def test_overrides_fix_or_narrow_arguments():
    space = schedules.space(families=["step"], args={"step": {"gamma": 0.5, "step_fraction": (0.2, 0.3)}})
    study = run(space, n_trials=20, total_steps=100)
    for t in study.trials:
        s = t.schedule("lr")
        assert s.gamma == 0.5 and 20 <= s.step_size <= 30
        assert "lr.step.gamma" not in t.params


def test_config_round_trip():
    space = schedules.space(families=["wsd", "cosine"], initial=(1e-3, 0.3), total_steps=500,
                            args={"wsd": {"decay_shape": ["cosine", "1-sqrt"]}})
    assert schedules.space_from_config(space.to_config()) == space
    from_file = schedules.space_from_config({"families": ["wsd"], "initial": [1e-3, 0.3],
                                             "args": {"wsd": {"decay_fraction": [0.1, 0.2]}}})
    assert dict(dict(from_file.specs)["wsd"])["decay_fraction"].high == 0.2


def test_a_search_space_works_with_every_budget_without_total_steps_in_the_space():
    space = schedules.space(families=["one_cycle"])
    study = tunelab.create_study()
    trial = study.ask()
    with pytest.raises(InvalidArgumentError, match=r"total_steps=None is invalid: give schedules.space"):
        trial.suggest_schedule("lr", space)
    assert trial.suggest_schedule("lr", space, total_steps=10).total_steps == 10


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"families": ["exponentail"]}, r"family='exponentail' is invalid: must be one of .*did you mean 'exponential'"),
        ({"families": []}, r"families=\[\] is invalid: must be a non-empty list"),
        ({"families": ["step", "step"]}, r"must not repeat a family"),
        ({"initial": (0.0, 1.0)}, r"initial=\(0.0, 1.0\) is invalid"),
        ({"initial": (1.0, 0.1)}, r"must have low <= high"),
        ({"families": ["step"], "args": {"cosine": {}}}, r"args key='cosine' is invalid: must be one of \['step'\]"),
        ({"families": ["step"], "args": {"step": {"gama": 0.1}}}, r"did you mean 'gamma'"),
        ({"families": ["step"], "args": {"step": {"gamma": []}}}, r"must be a non-empty list of choices"),
        ({"total_steps": 0}, r"total_steps=0 is invalid for space: must be None or an integer >= 1"),
    ],
)
def test_bad_spaces_name_the_argument(kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        schedules.space(**kwargs)


def test_unknown_key_in_a_config():
    with pytest.raises(InvalidArgumentError, match=r"schedule space key='familes' is invalid.*did you mean 'families'"):
        schedules.space_from_config({"familes": ["step"]})


def test_suggest_schedule_needs_a_space():
    trial = tunelab.create_study().ask()
    with pytest.raises(TypeError, match=r"space='cosine' .* a schedule space"):
        trial.suggest_schedule("lr", "cosine")


@pytest.mark.parametrize("total_steps", [1, 2, 3, 4, 5, 7, 10])
def test_every_family_builds_on_tiny_horizons(total_steps):
    """Budget-rescaled rungs compress a schedule into a few steps: that must always build."""
    space = schedules.space(families=ALL)
    study = tunelab.create_study(sampler=RandomSampler(seed=total_steps))
    for _ in range(10 * len(ALL)):  # enough draws that every family comes up
        trial = study.ask()
        schedule = trial.suggest_schedule("lr", space, total_steps=total_steps)
        values = schedule(list(range(total_steps)))
        assert (values >= 0).all()
        study.tell(trial, float(values[-1]))
    assert {t.params["lr.family"] for t in study.trials} == set(ALL)
