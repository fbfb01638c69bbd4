"""CmaEsSampler(sigma0=) as Optuna means it: the initial step size in the unit cube of the search
space (a fraction of each range), any positive value."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

import tunelab
from tunelab.samplers import CmaEsSampler

cmaes = pytest.importorskip("cmaes")


def _sphere(trial):
    return trial.suggest_float("x", -10, 10) ** 2 + trial.suggest_float("y", -10, 10) ** 2


def _first_cma(monkeypatch, make_study):
    """The keyword arguments of the first cmaes.CMA the study's sampler builds (its search; later
    ones may be tunelab's templates for reading a stored state back)."""
    seen = []
    original = cmaes.CMA.__init__

    def spy(self, *args, **kwargs):
        seen.append(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(cmaes.CMA, "__init__", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna deprecates sigma0 (FutureWarning)
        make_study().optimize(_sphere, n_trials=3)
    return seen[0]


def test_a_sigma0_above_one_is_taken():
    assert CmaEsSampler(sigma0=3.0).sigma0 == 3.0
    with pytest.raises(tunelab.InvalidArgumentError, match=r"sigma0=-1.0 is invalid for CmaEsSampler"):
        CmaEsSampler(sigma0=-1.0)


def test_sigma0_reaches_cma_es_in_the_unit_cube_as_in_optuna(monkeypatch):
    ours = _first_cma(monkeypatch, lambda: tunelab.create_study(
        sampler=CmaEsSampler(seed=0, sigma0=3.0, n_startup_trials=1, warm_start=False)))
    assert ours["sigma"] == 3.0 and np.array_equal(ours["bounds"], np.tile([0.0, 1.0], (2, 1)))
    if importlib.util.find_spec("optuna") is None:
        return
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    theirs = _first_cma(monkeypatch, lambda: optuna.create_study(
        sampler=optuna.samplers.CmaEsSampler(seed=0, sigma0=3.0, n_startup_trials=1)))
    assert theirs["sigma"] == ours["sigma"] and np.array_equal(theirs["bounds"], ours["bounds"])


def test_a_large_sigma0_still_finds_the_sphere_minimum():
    study = tunelab.create_study(sampler=CmaEsSampler(seed=0, sigma0=3.0))
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 0.5) ** 2 + (t.suggest_float("y", -10, 10) - 0.5) ** 2,
                   n_trials=40)
    assert study.best_value < 20.0
