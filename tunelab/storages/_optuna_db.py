"""Reading an Optuna database (SQLite, PostgreSQL, MySQL) through SQLAlchemy, without Optuna installed.

Optuna's RDB schema (``optuna/storages/_rdb/models.py``, schema version 12 and the Alembic
revisions ``v2.4.0.a`` to ``v3.2.0.a``): ``studies``, ``study_directions`` (one row per objective),
``study_user_attributes`` / ``study_system_attributes`` (JSON text), ``trials`` (number, state as
an enum name, naive datetimes), ``trial_params`` (the internal value as a float and the
distribution as JSON), ``trial_values`` / ``trial_intermediate_values`` (infinities and NaN as a
type column beside a NULL value), ``trial_user_attributes`` / ``trial_system_attributes``,
``version_info``. Tables are reflected, so columns added by later Optuna versions do no harm.

Datetimes: Optuna 5 stores naive UTC; earlier versions stored the writer's naive local time
(``version_info.library_version`` says which Optuna created the file).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tunelab._errors import InvalidArgumentError, MissingExtraError, StorageError
from tunelab._records import StudyDirection, TrialState
from tunelab.space import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

#: Tables every Optuna database has since v2.4 (multi-objective); their absence means "not Optuna".
OPTUNA_TABLES = frozenset({"studies", "study_directions", "trials", "trial_params", "trial_values",
                           "trial_intermediate_values", "trial_user_attributes", "trial_system_attributes",
                           "study_user_attributes", "study_system_attributes", "version_info"})
#: The tables that mark a database as Optuna's (older ones than v2.4 included).
OPTUNA_MARKERS = frozenset({"studies", "trials", "version_info"})
TUNELAB_MARKER = "tunelab_meta"
DATETIMES = ("auto", "utc", "local")


def import_command(url: str) -> str:
    """The command that copies the Optuna database at ``url`` into a tunelab storage."""
    from tunelab.storage import redact_url

    return f"tunelab import-optuna --from {redact_url(url)} --storage NEW_URL"


def refusal(url: str) -> StorageError:
    """The error for an Optuna database opened as a tunelab storage."""
    from tunelab.storage import redact_url

    return StorageError(f"{redact_url(url)!r} is an Optuna database: tunelab does not write into it. Copy its "
                        f"studies into a tunelab storage with: {import_command(url)} (or "
                        "tunelab.copy_study(from_study_name=..., from_storage=URL, to_storage=NEW_URL)); "
                        "the database was left untouched")


@dataclasses.dataclass
class OptunaTrial:
    number: int
    state: TrialState
    values: tuple[float, ...] | None
    params: dict[str, tuple[Any, BaseDistribution]]  # name -> (external value, distribution)
    intermediate: dict[int, float]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    start: float | None  # seconds since the epoch
    complete: float | None


@dataclasses.dataclass
class OptunaStudy:
    name: str
    directions: tuple[StudyDirection, ...]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    trials: list[OptunaTrial]


def _url_text(url: Any, argument: str) -> str:
    if not isinstance(url, (str, os.PathLike)):
        raise InvalidArgumentError(f"{argument}={url!r} is invalid: must be an Optuna database URL "
                                   "(sqlite:///optuna.db, postgresql://..., mysql://...)")
    text = os.fspath(url)
    return text if "://" in text else f"sqlite:///{text}"


def _engine(text: str, argument: str) -> sa.engine.Engine:
    """A read-only engine on the database: SQLite opened read-only (a missing file is an error, not a
    new database); PostgreSQL through psycopg 3 unless the URL names its driver."""
    from tunelab.storage import redact_url

    shown = redact_url(text)
    try:
        url = make_url(text)
    except sa.exc.ArgumentError:
        raise InvalidArgumentError(f"{argument}={shown!r} is invalid: must be an SQLAlchemy database URL "
                                   "(sqlite:///optuna.db, postgresql://user@host/db, mysql+pymysql://...)") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = url.database
        if not path or path == ":memory:":
            raise InvalidArgumentError(f"{argument}={shown!r} is invalid: an in-memory SQLite database holds no "
                                       "study; give the Optuna file, e.g. sqlite:///optuna.db")
        if os.path.isdir(path):
            raise StorageError(f"{argument}={shown!r}: {path!r} is a directory, not an Optuna database file")
        if not os.path.isfile(path):
            raise StorageError(f"{argument}={shown!r}: the file {path!r} does not exist")
        from tunelab.storage._engine import _read_only_connection

        # read-only, and immutable when no writer has it open: no -wal / -shm file is made beside it
        full = os.path.abspath(path)
        return sa.create_engine("sqlite://", creator=lambda: _read_only_connection(full), poolclass=sa.pool.NullPool)
    if backend == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    try:
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    except sa.exc.NoSuchModuleError:
        raise InvalidArgumentError(f"{argument}={shown!r} is invalid: {url.drivername!r} is no database SQLAlchemy "
                                   "knows; Optuna's databases are sqlite:///optuna.db, postgresql://user@host/db, "
                                   "mysql+pymysql://...") from None
    except ImportError as exc:
        raise MissingExtraError(f"{argument}={shown!r}: the database driver is not installed ({exc}); install "
                                "it (PostgreSQL: pip install 'tunelab[postgres]'; MySQL: pip install pymysql "
                                "and use mysql+pymysql://)") from None


def _open_here(text: str) -> bool:
    """Whether ``text`` names an SQLite file this process has open as a tunelab storage: it was checked
    then, and reading it through another connection would drop the locks its connections hold."""
    from tunelab.storage._engine import _opened_here

    try:
        url = make_url(text)
    except sa.exc.ArgumentError:
        return False
    return url.get_backend_name() == "sqlite" and bool(url.database) and url.database != ":memory:" \
        and _opened_here(os.path.abspath(url.database))


def table_names(url: Any, argument: str = "from_storage") -> set[str]:
    """The tables of the database at ``url`` (read-only)."""
    text = _url_text(url, argument)
    if _open_here(text):
        return {TUNELAB_MARKER}
    engine = _engine(text, argument)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    except sa.exc.DBAPIError as exc:
        from tunelab.storage import redact_url

        raise StorageError(f"{argument}={redact_url(text)!r} cannot be read: {str(exc.orig).strip().splitlines()[0]}") \
            from None
    finally:
        engine.dispose()


def is_optuna_database(url: Any, argument: str = "from_storage") -> bool:
    """Whether ``url`` names a database with Optuna's tables and none of tunelab's."""
    names = table_names(url, argument)
    return OPTUNA_MARKERS <= names and TUNELAB_MARKER not in names


class OptunaDatabase:
    """An Optuna database opened for reading: its study names, and each study with its trials.

    ``datetimes``: how Optuna's naive datetimes are read: ``"utc"`` (Optuna 5 and later),
    ``"local"`` (the writer's local time, Optuna 4 and earlier; taken to be this machine's time
    zone) or ``"auto"`` (by the Optuna version that created the database).
    """

    def __init__(self, url: Any, *, argument: str = "from_storage", datetimes: str = "auto") -> None:
        from tunelab.storage import redact_url

        if datetimes not in DATETIMES:
            raise InvalidArgumentError(f"datetimes={datetimes!r} is invalid: must be one of {list(DATETIMES)}")
        self.url = _url_text(url, argument)
        self.shown = redact_url(self.url)
        if _open_here(self.url):
            raise StorageError(f"{argument}={self.shown!r} is a tunelab database (open in this process), not an "
                               "Optuna database; nothing was read")
        self._engine = _engine(self.url, argument)
        try:
            with self._engine.connect() as conn:
                names = set(sa.inspect(conn).get_table_names())
                if not OPTUNA_MARKERS <= names:
                    raise StorageError(f"{argument}={self.shown!r} is not an Optuna database (it holds "
                                       f"{sorted(names)[:6]}); nothing was read")
                missing = OPTUNA_TABLES - names
                if missing:
                    raise StorageError(f"{argument}={self.shown!r} is an Optuna database older than Optuna 2.4 (no "
                                       f"{sorted(missing)}); upgrade it first with: optuna storage upgrade "
                                       f"--storage {self.shown}")
                meta = sa.MetaData()
                self._t = {name: sa.Table(name, meta, autoload_with=conn) for name in OPTUNA_TABLES}
                version = conn.execute(sa.select(self._t["version_info"].c.library_version)).scalar()
        except sa.exc.DBAPIError as exc:
            self.close()
            raise StorageError(f"{argument}={self.shown!r} cannot be read: "
                               f"{str(exc.orig).strip().splitlines()[0]}") from None
        except BaseException:
            self.close()
            raise
        self.library_version = version
        if datetimes == "auto":
            datetimes = "utc" if _major(version) >= 5 else "local"
        self.datetimes = datetimes

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> OptunaDatabase:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def study_names(self) -> list[str]:
        s = self._t["studies"]
        with self._engine.connect() as conn:
            return [name for (name,) in conn.execute(sa.select(s.c.study_name).order_by(s.c.study_id))]

    def read_study(self, name: str) -> OptunaStudy:
        """The study called ``name`` with all its trials, ordered by number; StudyNotFoundError if none."""
        from tunelab._errors import StudyNotFoundError

        t = self._t
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(t["studies"].c.study_id).where(t["studies"].c.study_name == name)).first()
            if row is None:
                raise StudyNotFoundError(f"no study named {name!r} in {self.shown!r}")
            sid = row[0]
            d = t["study_directions"]
            directions = tuple(_direction(v) for (v,) in conn.execute(
                sa.select(d.c.direction).where(d.c.study_id == sid).order_by(d.c.objective)))
            user = _attrs(conn, t["study_user_attributes"], t["study_user_attributes"].c.study_id == sid)
            system = _attrs(conn, t["study_system_attributes"], t["study_system_attributes"].c.study_id == sid)
            trials = self._trials(conn, sid)
        return OptunaStudy(name, directions or (StudyDirection.MINIMIZE,), user, system, trials)

    def _trials(self, conn: Any, study_id: int) -> list[OptunaTrial]:
        t = self._t
        tr = t["trials"]
        rows = conn.execute(sa.select(tr.c.trial_id, tr.c.number, tr.c.state, tr.c.datetime_start,
                                      tr.c.datetime_complete).where(tr.c.study_id == study_id)
                            .order_by(tr.c.number, tr.c.trial_id)).all()
        ids = sa.select(tr.c.trial_id).where(tr.c.study_id == study_id)
        values: dict[int, dict[int, float]] = {}
        v = t["trial_values"]
        typed = "value_type" in v.c
        for trial_id, objective, value, kind in conn.execute(sa.select(
                v.c.trial_id, v.c.objective, v.c.value, v.c.value_type if typed else sa.null())
                .where(v.c.trial_id.in_(ids))):
            values.setdefault(trial_id, {})[objective] = _number(value, kind)
        inter: dict[int, dict[int, float]] = {}
        iv = t["trial_intermediate_values"]
        typed = "intermediate_value_type" in iv.c
        for trial_id, step, value, kind in conn.execute(sa.select(
                iv.c.trial_id, iv.c.step, iv.c.intermediate_value,
                iv.c.intermediate_value_type if typed else sa.null()).where(iv.c.trial_id.in_(ids))
                .order_by(iv.c.step)):
            inter.setdefault(trial_id, {})[int(step)] = _number(value, kind)
        params: dict[int, dict[str, tuple[Any, BaseDistribution]]] = {}
        p = t["trial_params"]
        dists: dict[str, BaseDistribution] = {}
        for trial_id, name, value, text in conn.execute(sa.select(
                p.c.trial_id, p.c.param_name, p.c.param_value, p.c.distribution_json).where(p.c.trial_id.in_(ids))
                .order_by(p.c.param_id)):
            dist = dists.get(text)
            if dist is None:
                dist = dists[text] = distribution_from_optuna_json(text)
            params.setdefault(trial_id, {})[name] = (_external(dist, value), dist)
        user = _trial_attrs(conn, t["trial_user_attributes"], ids)
        system = _trial_attrs(conn, t["trial_system_attributes"], ids)
        out = []
        for r in rows:
            objectives = values.get(r.trial_id)
            out.append(OptunaTrial(
                number=r.number, state=TrialState[str(r.state)],
                values=None if not objectives else tuple(objectives[k] for k in sorted(objectives)),
                params=params.get(r.trial_id, {}), intermediate=inter.get(r.trial_id, {}),
                user_attrs=user.get(r.trial_id, {}), system_attrs=system.get(r.trial_id, {}),
                start=self._seconds(r.datetime_start), complete=self._seconds(r.datetime_complete),
            ))
        return out

    def _seconds(self, value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, str):  # a driver that hands DATETIME text back as is
            value = datetime.datetime.fromisoformat(value)
        if value.tzinfo is None and self.datetimes == "utc":
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()


def _major(version: Any) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0


def _direction(value: Any) -> StudyDirection:
    name = str(value).rpartition(".")[2]
    return StudyDirection.MAXIMIZE if name == "MAXIMIZE" else StudyDirection.MINIMIZE  # NOT_SET: Optuna's default


def _number(value: Any, kind: Any) -> float:
    name = None if kind is None else str(kind).rpartition(".")[2]
    if name == "INF_POS":
        return math.inf
    if name == "INF_NEG":
        return -math.inf
    if name == "NAN" or value is None:
        return math.nan
    return float(value)


def _attrs(conn: Any, table: sa.Table, where: Any) -> dict[str, Any]:
    return {key: json.loads(text) for key, text in conn.execute(sa.select(table.c.key, table.c.value_json).where(where))}


def _trial_attrs(conn: Any, table: sa.Table, ids: Any) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for trial_id, key, text in conn.execute(
            sa.select(table.c.trial_id, table.c.key, table.c.value_json).where(table.c.trial_id.in_(ids))):
        out.setdefault(trial_id, {})[key] = json.loads(text)
    return out


def _external(dist: BaseDistribution, internal: float) -> Any:
    """The value Optuna's internal float stands for (Optuna keeps ints as floats and choices as indices)."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(internal)]
    if isinstance(dist, IntDistribution):
        return int(round(internal))
    return float(internal)


def distribution_from_optuna_json(text: str) -> BaseDistribution:
    """A tunelab distribution from Optuna's distribution JSON, the deprecated classes and the short form included.

    >>> distribution_from_optuna_json('{"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}}')
    FloatDistribution(low=0.001, high=1.0, log=True, step=None)
    >>> distribution_from_optuna_json('{"type": "int", "low": 1, "high": 9, "step": 2}')
    IntDistribution(low=1, high=9, log=False, step=2)
    """
    try:
        data = json.loads(text)
        if "name" in data:
            name, a = data["name"], dict(data["attributes"])
        else:
            name, a = {"float": "FloatDistribution", "int": "IntDistribution",
                       "categorical": "CategoricalDistribution"}[data["type"]], dict(data)
        if name == "CategoricalDistribution":
            return CategoricalDistribution(a["choices"])
        low, high = a["low"], a["high"]
        if name == "FloatDistribution":
            return FloatDistribution(low, high, log=bool(a.get("log", False)), step=a.get("step"))
        if name == "UniformDistribution":
            return FloatDistribution(low, high)
        if name == "LogUniformDistribution":
            return FloatDistribution(low, high, log=True)
        if name == "DiscreteUniformDistribution":
            return FloatDistribution(low, high, step=a["q"])
        if name == "IntDistribution":
            log = bool(a.get("log", False))
            return IntDistribution(int(low), int(high), log=log, step=1 if log else int(a.get("step") or 1))
        if name == "IntUniformDistribution":
            return IntDistribution(int(low), int(high), step=int(a.get("step") or 1))
        if name == "IntLogUniformDistribution":
            return IntDistribution(int(low), int(high), log=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"an Optuna parameter distribution cannot be read: {text[:200]!r} ({exc})") from None
    raise StorageError(f"an Optuna parameter distribution of unknown kind {name!r}: {text[:200]!r}")
