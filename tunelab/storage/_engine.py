"""Opening a database: the SQLAlchemy engine of a storage URL, and the checks made before it is used.

Nothing is created or changed by opening a storage read-only: a missing SQLite file is an error,
not a new database; a file that is not a tunelab database is refused without a byte written, and
the file is never switched to WAL. Read-only SQLite connections are opened per transaction, each
``immutable`` when no writer has the file open (no ``-wal`` file beside it), so that reading leaves
no ``-wal`` / ``-shm`` files behind.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from tunelab._errors import InvalidArgumentError, StorageError
from tunelab.storage import _schema as S

SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_IOERR, _SQLITE_CANTOPEN = 10, 14  # sqlite3's result codes (https://sqlite.org/rescode.html)

#: Engines this process has open, by real path of their SQLite file. Reading a file with plain
#: open()/close() drops every POSIX lock the process holds on it (SQLite's locks included), so a
#: file already opened here is never inspected again: it was checked when first opened.
_ENGINES_BY_FILE: dict[str, weakref.WeakSet] = {}


def make_engine(url: URL, *, shown: str, read_only: bool, kwargs: dict[str, Any]) -> Engine:
    """The engine for ``url`` (``shown``: the URL as error messages may print it)."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, shown=shown, read_only=read_only, kwargs=kwargs)
    if backend == "postgresql":
        if url.drivername == "postgresql":
            from tunelab._errors import require_extra

            require_extra("psycopg", "postgres")
            url = url.set(drivername="postgresql+psycopg")
        if url.drivername != "postgresql+psycopg":
            raise InvalidArgumentError(f"storage={shown!r} is invalid: tunelab talks to PostgreSQL through "
                                       "psycopg 3: use a postgresql:// or postgresql+psycopg:// URL")
        # no pre-ping round trip per checkout: a connection found dead is retried by the transaction runner
        return sa.create_engine(url, **kwargs)
    raise InvalidArgumentError(f"storage={shown!r} is invalid: must be a sqlite:/// or postgresql:// URL")


def forget_engine(engine: Engine) -> None:
    """``engine`` was disposed: it holds no connection (and no lock) on its file any more."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database:
        _ENGINES_BY_FILE.get(os.path.realpath(database), weakref.WeakSet()).discard(engine)


def _sqlite_engine(url: URL, *, shown: str, read_only: bool, kwargs: dict[str, Any]) -> Engine:
    database = url.database
    if not database or database == ":memory:":
        if read_only:
            raise InvalidArgumentError(f"storage={shown!r} is invalid: an in-memory SQLite database holds no "
                                       "study to read; give a file, e.g. sqlite:///study.db")
        kwargs.setdefault("poolclass", sa.pool.StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        return _with_pragmas(sa.create_engine(url, **kwargs), wal=False)
    if url.host:  # sqlite://x.db: the file name was read as a host name
        raise InvalidArgumentError(f"storage={shown!r} is invalid: an SQLite URL has three slashes before a "
                                   f"relative path (sqlite:///{url.host}{'/' + database if database else ''}) "
                                   "and four before an absolute one")
    path = os.path.abspath(database)
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise StorageError(f"storage {shown!r}: the folder {parent!r} does not exist")
    if read_only and not os.path.exists(path):
        raise StorageError(f"storage {shown!r}: the file {path!r} does not exist (nothing was created)")
    if not _opened_here(path):
        inspect_sqlite_file(path, read_only=read_only)
    if read_only:
        kwargs.setdefault("poolclass", sa.pool.NullPool)
        engine = sa.create_engine("sqlite://", creator=lambda: _read_only_connection(path), **kwargs)
    else:
        kwargs.setdefault("connect_args", {"timeout": 60.0, "check_same_thread": False})
        engine = _with_pragmas(sa.create_engine(url, **kwargs), wal=True)
    _ENGINES_BY_FILE.setdefault(os.path.realpath(path), weakref.WeakSet()).add(engine)
    return engine


def _with_pragmas(engine: Engine, *, wal: bool) -> Engine:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the transaction runner issues BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return engine


def _read_only_connection(path: str) -> sqlite3.Connection:
    # a writer has the file open in WAL mode exactly when its -wal file exists: read through it then;
    # otherwise the file holds everything and is read as immutable (no -wal / -shm created)
    immutable = "" if os.path.exists(path + "-wal") else "&immutable=1"
    conn = sqlite3.connect(f"file:{quote(path)}?mode=ro{immutable}", uri=True, timeout=60.0,
                           check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 60000")
    return conn


def _opened_here(path: str) -> bool:
    return bool(_ENGINES_BY_FILE.get(os.path.realpath(path)))


def inspect_sqlite_file(path: str, *, read_only: bool = False) -> None:
    """Refuse, with a clear error and without writing a byte, a file that is not a tunelab database.

    Accepted: a tunelab database whose schema version this code knows; unless ``read_only``, also
    a missing or empty file (a new database) and an SQLite database with no tables. Refused: a
    directory, a file that is not SQLite, a truncated or corrupt one, an SQLite database of
    another program, a newer tunelab schema.
    """
    if os.path.isdir(path):
        raise StorageError(f"storage path {path!r} is a directory, not an SQLite file")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        if read_only:
            raise StorageError(f"{path!r} is empty: it holds no tunelab study (it was left untouched)")
        return
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise StorageError(f"{path!r} cannot be read: {exc.strerror}") from None
    if not header.startswith(SQLITE_MAGIC) or len(header) < 100:
        raise StorageError(f"{path!r} is not an SQLite database (corrupt or foreign file); it was left untouched")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    n_pages = int.from_bytes(header[28:32], "big")
    # the page count in the header is trusted only when it is current (bytes 24 and 92 agree) and no
    # write-ahead log holds newer pages (in WAL mode the file may lag the header until a checkpoint)
    current = header[24:28] == header[92:96] and not os.path.exists(path + "-wal")
    if current and n_pages and os.path.getsize(path) < n_pages * page_size:
        raise StorageError(
            f"{path!r} is truncated ({os.path.getsize(path)} bytes, its header says "
            f"{n_pages * page_size}); it was left untouched"
        )
    row = None
    try:
        con = _read_only_connection(path)
        try:
            objects = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
            if S.meta.name in objects:
                row = con.execute(f"SELECT value FROM {S.meta.name} WHERE key = 'schema_version'").fetchone()
                con.execute(f"SELECT count(*) FROM {S.trials.name}").fetchone()  # reads the main table's pages
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN):  # the disk or the file system, not the file's content
            raise StorageError(f"{path!r} cannot be read ({exc}); it was left untouched") from None
        raise StorageError(f"{path!r} is a corrupt SQLite database ({exc}); it was left untouched") from None
    if objects and S.meta.name not in objects:
        from tunelab.storages._optuna_db import OPTUNA_MARKERS, refusal

        if OPTUNA_MARKERS <= objects:  # an Optuna file: say how its studies come over
            raise refusal(f"sqlite:///{path}")
        raise StorageError(f"{path!r} is an SQLite database of another program (it holds {sorted(objects)[:5]}); "
                           "tunelab left it untouched: give a new file name")
    if not objects:
        if read_only:
            raise StorageError(f"{path!r} is an empty SQLite database: it holds no tunelab study (it was left untouched)")
        return
    S.check_schema_version(row[0] if row else None, path)
