"""SQL storage through SQLAlchemy Core: SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` write transactions, so
several processes on one host and readers (report, dashboard) share one file without
"database is locked" reaching the user. PostgreSQL uses row locks for the same promises.
Finished trials never change, so each storage object caches them and re-reads only trials that
are new or were unfinished at the last read.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from tunelab._errors import (
    DuplicatedStudyError,
    InvalidArgumentError,
    StorageError,
    StudyNotFoundError,
    TrialNotFoundError,
    wrong_type,
)
from tunelab._records import FAIL_REASON_ATTR, FrozenTrial, StudyDirection, StudySummary, TrialState
from tunelab.storage import _fast as fast
from tunelab.storage import _schema as S
from tunelab.storage import _sql_ops as Q
from tunelab.storage._base import (
    Finish,
    Storage,
    StoredParam,
    check_attr_kind,
    check_attr_value,
    check_attrs,
    check_liveness,
    raise_finished,
)
from tunelab.storage._liveness import Heartbeat
from tunelab.storage._rows import TrialCache, assemble_trials, from_timestamp, summaries_from_rows

T = TypeVar("T")

_RETRIES = 8


class SQLStorage(Storage):
    """Storage in an SQL database named by an SQLAlchemy URL.

    Heartbeats (off by default): with ``heartbeat_interval`` seconds, every trial this storage
    object creates or claims RUNNING (and every trial a worker process passes to
    :meth:`start_heartbeat`) heartbeats from a background thread until it finishes. A RUNNING
    trial silent for more than ``grace_period`` seconds (default: four intervals) belongs to a
    dead worker: the next ``ask`` on the study (or :meth:`fail_stale_trials`) marks it FAIL and,
    while it has been re-queued fewer than ``retries`` times, queues a WAITING copy with the same
    parameters (system attributes ``retry_of`` and ``retry_count`` link the two).

    >>> s = SQLStorage("sqlite://")          # in-memory SQLite, for tests
    >>> sid = s.create_study("demo", [StudyDirection.MINIMIZE])
    >>> s.get_study_name(sid)
    'demo'
    >>> SQLStorage("sqlite://", heartbeat_interval=5, retries=1).grace_period
    20.0
    """

    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        retries: int = 0,
        engine_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(url, str):
            raise wrong_type("url", url, "an SQLAlchemy database URL string")
        self.heartbeat_interval, self.grace_period, self.retries = check_liveness(
            heartbeat_interval, grace_period, retries)
        self._heartbeat = None if self.heartbeat_interval is None else Heartbeat(
            self.heartbeat_interval, self._beat)
        self.url = url
        self._engine_kwargs = dict(engine_kwargs or {})
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        kwargs: dict[str, Any] = dict(engine_kwargs or {})
        if backend == "sqlite":
            self._engine = Q.sqlite_engine(parsed, kwargs)
        elif backend == "postgresql":
            if parsed.drivername == "postgresql":
                from tunelab._errors import require_extra

                require_extra("psycopg", "postgres")
                parsed = parsed.set(drivername="postgresql+psycopg")
            # no pre-ping round trip per checkout: a connection found dead is retried by _run instead
            self._engine = sa.create_engine(parsed, **kwargs)
        else:
            raise InvalidArgumentError(
                f"storage={url!r} is invalid: must be a sqlite:/// or postgresql:// URL"
            )
        self._backend = backend
        self._lock = threading.Lock()
        # an in-memory SQLite database is one connection shared by every thread: one transaction at a time
        self._serial = threading.RLock() if not self.shared_between_processes else contextlib.nullcontext()
        self._caches: dict[int, TrialCache] = {}
        self._init_schema()

    def __repr__(self) -> str:
        from tunelab.storage import redact_url

        return f"SQLStorage({redact_url(self.url)!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # workers in other processes reconnect by URL
        return (_rebuild, (self.url, self.heartbeat_interval, self.grace_period, self.retries, self._engine_kwargs))

    @property
    def shared_between_processes(self) -> bool:
        """True unless this is an in-memory SQLite database (which only this process can see)."""
        database = make_url(self.url).database
        return self._backend != "sqlite" or bool(database and database != ":memory:")

    def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
        self._engine.dispose()
        if self._backend == "sqlite" and self._engine.url.database:
            S.forget_engine(self._engine.url.database, self._engine)

    # -- transactions ------------------------------------------------------------------------------
    def _run(self, fn: Callable[[Connection], T], *, write: bool = True) -> T:
        """Run ``fn`` in one transaction, retrying transient lock or connection errors.

        Reads run without BEGIN / COMMIT on PostgreSQL: each statement sees its own snapshot
        (as under PostgreSQL's READ COMMITTED anyway). Readers fetch trial rows before their parts, and a finished trial's
        parts are committed with its state, so a trial read as finished is read whole.
        """
        delay = 0.01
        for attempt in range(_RETRIES):
            try:
                with self._serial, self._engine.connect() as conn:
                    if not write and self._backend == "postgresql":
                        return fn(conn.execution_options(isolation_level="AUTOCOMMIT"))
                    conn.execution_options(tunelab_write=write)
                    with conn.begin():
                        return fn(conn)
            except OperationalError as exc:
                if attempt == _RETRIES - 1 or not Q.is_transient(exc):
                    raise StorageError(f"storage {self.url!r} failed: {exc.orig}") from exc
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == _RETRIES - 1:
                    raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_raw(self, fn: Callable[[Any], T], *, several: bool = False) -> T:
        """Run ``fn`` on a DBAPI cursor in one transaction, retrying lock waits and lost connections.

        The fast path for the statements every trial runs (see ``_fast``): SQLite in
        BEGIN IMMEDIATE ... COMMIT; on PostgreSQL each is a single statement, run in autocommit
        (one round trip, atomic on its own), unless ``several`` statements make one transaction.
        """
        sqlite = self._backend == "sqlite"
        delay = 0.01
        for attempt in range(_RETRIES):
            try:
                with self._serial, self._engine.connect() as conn:
                    raw = conn.connection.driver_connection
                    if not sqlite:
                        raw.autocommit = not several
                    cursor = raw.cursor()
                    try:
                        if sqlite:
                            cursor.execute("BEGIN IMMEDIATE")
                        result = fn(cursor)
                        if sqlite:
                            cursor.execute("COMMIT")
                        elif several:
                            raw.commit()
                        return result
                    except BaseException as exc:
                        if _dbapi_transient(exc):
                            conn.invalidate()  # the pool drops this connection; the retry takes a fresh one
                        elif sqlite and raw.in_transaction:
                            cursor.execute("ROLLBACK")
                        elif several and not raw.closed:
                            raw.rollback()
                        raise
                    finally:
                        if not conn.invalidated:  # an invalidated sqlite3 connection refuses even close()
                            cursor.close()
                        if not sqlite and not raw.closed:
                            raw.autocommit = False
            except Exception as exc:
                if not _dbapi_transient(exc) or attempt == _RETRIES - 1:
                    if _dbapi_transient(exc):
                        raise StorageError(f"storage {self.url!r} failed: {exc}") from exc
                    raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _init_schema(self) -> None:
        def init(conn: Connection) -> None:
            S.metadata.create_all(conn)
            row = conn.execute(sa.select(S.meta.c.value).where(S.meta.c.key == "schema_version")).first()
            if row is None:
                conn.execute(sa.insert(S.meta).values(key="schema_version", value=str(S.SCHEMA_VERSION)))
            else:
                S.check_schema_version(row[0], self.url)

        if self._backend == "postgresql":
            def init_pg(conn: Connection) -> None:  # one initialiser at a time across processes
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7457329)"))
                init(conn)

            self._run(init_pg)
        else:
            self._run(init)

    # -- studies ------------------------------------------------------------------------------------
    def create_study(self, study_name: str, directions: Iterable[StudyDirection]) -> int:
        encoded = json.dumps([d.name for d in directions])

        def create(conn: Connection) -> int:
            if conn.execute(sa.select(S.studies.c.study_id).where(S.studies.c.study_name == study_name)).first():
                raise DuplicatedStudyError(f"a study named {study_name!r} already exists")
            result = conn.execute(sa.insert(S.studies).values(
                study_name=study_name, directions=encoded, n_trials=0, created=time.time()))
            return int(result.inserted_primary_key[0])

        try:
            return self._run(create)
        except IntegrityError:
            raise DuplicatedStudyError(f"a study named {study_name!r} already exists") from None

    def delete_study(self, study_id: int) -> None:
        def delete(conn: Connection) -> None:
            self._study_row(conn, study_id)
            ids = sa.select(S.trials.c.trial_id).where(S.trials.c.study_id == study_id)
            for table in (S.trial_params, S.trial_intermediate, S.trial_attrs):
                conn.execute(sa.delete(table).where(table.c.trial_id.in_(ids)))
            conn.execute(sa.delete(S.trials).where(S.trials.c.study_id == study_id))
            conn.execute(sa.delete(S.study_attrs).where(S.study_attrs.c.study_id == study_id))
            conn.execute(sa.delete(S.studies).where(S.studies.c.study_id == study_id))

        self._run(delete)
        with self._lock:
            self._caches.pop(study_id, None)

    @staticmethod
    def _study_row(conn: Connection, study_id: int) -> Any:
        row = conn.execute(sa.select(S.studies).where(S.studies.c.study_id == study_id)).first()
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id}")
        return row

    def get_study_id(self, study_name: str) -> int:
        query = sa.select(S.studies.c.study_id).where(S.studies.c.study_name == study_name)
        row = self._run(lambda conn: conn.execute(query).first(), write=False)
        if row is None:
            raise StudyNotFoundError(f"no study named {study_name!r}")
        return int(row[0])

    def get_study_name(self, study_id: int) -> str:
        return self._run(lambda conn: self._study_row(conn, study_id).study_name, write=False)

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        cache = self._caches.get(study_id)
        if cache is not None and cache.directions is not None:
            return cache.directions
        row = self._run(lambda conn: self._study_row(conn, study_id), write=False)
        return tuple(StudyDirection[d] for d in json.loads(row.directions))

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_attr_kind(kind)
        check_attr_value(key, value)
        table = S.study_attrs

        def put(conn: Connection) -> None:
            self._study_row(conn, study_id)
            Q.write_rows(conn, table, [{"study_id": study_id, "kind": kind, "key": key, "value_json": json.dumps(value)}],
                        replace=True)

        self._run(put)

    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        check_attr_kind(kind)
        table = S.study_attrs

        def get(conn: Connection) -> dict[str, Any]:
            self._study_row(conn, study_id)
            rows = conn.execute(sa.select(table.c.key, table.c.value_json).where(
                (table.c.study_id == study_id) & (table.c.kind == kind)))
            return {k: json.loads(v) for k, v in rows}

        return self._run(get, write=False)

    def get_all_studies(self) -> list[StudySummary]:
        t, s = S.trials, S.studies

        def get(conn: Connection) -> list[StudySummary]:
            study_rows = conn.execute(sa.select(s).order_by(s.c.study_id)).all()
            counts = conn.execute(sa.select(
                t.c.study_id, t.c.state, sa.func.count(), sa.func.min(t.c.value), sa.func.max(t.c.value),
                sa.func.max(sa.func.coalesce(t.c.datetime_complete, t.c.datetime_start)),
            ).group_by(t.c.study_id, t.c.state)).all()
            attrs = conn.execute(sa.select(S.study_attrs).where(S.study_attrs.c.kind == "user")).all()
            return summaries_from_rows(study_rows, counts, attrs)

        return self._run(get, write=False)

    # -- trials ---------------------------------------------------------------------------------------
    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        params: Mapping[str, StoredParam] | None = None,
        values: tuple[float, ...] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> FrozenTrial:
        check_attrs(user_attrs, system_attrs)
        now = time.time()

        row = {
            "study_id": study_id, "state": int(state), "value": values[0] if values else None,
            "values_json": json.dumps(list(values)) if values is not None else None,
            "datetime_start": None if state == TrialState.WAITING else now,
            "datetime_complete": now if state.is_finished() else None,
            "heartbeat": now if state == TrialState.RUNNING else None,
        }

        def create(conn: Connection) -> tuple[int, int]:
            return _insert_trial(conn, study_id, row, params, user_attrs, system_attrs, intermediate_values)

        trial_id, number = self._run(create)
        if state == TrialState.RUNNING:
            self.start_heartbeat(trial_id)
        stamp = from_timestamp(now)
        return FrozenTrial(
            number=number, state=state, values=tuple(values) if values is not None else None,
            params={n: d.to_external(v) for n, (v, d) in (params or {}).items()},
            distributions={n: d for n, (_, d) in (params or {}).items()},
            intermediate_values={int(k): float(v) for k, v in (intermediate_values or {}).items()},
            user_attrs=json.loads(json.dumps(dict(user_attrs or {}))),
            system_attrs=json.loads(json.dumps(dict(system_attrs or {}))),
            datetime_start=None if state == TrialState.WAITING else stamp,
            datetime_complete=stamp if state.is_finished() else None,
            trial_id=trial_id,
        )

    def start_trial(self, study_id: int) -> FrozenTrial:
        if self.grace_period is not None:
            self.fail_stale_trials(study_id)
        now = time.time()
        q = fast.STATEMENTS[self._backend]
        return self._started(study_id, *self._run_raw(fast.first_then(
            lambda cursor: fast.start(q, cursor, study_id, now),
            lambda cursor: fast.retry_start(q, cursor, study_id, now))), now)

    def finish_and_start_many(self, finishes: Sequence[Finish], *, study_id: int) -> list[FrozenTrial | None]:
        for f in finishes:
            check_attrs(f.system_attrs)
        if self.grace_period is not None:
            self.fail_stale_trials(study_id)
        q = fast.STATEMENTS[self._backend]
        stamps = [time.time()]  # one per trial, all distinct: each write's token for a retry
        while len(stamps) < len(finishes):
            stamps.append(math.nextafter(stamps[-1], math.inf))
        calls = [(f.trial_id, f.state, f.values, f.params or {}, f.system_attrs or {}, study_id, now)
                 for f, now in zip(finishes, stamps)]
        try:
            results = self._run_raw(fast.first_then(
                lambda cursor: [fast.finish_and_start(q, cursor, *c) for c in calls],
                lambda cursor: [fast.retry_finish_and_start(q, cursor, *c) for c in calls]), several=True)
        finally:
            for f in finishes:
                self.stop_heartbeat(f.trial_id)
        started: list[FrozenTrial | None] = []
        for (found, begun), f, now in zip(results, finishes, stamps):
            done = found is None or fast.own_write(found, f.state, now)
            started.append(self._started(study_id, *begun, now) if done else None)
        return started

    def _started(self, study_id: int, trial_id: int, number: int | None, now: float) -> FrozenTrial:
        """The trial a fast-path start returned: heartbeating, read whole if it was an enqueued one."""
        if trial_id < 0:
            raise StudyNotFoundError(f"no study with id {study_id}")
        self.start_heartbeat(trial_id)
        if number is None:  # an enqueued trial: read it whole (its fixed parameters, attributes)
            return self.get_trial(trial_id)
        return FrozenTrial(number=number, state=TrialState.RUNNING, values=None, params={}, distributions={},
                           datetime_start=from_timestamp(now), trial_id=trial_id)

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        t = S.trials
        if self.grace_period is not None:
            self.fail_stale_trials(study_id)
        if self._run(lambda conn: conn.execute(Q.ANY_WAITING, {"b_study": study_id}).first(), write=False) is None:
            return None  # the common case: no write lock taken

        def claim(conn: Connection) -> int | None:
            query = (sa.select(t.c.trial_id).where((t.c.study_id == study_id) & (t.c.state == int(TrialState.WAITING)))
                     .order_by(t.c.trial_id).limit(1))
            if self._backend == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return None
            now = time.time()
            conn.execute(sa.update(t).where(t.c.trial_id == row[0]).values(
                state=int(TrialState.RUNNING), datetime_start=now, heartbeat=now))
            return int(row[0])

        trial_id = self._run(claim)
        if trial_id is None:
            return None
        self.start_heartbeat(trial_id)
        return self.get_trial(trial_id)

    def _lock_running(self, conn: Connection, trial_id: int, action: str) -> None:
        query = sa.select(S.trials.c.state, S.trials.c.number).where(S.trials.c.trial_id == trial_id)
        if self._backend == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise TrialNotFoundError(f"no trial with id {trial_id}")
        state = TrialState(row.state)
        if state.is_finished():
            raise_finished(row.number, state, action)

    def set_trial_params(self, trial_id: int, params: Mapping[str, StoredParam]) -> None:
        def put(conn: Connection) -> None:
            self._lock_running(conn, trial_id, "setting parameters")
            Q.insert_params(conn, trial_id, params, replace=True)

        self._run(put)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        table = S.trial_intermediate

        def put(conn: Connection) -> None:
            self._lock_running(conn, trial_id, "report")
            Q.write_rows(conn, table, [{"trial_id": trial_id, "step": int(step), "value": Q.nan_to_null(value)}],
                        replace=True)
            conn.execute(sa.update(S.trials).where(S.trials.c.trial_id == trial_id).values(heartbeat=time.time()))

        self._run(put)

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        check_attr_kind(kind)
        check_attr_value(key, value)

        def put(conn: Connection) -> None:
            self._lock_running(conn, trial_id, f"setting {kind} attribute {key!r}")
            Q.insert_attrs(conn, trial_id, kind, {key: value}, replace=True)

        self._run(put)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        *,
        params: Mapping[str, StoredParam] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> None:
        check_attrs(system_attrs)
        try:
            now = time.time()
            q = fast.STATEMENTS[self._backend]
            self._raise_unfinished(trial_id, state, self._run_raw(lambda cursor: fast.finish(
                q, cursor, trial_id, state, values, params or {}, system_attrs or {}, now)), now)
        finally:
            self.stop_heartbeat(trial_id)

    @staticmethod
    def _raise_unfinished(trial_id: int, state: TrialState, found: fast.Found | None, now: float) -> None:
        """Raise if a fast-path finish found the trial missing or finished already (``found``).

        Not if it was finished as ``state`` at ``now``: that is this very write, committed on an
        attempt whose reply the lost connection never delivered, and retried.
        """
        if found is None or fast.own_write(found, state, now):
            return
        if found[0] < 0:
            raise TrialNotFoundError(f"no trial with id {trial_id}")
        raise_finished(found[1], TrialState(found[0]), f"finishing as {state.name}")

    def fail_lost_trial(self, trial_id: int, reason: str) -> tuple[int, int | None] | None:
        # one transaction: a process that dies in between leaves no failed trial without its retry
        trial = self.get_trial(trial_id)
        retry = self.retry_attrs(trial)
        if retry is not None:
            check_attrs(*retry)

        def fail(conn: Connection) -> tuple[int, int | None] | None:
            now = time.time()
            done = conn.execute(sa.update(S.trials).where(
                (S.trials.c.trial_id == trial_id)
                & S.trials.c.state.in_([int(TrialState.RUNNING), int(TrialState.WAITING)])).values(
                state=int(TrialState.FAIL), datetime_complete=now))
            if done.rowcount != 1:
                return None  # told or failed by someone else first
            Q.insert_attrs(conn, trial_id, "system", {FAIL_REASON_ATTR: reason}, replace=True)
            if retry is None:
                return trial.number, None
            study_id = conn.execute(sa.select(S.trials.c.study_id).where(S.trials.c.trial_id == trial_id)).scalar_one()
            row = {"study_id": study_id, "state": int(TrialState.WAITING), "value": None, "values_json": None,
                   "datetime_start": None, "datetime_complete": None, "heartbeat": None}
            return trial.number, _insert_trial(conn, study_id, row, None, *retry, None)[1]

        try:
            return self._run(fail)
        finally:
            self.stop_heartbeat(trial_id)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        t = S.trials

        def get(conn: Connection) -> list[FrozenTrial]:
            return assemble_trials(conn, t.c.trial_id == trial_id)

        found = self._run(get, write=False)
        if not found:
            raise TrialNotFoundError(f"no trial with id {trial_id}")
        return found[0]

    def get_trial_id(self, study_id: int, number: int) -> int:
        t = S.trials
        query = sa.select(t.c.trial_id).where((t.c.study_id == study_id) & (t.c.number == number))
        row = self._run(lambda conn: conn.execute(query).first(), write=False)
        if row is None:
            raise TrialNotFoundError(f"no trial number {number!r} in study id {study_id}")
        return int(row[0])

    def get_all_trials(
        self, study_id: int, *, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            cache = self._caches.setdefault(study_id, TrialCache())
            max_id, unfinished = cache.max_id, tuple(cache.unfinished)
        t = S.trials

        def read(conn: Connection) -> list[FrozenTrial]:
            if cache.directions is None:
                cache.directions = tuple(
                    StudyDirection[d] for d in json.loads(self._study_row(conn, study_id).directions))
            fresh = t.c.trial_id > max_id
            if unfinished:
                fresh = fresh | t.c.trial_id.in_(unfinished)
            return assemble_trials(conn, (t.c.study_id == study_id) & fresh)

        fetched = self._run(read, write=False)
        with self._lock:
            trials = cache.merge(fetched)
        if states is None:
            return trials
        wanted = frozenset(states)
        return [tr for tr in trials if tr.state in wanted]

    def get_n_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> int:
        t = S.trials
        query = sa.select(sa.func.count()).select_from(t).where(t.c.study_id == study_id)
        if states is not None:
            query = query.where(t.c.state.in_([int(s) for s in states]))
        return int(self._run(lambda conn: conn.execute(query).scalar_one(), write=False))

    # -- liveness ---------------------------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        self._beat((trial_id,))

    def _beat(self, trial_ids: Iterable[int]) -> None:
        t = S.trials
        self._run(lambda conn: conn.execute(
            sa.update(t).where(t.c.trial_id.in_(list(trial_ids)) & (t.c.state == int(TrialState.RUNNING)))
            .values(heartbeat=time.time())))

    def start_heartbeat(self, trial_id: int) -> None:
        if self._heartbeat is not None:
            self._heartbeat.add(trial_id)

    def stop_heartbeat(self, trial_id: int) -> None:
        if self._heartbeat is not None:
            self._heartbeat.discard(trial_id)

    def stale_trial_ids(self, study_id: int, grace_seconds: float) -> list[int]:
        t = S.trials
        query = sa.select(t.c.trial_id).where(
            (t.c.study_id == study_id) & (t.c.state == int(TrialState.RUNNING))
            & (t.c.heartbeat < time.time() - grace_seconds)).order_by(t.c.trial_id)
        return [int(r[0]) for r in self._run(lambda conn: conn.execute(query).all(), write=False)]

    def get_study_id_of_trial(self, trial_id: int) -> int:
        query = sa.select(S.trials.c.study_id).where(S.trials.c.trial_id == trial_id)
        row = self._run(lambda conn: conn.execute(query).first(), write=False)
        if row is None:
            raise TrialNotFoundError(f"no trial with id {trial_id}")
        return int(row[0])


def _rebuild(url: str, interval: float | None, grace: float | None, retries: int,
             engine_kwargs: Mapping[str, Any]) -> SQLStorage:
    return SQLStorage(url, heartbeat_interval=interval, grace_period=grace, retries=retries,
                      engine_kwargs=engine_kwargs or None)


def _dbapi_transient(exc: BaseException) -> bool:
    """A lock wait that timed out or a lost connection, raised by sqlite3 or psycopg directly."""
    module = type(exc).__module__
    if not (module.startswith("sqlite3") or module.startswith("psycopg")):
        return False
    text = str(exc).lower()
    return any(word in text for word in ("locked", "busy", "could not serialize", "deadlock", "connection",
                                         "terminat", "server closed"))


def _insert_trial(conn: Connection, study_id: int, row: dict[str, Any], params: Mapping[str, StoredParam] | None,
                  user_attrs: Mapping[str, Any] | None, system_attrs: Mapping[str, Any] | None,
                  intermediate_values: Mapping[int, float] | None) -> tuple[int, int]:
    """Insert a trial numbered next in its study, with its rows; ``(trial_id, number)``."""
    bumped = conn.execute(Q.BUMP, {"b_study": study_id}).first()
    if bumped is None:
        raise StudyNotFoundError(f"no study with id {study_id}")
    number = int(bumped[0]) - 1
    trial_id = int(conn.execute(Q.INSERT_TRIAL, {"number": number, **row}).inserted_primary_key[0])
    Q.insert_params(conn, trial_id, params or {})
    Q.insert_attrs(conn, trial_id, "user", user_attrs or {})
    Q.insert_attrs(conn, trial_id, "system", system_attrs or {})
    if intermediate_values:
        conn.execute(sa.insert(S.trial_intermediate), [
            {"trial_id": trial_id, "step": int(k), "value": Q.nan_to_null(v)} for k, v in intermediate_values.items()])
    return trial_id, number
