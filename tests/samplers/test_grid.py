import tunelab
from tunelab.samplers import GridSampler, RandomSampler
from tunelab.samplers._grid import GRID_ID_ATTR
from tunelab.storage import InMemoryStorage


def xc(t):
    return t.suggest_int("x", 0, 2) + len(t.suggest_categorical("c", ["a", "b"]))


def points(study):
    return [(t.params["x"], t.params["c"]) for t in study.trials]


def test_an_enqueued_grid_point_is_tried_once_and_every_other_point_too():
    study = tunelab.create_study(sampler=GridSampler({"x": [0, 1, 2], "c": ["a", "b"]}))
    study.enqueue_trial({"x": 2, "c": "b"})
    study.optimize(xc, n_trials=20)
    assert points(study)[0] == (2, "b")
    assert sorted(points(study)) == [(x, c) for x in range(3) for c in "ab"]  # 6 trials, none twice


def test_partly_fixed_values_take_a_free_point_that_agrees_with_them():
    study = tunelab.create_study(sampler=GridSampler({"x": [0, 1, 2], "c": ["a", "b"]}, seed=1))
    study.enqueue_trial({"c": "b"})
    study.enqueue_trial({"c": "b"})
    study.optimize(xc, n_trials=20)
    assert [c for _, c in points(study)[:2]] == ["b", "b"]
    assert sorted(points(study)) == [(x, c) for x in range(3) for c in "ab"]


def test_points_taken_in_a_study_from_before_namespaced_keys_are_not_repeated():
    storage = InMemoryStorage()
    old = tunelab.create_study(storage=storage, study_name="s", sampler=RandomSampler(seed=0))
    trial = old.ask()
    x, c = trial.suggest_int("x", 0, 2), trial.suggest_categorical("c", ["a", "b"])
    # what GridSampler stored before its key was namespaced (points ordered by sorted names: c, then x)
    trial.set_system_attr("grid_id", [(c, x) for c in "ab" for x in range(3)].index((c, x)))
    old.tell(trial, 1.0)
    study = tunelab.load_study(study_name="s", storage=storage, sampler=GridSampler({"x": [0, 1, 2], "c": ["a", "b"]}))
    study.optimize(xc, n_trials=20)
    assert sorted(points(study)) == [(x, c) for x in range(3) for c in "ab"]
    assert all(GRID_ID_ATTR in t.system_attrs for t in study.trials[1:])
