"""Read-only access to a tunelab SQL database (SQLite or PostgreSQL) for the dashboard.

The dashboard opens its own connections through the storage's read-only opening, never writes
(SQLite connections are read-only, PostgreSQL sessions ``default_transaction_read_only``) and reads
in a few narrow queries: the study list with per-state aggregates, the light columns of trials
(number, state, value, times, parameters, worker) incrementally by trial id, and the heavy parts
(intermediate values, schedules, attributes) only for the few trials a page shows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from tunelab._errors import InvalidArgumentError, StorageError, StudyNotFoundError, TrialNotFoundError
from tunelab._records import CONSTRAINTS_KEY, SCHEDULE_KEY_PREFIX, FrozenTrial, StudyDirection, StudySummary, TrialState
from tunelab.integrations._lr_trace import LR_TRACE_ATTR
from tunelab.space import BaseDistribution, distribution_from_json
from tunelab.storage import _schema as S
from tunelab.storage import redact_url
from tunelab.storage._engine import forget_engine, make_engine
from tunelab.storage._rows import assemble_trials, summaries_from_rows

#: Attribute (user or system) naming the worker that ran a trial, drawn as a timeline row.
WORKER_ATTR = "worker"
#: Ids per ``IN (...)`` list, below every supported database's limit on bound parameters.
_CHUNK = 5000
#: Trial attribute kinds holding the core's own fields (``"system"`` in files of schema 1).
_CORE_KINDS = ("core", "system")


class ReadOnlySource:
    """Read-only queries over the database named by ``url``.

    >>> ReadOnlySource("mysql://somewhere/db")
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: storage='mysql://somewhere/db' is invalid: must be a sqlite:/// or postgresql:// URL
    """

    def __init__(self, url: str) -> None:
        if not isinstance(url, str) or "://" not in url:
            url = f"sqlite:///{os.fspath(url)}"
        shown = redact_url(url)  # what messages say: never a password
        try:
            parsed = make_url(url)
        except sa.exc.ArgumentError:
            raise InvalidArgumentError(f"storage={shown!r} is invalid: must be a sqlite:/// or postgresql:// URL") from None
        backend = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        if backend == "postgresql":
            kwargs = {"pool_pre_ping": True, "connect_args": {"options": "-c default_transaction_read_only=on"}}
        elif backend != "sqlite":
            raise InvalidArgumentError(f"storage={shown!r} is invalid: must be a sqlite:/// or postgresql:// URL")
        # the storage's read-only opening: a missing file or one that is not a tunelab database is
        # refused, nothing is created or switched to WAL, SQLite connections are read-only
        engine = make_engine(parsed, shown=shown, read_only=True, kwargs=kwargs)
        self.url = url
        self._engine = engine
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table(S.meta.name):
                    raise StorageError(f"storage {shown!r} holds no tunelab database (no table {S.meta.name!r}); "
                                       "nothing was read or created")
                row = conn.execute(sa.select(S.meta.c.value).where(S.meta.c.key == "schema_version")).first()
        except sa.exc.DBAPIError as exc:  # a server that refuses us, a database that is not there
            engine.dispose()
            detail = " ".join(str(exc.orig).split()) if exc.orig is not None else type(exc).__name__
            raise StorageError(f"storage {shown!r} cannot be read: {detail}") from None
        except StorageError:
            engine.dispose()
            raise
        S.check_schema_version(row[0] if row else None, shown)

    def __repr__(self) -> str:
        return f"ReadOnlySource({redact_url(self.url)!r})"

    def close(self) -> None:
        self._engine.dispose()
        forget_engine(self._engine)

    def _read(self, fn: Any) -> Any:
        with self._engine.connect() as conn:
            return fn(conn)

    # -- studies ------------------------------------------------------------------------------------
    def studies(self) -> list[StudySummary]:
        """Every study's summary (per-state counts, best value, last update)."""
        t, s = S.trials, S.studies

        def get(conn: Connection) -> list[StudySummary]:
            last = sa.func.max(sa.func.coalesce(t.c.datetime_complete, t.c.datetime_start))
            grouped = conn.execute(sa.select(
                t.c.study_id, t.c.state, sa.func.count(), sa.func.min(t.c.value), sa.func.max(t.c.value), last,
            ).group_by(t.c.study_id, t.c.state)).all()
            return summaries_from_rows(
                conn.execute(sa.select(s).order_by(s.c.study_id)).all(), grouped,
                conn.execute(sa.select(S.study_attrs).where(S.study_attrs.c.kind == "user")).all())

        return self._read(get)

    def study(self, study_id: int) -> tuple[str, tuple[StudyDirection, ...]]:
        """One study's name and directions: its row alone, none of its trials."""
        s = S.studies
        row = self._read(lambda conn: conn.execute(
            sa.select(s.c.study_name, s.c.directions).where(s.c.study_id == study_id)).first())
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id}")
        return row[0], tuple(StudyDirection[d] for d in json.loads(row[1]))

    def study_user_attrs(self, study_id: int) -> dict[str, Any]:
        """One study's user attributes (the metric names ``tunelab run`` records, among others)."""
        a = S.study_attrs
        rows = self._read(lambda conn: conn.execute(sa.select(a.c.key, a.c.value_json).where(
            (a.c.study_id == study_id) & (a.c.kind == "user"))).all())
        return {key: json.loads(value) for key, value in rows}

    def study_system_attrs(self, study_id: int, prefix: str) -> dict[str, Any]:
        """One study's system attributes whose keys start with ``prefix`` (e.g. ``"pbt:"``: a
        population-based training run's settings and lineage)."""
        a = S.study_attrs
        rows = self._read(lambda conn: conn.execute(sa.select(a.c.key, a.c.value_json).where(
            (a.c.study_id == study_id) & (a.c.kind == "system")
            & a.c.key.startswith(prefix, autoescape=True))).all())
        return {key: json.loads(value) for key, value in rows}

    def user_attr(self, study_id: int, key: str, state: TrialState) -> dict[int, Any]:
        """``{trial_id: value}`` of the user attribute ``key`` of the study's trials in ``state``."""
        a, t = S.trial_attrs, S.trials
        query = sa.select(a.c.trial_id, a.c.value_json).select_from(a.join(t, a.c.trial_id == t.c.trial_id)).where(
            (t.c.study_id == study_id) & (t.c.state == int(state)) & (a.c.kind == "user") & (a.c.key == key))
        return {int(trial_id): json.loads(value) for trial_id, value in self._read(lambda conn: conn.execute(query).all())}

    # -- trials, light ----------------------------------------------------------------------------------
    def light_trials(self, study_id: int, *, after_id: int, also: Iterable[int] = ()
                     ) -> tuple[list[dict[str, Any]], dict[str, BaseDistribution]]:
        """Trials with id above ``after_id`` or in ``also`` (number, state, value, times, worker,
        constraint values), and the distributions of the parameters they use, by name. Parameter
        values are read apart (:meth:`params`), for the few trials a page shows."""
        t, p, a = S.trials, S.trial_params, S.trial_attrs
        also = list(also)
        where = (t.c.study_id == study_id) & (t.c.trial_id > after_id)
        if also:
            where = (t.c.study_id == study_id) & ((t.c.trial_id > after_id) | t.c.trial_id.in_(also))
        ids = sa.select(t.c.trial_id).where(where)

        def get(conn: Connection) -> tuple[list[dict[str, Any]], dict[str, BaseDistribution]]:
            rows = _fetch(conn, sa.select(
                t.c.trial_id, t.c.number, t.c.state, t.c.value, t.c.values_json,
                t.c.datetime_start, t.c.datetime_complete).where(where).order_by(t.c.trial_id))
            if not rows:
                return [], {}
            # values_json stays text: only multi-objective pages parse it (see row_json)
            out = {r[0]: {"trial_id": r[0], "number": r[1], "state": r[2], "value": r[3], "values_json": r[4],
                          "start": r[5], "complete": r[6], "worker": None, "constraints": None} for r in rows}
            for trial_id, value_json in _fetch(conn, sa.select(a.c.trial_id, a.c.value_json)
                                               .where(a.c.trial_id.in_(ids) & (a.c.key == WORKER_ATTR))):
                found = out.get(trial_id)
                if found is not None:
                    found["worker"] = _worker(value_json)
            for trial_id, value_json in _fetch(conn, sa.select(a.c.trial_id, a.c.value_json).where(
                    a.c.trial_id.in_(ids) & (a.c.key == CONSTRAINTS_KEY) & a.c.kind.in_(_CORE_KINDS))):
                found = out.get(trial_id)
                if found is not None:
                    found["constraints"] = _constraints(value_json)
            kinds = _fetch(conn, sa.select(p.c.name, p.c.distribution_json).where(p.c.trial_id.in_(ids)).distinct())
            return list(out.values()), {name: distribution_from_json(text) for name, text in kinds}

        return self._read(get)

    def params(self, study_id: int, trial_ids: Sequence[int] | None = None, *, names: Sequence[str] | None = None
               ) -> dict[int, dict[str, tuple[float, BaseDistribution]]]:
        """``{trial_id: {name: (internal value, distribution)}}`` for ``trial_ids`` (None: the whole
        study), only the parameters ``names`` when given."""
        t, p = S.trials, S.trial_params
        columns = (p.c.trial_id, p.c.name, p.c.value, p.c.distribution_json)
        only = p.c.name.in_(list(names)) if names is not None else sa.true()
        if trial_ids is None:
            queries = [sa.select(*columns).where(
                p.c.trial_id.in_(sa.select(t.c.trial_id).where(t.c.study_id == study_id)) & only)]
        else:
            ids = list(trial_ids)
            queries = [sa.select(*columns).where(p.c.trial_id.in_(ids[i:i + _CHUNK]) & only)
                       for i in range(0, len(ids), _CHUNK)]

        def get(conn: Connection) -> dict[int, dict[str, tuple[float, BaseDistribution]]]:
            out: dict[int, dict[str, tuple[float, BaseDistribution]]] = {}
            dists: dict[str, BaseDistribution] = {}
            for query in queries:
                for trial_id, name, value, text in _fetch(conn, query):
                    dist = dists.get(text)
                    if dist is None:
                        dist = dists[text] = distribution_from_json(text)
                    out.setdefault(trial_id, {})[name] = (value, dist)
            return out

        return self._read(get)

    # -- trials, heavy (few at a time) ------------------------------------------------------------------
    def intermediate(self, trial_ids: Sequence[int]) -> dict[int, list[tuple[int, float | None]]]:
        """``{trial_id: [(step, value), ...]}`` for the given trials (None stands for NaN)."""
        iv = S.trial_intermediate
        if not trial_ids:
            return {}
        query = (sa.select(iv.c.trial_id, iv.c.step, iv.c.value).where(iv.c.trial_id.in_(list(trial_ids)))
                 .order_by(iv.c.trial_id, iv.c.step))
        out: dict[int, list[tuple[int, float | None]]] = {int(i): [] for i in trial_ids}
        for trial_id, step, value in self._read(lambda conn: conn.execute(query).all()):
            out[trial_id].append((int(step), value))
        return out

    def learning_rate_attrs(self, trial_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """``{trial_id: {"lr_trace": ..., "schedule:<name>": config, ...}}`` for the given trials."""
        a = S.trial_attrs
        if not trial_ids:
            return {}
        wanted = ((a.c.kind == "user") & (a.c.key == LR_TRACE_ATTR)) | (
            a.c.kind.in_(_CORE_KINDS) & a.c.key.startswith(SCHEDULE_KEY_PREFIX, autoescape=True))
        query = sa.select(a.c.trial_id, a.c.key, a.c.value_json).where(a.c.trial_id.in_(list(trial_ids)) & wanted)
        out: dict[int, dict[str, Any]] = {int(i): {} for i in trial_ids}
        for trial_id, key, value_json in self._read(lambda conn: conn.execute(query).all()):
            out[trial_id][key] = json.loads(value_json)
        return out

    def schedule_families(self, study_id: int) -> dict[int, dict[str, Any]]:
        """``{trial_id: {"schedule:<name>": {"family": ...}}}``: the family of each stored schedule of the
        study's COMPLETE trials (those with one), without the schedules' arguments or the rate traces."""
        a, t = S.trial_attrs, S.trials
        wanted = a.c.kind.in_(_CORE_KINDS) & a.c.key.startswith(SCHEDULE_KEY_PREFIX, autoescape=True)
        # a stored config starts with its family ({"family": "StepLR", "args": ...}): its first characters do
        head = sa.func.substr(a.c.value_json, 1, _FAMILY_HEAD)
        query = sa.select(a.c.trial_id, a.c.key, head).select_from(a.join(t, a.c.trial_id == t.c.trial_id)).where(
            (t.c.study_id == study_id) & (t.c.state == int(TrialState.COMPLETE)) & wanted)
        out: dict[int, dict[str, Any]] = {}
        odd: set[tuple[int, str]] = set()
        for trial_id, key, text in self._read(lambda conn: conn.execute(query).all()):
            end = text.find('"', len(_FAMILY_START)) if text.startswith(_FAMILY_START) else -1
            if end > 0 and "\\" not in text[:end]:
                out.setdefault(trial_id, {})[key] = {"family": text[len(_FAMILY_START):end]}
            else:
                odd.add((trial_id, key))
        if odd:  # written otherwise (by hand, another JSON writer): read whole
            again = sa.select(a.c.trial_id, a.c.key, a.c.value_json).where(
                a.c.trial_id.in_(sorted({t for t, _ in odd})) & wanted)
            for trial_id, key, value_json in self._read(lambda conn: conn.execute(again).all()):
                found = json.loads(value_json) if (trial_id, key) in odd else None
                if isinstance(found, dict) and "family" in found:
                    out.setdefault(trial_id, {})[key] = {"family": found["family"]}
        return out

    def trial(self, study_id: int, number: int) -> FrozenTrial:
        """One whole trial, by study id and trial number."""
        t = S.trials
        found = self._read(lambda conn: assemble_trials(conn, (t.c.study_id == study_id) & (t.c.number == number)))
        if not found:
            raise TrialNotFoundError(f"no trial number {number!r} in study id {study_id}")
        return found[0]


_FAMILY_START = '{"family": "'
_FAMILY_HEAD = 120  # characters of a stored schedule config read for its family



def _worker(value_json: str) -> str:
    """A worker attribute as text; a plain JSON string is unquoted without a parser (50,000 of them)."""
    if len(value_json) >= 2 and value_json[0] == value_json[-1] == '"' and "\\" not in value_json:
        return value_json[1:-1]
    return str(json.loads(value_json))


def _constraints(value_json: str) -> tuple[float, ...] | None:
    """Stored constraint values as floats; None for anything else (they are checked when written)."""
    try:
        found = json.loads(value_json)
        return tuple(float(v) for v in found) if isinstance(found, list) else None
    except (ValueError, TypeError):
        return None


def _fetch(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """All rows of ``query`` as plain tuples from the driver's cursor (tens of thousands of rows)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        params: Any = compiled.params  # a property that rebuilds the mapping: read it once
        if compiled.positiontup is not None:  # qmark / format styles (SQLite)
            params = tuple(params[k] for k in compiled.positiontup)
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()
