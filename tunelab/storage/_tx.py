"""The one way SQLStorage talks to its database: a transaction, retried by the driver's verdict.

Every read and write of :class:`~tunelab.storage.SQLStorage` is a function of one :class:`Tx`, run by
:meth:`Transactions.run`:

* SQLite: writes in ``BEGIN IMMEDIATE`` ... ``COMMIT`` (the write lock is taken up front, so two
  writers never deadlock), reads statement by statement; PostgreSQL: writes in a transaction, reads
  and one-statement writes in autocommit (one round trip each).
* A transaction refused for now (lock timeout, serialization failure, deadlock) is run again; one
  whose connection broke is run again on a fresh connection with ``tx.uncertain`` set, because the
  first attempt may have committed before its reply was lost. Each ``run`` carries one write token
  (``tx.token``) that the writes store with the rows they start or finish, so such a retry
  recognises its own committed write instead of doing it twice (see ``_statements``).
* Anything else the driver raises becomes a :class:`~tunelab.StorageError` that says what happened
  (disk full, corrupt file, ...), naming the storage by its password-free URL.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from tunelab.storage._driver import Verdict, classify, is_driver_error, storage_error

T = TypeVar("T")

#: Attempts per transaction before its last error is raised.
ATTEMPTS = 8


class Tx:
    """One attempt at a transaction: SQLAlchemy Core statements on ``conn``, hot statements on ``cursor``."""

    __slots__ = ("conn", "raw", "token", "uncertain", "dialect", "_cursor")

    def __init__(self, conn: Connection, raw: Any, token: str, uncertain: bool, dialect: str) -> None:
        self.conn = conn
        self.raw = raw
        self.token = token
        self.uncertain = uncertain  # an earlier attempt of this write may have committed
        self.dialect = dialect
        self._cursor: Any = None

    @property
    def cursor(self) -> Any:
        """The driver's cursor, for the few statements every trial runs (no SQLAlchemy overhead)."""
        if self._cursor is None:
            self._cursor = self.raw.cursor()
        return self._cursor

    def execute(self, statement: Any, params: Any = None) -> Any:
        """Run an SQLAlchemy Core statement."""
        return self.conn.execute(statement, params)

    def close(self) -> None:
        if self._cursor is not None:
            with contextlib.suppress(Exception):  # a broken connection refuses even this
                self._cursor.close()


class Transactions:
    """Runs functions of a :class:`Tx` as transactions on ``engine`` (see the module notes).

    ``serial``: one transaction at a time in this process (an in-memory SQLite database is one
    connection shared by every thread). ``where``: the storage's URL without its password.
    """

    def __init__(self, engine: Engine, *, where: str, serial: bool) -> None:
        self.engine = engine
        self.where = where
        self.dialect = engine.dialect.name
        self._serial = threading.RLock() if serial else contextlib.nullcontext()

    def run(self, fn: Callable[[Tx], T], *, write: bool = True, one_statement: bool = False) -> T:
        """``fn(tx)`` in one transaction, retried per the driver's verdict; its result.

        ``one_statement``: ``fn`` writes with a single statement, atomic by itself (PostgreSQL runs
        it in autocommit, saving the COMMIT round trip).
        """
        token = uuid.uuid4().hex
        uncertain = False
        delay = 0.01
        for attempt in range(ATTEMPTS):
            try:
                return self._attempt(fn, token, uncertain, write=write, one_statement=one_statement)
            except Exception as exc:
                if not is_driver_error(exc):
                    raise
                verdict = classify(exc)
                if verdict is None or attempt == ATTEMPTS - 1:
                    raise storage_error(exc, self.where) from exc
                uncertain = uncertain or (write and verdict is Verdict.RECONNECT)
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, fn: Callable[[Tx], T], token: str, uncertain: bool, *, write: bool,
                 one_statement: bool) -> T:
        with self._serial, self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            tx = Tx(conn, raw, token, uncertain, self.dialect)
            try:
                if self.dialect == "sqlite":
                    return self._sqlite(fn, tx, raw, write)
                return self._postgresql(fn, tx, raw, write and not one_statement)
            except BaseException as exc:
                if classify(exc) is Verdict.RECONNECT and not conn.invalidated:
                    conn.invalidate()  # the pool drops this connection; the retry takes a fresh one
                raise
            finally:
                tx.close()

    @staticmethod
    def _sqlite(fn: Callable[[Tx], T], tx: Tx, raw: Any, write: bool) -> T:
        if write:
            raw.execute("BEGIN IMMEDIATE")
        try:
            result = fn(tx)
            if write:
                raw.execute("COMMIT")
            return result
        except BaseException:
            with contextlib.suppress(Exception):
                if raw.in_transaction:
                    raw.rollback()
            raise

    @staticmethod
    def _postgresql(fn: Callable[[Tx], T], tx: Tx, raw: Any, transaction: bool) -> T:
        raw.autocommit = not transaction
        try:
            result = fn(tx)
            if transaction:
                raw.commit()
            return result
        except BaseException:
            with contextlib.suppress(Exception):
                if transaction and not raw.closed:
                    raw.rollback()
            raise
        finally:
            with contextlib.suppress(Exception):
                if not raw.closed:
                    raw.autocommit = False
