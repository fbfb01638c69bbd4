"""The hot writes of a trial's life on SQLite, run on the sqlite3 connection itself.

Starting and finishing a trial are the two writes every trial makes. Through SQLAlchemy's
execution machinery each statement costs about ten times what SQLite spends on it, so for
SQLite these few fixed statements go straight to the DBAPI cursor of a pooled connection,
inside ``BEGIN IMMEDIATE`` ... ``COMMIT``. Everything else stays on SQLAlchemy Core.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from tunelab._records import TrialState
from tunelab.storage import _schema as S
from tunelab.storage._base import StoredParam

_T, _P, _A, _S = S.trials.name, S.trial_params.name, S.trial_attrs.name, S.studies.name
_RUNNING, _WAITING = int(TrialState.RUNNING), int(TrialState.WAITING)

OLDEST_WAITING = f"SELECT trial_id FROM {_T} WHERE study_id = ? AND state = {_WAITING} ORDER BY trial_id LIMIT 1"
CLAIM = f"UPDATE {_T} SET state = {_RUNNING}, datetime_start = ?, heartbeat = ? WHERE trial_id = ?"
BUMP = f"UPDATE {_S} SET n_trials = n_trials + 1 WHERE study_id = ? RETURNING n_trials"
INSERT_RUNNING = (f"INSERT INTO {_T} (study_id, number, state, datetime_start, heartbeat) "
                  f"VALUES (?, ?, {_RUNNING}, ?, ?)")
FINISH = (f"UPDATE {_T} SET state = ?, value = ?, values_json = ?, datetime_complete = ? "
          f"WHERE trial_id = ? AND state IN ({_RUNNING}, {_WAITING})")
STATE_OF = f"SELECT state, number FROM {_T} WHERE trial_id = ?"
UPSERT_PARAM = (f"INSERT INTO {_P} (trial_id, name, value, distribution_json) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (trial_id, name) DO UPDATE SET value = excluded.value, "
                "distribution_json = excluded.distribution_json")
UPSERT_ATTR = (f"INSERT INTO {_A} (trial_id, kind, key, value_json) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (trial_id, kind, key) DO UPDATE SET value_json = excluded.value_json")


def start(cursor: sqlite3.Cursor, study_id: int, now: float) -> tuple[int, int | None]:
    """Claim the oldest WAITING trial or create a RUNNING one: ``(trial_id, number or None if claimed)``.

    Returns ``(-1, None)`` when the study does not exist.
    """
    row = cursor.execute(OLDEST_WAITING, (study_id,)).fetchone()
    if row is not None:
        cursor.execute(CLAIM, (now, now, row[0]))
        return int(row[0]), None
    bumped = cursor.execute(BUMP, (study_id,)).fetchone()
    if bumped is None:
        return -1, None
    number = int(bumped[0]) - 1
    cursor.execute(INSERT_RUNNING, (study_id, number, now, now))
    return int(cursor.lastrowid), number


def finish(
    cursor: sqlite3.Cursor,
    trial_id: int,
    state: TrialState,
    values: tuple[float, ...] | None,
    params: Mapping[str, StoredParam],
    system_attrs: Mapping[str, Any],
    now: float,
) -> tuple[int, int] | None:
    """Finish a trial with its last parameters and attributes; ``(state, number)`` if it was finished already."""
    cursor.execute(FINISH, (int(state), values[0] if values else None,
                            json.dumps(list(values)) if values is not None else None, now, trial_id))
    if cursor.rowcount != 1:
        row = cursor.execute(STATE_OF, (trial_id,)).fetchone()
        return (-1, -1) if row is None else (int(row[0]), int(row[1]))
    if params:
        cursor.executemany(UPSERT_PARAM, [(trial_id, name, float(internal), dist.to_json())
                                          for name, (internal, dist) in params.items()])
    if system_attrs:
        cursor.executemany(UPSERT_ATTR, [(trial_id, "system", key, json.dumps(value))
                                         for key, value in system_attrs.items()])
    return None
