"""Every concrete sampler exported by tunelab.samplers passes tunelab.testing's sampler checks."""

from __future__ import annotations

import inspect

import pytest

import tunelab
import tunelab.samplers as samplers
from tunelab.samplers import GridSampler, PartialFixedSampler, Sampler
from tunelab.testing import sampler_checks

#: A grid with values for every parameter the checks ask for, within all their bounds.
GRID = {"x": [0.0, 0.25, 0.5, 1.0], "lr": [1e-4, 1e-2], "s": [0.5], "n": [1, 3], "k": [8], "c": ["a", "b"],
        "kind": ["svm", "tree"], "C": [1.0], "depth": [4], "m": ["a", "bb"],
        "a": [0.5], "b": [3], "l": [1e-3], "one": ["only"]}

SAMPLERS = sorted(name for name in samplers.__all__
                  if inspect.isclass(getattr(samplers, name)) and issubclass(getattr(samplers, name), Sampler)
                  and not inspect.isabstract(getattr(samplers, name)))


#: Samplers that wrap another one and take no seed of their own (seeded through the one they wrap).
WRAPPERS = {"PartialFixedSampler"}
#: Checks that do not apply to a sampler, by design, and why.
NOT_APPLICABLE = {
    "BruteForceSampler": "an exhaustive search needs a finite space: the checks' continuous float ranges are "
                         "refused (tests/samplers/test_brute_force.py checks the same properties on discrete spaces)",
}


def make(name: str, seed: int | None = 0) -> Sampler:
    cls = getattr(samplers, name)
    if cls is GridSampler:
        return cls(GRID, seed=seed)
    if cls is PartialFixedSampler:  # n = 3 lies in every distribution of "n" the checks ask for
        return cls({"n": 3}, samplers.TPESampler(seed=seed))
    return cls(seed=seed)


@pytest.mark.parametrize("check", sampler_checks(), ids=str)
@pytest.mark.parametrize("name", SAMPLERS)
def test_sampler_passes_the_shipped_checks(name, check):
    if name in NOT_APPLICABLE:
        pytest.skip(NOT_APPLICABLE[name])
    check(lambda seed: make(name, seed))


def test_grid_sampler_covers_its_grid_with_parallel_workers() -> None:
    grid = {"x": [-1.0, 0.0, 0.5, 1.0], "n": [1, 2, 3], "c": ["a", "b"]}
    study = tunelab.create_study(sampler=GridSampler(grid, seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("n", 1, 3)
                   + len(t.suggest_categorical("c", ["a", "b"])), n_trials=100, n_jobs=2)
    points = {(t.params["x"], t.params["n"], t.params["c"]) for t in study.trials}
    assert len(points) == 24


def test_every_exported_sampler_is_covered() -> None:
    assert {"AutoSampler", "BruteForceSampler", "CmaEsSampler", "GPSampler", "GridSampler", "NSGAIISampler",
            "PartialFixedSampler", "QMCSampler", "RandomSampler", "TPESampler"} <= set(SAMPLERS)


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize(("seed", "error", "match"), [
    (-1, tunelab.TunelabError, r"seed=-1 is invalid for {}: must be None or an integer >= 0"),
    ("0", TypeError, r"seed='0' \(type str\) is invalid for {}"),
])
def test_every_sampler_checks_its_seed_the_same_way(name, seed, error, match):
    if name in WRAPPERS:
        pytest.skip("takes no seed: seeded through the sampler it wraps")
    with pytest.raises(error, match=match.format(name)):
        make(name, seed=seed)


@pytest.mark.parametrize("name", SAMPLERS)
def test_every_sampler_refuses_each_invalid_argument_naming_it(name):
    import re

    from tunelab._constraints import declarations

    cls = getattr(samplers, name)
    table = next(d.table for d in declarations() if d.target is cls)
    assert "seed" in table or name in WRAPPERS
    valid = {"fixed_params": {"x": 1.0}, "base_sampler": samplers.RandomSampler()} if name in WRAPPERS else {}
    for argument, constraint in table.items():
        for value in constraint.invalid_values():
            with pytest.raises(tunelab.TunelabError, match=f"^{re.escape(argument)}=.* is invalid for {name}: must be"):
                cls(GRID, **{argument: value}) if cls is GridSampler else cls(**{**valid, argument: value})
