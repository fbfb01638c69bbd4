"""How many trials a config still owes, and spending them so that every trial is counted once.

``budget.n_trials`` counts the study's finished trials, less two kinds that something else stands
in for:

* an interrupted trial (FAIL, reason starting "interrupted"): Ctrl-C is no verdict on its
  parameters; it is queued again with them (a WAITING trial linked by ``retry_of``);
* a trial repeated by a retry (one that some trial's ``retry_of`` names): a lost trial, failed
  because its driver stopped heartbeating, counts through its retry.

With heartbeats on, a RUNNING trial of another process holds its place in the budget: a live run
finishes it, and a dead run's trial is failed and queued again by the storage once it has been
silent past the grace period; ``spend`` waits for that, then runs the retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tunelab._records import TrialState
from tunelab.runner._script import interrupted

INTERRUPTED_PREFIX = "interrupted"
#: Heartbeat intervals a RUNNING trial of another process may stay silent before it is taken for
#: a dead run's (and waited for until the storage fails it).
SILENT_INTERVALS = 2


def _interrupted(trial: Any) -> bool:
    return trial.state == TrialState.FAIL and str(trial.fail_reason or "").startswith(INTERRUPTED_PREFIX)


def counted(trials: list[Any]) -> int:
    """Trials that count against ``n_trials``: finished, not interrupted, not repeated by a retry.

    >>> counted([])
    0
    """
    repeated = {t.retry_of for t in trials if t.retry_of is not None}
    return sum(1 for t in trials if t.state.is_finished() and not _interrupted(t) and t.number not in repeated)


def remaining(config: Any, study: Any) -> int | None:
    """Trials left to run (None: no trial budget, only a timeout)."""
    if config.n_trials is None:
        return None
    return max(config.n_trials - counted(study.trials), 0)


def spend(config: Any, study: Any, optimize: Callable[[int | None, float | None], None], *,
          say: Callable[[str], None] | None = None) -> None:
    """Call ``optimize(n_trials, timeout)`` until the config's budget is spent or :func:`interrupted`.

    Between rounds, RUNNING trials of other processes are waited for while any of them is silent
    (a dead run's, failed and queued again by the storage after its grace period); ``say`` hears
    what is waited for.
    """
    storage = study.storage
    interval = getattr(storage, "heartbeat_interval", None)
    deadline = None if config.timeout is None else time.monotonic() + config.timeout
    waiting_since: float | None = None
    while not interrupted():
        timeout = None if deadline is None else deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            return
        if config.n_trials is None:
            optimize(None, timeout)
            return
        elsewhere = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)) if interval else []
        left = config.n_trials - counted(study.trials) - len(elsewhere)
        if left > 0:
            optimize(left, timeout)
            waiting_since = None
            continue
        if not elsewhere:
            return
        study_id = storage.get_study_id(study.study_name)
        if storage.fail_stale_trials(study_id):
            continue  # a dead run's trials failed, their retries queued: run them
        ids = {t.trial_id for t in elsewhere}
        silent = ids & set(storage.stale_trial_ids(study_id, SILENT_INTERVALS * interval))
        now = time.monotonic()
        if waiting_since is None:
            waiting_since = now
            if say is not None:
                say(f"waiting for {len(ids)} trial(s) RUNNING elsewhere: a dead run's are failed and queued "
                    f"again after {storage.grace_period:g} s without heartbeat")
        if not silent and now - waiting_since >= SILENT_INTERVALS * interval:
            return  # every one heartbeats: another live run is finishing them
        time.sleep(min(interval / 2, 1.0))
