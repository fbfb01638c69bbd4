import numpy as np
import pytest
from scipy.stats import qmc

import tunelab
from tunelab import InvalidArgumentError, InvalidTypeError
from tunelab.samplers import QMCSampler, RandomSampler
from tunelab.samplers._qmc import SEED_ATTR


def square(t):
    return t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1)


def points(sampler, n=64):
    study = tunelab.create_study(sampler=sampler)
    study.optimize(square, n_trials=n)
    return np.array([[t.params["x"], t.params["y"]] for t in study.trials])


def test_points_cover_the_space_more_evenly_than_random_draws():
    for seed in range(3):
        sobol = qmc.discrepancy(points(QMCSampler(seed=seed))[1:])  # the first trial is a random draw
        random = qmc.discrepancy(points(RandomSampler(seed=seed))[1:])
        assert sobol < random / 3


def test_same_seed_same_points_and_unscrambled_sequence():
    assert np.array_equal(points(QMCSampler(seed=7), 16), points(QMCSampler(seed=7), 16))
    plain = points(QMCSampler(scramble=False), 5)[1:]  # trial n takes point n + 1: the all-lows origin is skipped
    assert plain.tolist() == qmc.Sobol(2, scramble=False).random(8)[2:6].tolist()
    assert plain.tolist()[0] == [0.75, 0.25]


def test_workers_sharing_a_storage_never_repeat_points(tmp_path):
    url = f"sqlite:///{tmp_path / 'qmc.db'}"
    one = tunelab.create_study(study_name="q", storage=url, sampler=QMCSampler())
    two = tunelab.load_study(study_name="q", storage=url, sampler=QMCSampler())  # another process, seed=None
    one.optimize(square, n_trials=1)
    for _ in range(20):
        for study in (two, one):
            study.optimize(square, n_trials=1)
    xs = [(t.params["x"], t.params["y"]) for t in one.trials]
    assert len(set(xs)) == len(xs) == 41
    seed = one.system_attrs[SEED_ATTR]
    expected = qmc.Sobol(2, scramble=True, seed=seed).random(64)[1:41]
    np.testing.assert_allclose(np.array(xs[1:]), expected)


def test_int_step_log_and_categorical_values():
    def objective(t):
        n = t.suggest_int("n", 1, 9, step=2)
        k = t.suggest_int("k", 1, 1024, log=True)
        c = t.suggest_categorical("c", ["a", "b", "c"])
        return n + k + len(c)

    study = tunelab.create_study(sampler=QMCSampler(seed=0))
    study.optimize(objective, n_trials=32)
    later = study.trials[1:]
    assert {t.params["n"] for t in later} == {1, 3, 5, 7, 9}
    assert {t.params["c"] for t in later} == {"a", "b", "c"}
    ks = np.log2([t.params["k"] for t in later])
    assert ks.min() < 2 and ks.max() > 8  # spread over the log scale


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"seed": -3}, InvalidArgumentError, r"seed=-3 is invalid for QMCSampler: must be None or an integer >= 0"),
    ({"seed": 1.5}, InvalidTypeError, r"seed=1.5 \(type float\) is invalid for QMCSampler"),
    ({"scramble": "yes"}, InvalidTypeError, r"scramble='yes' \(type str\) is invalid for QMCSampler: must be a bool"),
])
def test_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        QMCSampler(**kwargs)


def test_the_first_point_of_the_sequence_can_be_drawn_at_any_time():
    """Trial 0 may reach relative sampling after another trial completed (parallel workers)."""
    import tunelab
    from tunelab.samplers import QMCSampler
    from tunelab.space import FloatDistribution

    sampler = QMCSampler(seed=3)
    study = tunelab.create_study(sampler=sampler)
    first, second = study.ask(), study.ask()
    second.suggest_float("x", 0, 1)
    study.tell(second, 1.0)
    point = sampler.sample_relative(study, first, {"x": FloatDistribution(0, 1)})
    assert first.number == 0 and 0 <= point["x"] <= 1
