import warnings

import pytest

import tunelab
from tunelab import InvalidArgumentError
from tunelab.samplers import CmaEsSampler, RandomSampler
from tunelab.samplers._cmaes import SOLUTION_ATTR, STATE_ATTR


def sphere(t):
    return sum((t.suggest_float(f"x{i}", -5, 5) - 1.0) ** 2 for i in range(4))


def test_beats_random_search_on_a_4d_sphere():
    cma, rnd = [], []
    for seed in range(3):
        for sampler, out in ((CmaEsSampler(seed=seed), cma), (RandomSampler(seed=seed), rnd)):
            study = tunelab.create_study(sampler=sampler)
            study.optimize(sphere, n_trials=150)
            out.append(study.best_value)
    assert max(cma) < 0.05 and max(cma) < min(rnd)


def test_a_loaded_study_continues_the_same_search(tmp_path):
    def objective(t):
        return (t.suggest_float("x", -3, 3) - 1) ** 2 + (t.suggest_float("lr", 1e-4, 1, log=True) - 0.01) ** 2

    whole = tunelab.create_study(sampler=CmaEsSampler(seed=5, n_startup_trials=4))
    whole.optimize(objective, n_trials=30)
    url = f"sqlite:///{tmp_path / 'cma.db'}"
    first = tunelab.create_study(study_name="s", storage=url, sampler=CmaEsSampler(seed=5, n_startup_trials=4))
    first.optimize(objective, n_trials=17)
    resumed = tunelab.load_study(study_name="s", storage=url, sampler=CmaEsSampler(seed=5, n_startup_trials=4))
    resumed.optimize(objective, n_trials=13)
    assert [t.params for t in resumed.trials] == [t.params for t in whole.trials]
    assert resumed.trials[-1].system_attrs[SOLUTION_ATTR]["generation"] >= 2


def test_categorical_and_integer_parameters():
    def objective(t):
        c = t.suggest_categorical("act", ["relu", "tanh"])
        return (t.suggest_int("n", 0, 50, step=5) - 20) ** 2 + t.suggest_float("x", -1, 1) ** 2 + (c == "tanh")

    study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=60)
    for t in study.trials:
        assert t.params["n"] % 5 == 0 and t.params["act"] in ("relu", "tanh")
    modelled = [t for t in study.trials if SOLUTION_ATTR in t.system_attrs]
    assert len(modelled) == 55 and all(len(t.system_attrs[SOLUTION_ATTR]["x"]) == 2 for t in modelled)
    assert study.best_params["n"] == 20


def test_restarts_with_a_larger_population_once_converged():
    study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=2, popsize=4))
    study.optimize(lambda t: round(t.suggest_float("x", 0, 1)) + 0 * t.suggest_float("y", 0, 1), n_trials=300)
    tags = [t.system_attrs[SOLUTION_ATTR] for t in study.trials if SOLUTION_ATTR in t.system_attrs]
    assert tags[-1]["restart"] >= 1
    first_restart = [t for t in tags if t["restart"] == 1]
    assert len([t for t in first_restart if t["generation"] == first_restart[0]["generation"]]) >= 8


def test_multi_objective_studies_are_refused():
    study = tunelab.create_study(directions=["minimize", "maximize"], sampler=CmaEsSampler(seed=0))
    with pytest.raises(InvalidArgumentError, match="CmaEsSampler optimises one objective; this study has 2"):
        study.ask()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"sigma0": 0.0}, r"sigma0=0.0 is invalid for CmaEsSampler: must be None or a finite number > 0"),
    ({"popsize": 1}, r"popsize=1 is invalid for CmaEsSampler: must be None or an integer >= 2"),
    ({"n_startup_trials": 0}, r"n_startup_trials=0 is invalid for CmaEsSampler"),
    ({"independent_sampler": "random"}, r"independent_sampler='random' \(type str\) is invalid"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(tunelab.TunelabError, match=match):
        CmaEsSampler(**kwargs)


def test_missing_cmaes_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "cmaes", None)  # as if not installed
    study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=1))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(tunelab.MissingExtraError, match=r"pip install 'tunelab\[samplers\]'"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


# -- the stored state: JSON numbers only, never unpickled (defect 15) ---------------------------------------

def quadratic(t):
    return (t.suggest_float("x", -3, 3) - 1) ** 2 + (t.suggest_float("lr", 1e-4, 1, log=True) - 0.01) ** 2


RESUME = """
import sys, json, tunelab
from tunelab.samplers import CmaEsSampler
from tests.samplers.test_cmaes import quadratic
study = tunelab.load_study(study_name="s", storage=sys.argv[1], sampler=CmaEsSampler(seed=5, n_startup_trials=4))
study.optimize(quadratic, n_trials=int(sys.argv[2]))
"""


def test_a_study_resumed_in_a_fresh_process_makes_the_same_proposals(tmp_path):
    import json
    import pathlib
    import subprocess
    import sys

    whole = tunelab.create_study(sampler=CmaEsSampler(seed=5, n_startup_trials=4))
    whole.optimize(quadratic, n_trials=30)
    url = f"sqlite:///{tmp_path / 'cma.db'}"
    first = tunelab.create_study(study_name="s", storage=url, sampler=CmaEsSampler(seed=5, n_startup_trials=4))
    first.optimize(quadratic, n_trials=17)  # population 6: generation 2 is half asked
    stopped_in = first.trials[-1].system_attrs[SOLUTION_ATTR]["generation"]
    root = pathlib.Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", RESUME, url, "13"], check=True, cwd=root, timeout=120)
    resumed = tunelab.load_study(study_name="s", storage=url)
    assert [t.params for t in resumed.trials] == [t.params for t in whole.trials]
    tags = [t.system_attrs[SOLUTION_ATTR] for t in resumed.trials[17:]]
    assert tags[0]["generation"] == stopped_in and tags[-1]["generation"] > stopped_in
    state = resumed.system_attrs[STATE_ATTR]
    assert json.loads(json.dumps(state, allow_nan=False)) == state  # strict JSON, no blobs


class Payload:
    """Unpickling this runs code: it writes a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (pathlib_write, (self.marker,))


def pathlib_write(path):
    import pathlib

    pathlib.Path(path).write_text("pwned")
    return {}


def test_a_planted_pickle_in_the_state_runs_nothing_and_the_study_goes_on(tmp_path, monkeypatch):
    import base64
    import pickle

    url = f"sqlite:///{tmp_path / 'cma.db'}"
    study = tunelab.create_study(study_name="s", storage=url, sampler=CmaEsSampler(seed=1, n_startup_trials=4))
    study.optimize(quadratic, n_trials=8)
    marker = tmp_path / "pwned"
    # what an attacker with write access to the database plants (the old format: a base64 pickle)
    study.set_system_attr(STATE_ATTR, base64.b64encode(pickle.dumps(Payload(marker))).decode("ascii"))

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    for name in ("loads", "load", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    loaded = tunelab.load_study(study_name="s", storage=url, sampler=CmaEsSampler(seed=1, n_startup_trials=4))
    with pytest.warns(UserWarning, match=r"ignores the study's stored CMA-ES state \(it is in the pickle format of "
                                         r"earlier tunelab versions, which is never unpickled"):
        loaded.optimize(quadratic, n_trials=1)
    assert not marker.exists()
    loaded.optimize(quadratic, n_trials=20)  # a fresh search, stored as JSON: no second warning
    assert not marker.exists()
    assert all(t.state == tunelab.TrialState.COMPLETE for t in loaded.trials)
    new = [t.system_attrs[SOLUTION_ATTR] for t in loaded.trials[8:]]
    assert all(tag["restart"] >= 1 for tag in new)  # the old search's trials are not told to the new one
    assert isinstance(loaded.system_attrs[STATE_ATTR], dict)


@pytest.mark.parametrize(("damage", "match"), [
    (lambda s: s.update(format=1), r"not a JSON object of format 2"),
    (lambda s: s.update(popsize=10**12), r"population size 1000000000000 is not an integer in \[2, 1000000\]"),
    (lambda s: s.update(seed="0"), r"its seed is '0', not a non-negative integer"),
    (lambda s: s["optimizer"].update(extra=1), r"unknown: \['extra'\]"),
    (lambda s: s["optimizer"].pop("_mean"), r"missing: \['_mean'\]"),
    (lambda s: s["optimizer"]["_mean"].update(shape=[3]), r"entry '_mean' is not what this cmaes version stores"),
    (lambda s: s["optimizer"]["_mean"].update(data=["os.system"] * 2), r"entry '_mean'"),
    (lambda s: s["optimizer"].update(_g={"__class__": "x"}), r"entry '_g'"),
])
def test_a_damaged_state_is_ignored_with_a_warning(damage, match):
    study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=4))
    study.optimize(quadratic, n_trials=8)
    state = study.system_attrs[STATE_ATTR]
    damage(state)
    study.set_system_attr(STATE_ATTR, state)
    with pytest.warns(UserWarning, match=match):
        study.optimize(quadratic, n_trials=1)
    study.optimize(quadratic, n_trials=10)
    assert study.trials[-1].system_attrs[SOLUTION_ATTR]["restart"] == 1


def test_the_stored_state_holds_non_finite_numbers_as_strict_json():
    import json

    import numpy as np

    from tunelab.samplers import _cmaes_state

    cmaes = pytest.importorskip("cmaes")
    opt = cmaes.CMA(mean=np.full(2, 0.5), sigma=0.2, bounds=np.tile([0.0, 1.0], (2, 1)), population_size=4)
    opt.tell([(opt.ask(), v) for v in (1.0, np.inf, 2.0, 3.0)])  # an infinite value enters the history
    text = json.dumps(_cmaes_state.dump(opt), allow_nan=False)
    again = _cmaes_state.load(cmaes, json.loads(text), dim=2, popsize=4)
    before, after = opt.__getstate__(), again.__getstate__()
    assert set(before) == set(after)
    for name, a in before.items():
        b = after[name]
        assert np.array_equal(a, b, equal_nan=True) if isinstance(a, np.ndarray) else a == b or a != a, name
    assert np.isinf(before["_funhist_values"]).any()


def test_a_trial_whose_stored_point_is_not_numbers_is_left_out_of_the_search():
    study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=4, popsize=4))
    study.optimize(quadratic, n_trials=5)
    for bad in (["os.system"], [0.5], [2.0, 0.5], "x"):
        trial = study.ask()
        quadratic(trial)
        trial.set_system_attr(SOLUTION_ATTR, {**trial.system_attrs[SOLUTION_ATTR], "x": bad})
        study.tell(trial, 0.0)
    study.optimize(quadratic, n_trials=20)
    assert all(t.state == tunelab.TrialState.COMPLETE for t in study.trials)
    assert study.trials[-1].system_attrs[SOLUTION_ATTR]["generation"] >= 2


# -- source_trials: Optuna's warm start from another study's trials ---------------------------------------
def _shifted_source():
    def shifted(t):
        return (t.suggest_float("x", -10, 10) - 0.5) ** 2 + (t.suggest_float("y", -10, 10) - 0.5) ** 2

    source = tunelab.create_study(sampler=CmaEsSampler(seed=0))
    source.optimize(shifted, n_trials=40)
    return source


def test_source_trials_start_the_search_at_once_near_the_sources_best():
    source = _shifted_source()

    def sphere(t):
        return t.suggest_float("x", -10, 10) ** 2 + t.suggest_float("y", -10, 10) ** 2

    def spread(sampler):
        study = tunelab.create_study(sampler=sampler)
        study.optimize(sphere, n_trials=10)
        return study, sum(max(abs(t.params["x"] - 0.5), abs(t.params["y"] - 0.5)) for t in study.trials) / 10

    warm = [spread(CmaEsSampler(seed=seed, source_trials=source.trials)) for seed in range(3)]
    # every trial is a CMA-ES proposal (no independent start-up trials) ...
    assert all(SOLUTION_ATTR in t.system_attrs for study, _ in warm for t in study.trials)
    # ... drawn around the source's best region, closer than a cold start's from the centre of the
    # range with the default step size (1/6 of the range: about 3.3 here); measured 0.58 of it
    near = sum(d for _, d in warm)
    far = sum(spread(CmaEsSampler(seed=seed, n_startup_trials=1))[1] for seed in range(3))
    assert near < 0.75 * far, (near, far)


def test_source_trials_refuse_sigma0_and_too_few_complete_trials():
    source = _shifted_source()
    with pytest.raises(InvalidArgumentError, match=r"source_trials=\.\.\., sigma0=1\.0\) is invalid"):
        CmaEsSampler(source_trials=source.trials, sigma0=1.0)
    with pytest.raises(InvalidArgumentError, match=r"source_trials holds 1 complete trial\(s\) of 1"):
        CmaEsSampler(source_trials=source.trials[:1])
    with pytest.raises(InvalidArgumentError, match=r"source_trials=\[1\] is invalid"):
        CmaEsSampler(source_trials=[1])


# -- Optuna's other CmaEsSampler arguments ------------------------------------------------------------------
def _sphere(t):
    return t.suggest_float("x", -10, 10) ** 2 + t.suggest_float("y", -10, 10) ** 2


def test_x0_is_the_initial_mean():
    study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=1, x0={"x": 8.0, "y": -8.0},
                                                      sigma0=0.02))
    study.optimize(_sphere, n_trials=7)
    cma = [t for t in study.trials if SOLUTION_ATTR in t.system_attrs]
    assert len(cma) == 6  # after the one start-up trial, proposals around x0 (sigma 0.02 of the range: 0.4)
    assert all(abs(t.params["x"] - 8.0) < 2.0 and abs(t.params["y"] + 8.0) < 2.0 for t in cma)


def test_pruned_trials_count_with_their_last_report_only_when_asked():
    def objective(trial):
        value = _sphere(trial)
        trial.report(value, 0)
        if trial.number % 2:
            raise tunelab.TrialPruned()
        return value

    for consider in (False, True):
        sampler = CmaEsSampler(seed=0, n_startup_trials=4, consider_pruned_trials=consider)
        study = tunelab.create_study(sampler=sampler, pruner=tunelab.pruners.NopPruner())
        study.optimize(objective, n_trials=5)
        # 2 complete + 2 pruned start-up trials: the fifth trial is CMA-ES's only when the pruned ones count
        assert (SOLUTION_ATTR in study.trials[4].system_attrs) is consider


def test_without_restarts_a_converged_search_goes_on_with_its_optimizer():
    assert CmaEsSampler(restart_strategy=None).restart_strategy is None
    with pytest.raises(InvalidArgumentError, match=r"restart_strategy='bipop' is invalid.*'bipop' is not built"):
        CmaEsSampler(restart_strategy="bipop")
    for name in ("use_separable_cma", "with_margin", "lr_adapt"):
        with pytest.raises(InvalidArgumentError, match=rf"CmaEsSampler\({name}=True\) is not built"):
            CmaEsSampler(**{name: True})


def test_a_parameter_left_to_the_independent_sampler_is_named_once_unless_silenced():
    def objective(trial):
        return _sphere(trial) + (trial.suggest_categorical("c", ["a", "b"]) == "a")

    for warn in (True, False):
        study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=2, warn_independent_sampling=warn))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            study.optimize(objective, n_trials=6)
        said = [str(w.message) for w in caught if "CmaEsSampler samples parameter" in str(w.message)]
        assert len(said) == (1 if warn else 0), said
        assert not warn or "parameter 'c'" in said[0]


def test_an_x0_entry_that_would_be_dropped_is_refused():
    for x0, match in (({"z": 1.0}, r"x0\['z'\]=1\.0 is invalid for CmaEsSampler: no trial has a parameter 'z'"),
                      ({"x": 50.0}, r"x0\['x'\]=50\.0 is invalid for CmaEsSampler: must lie in 'x''s range")):
        study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=1, x0=x0))
        study.optimize(_sphere, n_trials=1)
        with pytest.raises(InvalidArgumentError, match=match):
            study.optimize(_sphere, n_trials=1)
        last = study.trials[-1]  # the trial the refusal stopped ends FAIL, never RUNNING
        assert last.state.name == "FAIL" and last.fail_reason.startswith("the sampler raised InvalidArgumentError")
