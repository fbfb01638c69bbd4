"""The SQL pieces behind SQLStorage: the SQLite engine set-up, statements built once, row writers."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from tunelab._errors import StorageError
from tunelab._records import TrialState
from tunelab.storage import _schema as S
from tunelab.storage._base import StoredParam

# -- statements built once (building a statement costs more than running it) -----------------------------
_t = S.trials
ANY_WAITING = (sa.select(_t.c.trial_id).where((_t.c.study_id == sa.bindparam("b_study"))
                                               & (_t.c.state == int(TrialState.WAITING))).limit(1))
BUMP = (sa.update(S.studies).where(S.studies.c.study_id == sa.bindparam("b_study"))
        .values(n_trials=S.studies.c.n_trials + 1).returning(S.studies.c.n_trials))
INSERT_TRIAL = sa.insert(_t)


# -- helpers -----------------------------------------------------------------------------------------------


def sqlite_engine(url: Any, kwargs: dict[str, Any]) -> Engine:
    database = url.database
    in_memory = not database or database == ":memory:"
    if in_memory:
        kwargs.setdefault("poolclass", sa.pool.StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    else:
        parent = os.path.dirname(os.path.abspath(database))
        if not os.path.isdir(parent):
            raise StorageError(f"storage {str(url)!r}: the folder {parent!r} does not exist")
        if not S.opened_here(database):
            S.inspect_sqlite_file(database)
        kwargs.setdefault("connect_args", {"timeout": 60.0, "check_same_thread": False})
    engine = sa.create_engine(url, **kwargs)
    if not in_memory:
        S.remember_engine(database, engine)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get("tunelab_write", True):  # reads run statement by statement
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def is_transient(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return exc.connection_invalidated or any(
        word in text for word in ("locked", "busy", "could not serialize", "deadlock", "connection", "terminat")
    )


def nan_to_null(value: float) -> float | None:
    value = float(value)
    return None if value != value else value


def insert_params(conn: Connection, trial_id: int, params: Mapping[str, StoredParam], *, replace: bool = False) -> None:
    write_rows(conn, S.trial_params, [
        {"trial_id": trial_id, "name": name, "value": float(internal), "distribution_json": dist.to_json()}
        for name, (internal, dist) in params.items()], replace=replace)


def insert_attrs(conn: Connection, trial_id: int, kind: str, attrs: Mapping[str, Any], *, replace: bool = False) -> None:
    write_rows(conn, S.trial_attrs, [
        {"trial_id": trial_id, "kind": kind, "key": key, "value_json": json.dumps(value)}
        for key, value in attrs.items()], replace=replace)


def write_rows(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], *, replace: bool) -> None:
    """Insert ``rows``; with ``replace``, a row whose primary key exists is overwritten (one upsert)."""
    if not rows:
        return
    if not replace:
        conn.execute(sa.insert(table), rows)
        return
    key = (conn.dialect.name, table.name)
    statement = _UPSERTS.get(key)
    if statement is None:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        plain = insert(table)
        keys = [c.name for c in table.primary_key.columns]
        others = {c.name: plain.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = _UPSERTS[key] = plain.on_conflict_do_update(index_elements=keys, set_=others)
    conn.execute(statement, rows)


#: Upsert statements by (dialect, table), built once: building one costs more than running it.
_UPSERTS: dict[tuple[str, str], Any] = {}
