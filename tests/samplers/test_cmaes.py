import pytest

import tunelab
from tunelab import InvalidArgumentError
from tunelab.samplers import CmaEsSampler, RandomSampler
from tunelab.samplers._cmaes import SOLUTION_ATTR


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
    ({"sigma0": 2.0}, r"sigma0=2.0 is invalid for CmaEsSampler: must be None or a number in \(0, 1\]"),
    ({"popsize": 1}, r"popsize=1 is invalid for CmaEsSampler: must be an integer >= 2"),
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
