"""SQL storage through SQLAlchemy Core: SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` write transactions, so
several processes on one host and readers (report, dashboard) share one file without
"database is locked" reaching the user. PostgreSQL uses row locks for the same promises. Every
statement goes through one transaction runner (``_tx``). Finished trials never change, so each
storage object caches them and re-reads only trials that are new or were unfinished at the last read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tunelab._constraints import Bool, InstanceOf, Integral, Real, String, constrained
from tunelab._errors import (
    DuplicatedStudyError,
    InvalidArgumentError,
    StorageError,
    StudyNotFoundError,
    TrialNotFoundError,
)
from tunelab._records import FAIL_REASON_KEY, FrozenTrial, StudyDirection, StudySummary, TrialState, core_fields
from tunelab.storage import _schema as S
from tunelab.storage import _statements as Q
from tunelab.storage._base import (
    Finish,
    Storage,
    StoredParam,
    check_attr_kind,
    check_attr_value,
    check_finish,
    check_name,
    check_new_trial,
    check_params,
    check_report,
    check_trial_attr,
    raise_finished,
    retry_attrs,
    with_params,
)
from tunelab.storage._engine import forget_engine, make_engine
from tunelab.storage._liveness import LIVENESS_ARGUMENTS, Liveness
from tunelab.storage._rows import TrialCache, assemble_trials, from_timestamp, summaries_from_rows
from tunelab.storage._tx import Transactions, Tx

T = TypeVar("T")

#: Trial numbers the trials table can hold (a 32-bit column); any other is a trial that is not there.
_TRIAL_NUMBER = Integral(0, 2**31 - 1)


@constrained({"url": String(what="an SQLAlchemy database URL string"), **LIVENESS_ARGUMENTS, "read_only": Bool(),
              "engine_kwargs": (None, InstanceOf(Mapping, "a mapping of create_engine keyword arguments"))})
class SQLStorage(Storage):
    """Storage in an SQL database named by an SQLAlchemy URL.

    ``read_only=True`` opens an existing tunelab database without writing anything to it (not
    even switching an SQLite file to WAL): a missing file or a database without tunelab's tables
    is an error, and every write raises :class:`~tunelab.StorageError`. For reports, dashboards and
    listings.

    Heartbeats (off by default): with ``heartbeat_interval`` seconds, every trial this storage
    object creates or claims RUNNING (and every trial a worker process passes to
    :meth:`start_heartbeat`) heartbeats from a background thread until it finishes. A RUNNING
    trial silent for more than ``grace_period`` seconds (default: four intervals) belongs to a
    dead worker: the next ``ask`` on the study (or :meth:`fail_stale_trials`) marks it FAIL and,
    while it has been re-queued fewer than ``retries`` times, queues a WAITING copy with the same
    parameters (``retry_of`` and ``retry_count`` link the two).

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
        read_only: bool = False,
        engine_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self._open(url, heartbeat_interval, grace_period, retries, read_only, engine_kwargs)
        try:
            self._init_schema()
        except BaseException:
            self.close()
            raise

    def _open(self, url: str, heartbeat_interval: float | None, grace_period: float | None, retries: int,
              read_only: bool, engine_kwargs: Mapping[str, Any] | None) -> None:
        """Everything but the schema check: no connection is opened here (a PostgreSQL one is taken
        at the first read or write)."""
        from tunelab.storage import redact_url

        self.liveness = Liveness.of(heartbeat_interval, grace_period, retries, beat=self.record_heartbeats)
        self.url = url
        self.read_only = read_only
        self._engine_kwargs = dict(engine_kwargs or {})
        shown = redact_url(url)
        try:
            parsed = make_url(url)
        except sa.exc.ArgumentError:
            raise InvalidArgumentError(f"storage={shown!r} is invalid: must be a sqlite:/// or postgresql:// "
                                       "URL") from None
        self._engine = make_engine(parsed, shown=shown, read_only=read_only, kwargs=dict(self._engine_kwargs))
        self._backend = self._engine.dialect.name
        in_memory = self._backend == "sqlite" and parsed.database in (None, "", ":memory:")
        self._tx = Transactions(self._engine, where=shown, serial=in_memory)
        self._caches: dict[int, TrialCache] = {}

    def __repr__(self) -> str:
        return f"SQLStorage({self._tx.where!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # workers in other processes reconnect by URL
        return (_rebuild, (self.url, self.heartbeat_interval, self.grace_period, self.retries, self.read_only,
                           self._engine_kwargs))

    @property
    def shared_between_processes(self) -> bool:
        """True unless this is an in-memory SQLite database (which only this process can see)."""
        database = self._engine.url.database
        return self._backend != "sqlite" or bool(database and database != ":memory:") or self.read_only

    def release_connections(self) -> None:
        if self.shared_between_processes:  # an in-memory SQLite database lives in its one connection
            self._engine.dispose()

    def close(self) -> None:
        if self.liveness is not None:
            self.liveness.close()
        self._engine.dispose()
        forget_engine(self._engine)

    # -- transactions -------------------------------------------------------------------------------
    def _read(self, fn: Callable[[Tx], T]) -> T:
        return self._tx.run(fn, write=False)

    def _write(self, fn: Callable[[Tx], T], action: str, *, one_statement: bool = False) -> T:
        if self.read_only:
            raise StorageError(f"storage {self._tx.where!r} was opened read-only: {action} refused")
        return self._tx.run(fn, write=True, one_statement=one_statement)

    def _init_schema(self) -> None:
        def version(tx: Tx) -> int | None:
            if not sa.inspect(tx.conn).has_table(S.meta.name):
                return None
            row = tx.execute(sa.select(S.meta.c.value).where(S.meta.c.key == "schema_version")).first()
            return S.check_schema_version(row[0] if row else None, self._tx.where)

        if self.read_only:
            if self._read(version) is None:
                raise StorageError(f"storage {self._tx.where!r} holds no tunelab tables (nothing was created)")
            return

        def init(tx: Tx) -> None:
            if tx.dialect == "postgresql":  # one initialiser at a time across processes
                tx.execute(sa.text("SELECT pg_advisory_xact_lock(7457329)"))
            found = version(tx)
            if found is None:
                S.metadata.create_all(tx.conn)
                tx.execute(sa.insert(S.meta).values(key="schema_version", value=str(S.SCHEMA_VERSION)))
            elif found < S.SCHEMA_VERSION:
                S.upgrade(tx.conn, found)

        self._write(init, "creating tunelab's tables")

    # -- studies ------------------------------------------------------------------------------------
    def create_study(self, study_name: str, directions: Iterable[StudyDirection]) -> int:
        check_name("study_name", study_name)
        encoded = json.dumps([d.name for d in directions])

        def create(tx: Tx) -> int | None:
            if tx.dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            statement = insert(S.studies).values(study_name=study_name, directions=encoded, n_trials=0,
                                                 created=time.time())
            row = tx.execute(statement.on_conflict_do_nothing().returning(S.studies.c.study_id)).first()
            return None if row is None else int(row[0])

        study_id = self._write(create, "creating a study")
        if study_id is None:
            raise DuplicatedStudyError(f"a study named {study_name!r} already exists")
        return study_id

    def delete_study(self, study_id: int) -> None:
        def delete(tx: Tx) -> None:
            _study_row(tx, study_id)
            ids = sa.select(S.trials.c.trial_id).where(S.trials.c.study_id == study_id)
            for table in (S.trial_params, S.trial_intermediate, S.trial_attrs):
                tx.execute(sa.delete(table).where(table.c.trial_id.in_(ids)))
            tx.execute(sa.delete(S.trials).where(S.trials.c.study_id == study_id))
            tx.execute(sa.delete(S.study_attrs).where(S.study_attrs.c.study_id == study_id))
            tx.execute(sa.delete(S.studies).where(S.studies.c.study_id == study_id))

        self._write(delete, "deleting a study")
        self._caches.pop(study_id, None)

    def get_study_id(self, study_name: str) -> int:
        query = sa.select(S.studies.c.study_id).where(S.studies.c.study_name == study_name)
        row = self._read(lambda tx: tx.execute(query).first())
        if row is None:
            raise StudyNotFoundError(f"no study named {study_name!r}")
        return int(row[0])

    def get_study_name(self, study_id: int) -> str:
        return self._read(lambda tx: _study_row(tx, study_id).study_name)

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        cache = self._caches.get(study_id)
        if cache is not None and cache.directions is not None:
            return cache.directions
        row = self._read(lambda tx: _study_row(tx, study_id))
        return tuple(StudyDirection[d] for d in json.loads(row.directions))

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_attr_kind(kind)
        check_attr_value(key, value)

        def put(tx: Tx) -> None:
            _study_row(tx, study_id)
            Q.write_rows(tx, S.study_attrs, [{"study_id": study_id, "kind": kind, "key": key,
                                              "value_json": json.dumps(value)}], replace=True)

        self._write(put, f"setting study attribute {key!r}")

    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        check_attr_kind(kind)
        table = S.study_attrs

        def get(tx: Tx) -> dict[str, Any]:
            _study_row(tx, study_id)
            rows = tx.execute(sa.select(table.c.key, table.c.value_json).where(
                (table.c.study_id == study_id) & (table.c.kind == kind)))
            return {k: json.loads(v) for k, v in rows}

        return self._read(get)

    def get_all_studies(self) -> list[StudySummary]:
        t, s = S.trials, S.studies

        def get(tx: Tx) -> list[StudySummary]:
            study_rows = tx.execute(sa.select(s).order_by(s.c.study_id)).all()
            counts = tx.execute(sa.select(
                t.c.study_id, t.c.state, sa.func.count(), sa.func.min(t.c.value), sa.func.max(t.c.value),
                sa.func.max(sa.func.coalesce(t.c.datetime_complete, t.c.datetime_start)),
            ).group_by(t.c.study_id, t.c.state)).all()
            attrs = tx.execute(sa.select(S.study_attrs).where(S.study_attrs.c.kind == "user")).all()
            return summaries_from_rows(study_rows, counts, attrs)

        return self._read(get)

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
        core: Mapping[str, Any] | None = None,
    ) -> FrozenTrial:
        reports = check_new_trial(params, values, intermediate_values, user_attrs, system_attrs, core)
        now = time.time()
        row = {
            "study_id": study_id, "state": int(state), "value": values[0] if values else None,
            "values_json": json.dumps(list(values)) if values is not None else None,
            "datetime_start": None if state == TrialState.WAITING else now,
            "datetime_complete": now if state.is_finished() else None,
            "heartbeat": now if state == TrialState.RUNNING and self.liveness is not None else None,
        }
        trial_id, number = self._write(
            lambda tx: _insert_trial(tx, study_id, row, params, {"user": user_attrs, "system": system_attrs,
                                                                 "core": core}, reports), "creating a trial")
        if state == TrialState.RUNNING:
            self.start_heartbeat(trial_id)
        stamp = from_timestamp(now)
        return FrozenTrial(
            number=number, state=state, values=tuple(values) if values is not None else None,
            params={n: d.to_external(v) for n, (v, d) in (params or {}).items()},
            distributions={n: d for n, (_, d) in (params or {}).items()},
            intermediate_values=reports,
            user_attrs=json.loads(json.dumps(dict(user_attrs or {}))),
            system_attrs=json.loads(json.dumps(dict(system_attrs or {}))),
            datetime_start=None if state == TrialState.WAITING else stamp,
            datetime_complete=stamp if state.is_finished() else None,
            trial_id=trial_id, **core_fields(json.loads(json.dumps(dict(core or {})))),
        )

    def start_trial(self, study_id: int) -> FrozenTrial:
        self.fail_stale_trials(study_id)
        now = time.time()
        beat = now if self.liveness is not None else None
        started = self._write(lambda tx: Q.start(tx, study_id, now, tx.token, beat), "starting a trial")
        return self._started(study_id, started, now)

    def finish_and_start_many(self, finishes: Sequence[Finish], *, study_id: int) -> list[FrozenTrial | None]:
        ends = [self._checked_finish(f.trial_id, f.state, f.values, f.params, f.system_attrs, f.core) for f in finishes]
        self.fail_stale_trials(study_id)
        now = time.time()
        try:
            beat = now if self.liveness is not None else None
            results = self._write(lambda tx: [Q.finish_and_start(tx, end, study_id, now, f"{tx.token}.{i}", beat)
                                              for i, end in enumerate(ends)], "finishing trials")
        finally:
            for f in finishes:
                self.stop_heartbeat(f.trial_id)
        return [None if found is not None else self._started(study_id, begun, now) for found, begun in results]

    def _started(self, study_id: int, started: Q.Started, now: float) -> FrozenTrial:
        """The trial a start returned: heartbeating, read whole if it was an enqueued one."""
        trial_id, number = started
        if trial_id < 0:
            raise StudyNotFoundError(f"no study with id {study_id}")
        self.start_heartbeat(trial_id)
        if number is None:  # an enqueued trial: read it whole (its fixed parameters, attributes)
            return self.get_trial(trial_id)
        return FrozenTrial(number=number, state=TrialState.RUNNING, values=None, params={}, distributions={},
                           datetime_start=from_timestamp(now), trial_id=trial_id)

    def set_trial_params(self, trial_id: int, params: Mapping[str, StoredParam]) -> None:
        check_params(params)

        def put(tx: Tx) -> None:
            _lock_running(tx, trial_id, "setting parameters")
            Q.insert_params(tx, trial_id, params, replace=True)

        self._write(put, "setting parameters")

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        step, value = check_report(step, value)

        def put(tx: Tx) -> None:
            _lock_running(tx, trial_id, "report")
            Q.write_rows(tx, S.trial_intermediate, [{"trial_id": trial_id, "step": step,
                                                     "value": Q.nan_to_null(value)}], replace=True)
            if self.liveness is not None:  # a report is a sign of life too
                tx.execute(sa.update(S.trials).where(S.trials.c.trial_id == trial_id).values(heartbeat=time.time()))

        self._write(put, "report")

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        check_trial_attr(kind, key, value)

        def put(tx: Tx) -> None:
            _lock_running(tx, trial_id, f"setting {kind} attribute {key!r}")
            Q.insert_attrs(tx, trial_id, kind, {key: value}, replace=True)

        self._write(put, f"setting {kind} attribute {key!r}")

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        *,
        params: Mapping[str, StoredParam] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        core: Mapping[str, Any] | None = None,
    ) -> None:
        end = self._checked_finish(trial_id, state, values, params, system_attrs, core)
        now = time.time()
        try:
            found = self._write(lambda tx: Q.finish(tx, end, now, tx.token), f"finishing as {state.name}",
                                one_statement=True)
        finally:
            self.stop_heartbeat(trial_id)
        if found is not None:
            if found.state < 0:
                raise TrialNotFoundError(f"no trial with id {trial_id}")
            raise_finished(found.number, TrialState(found.state), f"finishing as {state.name}")

    @staticmethod
    def _checked_finish(trial_id: int, state: TrialState, values: tuple[float, ...] | None,
                        params: Mapping[str, StoredParam] | None, system_attrs: Mapping[str, Any] | None,
                        core: Mapping[str, Any] | None) -> Q.Finish:
        """A finish, refused before anything is written if the storage could not hold it."""
        check_finish(state, values, params, system_attrs, core)
        attrs = {**{("system", k): v for k, v in (system_attrs or {}).items()},
                 **{("core", k): v for k, v in (core or {}).items()}}
        return Q.Finish(trial_id, state, None if values is None else tuple(values), params or {}, attrs)

    def fail_trial(self, trial_id: int, reason: str, *, max_retries: int | None = 0,
                   params: Mapping[str, StoredParam] | None = None) -> tuple[int, int | None] | None:
        check_params(params)

        # one transaction: a process that dies in between leaves no failed trial without its retry
        def fail(tx: Tx) -> tuple[int, int | None] | None:
            found = assemble_trials(tx, S.trials.c.trial_id == trial_id)
            if not found:
                raise TrialNotFoundError(f"no trial with id {trial_id}")
            trial = found[0]
            done = tx.execute(sa.update(S.trials).where(
                (S.trials.c.trial_id == trial_id)
                & S.trials.c.state.in_([int(TrialState.RUNNING), int(TrialState.WAITING)])).values(
                state=int(TrialState.FAIL), datetime_complete=time.time(), write_token=tx.token))
            if done.rowcount != 1:
                return None  # told or failed by someone else first
            Q.insert_attrs(tx, trial_id, "core", {FAIL_REASON_KEY: reason}, replace=True)
            Q.insert_params(tx, trial_id, params or {}, replace=True)
            retry = retry_attrs(with_params(trial, params), max_retries)
            if retry is None:
                return trial.number, None
            study_id = tx.execute(sa.select(S.trials.c.study_id).where(S.trials.c.trial_id == trial_id)).scalar_one()
            row = {"study_id": study_id, "state": int(TrialState.WAITING), "value": None, "values_json": None,
                   "datetime_start": None, "datetime_complete": None, "heartbeat": None}
            return trial.number, _insert_trial(tx, study_id, row, None, {"user": retry[0], "core": retry[1]}, None)[1]

        try:
            return self._write(fail, "failing a trial")
        finally:
            self.stop_heartbeat(trial_id)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        found = self._read(lambda tx: assemble_trials(tx, S.trials.c.trial_id == trial_id))
        if not found:
            raise TrialNotFoundError(f"no trial with id {trial_id}")
        return found[0]

    def get_trial_id(self, study_id: int, number: int) -> int:
        t = S.trials
        if not _TRIAL_NUMBER.accepts(number):  # a trial the table cannot hold is not there
            raise TrialNotFoundError(f"no trial number {number!r} in study id {study_id}")
        number = _TRIAL_NUMBER.convert(number)
        query = sa.select(t.c.trial_id).where((t.c.study_id == study_id) & (t.c.number == number))
        row = self._read(lambda tx: tx.execute(query).first())
        if row is None:
            raise TrialNotFoundError(f"no trial number {number!r} in study id {study_id}")
        return int(row[0])

    def get_all_trials(
        self, study_id: int, *, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        cache = self._caches.setdefault(study_id, TrialCache())
        max_id, unfinished = cache.max_id, tuple(cache.unfinished)
        t = S.trials

        def read(tx: Tx) -> list[FrozenTrial]:
            if cache.directions is None:
                cache.directions = tuple(StudyDirection[d] for d in json.loads(_study_row(tx, study_id).directions))
            fresh = t.c.trial_id > max_id
            if unfinished:
                fresh = fresh | t.c.trial_id.in_(unfinished)
            return assemble_trials(tx, (t.c.study_id == study_id) & fresh)

        trials = cache.merge(self._read(read))
        if states is None:
            return trials
        wanted = frozenset(states)
        return [tr for tr in trials if tr.state in wanted]

    def get_n_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> int:
        t = S.trials
        query = sa.select(sa.func.count()).select_from(t).where(t.c.study_id == study_id)
        if states is not None:
            query = query.where(t.c.state.in_([int(s) for s in states]))
        return int(self._read(lambda tx: tx.execute(query).scalar_one()))

    # -- liveness data ----------------------------------------------------------------------------------
    def record_heartbeats(self, trial_ids: Collection[int]) -> None:
        t = S.trials
        ids = list(trial_ids)
        self._write(lambda tx: tx.execute(sa.update(t).where(t.c.trial_id.in_(ids) & (t.c.state == int(
            TrialState.RUNNING))).values(heartbeat=time.time())), "heartbeat", one_statement=True)

    @constrained({"grace_seconds": Real(min=0, finite=False)}, where="SQLStorage.stale_trial_ids")
    def stale_trial_ids(self, study_id: int, grace_seconds: float) -> list[int]:
        t = S.trials
        query = sa.select(t.c.trial_id).where(
            (t.c.study_id == study_id) & (t.c.state == int(TrialState.RUNNING))
            & (t.c.heartbeat < time.time() - grace_seconds)).order_by(t.c.trial_id)
        return [int(r[0]) for r in self._read(lambda tx: tx.execute(query).all())]


def _rebuild(url: str, interval: float | None, grace: float | None, retries: int, read_only: bool,
             engine_kwargs: Mapping[str, Any]) -> SQLStorage:
    """The storage in a worker process, unpickled: the process that pickled it checked the schema,
    so nothing connects until the worker reads or writes (a worker that only evaluates objectives
    holds no database connection: 128 of them fit a server of max_connections=100)."""
    storage = SQLStorage.__new__(SQLStorage)
    storage._open(url, interval, grace, retries, read_only, engine_kwargs or None)
    return storage


def _study_row(tx: Tx, study_id: int) -> Any:
    row = tx.execute(sa.select(S.studies).where(S.studies.c.study_id == study_id)).first()
    if row is None:
        raise StudyNotFoundError(f"no study with id {study_id}")
    return row


def _lock_running(tx: Tx, trial_id: int, action: str) -> None:
    query = sa.select(S.trials.c.state, S.trials.c.number).where(S.trials.c.trial_id == trial_id)
    if tx.dialect == "postgresql":
        query = query.with_for_update()
    row = tx.execute(query).first()
    if row is None:
        raise TrialNotFoundError(f"no trial with id {trial_id}")
    state = TrialState(row.state)
    if state.is_finished():
        raise_finished(row.number, state, action)


def _insert_trial(tx: Tx, study_id: int, row: dict[str, Any], params: Mapping[str, StoredParam] | None,
                  attrs: Mapping[str, Mapping[str, Any] | None], reports: Mapping[int, float] | None) -> tuple[int, int]:
    """Insert a trial numbered next in its study, with its rows; ``(trial_id, number)``."""
    bumped = tx.execute(Q.BUMP, {"b_study": study_id}).first()
    if bumped is None:
        raise StudyNotFoundError(f"no study with id {study_id}")
    number = int(bumped[0]) - 1
    trial_id = int(tx.execute(Q.INSERT_TRIAL, {"number": number, "write_token": tx.token, **row})
                   .inserted_primary_key[0])
    Q.insert_params(tx, trial_id, params or {})
    for kind, mapping in attrs.items():
        Q.insert_attrs(tx, trial_id, kind, mapping or {})
    if reports:
        tx.execute(sa.insert(S.trial_intermediate), [
            {"trial_id": trial_id, "step": k, "value": Q.nan_to_null(v)} for k, v in reports.items()])
    return trial_id, number

