"""No sampler proposes exactly a bound of a continuous range (what chance gives: never), and the
default sampler still comes close to an optimum that lies on a bound.

``benchmarks/samplers/bound_hits.py`` measures the same on more seeds and problems.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tunelab
import tunelab.samplers as samplers

MAKERS = {
    "RandomSampler": lambda s: samplers.RandomSampler(seed=s),
    "TPESampler": lambda s: samplers.TPESampler(seed=s, n_startup_trials=5),
    "GPSampler": lambda s: samplers.GPSampler(seed=s, n_startup_trials=5),
    "AutoSampler": lambda s: samplers.AutoSampler(seed=s),
    "QMCSampler": lambda s: samplers.QMCSampler(seed=s),
    "CmaEsSampler": lambda s: samplers.CmaEsSampler(seed=s, n_startup_trials=5),
    "NSGAIISampler": lambda s: samplers.NSGAIISampler(seed=s, population_size=6),
}


def at_bound(trial):
    """Optimum at x0 = 0, x1 = 1, lr = 1e-5: the bounds themselves."""
    x0 = trial.suggest_float("x0", 0.0, 1.0)
    x1 = trial.suggest_float("x1", 0.0, 1.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    return x0 + (1.0 - x1) + abs(math.log10(lr / 1e-5)) / 4


def on_bounds(study):
    bounds = {"x0": (0.0, 1.0), "x1": (0.0, 1.0), "lr": (1e-5, 1e-1)}
    return [(t.number, name) for t in study.trials for name, value in t.params.items() if value in bounds[name]]


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_no_proposal_lands_exactly_on_a_bound(name):
    hits = []
    for seed in range(4):
        study = tunelab.create_study(sampler=MAKERS[name](seed))
        study.optimize(at_bound, n_trials=25)
        hits += on_bounds(study)
    assert hits == [], f"{name} proposed exact bounds (trial, parameter): {hits[:5]}"


def test_default_sampler_never_returns_the_bound_in_ten_seeded_studies():
    # issue 15: suggest_float("x", 0, 1) returned exactly 0.0 in 9 of 10 seeded studies within 20 trials
    studies_hit = 0
    for seed in range(10):
        study = tunelab.create_study(sampler=samplers.AutoSampler(seed=seed))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
        studies_hit += any(t.params["x"] in (0.0, 1.0) for t in study.trials)
    assert studies_hit == 0


def test_default_sampler_still_gets_close_to_an_optimum_on_the_bounds():
    bests = []
    for seed in range(3):
        study = tunelab.create_study(sampler=samplers.AutoSampler(seed=seed))
        study.optimize(at_bound, n_trials=30)
        bests.append(study.best_value)
    # each coordinate is at most a thousandth of its range from the bound: at most 3e-3 from the optimum 0
    assert np.max(bests) < 3e-3, bests


def test_nsga2_children_stay_inside_the_range_without_clipping():
    sampler = samplers.NSGAIISampler(seed=0, crossover_alpha=2.0)
    children = [sampler._blend(0.1, 0.9, 0.0, 1.0) for _ in range(2000)]
    assert 0.0 < min(children) and max(children) < 1.0
    assert min(children) < 0.02 and max(children) > 0.98  # the truncated blend still reaches near the bounds
