"""WilcoxonPruner: per-instance results against the best trial's, decided as Optuna's pruner decides."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tunelab
from tunelab.pruners import WilcoxonPruner


def replay(lib, histories, finals, pruner, direction="minimize"):
    """Each trial reports its instances in the given order, asking after each; its decisions."""
    study = lib.create_study(direction=direction, pruner=pruner)
    decisions = []
    for history, final in zip(histories, finals):
        trial = study.ask()
        said = []
        for step, value in history:
            trial.report(value, step)
            said.append(trial.should_prune())
            if said[-1]:
                break
        decisions.append(said)
        study.tell(trial, final if not said[-1] else float(np.mean([v for _, v in history[:len(said)]])))
    return decisions


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("seed", range(6))
def test_decisions_match_optunas_pruner(seed, direction):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(1, 3, size=20)
    histories, finals = [], []
    for _ in range(12):
        quality = rng.uniform(0.0, 1.0)
        order = rng.permutation(20)
        values = [(int(i), float(difficulty[i] * (1 + quality) + rng.normal(0, 0.1))) for i in order]
        histories.append(values)
        finals.append(float(np.mean([v for _, v in values])))
    ours = replay(tunelab, histories, finals, WilcoxonPruner(p_threshold=0.1, n_startup_steps=3), direction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's experimental-feature warning
        theirs = replay(optuna, histories, finals,
                        optuna.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=3), direction)
    assert ours == theirs
    assert any(True in d for d in ours) or direction == "maximize"


def test_no_stop_before_n_startup_steps_pairs_nor_without_a_best_trial():
    study = tunelab.create_study(pruner=WilcoxonPruner(p_threshold=0.5, n_startup_steps=5))
    first = study.ask()
    for i in range(10):
        first.report(100.0, i)
        assert not first.should_prune()  # no best trial yet
    study.tell(first, 100.0)
    best = study.ask()
    for i in range(10):
        best.report(1.0, i)
    study.tell(best, 1.0)
    worse = study.ask()
    said = []
    for i in range(10):
        worse.report(5.0, i)
        said.append(worse.should_prune())
    assert said.index(True) == 4  # the fifth pair


def test_only_instances_both_trials_reported_are_paired():
    study = tunelab.create_study(pruner=WilcoxonPruner(p_threshold=0.1, n_startup_steps=2))
    best = study.ask()
    for i in range(0, 20, 2):  # even instances only
        best.report(1.0 + i, i)
    study.tell(best, 10.0)
    other = study.ask()
    for i in range(1, 20, 2):  # odd instances only: nothing to compare
        other.report(1000.0, i)
        assert not other.should_prune()


def test_a_trial_no_worse_on_average_is_kept():
    study = tunelab.create_study(pruner=WilcoxonPruner(p_threshold=0.5))
    best = study.ask()
    for i in range(6):
        best.report([5.0, 1.0, 1.0, 1.0, 1.0, 1.0][i], i)
    study.tell(best, 10.0 / 6)
    trial = study.ask()
    for i in range(6):  # worse on five instances of six, better on average
        trial.report([0.0, 1.1, 1.1, 1.1, 1.1, 1.1][i], i)
        assert not trial.should_prune()


def test_nan_counts_as_worse_and_a_stop_is_repeated():
    study = tunelab.create_study(pruner=WilcoxonPruner(p_threshold=0.1))
    best = study.ask()
    for i in range(6):
        best.report(1.0, i)
    study.tell(best, 1.0)
    trial = study.ask()
    said = []
    for i in range(6):
        trial.report(math.nan, i)
        said.append(trial.should_prune())
    assert said == [False, False, False, True, True, True]
    assert trial.should_prune()  # asked again: the same answer


def test_multi_objective_studies_are_refused():
    study = tunelab.create_study(directions=["minimize", "minimize"], pruner=WilcoxonPruner())
    trial = study.ask()
    trial.report([1.0, 2.0], 0)
    with pytest.raises(tunelab.InvalidArgumentError, match="WilcoxonPruner compares one objective's values"):
        trial.should_prune()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"p_threshold": 1.5}, r"^p_threshold=1.5 is invalid for WilcoxonPruner: must be a number in \[0, 1\]"),
    ({"n_startup_steps": -1}, r"^n_startup_steps=-1 is invalid for WilcoxonPruner: must be an integer >= 0"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(tunelab.TunelabError, match=match):
        WilcoxonPruner(**kwargs)
