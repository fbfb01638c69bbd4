"""RetryFailedTrialCallback: Optuna's retry of trials whose worker died, on tunelab's retry links.

tunelab records a retry in the trial's own fields: ``retry_of`` (the number of the trial it
repeats) and ``retry_count`` (how many times those parameters were re-queued before it). For a
retry of a retry, :class:`~tunelab.storages.RDBStorage` adds the whole series under the system
attribute :data:`RETRY_HISTORY_KEY`, so that :meth:`RetryFailedTrialCallback.retry_history` needs
only the trial, as in Optuna.
"""

from __future__ import annotations

from typing import Any

from tunelab._constraints import Bool, InstanceOf, Integral, constrained
from tunelab._records import FrozenTrial, TrialState
from tunelab.storage._base import retry_attrs

#: System attribute holding a retry's series of earlier trial numbers, oldest first, when it has
#: more than one (a single one is ``retry_of``).
RETRY_HISTORY_KEY = "storages:retry_history"
_TRIAL = InstanceOf(FrozenTrial, "a FrozenTrial (study.trials holds them)")
#: What ``max_retry=None`` (no limit) means for the storage's retry policy, which counts.
UNLIMITED = 2**31 - 1


@constrained({"max_retry": (None, Integral(min=0)), "inherit_intermediate_values": Bool()})
class RetryFailedTrialCallback:
    """Run a trial again when its worker died: Optuna's ``failed_trial_callback`` for heartbeats.

    Given to :class:`~tunelab.storages.RDBStorage` (``failed_trial_callback=`` or
    ``heartbeat_stale_trial_callback=``), it becomes that storage's retry policy: a RUNNING trial
    whose heartbeat stopped for longer than ``grace_period`` is failed and, in the same
    transaction, a WAITING copy with its parameters is queued, while it was re-queued fewer than
    ``max_retry`` times (None: no limit). The next ``ask`` runs the copy. With
    ``inherit_intermediate_values=True`` the copy also gets the values the lost trial reported.

    Called as ``callback(study, frozen_trial)`` (Optuna's protocol; a storage without the policy
    can call it), it queues that copy itself.

    >>> from tunelab.storages import RDBStorage
    >>> storage = RDBStorage("sqlite://", heartbeat_interval=60, grace_period=120,
    ...                      failed_trial_callback=RetryFailedTrialCallback(max_retry=3))
    >>> storage.retries
    3
    """

    def __init__(self, max_retry: int | None = None, inherit_intermediate_values: bool = False) -> None:
        self._max_retry = max_retry
        self._inherit_intermediate_values = inherit_intermediate_values

    def __repr__(self) -> str:
        return (f"RetryFailedTrialCallback(max_retry={self._max_retry!r}, "
                f"inherit_intermediate_values={self._inherit_intermediate_values!r})")

    @property
    def max_retry(self) -> int | None:
        return self._max_retry

    @property
    def inherit_intermediate_values(self) -> bool:
        return self._inherit_intermediate_values

    @property
    def retries(self) -> int:
        """The storage's retry policy for this callback: ``max_retry`` (None counts as no limit)."""
        return UNLIMITED if self._max_retry is None else self._max_retry

    @constrained({"trial": _TRIAL}, where="RetryFailedTrialCallback.__call__")
    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        retry = retry_attrs(trial, self.retries)
        if retry is None:
            return
        user, core = retry
        history = self.retry_history(trial) + [trial.number]
        system = {RETRY_HISTORY_KEY: history} if len(history) > 1 else None
        storage = study.storage
        storage.create_trial(storage.get_study_id(study.study_name), state=TrialState.WAITING, user_attrs=user,
                             system_attrs=system, core=core,
                             intermediate_values=trial.intermediate_values if self._inherit_intermediate_values
                             else None)

    @staticmethod
    @constrained({"trial": _TRIAL}, where="RetryFailedTrialCallback.retried_trial_number")
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the first trial of the series ``trial`` retries; None if it is no retry."""
        history = RetryFailedTrialCallback.retry_history(trial)
        return history[0] if history else None

    @staticmethod
    @constrained({"trial": _TRIAL}, where="RetryFailedTrialCallback.retry_history")
    def retry_history(trial: FrozenTrial) -> list[int]:
        """The numbers of the trials ``trial`` retries, oldest first ([] if it is no retry).

        From ``retry_of`` and ``retry_count``, and for a retry of a retry from the series
        :class:`~tunelab.storages.RDBStorage` records (without it only ``[retry_of]`` is known).
        """
        if trial.retry_of is None:
            return []
        recorded = trial.system_attrs.get(RETRY_HISTORY_KEY)
        if isinstance(recorded, list) and recorded and recorded[-1] == trial.retry_of:
            return [int(n) for n in recorded]
        return [trial.retry_of]


#: Optuna 4.9's name for the same class (RetryFailedTrialCallback is its deprecated alias there).
RetryHeartbeatStaleTrialCallback = RetryFailedTrialCallback
