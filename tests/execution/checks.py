"""Checks shared by the execution tests and the fault suite: no trial lost, stuck or duplicated.

``assert_clean(study)`` after ``optimize`` returned or raised:

* every trial number 0 .. n-1 appears exactly once;
* no trial is RUNNING (a WAITING one is a queued retry, run by the next ``optimize``);
* every retry names, by ``retry_of``, a FAIL trial, and repeats the parameters that trial drew;
* no trial is repeated by more than one retry, and every interrupted trial (FAIL, reason starting
  "interrupted") by exactly one.
"""

from __future__ import annotations

from collections import Counter

from tunelab._records import TrialState

INTERRUPTED = "interrupted"


def retries_of(trials) -> dict[int, list]:
    """The retries of each repeated trial, by the repeated trial's number."""
    out: dict[int, list] = {}
    for t in trials:
        if t.retry_of is not None:
            out.setdefault(t.retry_of, []).append(t)
    return out


def interrupted(trials) -> list:
    return [t for t in trials if t.state == TrialState.FAIL and (t.fail_reason or "").startswith(INTERRUPTED)]


def assert_clean(study_or_trials) -> list:
    """Assert no lost, stuck or duplicated trial; returns the trials."""
    trials = study_or_trials.trials if hasattr(study_or_trials, "trials") else list(study_or_trials)
    numbers = Counter(t.number for t in trials)
    assert sorted(numbers) == list(range(len(trials))) and set(numbers.values()) <= {1}, \
        f"trial numbers are not 0..n-1 once each: {sorted(numbers.elements())}"
    stuck = [t.number for t in trials if t.state == TrialState.RUNNING]
    assert stuck == [], f"trials left RUNNING: {stuck}"
    by_number = {t.number: t for t in trials}
    repeats = retries_of(trials)
    for number, retries in repeats.items():
        assert len(retries) == 1, f"trial {number} is repeated by {len(retries)} retries"
        lost, retry = by_number[number], retries[0]
        assert lost.state == TrialState.FAIL, f"trial {number} is {lost.state.name} but has a retry"
        assert retry.retry_count == lost.retry_count + 1
        drawn = {**lost.fixed_params, **lost.params}
        assert retry.fixed_params.items() >= drawn.items(), f"retry {retry.number} lost parameters of {number}"
        if retry.state.is_finished():
            assert retry.params.items() >= drawn.items()
    for t in interrupted(trials):
        assert t.number in repeats, f"interrupted trial {t.number} was not queued again"
    return trials


def completed(trials) -> list:
    return [t for t in trials if t.state == TrialState.COMPLETE]
