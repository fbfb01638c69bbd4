"""The ledger of the fault matrix can fail: each broken promise is counted and named."""

from __future__ import annotations

import pytest

from tests.faults.audit import (
    CaseFailedError,
    DuplicatedError,
    LostError,
    NotRepeatedError,
    OverBudgetError,
    StuckError,
    audit,
    snapshot,
)
from tunelab._records import FrozenTrial, TrialState

COMPLETE, FAIL, RUNNING, WAITING = TrialState.COMPLETE, TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING


def trial(number, state=COMPLETE, *, retry_of=None, x=0.5, values=None, reason=None):
    done = state == COMPLETE
    return FrozenTrial(number=number, state=state, values=(x * x,) if done else values, params={"x": x},
                       distributions={}, fail_reason=reason, retry_of=retry_of, retry_count=int(retry_of is not None),
                       fixed_params={"x": x} if retry_of is not None else {})


def test_a_clean_study_with_a_repeated_trial_passes():
    trials = [trial(0), trial(1, FAIL, reason="no heartbeat"), trial(2, retry_of=1), trial(3)]
    result = audit(trials, budget=3)
    assert (result.trials, result.lost, result.stuck, result.duplicated, result.problems) == (4, 0, 0, 0, [])
    assert result.error() is None


@pytest.mark.parametrize(("trials", "budget", "counts", "error", "says"), [
    ([trial(0), trial(1, FAIL, reason="killed")], 2, (1, 0, 0), NotRepeatedError,
     "trial 1 failed and was never repeated: killed"),
    ([trial(0), trial(2)], 3, (1, 0, 0), LostError, "trial numbers missing: [1]"),
    ([trial(0)], 2, (1, 0, 0), LostError, "1 COMPLETE trials for a budget of 2"),
    ([trial(0), trial(1, RUNNING), trial(2, WAITING)], 1, (0, 2, 0), StuckError, "RUNNING or WAITING: [1, 2]"),
    ([trial(0), trial(1), trial(1)], 3, (0, 0, 1), DuplicatedError, "used more than once: [1]"),
    ([trial(0, FAIL), trial(1, retry_of=0), trial(2, retry_of=0)], 2, (0, 0, 1), DuplicatedError,
     "trial 0 is repeated by 2 retries"),
    ([trial(0, FAIL, values=(1.0,)), trial(1, retry_of=0)], 1, (0, 0, 1), DuplicatedError, "holding a result"),
    ([trial(0, FAIL), trial(1, retry_of=0, x=0.25)], 1, (1, 0, 0), LostError, "does not repeat the parameters"),
    ([trial(0), trial(1), trial(2)], 2, (0, 0, 1), OverBudgetError, "3 COMPLETE trials for a budget of 2"),
    ([trial(0), trial(1, RUNNING), trial(2)], 3, (1, 1, 0), CaseFailedError, "stuck: trials left RUNNING"),
])
def test_each_broken_promise_is_counted_and_raises_its_kind(trials, budget, counts, error, says):
    result = audit(trials, budget=budget)
    assert (result.lost, result.stuck, result.duplicated) == counts
    raised = result.error()
    assert type(raised) is error and says in str(raised)


def test_a_finished_trial_that_changed_after_the_snapshot_counts_as_finished_twice():
    before = snapshot([trial(0), trial(1)])
    result = audit([trial(0), trial(1, FAIL), trial(2, retry_of=1)], budget=2, before=before)
    assert (result.lost, result.duplicated) == (1, 1)  # trial 1 finished twice, and its COMPLETE result is gone
    assert "trial 1 was COMPLETE (0.25,) and became FAIL None" in str(result.error())
