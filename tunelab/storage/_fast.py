"""The hot writes of a trial's life, run on the DBAPI connection itself (sqlite3 or psycopg).

Starting and finishing a trial are the two writes every trial makes. Through SQLAlchemy's
execution machinery each statement costs several times what the database spends on it, so these
few fixed statements go straight to the cursor of a pooled connection, in one transaction each
(SQLite: ``BEGIN IMMEDIATE`` ... ``COMMIT``; PostgreSQL: psycopg's implicit transaction, the
WAITING row locked ``FOR UPDATE SKIP LOCKED``). Everything else stays on SQLAlchemy Core.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tunelab._records import TrialState
from tunelab.storage import _schema as S
from tunelab.storage._base import StoredParam

_T, _P, _A, _S = S.trials.name, S.trial_params.name, S.trial_attrs.name, S.studies.name
_RUNNING, _WAITING = int(TrialState.RUNNING), int(TrialState.WAITING)
T = TypeVar("T")


class Statements:
    """The statements in one dialect's placeholder style (``?`` for sqlite3, ``%s`` for psycopg)."""

    def __init__(self, dialect: str) -> None:
        p = "?" if dialect == "sqlite" else "%s"
        lock = "" if dialect == "sqlite" else " FOR UPDATE SKIP LOCKED"
        self.oldest_waiting = (f"SELECT trial_id FROM {_T} WHERE study_id = {p} AND state = {_WAITING} "
                               f"ORDER BY trial_id LIMIT 1{lock}")
        self.claim = f"UPDATE {_T} SET state = {_RUNNING}, datetime_start = {p}, heartbeat = {p} WHERE trial_id = {p}"
        self.dialect = dialect
        # SQLite numbers and inserts in two statements (it allows no UPDATE inside WITH)
        self.bump = f"UPDATE {_S} SET n_trials = n_trials + 1 WHERE study_id = {p} RETURNING n_trials"
        self.insert_running = (f"INSERT INTO {_T} (study_id, number, state, datetime_start, heartbeat) "
                               f"VALUES ({p}, {p}, {_RUNNING}, {p}, {p}) RETURNING trial_id, number")
        self.finish = (f"UPDATE {_T} SET state = {p}, value = {p}, values_json = {p}, datetime_complete = {p} "
                       f"WHERE trial_id = {p} AND state IN ({_RUNNING}, {_WAITING})")
        # PostgreSQL: claim-or-create, finish, and finish-then-start as single statements (one round
        # trip each, atomic alone); in the last, nothing is started unless the finish took place
        def start_ctes(gate: str = "", other: str = "") -> str:
            return (
                f"claimed AS (UPDATE {_T} SET state = {_RUNNING}, datetime_start = %(now)s, heartbeat = %(now)s "
                f"WHERE trial_id = (SELECT trial_id FROM {_T} WHERE study_id = %(study)s AND state = {_WAITING} "
                f"{other}{gate}ORDER BY trial_id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING trial_id, number), "
                f"bumped AS (UPDATE {_S} SET n_trials = n_trials + 1 WHERE study_id = %(study)s "
                f"AND NOT EXISTS (SELECT 1 FROM claimed) {gate}RETURNING n_trials), "
                f"created AS (INSERT INTO {_T} (study_id, number, state, datetime_start, heartbeat) "
                f"SELECT %(study)s, n_trials - 1, {_RUNNING}, %(now)s, %(now)s FROM bumped RETURNING trial_id, number)")

        started = ("SELECT trial_id, number, true AS claimed FROM claimed "
                   "UNION ALL SELECT trial_id, number, false FROM created")
        finish_ctes = (
            f"done AS (UPDATE {_T} SET state = %(state)s, value = %(value)s, values_json = %(values)s, "
            f"datetime_complete = %(now)s WHERE trial_id = %(trial)s AND state IN ({_RUNNING}, {_WAITING}) "
            f"RETURNING trial_id), "
            f"p AS (INSERT INTO {_P} (trial_id, name, value, distribution_json) "
            f"SELECT done.trial_id, x.name, x.value, x.dist FROM done, "
            f"unnest(%(names)s::text[], %(internals)s::float8[], %(dists)s::text[]) AS x(name, value, dist) "
            f"ON CONFLICT (trial_id, name) DO UPDATE SET value = excluded.value, "
            f"distribution_json = excluded.distribution_json), "
            f"a AS (INSERT INTO {_A} (trial_id, kind, key, value_json) "
            f"SELECT done.trial_id, 'system', x.key, x.value FROM done, "
            f"unnest(%(keys)s::text[], %(jsons)s::text[]) AS x(key, value) "
            f"ON CONFLICT (trial_id, kind, key) DO UPDATE SET value_json = excluded.value_json)")
        self.start_one = f"WITH {start_ctes()} {started}"
        self.finish_one = f"WITH {finish_ctes} SELECT count(*) FROM done"
        gated = start_ctes("AND EXISTS (SELECT 1 FROM done) ", "AND trial_id <> %(trial)s ")
        self.finish_start_one = (f"WITH {finish_ctes}, {gated} SELECT d.n, s.trial_id, s.number, s.claimed "
                                 f"FROM (SELECT count(*) AS n FROM done) AS d LEFT JOIN ({started}) AS s ON true")
        self.started_at = (f"SELECT trial_id FROM {_T} WHERE study_id = {p} AND state = {_RUNNING} "
                           f"AND datetime_start = {p} ORDER BY trial_id LIMIT 1")
        self.state_of = f"SELECT state, number, datetime_complete FROM {_T} WHERE trial_id = {p}"
        self.upsert_param = (f"INSERT INTO {_P} (trial_id, name, value, distribution_json) VALUES ({p}, {p}, {p}, {p}) "
                             "ON CONFLICT (trial_id, name) DO UPDATE SET value = excluded.value, "
                             "distribution_json = excluded.distribution_json")
        self.upsert_attr = (f"INSERT INTO {_A} (trial_id, kind, key, value_json) VALUES ({p}, {p}, {p}, {p}) "
                            "ON CONFLICT (trial_id, kind, key) DO UPDATE SET value_json = excluded.value_json")


#: A trial that a finish could not finish: (state, number, datetime_complete), or (-1, -1, None) if missing.
Found = tuple[int, int, float | None]

STATEMENTS = {"sqlite": Statements("sqlite"), "postgresql": Statements("postgresql")}


def start(q: Statements, cursor: Any, study_id: int, now: float) -> tuple[int, int | None]:
    """Claim the oldest WAITING trial or create a RUNNING one: ``(trial_id, number or None if claimed)``.

    Returns ``(-1, None)`` when the study does not exist.
    """
    if q.dialect == "postgresql":
        row = cursor.execute(q.start_one, {"study": study_id, "now": now}).fetchone()
        if row is None:
            return -1, None
        return int(row[0]), (None if row[2] else int(row[1]))
    row = cursor.execute(q.oldest_waiting, (study_id,)).fetchone()
    if row is not None:
        cursor.execute(q.claim, (now, now, row[0]))
        return int(row[0]), None
    bumped = cursor.execute(q.bump, (study_id,)).fetchone()
    if bumped is None:
        return -1, None
    created = cursor.execute(q.insert_running, (study_id, int(bumped[0]) - 1, now, now)).fetchone()
    return int(created[0]), int(created[1])


def finish(
    q: Statements,
    cursor: Any,
    trial_id: int,
    state: TrialState,
    values: tuple[float, ...] | None,
    params: Mapping[str, StoredParam],
    system_attrs: Mapping[str, Any],
    now: float,
) -> Found | None:
    """Finish a trial with its last parameters and attributes.

    Returns None, or what :data:`Found` says of the trial when it was missing or finished already.
    """
    if q.dialect == "postgresql":
        done = cursor.execute(q.finish_one, _finish_args(trial_id, state, values, params, system_attrs, now)).fetchone()[0]
        return None if done == 1 else _state_of(q, cursor, trial_id)
    cursor.execute(q.finish, (int(state), values[0] if values else None,
                              json.dumps(list(values)) if values is not None else None, now, trial_id))
    if cursor.rowcount != 1:
        return _state_of(q, cursor, trial_id)
    if params:
        cursor.executemany(q.upsert_param, [(trial_id, name, float(internal), dist.to_json())
                                            for name, (internal, dist) in params.items()])
    if system_attrs:
        cursor.executemany(q.upsert_attr, [(trial_id, "system", key, json.dumps(value))
                                           for key, value in system_attrs.items()])
    return None


def finish_and_start(
    q: Statements,
    cursor: Any,
    trial_id: int,
    state: TrialState,
    values: tuple[float, ...] | None,
    params: Mapping[str, StoredParam],
    system_attrs: Mapping[str, Any],
    study_id: int,
    now: float,
) -> tuple[Found | None, tuple[int, int | None]]:
    """:func:`finish` then, only if it finished the trial, :func:`start` in the same transaction.

    Returns ``(finish's result, start's result)``; start's is ``(-1, None)`` when nothing was started.
    """
    if q.dialect == "postgresql":
        args = _finish_args(trial_id, state, values, params, system_attrs, now)
        row = cursor.execute(q.finish_start_one, {**args, "study": study_id}).fetchone()
        if row[0] != 1:
            return _state_of(q, cursor, trial_id), (-1, None)
        if row[1] is None:
            return None, (-1, None)
        return None, (int(row[1]), None if row[3] else int(row[2]))
    found = finish(q, cursor, trial_id, state, values, params, system_attrs, now)
    if found is not None:
        return found, (-1, None)
    return None, start(q, cursor, study_id, now)


def retry_start(q: Statements, cursor: Any, study_id: int, now: float) -> tuple[int, int | None]:
    """:func:`start` again after an attempt whose reply was lost with the connection.

    If that attempt committed, its trial (started at ``now``, the call's own timestamp) is taken
    rather than a second one started and left RUNNING with nobody to run it; it is returned as
    claimed (number None), so the caller reads it whole.
    """
    row = cursor.execute(q.started_at, (study_id, now)).fetchone()
    return (int(row[0]), None) if row is not None else start(q, cursor, study_id, now)


def retry_finish_and_start(q: Statements, cursor: Any, trial_id: int, state: TrialState,
                           values: tuple[float, ...] | None, params: Mapping[str, StoredParam],
                           system_attrs: Mapping[str, Any], study_id: int,
                           now: float) -> tuple[Found | None, tuple[int, int | None]]:
    """:func:`finish_and_start` again after an attempt whose reply was lost with the connection."""
    found, started = finish_and_start(q, cursor, trial_id, state, values, params, system_attrs, study_id, now)
    if own_write(found, state, now):  # the lost attempt committed
        return found, retry_start(q, cursor, study_id, now)
    return found, started


def own_write(found: Found | None, state: TrialState, now: float) -> bool:
    """Whether a trial a finish ``found`` finished already was finished by that very write (as
    ``state`` at ``now``, the write's own timestamp), on an attempt whose reply was lost."""
    return found is not None and found[0] == int(state) and found[2] == now


def first_then(first: Callable[[Any], T], again: Callable[[Any], T]) -> Callable[[Any], T]:
    """``first(cursor)`` on the first call, ``again(cursor)`` on every retry after it."""
    calls = 0

    def run(cursor: Any) -> T:
        nonlocal calls
        calls += 1
        return first(cursor) if calls == 1 else again(cursor)

    return run


def _finish_args(trial_id: int, state: TrialState, values: tuple[float, ...] | None,
                 params: Mapping[str, StoredParam], system_attrs: Mapping[str, Any], now: float) -> dict[str, Any]:
    return {
        "state": int(state), "value": values[0] if values else None,
        "values": json.dumps(list(values)) if values is not None else None, "now": now, "trial": trial_id,
        "names": list(params), "internals": [float(v) for v, _ in params.values()],
        "dists": [d.to_json() for _, d in params.values()],
        "keys": list(system_attrs), "jsons": [json.dumps(v) for v in system_attrs.values()],
    }


def _state_of(q: Statements, cursor: Any, trial_id: int) -> Found:
    row = cursor.execute(q.state_of, (trial_id,)).fetchone()
    return (-1, -1, None) if row is None else (int(row[0]), int(row[1]), row[2])
