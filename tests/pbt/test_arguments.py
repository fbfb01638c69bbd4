"""Bad arguments name the argument, the value and what is allowed; explore keeps values legal."""

import numpy as np
import pytest

import tunelab
from tests.pbt import toys
from tunelab.pbt import PopulationBasedTraining
from tunelab.pbt._explore import explore, perturb, resample
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution


@pytest.mark.parametrize("kwargs, message", [
    ({"population_size": 1}, r"population_size=1 is invalid for PopulationBasedTraining: must be an integer >= 2"),
    ({"quantile": 0.75}, r"quantile=0.75 is invalid for PopulationBasedTraining: must be a number in \(0, 0.5\]"),
    ({"interval": 30}, r"interval=30 is invalid for PopulationBasedTraining: must be at most budget=20"),
    ({"lr_segment": "cubic"}, r"lr_segment='cubic' is invalid for PopulationBasedTraining: must be one of"),
    ({"perturbation_factors": [1.2, -0.8]}, r"perturbation_factors.* is invalid for PopulationBasedTraining"),
    ({"resample_probability": 1.5}, r"resample_probability=1.5 is invalid .*must be a number in \[0, 1\]"),
    ({"steps_per_unit": 0}, r"steps_per_unit=0 is invalid .*must be an integer >= 1"),
])
def test_bad_settings_are_refused_by_name(kwargs, message):
    args = {"population_size": 4, "budget": 20, **kwargs}
    with pytest.raises(tunelab.InvalidArgumentError, match=message):
        PopulationBasedTraining(**args)


def test_bad_optimize_arguments_are_refused_by_name(tmp_path):
    pbt = PopulationBasedTraining(2, budget=2)
    study = tunelab.create_study()
    with pytest.raises(tunelab.InvalidArgumentError, match=r"load=None is invalid .* with save= given: pass both"):
        pbt.optimize(study, toys.train, save=toys.save, checkpoint_dir=tmp_path)
    with pytest.raises(tunelab.InvalidArgumentError, match=r"checkpoint_dir=None is invalid .*storage has no file"):
        pbt.optimize(study, toys.train, save=toys.save, load=toys.load)
    with pytest.raises(tunelab.InvalidArgumentError, match=r"has 2 objectives"):
        pbt.optimize(tunelab.create_study(directions=["minimize", "minimize"]), toys.train, checkpoint_dir=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing ran


def test_train_returning_no_state_with_save_is_named(tmp_path):
    def no_state(member, state):
        return toys.train(member, state)[0]

    with pytest.raises(tunelab.InvalidArgumentError, match=r"train returned \d+\.\d+, which is invalid with save=: "
                                                          r"must return \(value, state\)"):
        PopulationBasedTraining(2, budget=2).optimize(tunelab.create_study(), no_state, save=toys.save,
                                                       load=toys.load, checkpoint_dir=tmp_path)


def test_member_schedule_before_the_rate_is_suggested_is_named(tmp_path):
    def early(member, state):
        member.lr(0)

    with pytest.raises(tunelab.InvalidArgumentError, match=r"lr_param='lr' is invalid for Member.schedule: the "
                                                          r"trial has no parameter of that name yet"):
        PopulationBasedTraining(2, budget=2).optimize(tunelab.create_study(), early, checkpoint_dir=tmp_path)


def test_explore_resamples_inside_the_distribution():
    dists = {"lr": FloatDistribution(1e-4, 1e-1, log=True), "width": IntDistribution(8, 64, step=8),
             "act": CategoricalDistribution(["relu", "tanh", "gelu"]), "drop": FloatDistribution(0, 0.5, step=0.1)}
    rng = np.random.default_rng(0)
    values = {name: [resample(d, rng) for _ in range(300)] for name, d in dists.items()}
    for name, d in dists.items():
        assert all(d.contains(v) for v in values[name]), name
    logs = np.log10(values["lr"])
    assert (logs < -3).mean() == pytest.approx(1 / 3, abs=0.1)  # log-uniform: a third per decade
    assert set(values["act"]) == {"relu", "tanh", "gelu"}


def test_explore_perturbs_by_a_factor_clips_and_moves_categoricals_to_a_neighbour():
    dists = {"lr": FloatDistribution(1e-3, 0.1), "width": IntDistribution(1, 10),
             "act": CategoricalDistribution(["relu", "tanh", "gelu"]), "fixed": FloatDistribution(0.0, 1.0)}
    params = {"lr": 0.09, "width": 3, "act": "relu", "fixed": 0.5}
    seen = set()
    for seed in range(40):
        new, how = explore(params, dists, np.random.default_rng(seed), names=["lr", "width", "act"],
                           factors=(0.8, 1.2), resample_probability=0.0)
        assert new["fixed"] == 0.5 and "fixed" not in how
        assert new["lr"] in (pytest.approx(0.072), 0.1)  # 0.09 * 1.2 clipped to the upper bound
        assert new["width"] in (2, 4)  # an int the factor leaves in place moves one step
        assert new["act"] in ("relu", "tanh")  # a neighbour, kept at the end
        seen.add((how["lr"]["how"], new["act"]))
    assert {h for h, _ in seen} == {"x0.8", "x1.2"} and {a for _, a in seen} == {"relu", "tanh"}
    assert params == {"lr": 0.09, "width": 3, "act": "relu", "fixed": 0.5}  # the caller's dict is untouched
    assert perturb(FloatDistribution(0.0, 1.0, step=0.25), 0.5, 1.2) == 0.5  # stays on the grid


def test_explore_is_reproducible_whatever_the_order_of_names():
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    one = explore({"a": 0.5, "b": 0.5}, dists, np.random.default_rng(3), names=["a", "b"], factors=(0.5, 2.0),
                  resample_probability=0.5)
    two = explore({"a": 0.5, "b": 0.5}, dists, np.random.default_rng(3), names=["b", "a"], factors=(0.5, 2.0),
                  resample_probability=0.5)
    assert one == two
