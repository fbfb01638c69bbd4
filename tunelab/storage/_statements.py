"""The statements of SQLStorage: the hot writes every trial makes, and the row writers of the rest.

Starting and finishing a trial are the two writes every trial makes. Through SQLAlchemy's
execution machinery each statement costs several times what the database spends on it, so these
few fixed statements go straight to the driver's cursor (``tx.cursor``) of the one transaction
runner (``_tx``); PostgreSQL runs each as one statement (a claim-or-create, a finish, a
finish-then-start), SQLite as a few in one ``BEGIN IMMEDIATE`` transaction. Everything else is
SQLAlchemy Core on ``tx.conn``.

Write tokens: a start stores its transaction's token in the row it claims or creates, a finish in
the row it finishes. A write retried after its reply was lost (``tx.uncertain``) first looks for
its token: found, the lost attempt committed and is not done again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from tunelab._records import TrialState
from tunelab.storage import _schema as S
from tunelab.storage._base import StoredParam
from tunelab.storage._tx import Tx

_T, _P, _A, _S = S.trials.name, S.trial_params.name, S.trial_attrs.name, S.studies.name
_RUNNING, _WAITING = int(TrialState.RUNNING), int(TrialState.WAITING)

# -- Core statements built once (building a statement costs more than running it) -------------------------
_t = S.trials
ANY_WAITING = (sa.select(_t.c.trial_id).where((_t.c.study_id == sa.bindparam("b_study"))
                                               & (_t.c.state == int(TrialState.WAITING))).limit(1))
BUMP = (sa.update(S.studies).where(S.studies.c.study_id == sa.bindparam("b_study"))
        .values(n_trials=S.studies.c.n_trials + 1).returning(S.studies.c.n_trials))
INSERT_TRIAL = sa.insert(_t)


class Found(NamedTuple):
    """A trial that a finish could not finish: missing (state -1) or finished already."""

    state: int
    number: int
    token: str | None

    def is_own(self, state: TrialState, token: str) -> bool:
        """Whether the finish that found this is the write that finished it (on an attempt whose reply was lost)."""
        return self.state == int(state) and self.token == token


MISSING = Found(-1, -1, None)


class Statements:
    """The hot statements in one dialect's placeholder style (``?`` for sqlite3, ``%s`` for psycopg)."""

    def __init__(self, dialect: str) -> None:
        p = "?" if dialect == "sqlite" else "%s"
        self.dialect = dialect
        self.oldest_waiting = (f"SELECT trial_id FROM {_T} WHERE study_id = {p} AND state = {_WAITING} "
                               f"ORDER BY trial_id LIMIT 1")
        self.claim = (f"UPDATE {_T} SET state = {_RUNNING}, datetime_start = {p}, heartbeat = {p}, "
                      f"write_token = {p} WHERE trial_id = {p}")
        self.bump = f"UPDATE {_S} SET n_trials = n_trials + 1 WHERE study_id = {p} RETURNING n_trials"
        self.insert_running = (f"INSERT INTO {_T} (study_id, number, state, datetime_start, heartbeat, write_token) "
                               f"VALUES ({p}, {p}, {_RUNNING}, {p}, {p}, {p}) RETURNING trial_id, number")
        self.finish = (f"UPDATE {_T} SET state = {p}, value = {p}, values_json = {p}, datetime_complete = {p}, "
                       f"write_token = {p} WHERE trial_id = {p} AND state IN ({_RUNNING}, {_WAITING})")
        self.started_by = f"SELECT trial_id FROM {_T} WHERE study_id = {p} AND write_token = {p}"
        self.state_of = f"SELECT state, number, write_token FROM {_T} WHERE trial_id = {p}"
        self.upsert_param = (f"INSERT INTO {_P} (trial_id, name, value, distribution_json) VALUES ({p}, {p}, {p}, {p}) "
                             "ON CONFLICT (trial_id, name) DO UPDATE SET value = excluded.value, "
                             "distribution_json = excluded.distribution_json")
        self.upsert_attr = (f"INSERT INTO {_A} (trial_id, kind, key, value_json) VALUES ({p}, {p}, {p}, {p}) "
                            "ON CONFLICT (trial_id, kind, key) DO UPDATE SET value_json = excluded.value_json")
        if dialect == "postgresql":
            self._postgresql()

    def _postgresql(self) -> None:
        # claim-or-create, finish, and finish-then-start as single statements (one round trip each,
        # atomic alone); in the last, nothing is started unless the finish took place
        def start_ctes(gate: str = "", other: str = "") -> str:
            return (
                f"claimed AS (UPDATE {_T} SET state = {_RUNNING}, datetime_start = %(now)s, heartbeat = %(beat)s, "
                f"write_token = %(start_token)s "
                f"WHERE trial_id = (SELECT trial_id FROM {_T} WHERE study_id = %(study)s AND state = {_WAITING} "
                f"{other}{gate}ORDER BY trial_id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING trial_id, number), "
                f"bumped AS (UPDATE {_S} SET n_trials = n_trials + 1 WHERE study_id = %(study)s "
                f"AND NOT EXISTS (SELECT 1 FROM claimed) {gate}RETURNING n_trials), "
                f"created AS (INSERT INTO {_T} (study_id, number, state, datetime_start, heartbeat, write_token) "
                f"SELECT %(study)s, n_trials - 1, {_RUNNING}, %(now)s, %(beat)s, %(start_token)s FROM bumped "
                f"RETURNING trial_id, number)")

        started = ("SELECT trial_id, number, true AS claimed FROM claimed "
                   "UNION ALL SELECT trial_id, number, false FROM created")
        finish_ctes = (
            f"done AS (UPDATE {_T} SET state = %(state)s, value = %(value)s, values_json = %(values)s, "
            f"datetime_complete = %(now)s, write_token = %(token)s "
            f"WHERE trial_id = %(trial)s AND state IN ({_RUNNING}, {_WAITING}) RETURNING trial_id), "
            f"p AS (INSERT INTO {_P} (trial_id, name, value, distribution_json) "
            f"SELECT done.trial_id, x.name, x.value, x.dist FROM done, "
            f"unnest(%(names)s::text[], %(internals)s::float8[], %(dists)s::text[]) AS x(name, value, dist) "
            f"ON CONFLICT (trial_id, name) DO UPDATE SET value = excluded.value, "
            f"distribution_json = excluded.distribution_json), "
            f"a AS (INSERT INTO {_A} (trial_id, kind, key, value_json) "
            f"SELECT done.trial_id, x.kind, x.key, x.value FROM done, "
            f"unnest(%(kinds)s::text[], %(keys)s::text[], %(jsons)s::text[]) AS x(kind, key, value) "
            f"ON CONFLICT (trial_id, kind, key) DO UPDATE SET value_json = excluded.value_json)")
        self.start_one = f"WITH {start_ctes()} {started}"
        self.finish_one = f"WITH {finish_ctes} SELECT count(*) FROM done"
        gated = start_ctes("AND EXISTS (SELECT 1 FROM done) ", "AND trial_id <> %(trial)s ")
        self.finish_start_one = (f"WITH {finish_ctes}, {gated} SELECT d.n, s.trial_id, s.number, s.claimed "
                                 f"FROM (SELECT count(*) AS n FROM done) AS d LEFT JOIN ({started}) AS s ON true")


STATEMENTS = {"sqlite": Statements("sqlite"), "postgresql": Statements("postgresql")}

#: A started trial: ``(trial_id, number)``, the number None for a claimed WAITING trial (read it whole);
#: ``(-1, None)`` when the study does not exist or nothing was started.
Started = tuple[int, int | None]
NOT_STARTED: Started = (-1, None)


class Finish(NamedTuple):
    """What a finish writes: the final state and values, the last parameters and attributes."""

    trial_id: int
    state: TrialState
    values: tuple[float, ...] | None
    params: Mapping[str, StoredParam]
    attrs: Mapping[tuple[str, str], Any]  # (kind, key) -> JSON value


def start(tx: Tx, study_id: int, now: float, token: str, beat: float | None) -> Started:
    """Claim the oldest WAITING trial or create a RUNNING one, stamped with ``token``; its first
    heartbeat is ``beat`` (None when the starting process does not heartbeat: such a trial is never
    taken for a dead worker's)."""
    q, cursor = STATEMENTS[tx.dialect], tx.cursor
    if tx.uncertain:  # the lost attempt may have started one already
        row = cursor.execute(q.started_by, (study_id, token)).fetchone()
        if row is not None:
            return int(row[0]), None
    if q.dialect == "postgresql":
        row = cursor.execute(q.start_one, {"study": study_id, "now": now, "beat": beat, "start_token": token}).fetchone()
        if row is None:
            return NOT_STARTED
        return int(row[0]), (None if row[2] else int(row[1]))
    row = cursor.execute(q.oldest_waiting, (study_id,)).fetchone()
    if row is not None:
        cursor.execute(q.claim, (now, beat, token, row[0]))
        return int(row[0]), None
    bumped = cursor.execute(q.bump, (study_id,)).fetchone()
    if bumped is None:
        return NOT_STARTED
    created = cursor.execute(q.insert_running, (study_id, int(bumped[0]) - 1, now, beat, token)).fetchone()
    return int(created[0]), int(created[1])


def finish(tx: Tx, f: Finish, now: float, token: str) -> Found | None:
    """Finish a trial with its last parameters and attributes, stamped with ``token``.

    Returns None when this call (or, after a lost reply, its first attempt) finished it; else what
    :class:`Found` says of the trial, missing or finished already, and nothing is written.
    """
    q, cursor = STATEMENTS[tx.dialect], tx.cursor
    if q.dialect == "postgresql":
        done = cursor.execute(q.finish_one, _finish_args(f, now, token)).fetchone()[0]
        return None if done == 1 else _unfinished(tx, f, token)
    cursor.execute(q.finish, (int(f.state), f.values[0] if f.values else None,
                              json.dumps(list(f.values)) if f.values is not None else None, now, token, f.trial_id))
    if cursor.rowcount != 1:
        return _unfinished(tx, f, token)
    if f.params:
        cursor.executemany(q.upsert_param, [(f.trial_id, name, float(internal), dist.to_json())
                                            for name, (internal, dist) in f.params.items()])
    if f.attrs:
        cursor.executemany(q.upsert_attr, [(f.trial_id, kind, key, json.dumps(value))
                                           for (kind, key), value in f.attrs.items()])
    return None


def finish_and_start(tx: Tx, f: Finish, study_id: int, now: float, token: str,
                     beat: float | None) -> tuple[Found | None, Started]:
    """:func:`finish` then, only if it finished the trial, :func:`start` in the same transaction.

    ``token`` stamps the finish; the start is stamped ``token + "+"``.
    """
    q = STATEMENTS[tx.dialect]
    if q.dialect == "postgresql" and not tx.uncertain:
        args = {**_finish_args(f, now, token), "study": study_id, "start_token": token + "+", "beat": beat}
        row = tx.cursor.execute(q.finish_start_one, args).fetchone()
        if row[0] != 1:
            return _unfinished(tx, f, token), NOT_STARTED
        if row[1] is None:
            return None, NOT_STARTED
        return None, (int(row[1]), None if row[3] else int(row[2]))
    found = finish(tx, f, now, token)
    if found is not None:
        return found, NOT_STARTED
    return None, start(tx, study_id, now, token + "+", beat)


def _unfinished(tx: Tx, f: Finish, token: str) -> Found | None:
    row = tx.cursor.execute(STATEMENTS[tx.dialect].state_of, (f.trial_id,)).fetchone()
    found = MISSING if row is None else Found(int(row[0]), int(row[1]), row[2])
    return None if tx.uncertain and found.is_own(f.state, token) else found


def _finish_args(f: Finish, now: float, token: str) -> dict[str, Any]:
    return {
        "state": int(f.state), "value": f.values[0] if f.values else None,
        "values": json.dumps(list(f.values)) if f.values is not None else None, "now": now, "trial": f.trial_id,
        "token": token, "names": list(f.params), "internals": [float(v) for v, _ in f.params.values()],
        "dists": [d.to_json() for _, d in f.params.values()],
        "kinds": [kind for kind, _ in f.attrs], "keys": [key for _, key in f.attrs],
        "jsons": [json.dumps(v) for v in f.attrs.values()],
    }


# -- row writers on SQLAlchemy Core ----------------------------------------------------------------------


def nan_to_null(value: float) -> float | None:
    value = float(value)
    return None if value != value else value


def insert_params(tx: Tx, trial_id: int, params: Mapping[str, StoredParam], *, replace: bool = False) -> None:
    write_rows(tx, S.trial_params, [
        {"trial_id": trial_id, "name": name, "value": float(internal), "distribution_json": dist.to_json()}
        for name, (internal, dist) in params.items()], replace=replace)


def insert_attrs(tx: Tx, trial_id: int, kind: str, attrs: Mapping[str, Any], *, replace: bool = False) -> None:
    write_rows(tx, S.trial_attrs, [
        {"trial_id": trial_id, "kind": kind, "key": key, "value_json": json.dumps(value)}
        for key, value in attrs.items()], replace=replace)


def write_rows(tx: Tx, table: sa.Table, rows: list[dict[str, Any]], *, replace: bool) -> None:
    """Insert ``rows``; with ``replace``, a row whose primary key exists is overwritten (one upsert)."""
    if not rows:
        return
    if not replace:
        tx.execute(sa.insert(table), rows)
        return
    key = (tx.dialect, table.name)
    statement = _UPSERTS.get(key)
    if statement is None:
        if tx.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        plain = insert(table)
        keys = [c.name for c in table.primary_key.columns]
        others = {c.name: plain.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = _UPSERTS[key] = plain.on_conflict_do_update(index_elements=keys, set_=others)
    tx.execute(statement, rows)


#: Upsert statements by (dialect, table), built once: building one costs more than running it.
_UPSERTS: dict[tuple[str, str], Any] = {}
