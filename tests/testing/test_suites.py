"""The shipped suites can fail: broken third-party plug-ins fail the checks that catch their fault."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

import tunelab
from tunelab._records import TrialState
from tunelab.pruners import MedianPruner, NopPruner, Pruner
from tunelab.samplers import RandomSampler, Sampler
from tunelab.samplers._random import draw
from tunelab.storage import InMemoryStorage
from tunelab.testing import ConformanceError, check_pruner, check_sampler, check_storage, pruner_checks, sampler_checks

PROCESSES = {"worker_processes": "worker processes are checked with the built-in samplers"}


# -- broken samplers -----------------------------------------------------------------------------------------

class OutOfBounds(Sampler):
    """Proposes values past the upper bound."""

    def sample_independent(self, study, trial, name, distribution):
        if hasattr(distribution, "high"):
            return distribution.high + (distribution.step or 1) * 2
        return distribution.choices[0]


class IgnoresItsSeed(RandomSampler):
    """Takes a seed and draws from an unseeded generator anyway."""

    def sample_independent(self, study, trial, name, distribution):
        return draw(_UNSEEDED, distribution)


_UNSEEDED = np.random.default_rng()


def test_a_sampler_proposing_values_out_of_bounds_fails():
    with pytest.raises(ConformanceError, match=r"OutOfBounds failed \d+ of 11 sampler checks") as caught:
        check_sampler(lambda seed: OutOfBounds(), skip=PROCESSES)
    assert "values_in_distributions" in caught.value.failures
    assert isinstance(caught.value, AssertionError)  # pytest reports it like a failed assert


def test_a_sampler_ignoring_its_seed_fails_the_reproducibility_check_only():
    with pytest.raises(ConformanceError) as caught:
        check_sampler(lambda seed: IgnoresItsSeed(seed=seed), skip=PROCESSES)
    assert set(caught.value.failures) == {"same_seed_same_values"}
    assert "with the same seed, trial 0 got" in str(caught.value)


def test_the_checks_run_one_by_one_as_pytest_parameters():
    checks = {str(c): c for c in sampler_checks()}
    checks["values_in_distributions"](lambda seed: RandomSampler(seed=seed))
    with pytest.raises(AssertionError, match="outside their distributions"):
        checks["values_in_distributions"](lambda seed: OutOfBounds())
    assert all(c.description for c in checks.values())


# -- broken pruners ------------------------------------------------------------------------------------------

class CoinFlip(Pruner):
    """Prunes at random: not reproducible."""

    def __init__(self):
        self._rng = random.Random()

    def prune(self, study, trial):
        return bool(trial.intermediate_values) and self._rng.random() < 0.2


class EveryThirdCall(MedianPruner):
    """The median rule, except that every third question is answered the other way (hidden state)."""

    def __init__(self):
        super().__init__(n_startup_trials=3, n_warmup_steps=2)
        self._calls = 0

    def prune(self, study, trial):
        self._calls += 1
        return super().prune(study, trial) != (self._calls % 3 == 0)


class AlwaysContinue(NopPruner):
    """Claims to prune from step 2 but never does."""


def test_a_randomised_pruner_fails_the_replay():
    with pytest.raises(ConformanceError) as caught:
        check_pruner(CoinFlip, earliest_step=2)
    assert "decisions_are_reproducible" in caught.value.failures
    assert "when its stored reports were replayed" in str(caught.value.failures["decisions_are_reproducible"])


def test_a_pruner_whose_answers_depend_on_the_number_of_calls_fails():
    with pytest.raises(ConformanceError) as caught:
        check_pruner(EveryThirdCall, earliest_step=2)
    message = str(caught.value.failures["repeated_question_same_answer"])
    assert "asked twice at step" in message


def test_a_pruner_that_never_prunes_fails_when_it_claims_to():
    with pytest.raises(ConformanceError) as caught:
        check_pruner(AlwaysContinue, earliest_step=2, skip={"nan_reports_stop_a_trial": "not a rule of it"})
    failures = caught.value.failures
    assert "a trial far worse than every other was never pruned" in str(failures["far_worse_trial_is_pruned"])
    # equal decisions that are all "continue" prove nothing: the replay check says so
    assert "expected some trials stopped and some kept" in str(failures["decisions_are_reproducible"])


def test_a_conforming_pruner_passes_in_memory_and_on_sqlite(tmp_path):
    names = iter(range(100))
    check_pruner(lambda: MedianPruner(n_startup_trials=3, n_warmup_steps=2), earliest_step=2,
                 make_storage=lambda: f"sqlite:///{tmp_path / f's{next(names)}.db'}")
    assert next(names) > 5  # every check's studies went to their own SQLite files


# -- arguments -----------------------------------------------------------------------------------------------

def test_skip_names_must_be_checks():
    with pytest.raises(tunelab.InvalidArgumentError,
                       match=r"skip=\{'bounds': 'x'\} is invalid: must be a mapping whose keys are sampler check "
                             r"names \(values_in_distributions, "):
        check_sampler(lambda seed: RandomSampler(seed=seed), skip={"bounds": "x"})
    with pytest.raises(tunelab.InvalidArgumentError, match=r"skip\['worker_processes'\]='' is invalid"):
        check_sampler(lambda seed: RandomSampler(seed=seed), skip={"worker_processes": ""})


def test_factories_must_make_plug_ins():
    with pytest.raises(TypeError, match=r"make_sampler=RandomSampler\(seed=0\) \(type RandomSampler\) is invalid"):
        check_sampler(RandomSampler(seed=0))
    with pytest.raises(AssertionError, match=r"make_pruner\(\) returned 'median' \(type str\), not a tunelab Pruner"):
        check_pruner(lambda: "median", earliest_step=2)
    with pytest.raises(TypeError, match=r"earliest_step='2' \(type str\) is invalid"):
        check_pruner(NopPruner, earliest_step="2")
    assert [str(c) for c in pruner_checks()][:2] == ["unreported_trial_is_kept", "first_trial_is_kept"]


def test_importing_the_suites_needs_no_pytest_and_tunelab_does_not_import_them():
    code = ("import sys; sys.modules['pytest'] = None; import tunelab; assert 'tunelab.testing' not in sys.modules; "
            "import tunelab.testing, tunelab.testing._sampler, tunelab.testing._pruner")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


class _Rewritable(InMemoryStorage):
    """A storage that lets a finished trial be finished again (it breaks the contract)."""

    def finish_trial(self, trial_id, state, values=None, *, params=None, system_attrs=None, core=None):
        trial = self._trials[trial_id]
        if trial.state.is_finished():
            trial.state = TrialState.RUNNING
        super().finish_trial(trial_id, state, values, params=params, system_attrs=system_attrs, core=core)


def _fresh(kind):
    def new_database():
        shared = kind()
        return lambda **options: shared

    return new_database


def test_the_storage_suite_passes_the_memory_storage_and_fails_one_that_rewrites_finished_trials():
    check_storage(_fresh(InMemoryStorage))
    with pytest.raises(ConformanceError, match="a_finished_trial_never_changes") as failed:
        check_storage(_fresh(_Rewritable))
    assert "finish_and_start_many_starts_one_trial_per_finish_and_none_for_a_refused_one" in failed.value.failures
