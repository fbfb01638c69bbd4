"""Optuna's ``optuna.storages`` names, on tunelab's storages (``import tunelab as optuna`` finds them).

Each name is the tunelab object itself, or a thin class over it where Optuna's arguments differ:

- :class:`RDBStorage`: :class:`tunelab.storage.SQLStorage` with Optuna's arguments
  (``engine_kwargs``, ``heartbeat_interval``, ``grace_period``, ``failed_trial_callback``);
- :class:`RetryFailedTrialCallback` (and Optuna 4.9's name ``RetryHeartbeatStaleTrialCallback``):
  re-queue a trial whose worker died, on tunelab's retry links;
- :class:`InMemoryStorage` is :class:`tunelab.storage.InMemoryStorage`;
- :class:`JournalStorage` is :class:`tunelab.storage.JournalStorage`, a log file for shared file
  systems; its backend and locks are in :mod:`tunelab.storages.journal` (``JournalFileStorage`` is
  Optuna's older name of ``JournalFileBackend``);
- :class:`BaseStorage` is :class:`tunelab.storage.Storage` (for annotations and ``isinstance``: a
  storage written for Optuna's interface does not plug in, the two interfaces differ);
- :func:`fail_stale_trials` fails a study's trials whose heartbeat stopped.

Left out (``docs/compat-storages.md`` says why): the Redis journal backend, the gRPC storage proxy,
``_CachedStorage``.

>>> from tunelab.storages import InMemoryStorage, RDBStorage
>>> import tunelab.storage
>>> InMemoryStorage is tunelab.storage.InMemoryStorage
True
"""

from __future__ import annotations

from typing import Any

from tunelab._lazy import lazy
from tunelab.storage import InMemoryStorage
from tunelab.storage import Storage as BaseStorage
from tunelab.storages._retry import RetryFailedTrialCallback, RetryHeartbeatStaleTrialCallback

__all__ = [
    "BaseStorage", "InMemoryStorage", "JournalFileOpenLock", "JournalFileStorage", "JournalFileSymlinkLock",
    "JournalStorage", "RDBStorage", "RetryFailedTrialCallback", "RetryHeartbeatStaleTrialCallback",
    "fail_stale_trials", "journal",
]

_LAZY = {
    "RDBStorage": ("tunelab.storages._rdb", "RDBStorage"),  # SQLAlchemy only when used
    "JournalStorage": ("tunelab.storage._journal", "JournalStorage"),
    "JournalFileStorage": ("tunelab.storage._journal_file", "JournalFileBackend"),
    "JournalFileOpenLock": ("tunelab.storage._journal_file", "JournalFileOpenLock"),
    "JournalFileSymlinkLock": ("tunelab.storage._journal_file", "JournalFileSymlinkLock"),
}


def fail_stale_trials(study: Any) -> list[int]:
    """Fail (and re-queue, under the storage's retry policy) the study's RUNNING trials whose
    heartbeat stopped; the numbers of those failed. Nothing happens without heartbeats.

    ``ask`` does this already; call it to clean up a study nobody asks from.
    """
    from tunelab._errors import wrong_type
    from tunelab.study import Study

    if not isinstance(study, Study):
        raise wrong_type("study", study, "a tunelab Study", where="fail_stale_trials")
    storage = study.storage
    return storage.fail_stale_trials(storage.get_study_id(study.study_name))


__getattr__, __dir__ = lazy("tunelab.storages", globals(), attrs=_LAZY, modules=("journal",))
