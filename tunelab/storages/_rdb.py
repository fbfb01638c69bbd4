"""RDBStorage: Optuna's name and arguments for tunelab's SQL storage."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from tunelab._constraints import Bool, Function, InstanceOf, Real, String, constrained
from tunelab._errors import InvalidArgumentError
from tunelab._records import FrozenTrial
from tunelab.storage._sql import SQLStorage
from tunelab.storages._retry import RETRY_HISTORY_KEY, RetryFailedTrialCallback

_SECONDS = (None, Real(0, None, min_open=True, what="a positive, finite number of seconds"))
_CALLBACK = (None, Function(what="a callable taking the study and the failed FrozenTrial"))


@constrained({"url": String(what="an SQLAlchemy database URL string"),
              "engine_kwargs": (None, InstanceOf(Mapping, "a mapping of create_engine keyword arguments")),
              "skip_compatibility_check": Bool(), "heartbeat_interval": _SECONDS, "grace_period": _SECONDS,
              "heartbeat_stale_trial_callback": _CALLBACK, "failed_trial_callback": _CALLBACK,
              "skip_table_creation": Bool()})
class RDBStorage(SQLStorage):
    """Optuna's ``RDBStorage``: tunelab's :class:`~tunelab.storage.SQLStorage` (the same tables, the
    same behaviour) under Optuna's name and arguments. tunelab talks to SQLite and PostgreSQL.

    - ``heartbeat_interval`` / ``grace_period``: running trials heartbeat every interval; one
      silent for longer than the grace period (default: two intervals, as in Optuna) is failed by
      the next ``ask`` on its study.
    - ``failed_trial_callback`` (or Optuna 5's name ``heartbeat_stale_trial_callback``):
      ``callback(study, frozen_trial)`` for each trial failed that way. A
      :class:`RetryFailedTrialCallback` is not called but becomes the storage's retry policy: the
      failure and the retry are then one transaction (in Optuna two steps, where a process that
      dies in between loses the retry).
    - ``skip_compatibility_check``, ``skip_table_creation``: accepted for Optuna's scripts;
      tunelab always checks the schema version (it refuses a newer one and upgrades an older one)
      and creates its tables only where they are missing.

    An Optuna database is refused with the command that copies its studies into a tunelab storage
    (``tunelab import-optuna``): the two schemas differ.

    >>> RDBStorage("sqlite://", heartbeat_interval=10).grace_period
    20.0
    """

    def __init__(
        self,
        url: str,
        engine_kwargs: Mapping[str, Any] | None = None,
        skip_compatibility_check: bool = False,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        heartbeat_stale_trial_callback: Callable[[Any, FrozenTrial], None] | None = None,
        failed_trial_callback: Callable[[Any, FrozenTrial], None] | None = None,
        skip_table_creation: bool = False,
    ) -> None:
        if heartbeat_stale_trial_callback is not None and failed_trial_callback is not None:
            raise InvalidArgumentError("give heartbeat_stale_trial_callback or failed_trial_callback (its older "
                                       "name), not both")
        callback = heartbeat_stale_trial_callback or failed_trial_callback
        if callback is not None and heartbeat_interval is None:
            raise InvalidArgumentError(f"failed_trial_callback={callback!r} needs heartbeats: give "
                                       "heartbeat_interval too (the callback is called for trials whose heartbeat "
                                       "stopped)")
        if heartbeat_interval is not None and grace_period is None:
            grace_period = 2 * float(heartbeat_interval)
        policy = callback if type(callback) is RetryFailedTrialCallback else None
        self.failed_trial_callback = callback
        self.heartbeat_stale_trial_callback = callback
        self._retry_policy = policy
        self.skip_compatibility_check = skip_compatibility_check
        _refuse_optuna_database(url)
        super().__init__(url, heartbeat_interval=heartbeat_interval, grace_period=grace_period,
                         retries=0 if policy is None else policy.retries, engine_kwargs=engine_kwargs)

    def __repr__(self) -> str:
        return f"RDBStorage({self._tx.where!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # worker processes reconnect by URL, with the same policy
        interval = self.heartbeat_interval
        return (_rebuild, (self.url, self._engine_kwargs or None, interval, self.grace_period,
                           self.failed_trial_callback))

    def get_heartbeat_interval(self) -> float | None:
        """Optuna's accessor: seconds between heartbeats (None: no heartbeats)."""
        return self.heartbeat_interval

    def get_failed_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        """Optuna's accessor: the callback given for trials whose heartbeat stopped."""
        return self.failed_trial_callback

    get_heartbeat_stale_trial_callback = get_failed_trial_callback

    # -- liveness: the callback after the storage's sweep, the retry series after its retries ------------
    def fail_stale_trials(self, study_id: int, grace_seconds: float | None = None) -> list[int]:
        failed = super().fail_stale_trials(study_id, grace_seconds)
        callback = self.failed_trial_callback
        if failed and callback is not None and self._retry_policy is None:
            from tunelab.pruners import NopPruner
            from tunelab.samplers import RandomSampler
            from tunelab.study import load_study

            # the callback's view of the study (Optuna passes its Study); it asks nothing of these
            study = load_study(study_name=self.get_study_name(study_id), storage=self, sampler=RandomSampler(),
                               pruner=NopPruner())
            for number in failed:
                callback(study, self.get_trial(self.get_trial_id(study_id, number)))
        return failed

    def fail_trial(self, trial_id: int, reason: str, *, max_retries: int | None = 0,
                   params: Any = None) -> tuple[int, int | None] | None:
        outcome = super().fail_trial(trial_id, reason, max_retries=max_retries, params=params)
        if outcome is not None and outcome[1] is not None:
            self._link_retry(trial_id, outcome[1])
        return outcome

    def _link_retry(self, failed_id: int, retry_number: int) -> None:
        """Give a retry what Optuna's retry carries beside tunelab's links: the whole series when it
        retries a retry, and the lost trial's reports under ``inherit_intermediate_values``."""
        failed = self.get_trial(failed_id)
        history = RetryFailedTrialCallback.retry_history(failed) + [failed.number]
        inherit = self._retry_policy is not None and self._retry_policy.inherit_intermediate_values
        if len(history) < 2 and not (inherit and failed.intermediate_values):
            return
        retry_id = self._trial_in_same_study(failed, retry_number)
        if len(history) > 1:
            self.set_trial_attr(retry_id, "system", RETRY_HISTORY_KEY, history)
        if inherit:
            for step, value in failed.intermediate_values.items():
                self.set_trial_intermediate_value(retry_id, step, value)

    def _trial_in_same_study(self, trial: FrozenTrial, number: int) -> int:
        for summary in self.get_all_studies():
            if summary.n_trials > trial.number and self.get_trial_id(summary.study_id, trial.number) == trial.trial_id:
                return self.get_trial_id(summary.study_id, number)
        raise LookupError(f"trial {trial.number} belongs to no study")  # pragma: no cover - deleted meanwhile

    def record_heartbeat(self, trial_id: int) -> None:
        """Optuna's single-trial form of :meth:`record_heartbeats`."""
        self.record_heartbeats([trial_id])


def _rebuild(url: str, engine_kwargs: Mapping[str, Any] | None, interval: float | None, grace: float | None,
             callback: Any) -> RDBStorage:
    return RDBStorage(url, engine_kwargs, heartbeat_interval=interval, grace_period=grace,
                      failed_trial_callback=callback)


def _refuse_optuna_database(url: str) -> None:
    """Raise the error naming ``tunelab import-optuna`` if ``url`` holds an Optuna database (and no tunelab tables).

    A SQLite file this process has open already is not read again (``_optuna_db._open_here``).
    """
    from sqlalchemy.engine import make_url

    from tunelab.storages._optuna_db import is_optuna_database, refusal

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - SQLStorage reports a bad URL in its words
        return
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not os.path.isfile(path) or os.path.getsize(path) == 0:
            return
    elif parsed.get_backend_name() != "postgresql":
        return
    try:
        optuna = is_optuna_database(url, "url")
    except Exception:  # noqa: BLE001 - unreadable: SQLStorage says why, in its words
        return
    if optuna:
        raise refusal(url)
