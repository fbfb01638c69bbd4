"""What a database driver's error means for a transaction: retry it, reconnect, or stop with a clear error.

Decided by the driver's exception types and codes (sqlite3's extended result codes, PostgreSQL's
SQLSTATE), never by the words of a message:

* ``RETRY``: the database refused this transaction for now (a lock wait that timed out, a
  serialization failure, a deadlock); nothing was written; run it again on the same connection.
* ``RECONNECT``: the connection is gone; the transaction may or may not have committed before the
  reply was lost, so a retry must first look for its own write (the transaction's write token).
* ``None``: a real error; :func:`storage_error` turns it into a :class:`~tunelab.StorageError`
  that says what happened (disk full, corrupt file, read-only file, ...).
"""

from __future__ import annotations

import enum
import sys

from tunelab._errors import StorageError

# sqlite3's primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the low byte
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 5, 6, 8, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26
_SQLITE_MEANING = {
    _SQLITE_READONLY: "the database file cannot be written (read-only file or folder)",
    _SQLITE_IOERR: "a disk I/O error occurred",
    _SQLITE_CORRUPT: "the database file is corrupt",
    _SQLITE_FULL: "the disk is full",
    _SQLITE_CANTOPEN: "the database file cannot be opened",
    _SQLITE_NOTADB: "the file is not an SQLite database",
}
# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_PG_RETRY = frozenset({"40001", "40P01", "55P03"})  # serialization failure, deadlock, lock not available
_PG_GONE = frozenset({"57P01", "57P02", "57P03"})  # admin / crash shutdown, cannot connect now
_PG_MEANING = {"53100": "the database server's disk is full", "53200": "the database server is out of memory",
               "53300": "the database server has too many connections"}


class Verdict(enum.Enum):
    RETRY = "retry"
    RECONNECT = "reconnect"


def driver_error(exc: BaseException) -> BaseException | None:
    """The driver's own exception behind ``exc`` (SQLAlchemy wraps them), or None if ``exc`` is not one."""
    orig = getattr(exc, "orig", None)
    if orig is not None and type(exc).__module__.startswith("sqlalchemy"):
        exc = orig
    module = type(exc).__module__
    if module.startswith("sqlite3") or module.startswith("psycopg"):
        return exc
    return None


def classify(exc: BaseException) -> Verdict | None:
    """Whether a transaction that raised ``exc`` should be retried, retried on a new connection, or not."""
    if getattr(exc, "connection_invalidated", False):  # SQLAlchemy found the connection broken
        return Verdict.RECONNECT
    error = driver_error(exc)
    if error is None:
        return None
    if type(error).__module__.startswith("sqlite3"):
        return _classify_sqlite(error)
    return _classify_psycopg(error)


def _classify_sqlite(error: BaseException) -> Verdict | None:
    import sqlite3

    if not isinstance(error, sqlite3.OperationalError):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:  # Python 3.10 has no result codes on its exceptions: its busy / locked messages
        text = str(error)
        return Verdict.RETRY if sys.version_info < (3, 11) and ("locked" in text or "busy" in text) else None
    return Verdict.RETRY if code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED) else None


def _classify_psycopg(error: BaseException) -> Verdict | None:
    import psycopg

    state = getattr(error, "sqlstate", None)
    if state in _PG_RETRY:
        return Verdict.RETRY
    if isinstance(error, psycopg.OperationalError) and (state is None or state.startswith("08") or state in _PG_GONE):
        return Verdict.RECONNECT  # raised by the client for a broken connection, or the server going away
    if isinstance(error, psycopg.InterfaceError):  # the connection object was closed under us
        return Verdict.RECONNECT
    return None


def storage_error(exc: BaseException, where: str) -> StorageError:
    """A StorageError saying what the driver error ``exc`` means, for the storage ``where`` (a safe URL)."""
    error = driver_error(exc) or exc
    meaning = None
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        meaning = _SQLITE_MEANING.get(code & 0xFF)
    state = getattr(error, "sqlstate", None)
    if state is not None:
        meaning = _PG_MEANING.get(state)
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = f"{meaning} ({detail})" if meaning else detail
    return StorageError(f"storage {where!r} failed: {text}")


def is_driver_error(exc: BaseException) -> bool:
    """Whether ``exc`` came from the database driver (directly or wrapped by SQLAlchemy)."""
    return driver_error(exc) is not None or type(exc).__module__.startswith("sqlalchemy")

