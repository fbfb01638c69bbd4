"""Optuna's constructor arguments of the GP, QMC and NSGA-II samplers, where the behaviour exists."""

from __future__ import annotations

import math

import tunelab
from tunelab.samplers import GPSampler, NSGAIISampler, QMCSampler


def branin_like(trial):
    x, y = trial.suggest_float("x", -5, 10), trial.suggest_float("y", 0, 15)
    return (y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x)


def test_gp_deterministic_objective_holds_the_noise_at_its_smallest_value():
    fitted = {}
    for deterministic in (False, True):
        sampler = GPSampler(seed=0, n_startup_trials=6, deterministic_objective=deterministic)
        study = tunelab.create_study(sampler=sampler)
        study.optimize(branin_like, n_trials=14)
        fitted[deterministic] = sampler._thetas["f"][1][-1]
        assert study.best_value < 5.0
    assert fitted[True] == math.log(1e-8) < fitted[False]


def test_qmc_halton_points_are_distinct_and_reproducible():
    def params(qmc_type):
        study = tunelab.create_study(sampler=QMCSampler(seed=11, qmc_type=qmc_type))
        study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("n", 0, 4), n_trials=8)
        return [t.params for t in study.trials]

    halton = params("halton")
    assert halton == params("halton") and halton != params("sobol")
    assert len({p["x"] for p in halton}) == 8


def test_nsga2_without_crossover_copies_one_parent_and_swapping_picks_the_second():
    def objective(trial):
        return (trial.suggest_float("x", 0, 1) - 0.3) ** 2 + len(trial.suggest_categorical("c", ["a", "bb", "ccc"]))

    sampler = NSGAIISampler(seed=0, population_size=6, crossover_prob=0.0, mutation_prob=0.0)
    study = tunelab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=30)
    population = {(t.params["x"], t.params["c"]) for t in study.trials[:6]}
    assert all((t.params["x"], t.params["c"]) in population for t in study.trials[6:])  # copies, no blends

    sampler = NSGAIISampler(seed=0, population_size=6, swapping_prob=1.0, mutation_prob=0.0)
    study = tunelab.create_study(sampler=sampler)
    seen = []
    original = sampler.before_trial

    def remember(study, trial):
        original(study, trial)
        if trial.number in sampler._parents:
            seen.append((trial.number, sampler._parents[trial.number][1].params["c"]))

    sampler.before_trial = remember
    study.optimize(objective, n_trials=20)
    assert seen and all(study.trials[n].params["c"] == c for n, c in seen)


def test_gp_and_qmc_hand_uncovered_parameters_to_the_independent_sampler(caplog):
    import logging

    from tunelab.samplers import RandomSampler

    class Counting(RandomSampler):
        def __init__(self):
            super().__init__(seed=0)
            self.asked, self.hooks = [], 0

        def sample_independent(self, study, trial, name, distribution):
            self.asked.append((trial.number, name))
            return super().sample_independent(study, trial, name, distribution)

        def after_trial(self, study, trial, state, values):
            self.hooks += 1

    def growing(trial):  # "z" appears from trial 8 on: outside the joint space
        value = trial.suggest_float("x", 0, 1)
        return value + (trial.suggest_float("z", 0, 1) if trial.number >= 8 else 0.0)

    for make in (lambda s: GPSampler(seed=0, n_startup_trials=4, independent_sampler=s,
                                     warn_independent_sampling=True),
                 lambda s: QMCSampler(seed=0, independent_sampler=s, warn_independent_sampling=True)):
        inner = Counting()
        study = tunelab.create_study(sampler=make(inner))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tunelab"):
            study.optimize(growing, n_trials=10)
        assert (8, "z") in inner.asked and inner.hooks == 10
        assert any("'z' of trial 8 independently (Counting)" in r.getMessage() for r in caplog.records)
