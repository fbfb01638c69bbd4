"""Putting copied trials' start and end times in place, for the storages that can.

The :class:`~tunelab.storage.Storage` interface stamps a trial with the time it is written; a study
copied from elsewhere (``copy_study``, ``tunelab import-optuna``) keeps the times its trials had
where they ran. This is the one place that reaches past the interface for that, per backend.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

_log = logging.getLogger("tunelab")

Times = Mapping[int, tuple["float | None", "float | None"]]  # trial id -> (start, complete), seconds since the epoch


def set_trial_times(storage: Any, times: Times) -> bool:
    """Give each trial id of ``times`` its start and end; False (and a warning) where the storage has no way."""
    from tunelab.storage import InMemoryStorage, JournalStorage, SQLStorage

    if not times:
        return True
    if isinstance(storage, SQLStorage):
        _sql(storage, times)
    elif isinstance(storage, JournalStorage):
        storage.restamp(times)
    elif isinstance(storage, InMemoryStorage):
        _memory(storage, times)
    else:
        _log.warning("%r cannot take the copied trials' start and end times: they show when they were copied",
                     storage)
        return False
    return True


def _sql(storage: Any, times: Times) -> None:
    import sqlalchemy as sa

    from tunelab.storage import _schema as S

    t = S.trials
    statement = sa.update(t).where(t.c.trial_id == sa.bindparam("b_id")).values(
        datetime_start=sa.bindparam("b_start"), datetime_complete=sa.bindparam("b_complete"))
    rows = [{"b_id": tid, "b_start": start, "b_complete": complete} for tid, (start, complete) in times.items()]
    storage._write(lambda tx: tx.execute(statement, rows), "copying the trials' times")


def _memory(storage: Any, times: Times) -> None:
    stamp = datetime.datetime.fromtimestamp
    with storage._lock:
        for tid, (start, complete) in times.items():
            trial = storage._trials[tid]
            trial.datetime_start = None if start is None else stamp(start)
            trial.datetime_complete = None if complete is None else stamp(complete)
            trial.frozen = None
