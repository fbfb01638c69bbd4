"""The SQL schema (SQLAlchemy Core tables) and the check that a SQLite file is ours to open."""

from __future__ import annotations

import os
import sqlite3
import weakref

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tunelab._errors import StorageError

#: Bumped whenever the tables change; a file with a newer version is refused, untouched.
SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"

metadata = MetaData()

meta = Table(
    "tunelab_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

studies = Table(
    "tunelab_studies", metadata,
    Column("study_id", Integer, primary_key=True, autoincrement=True),
    Column("study_name", String(512), nullable=False, unique=True),
    Column("directions", String(256), nullable=False),
    Column("n_trials", Integer, nullable=False, default=0),
    Column("created", Float, nullable=False),
    sqlite_autoincrement=True,
)

study_attrs = Table(
    "tunelab_study_attrs", metadata,
    Column("study_id", Integer, ForeignKey("tunelab_studies.study_id"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)

trials = Table(
    "tunelab_trials", metadata,
    Column("trial_id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("tunelab_studies.study_id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", Integer, nullable=False),
    Column("value", Float, nullable=True),  # first objective value: sorting and summaries in SQL
    Column("values_json", Text, nullable=True),
    Column("datetime_start", Float, nullable=True),
    Column("datetime_complete", Float, nullable=True),
    Column("heartbeat", Float, nullable=True),
    UniqueConstraint("study_id", "number", name="tunelab_trials_study_number"),
    Index("tunelab_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

trial_params = Table(
    "tunelab_trial_params", metadata,
    Column("trial_id", Integer, ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("value", Float, nullable=False),
    Column("distribution_json", Text, nullable=False),
)

trial_intermediate = Table(
    "tunelab_trial_intermediate", metadata,
    Column("trial_id", Integer, ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("value", Float, nullable=True),  # NULL stands for NaN (SQLite cannot store NaN)
)

trial_attrs = Table(
    "tunelab_trial_attrs", metadata,
    Column("trial_id", Integer, ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)


#: Engines this process has open, by real path of their SQLite file. Reading a file with plain
#: open()/close() drops every POSIX lock the process holds on it (SQLite's locks included), so a
#: file already opened here is never inspected again: it was checked when first opened.
_ENGINES_BY_FILE: dict[str, weakref.WeakSet] = {}


def opened_here(path: str) -> bool:
    """Whether an engine of this process still has ``path`` open."""
    engines = _ENGINES_BY_FILE.get(os.path.realpath(path))
    return bool(engines)


def remember_engine(path: str, engine: object) -> None:
    _ENGINES_BY_FILE.setdefault(os.path.realpath(path), weakref.WeakSet()).add(engine)


def forget_engine(path: str, engine: object) -> None:
    """The engine was disposed: it holds no connection (and no lock) on ``path`` any more."""
    _ENGINES_BY_FILE.get(os.path.realpath(path), weakref.WeakSet()).discard(engine)


def inspect_sqlite_file(path: str) -> None:
    """Refuse, with a clear error and without writing a byte, a file that is not a tunelab database.

    Accepted: a missing or empty file (a new database), an SQLite database with no tables, or a
    tunelab database whose schema version this code knows. Refused: a file that is not SQLite,
    a truncated or corrupt one, an SQLite database of another program, a newer tunelab schema.
    """
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return
    if os.path.isdir(path):
        raise StorageError(f"storage path {path!r} is a directory, not an SQLite file")
    with open(path, "rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_MAGIC):
        raise StorageError(f"{path!r} is not an SQLite database (corrupt or foreign file); it was left untouched")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    n_pages = int.from_bytes(header[28:32], "big")
    # the page count in the header is trusted only when it is current (bytes 24 and 92 agree) and no
    # write-ahead log holds newer pages (in WAL mode the file may lag the header until a checkpoint)
    current = header[24:28] == header[92:96] and not os.path.exists(path + "-wal")
    if len(header) < 100 or (current and n_pages and os.path.getsize(path) < n_pages * page_size):
        raise StorageError(
            f"{path!r} is truncated ({os.path.getsize(path)} bytes, its header says "
            f"{n_pages * page_size}); it was left untouched"
        )
    try:
        con = sqlite3.connect(f"file:{_uri_path(path)}?mode=ro", uri=True, timeout=60)
        try:
            tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return
            if meta.name not in tables:
                raise StorageError(
                    f"{path!r} is an SQLite database of another program (tables {sorted(tables)[:5]}); "
                    "tunelab left it untouched: give a new file name"
                )
            row = con.execute(f"SELECT value FROM {meta.name} WHERE key = 'schema_version'").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path!r} is a corrupt SQLite database ({exc}); it was left untouched") from None
    check_schema_version(row[0] if row else None, path)


def check_schema_version(found: str | None, where: str) -> None:
    if found is None:
        raise StorageError(f"{where!r} has no tunelab schema version; it was left untouched")
    try:
        version = int(found)
    except ValueError:
        raise StorageError(f"{where!r} has an unreadable schema version {found!r}; it was left untouched") from None
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{where!r} was written by a newer tunelab (schema version {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade tunelab. The database was left untouched"
        )


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(os.path.abspath(path))
