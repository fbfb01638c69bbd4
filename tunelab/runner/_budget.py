"""How many trials a config still owes, and spending them so that every trial is counted once, by
every run of the config together.

``budget.n_trials`` counts the study's finished trials, less three kinds that something else stands
in for or that never ran:

* an interrupted trial (FAIL, reason starting "interrupted"): Ctrl-C is no verdict on its
  parameters; it is queued again with them (a WAITING trial linked by ``retry_of``);
* a trial repeated by a retry (one that some trial's ``retry_of`` names): a lost trial, failed
  because its run stopped heartbeating or its script was killed from outside, counts through its
  retry;
* a trial not run (FAIL, reason starting "not run"): asked when the budget turned out to be
  spent already (see :mod:`tunelab.runner._shared`); nothing ran, and it is not run again.

Several runs of one config share its budget: :class:`~tunelab.runner._shared.SharedBudget`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tunelab._errors import TrialFinishedError
from tunelab._records import TrialState
from tunelab.runner._script import interrupted

_log = logging.getLogger("tunelab")

INTERRUPTED_PREFIX = "interrupted"
#: The first words of the fail reason of a trial asked when the budget was spent already.
NOT_RUN_PREFIX = "not run"


def _interrupted(trial: Any) -> bool:
    return trial.state == TrialState.FAIL and str(trial.fail_reason or "").startswith(INTERRUPTED_PREFIX)


def _not_run(trial: Any) -> bool:
    return trial.state == TrialState.FAIL and str(trial.fail_reason or "").startswith(NOT_RUN_PREFIX)


def counted(trials: list[Any]) -> int:
    """Trials that count against ``n_trials``: finished, not interrupted, not repeated by a retry, run.

    >>> counted([])
    0
    """
    repeated = {t.retry_of for t in trials if t.retry_of is not None}
    return sum(1 for t in trials if t.state.is_finished() and not _interrupted(t) and not _not_run(t)
               and t.number not in repeated)


def remaining(config: Any, study: Any) -> int | None:
    """Trials left to run (None: no trial budget, only a timeout)."""
    if config.n_trials is None:
        return None
    return max(config.n_trials - counted(study.trials), 0)


class BudgetedObjective:
    """An objective that first checks the place of the trial it is given, right after its ask and
    before anything runs: the counted trials and the RUNNING or WAITING ones before it (by number)
    must leave it a place in ``n_trials``. A trial beyond the budget ends FAIL "not run: ..." (not
    counted, not queued again; TrialFinishedError tells the study it has its record) and
    ``objective`` is not called; of two runs that asked for the last place at once, the later
    trial yields and the earlier runs.

    ``heartbeats``: whether RUNNING trials hold their place (with heartbeats a dead run's is failed
    in time; without them a RUNNING trial may belong to a run that died, and is not counted).
    ``started`` / ``ended`` hear of the trials that run (the run's own bookkeeping); pickled into a
    worker process, the objective checks without them.
    """

    def __init__(self, objective: Callable[[Any], Any], n_trials: int | None, *, heartbeats: bool,
                 started: Callable[[int], None] | None = None, ended: Callable[[int], None] | None = None) -> None:
        self.objective = objective
        self.n_trials = n_trials
        self.heartbeats = heartbeats
        self.started, self.ended = started, ended

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "started": None, "ended": None}  # the run's bookkeeping stays in its process

    def __call__(self, trial: Any) -> Any:
        if self.started is not None:
            self.started(trial.number)
        try:
            if self.n_trials is not None and not interrupted():  # interrupted: the objective ends the trial so
                reason = self.beyond_budget(trial)
                if reason is not None:
                    trial.study.tell(trial, state=TrialState.FAIL, fail_reason=reason)
                    _log.warning("trial %d: %s", trial.number, reason)
                    raise TrialFinishedError(f"trial {trial.number} was not run: the budget is spent")
            return self.objective(trial)
        finally:
            if self.ended is not None:
                self.ended(trial.number)

    def beyond_budget(self, trial: Any) -> str | None:
        """Why ``trial`` (just asked) must not run, or None."""
        trials = trial.study.get_trials(deepcopy=False)
        done = counted(trials)
        before = sum(1 for t in trials if t.number < trial.number and (
            t.state == TrialState.WAITING or (t.state == TrialState.RUNNING and self.heartbeats)))
        if done + before < self.n_trials:
            return None
        return (f"{NOT_RUN_PREFIX}: the budget of {self.n_trials} trials was spent meanwhile by another run of this "
                f"config ({done} counted, {before} running or queued before this trial when it was asked); "
                "it is not run again")
