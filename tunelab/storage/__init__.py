"""Where studies live: one Storage interface, in memory or in SQL (SQLite by default, PostgreSQL).

>>> from tunelab.storage import get_storage
>>> get_storage(None)
InMemoryStorage()
>>> get_storage("sqlite://")
SQLStorage('sqlite://')

A journal file (:class:`JournalStorage`, for shared file systems without a database server) is
named ``journal:///path/to/study.log`` (three slashes before a relative path, four before an
absolute one, as for SQLite).
"""

from __future__ import annotations

import os
from typing import Any

from tunelab._errors import wrong_type
from tunelab.storage._base import Finish, Storage, StoredParam
from tunelab.storage._memory import InMemoryStorage

__all__ = [
    "Finish", "InMemoryStorage", "JournalStorage", "SCHEMA_VERSION", "SQLStorage", "Storage", "StoredParam",
    "get_storage", "redact_url",
]

#: The URL scheme of a journal file: ``journal:///path``.
JOURNAL_SCHEME = "journal://"

#: Environment variable the CLI reads when --storage is not given.
STORAGE_ENV = "TUNELAB_STORAGE"


def get_storage(storage: Any, *, read_only: bool = False) -> Storage:
    """A Storage from None (in memory), a URL (``sqlite:///path.db``, ``postgresql://...``,
    ``journal:///path.log``) or a Storage.

    ``read_only=True`` opens an existing tunelab database without writing to it (see
    :class:`SQLStorage`); a missing file or a file that is not a tunelab database raises StorageError.
    """
    if storage is None:
        if read_only:
            from tunelab._errors import InvalidArgumentError

            raise InvalidArgumentError("storage=None is invalid with read_only=True: a new in-memory storage "
                                       "holds no study to read; give a database URL")
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, (str, os.PathLike)):
        from tunelab.storage._sql import SQLStorage

        text = os.fspath(storage)
        if isinstance(text, bytes):
            raise wrong_type("storage", storage, "None, a database URL or a tunelab Storage")
        if text.startswith(JOURNAL_SCHEME):
            return _journal_from_url(text, read_only=read_only)
        if "://" not in text:  # a bare path means an SQLite file
            text = f"sqlite:///{text}"
        return SQLStorage(text, read_only=read_only)
    raise wrong_type("storage", storage, "None, a database URL or a tunelab Storage")


def _journal_from_url(url: str, *, read_only: bool) -> Storage:
    from tunelab._errors import InvalidArgumentError, StorageError
    from tunelab.storage._journal import JournalStorage

    rest = url[len(JOURNAL_SCHEME):]
    if not rest.startswith("/") or len(rest) < 2:
        raise InvalidArgumentError(f"storage={url!r} is invalid: must be journal:///relative/path or "
                                   "journal:////absolute/path (a journal file's path after three slashes)")
    path = rest[1:]
    if read_only and not os.path.exists(path):
        raise StorageError(f"storage {url!r}: the file {path!r} does not exist (nothing was created)")
    return JournalStorage(path)


def redact_url(url: Any) -> str:
    """``url`` as text safe to print: a database URL's password replaced by ``***``.

    >>> redact_url("postgresql://alice:s3cret@db.example/tuning")
    'postgresql://alice:***@db.example/tuning'
    >>> redact_url("sqlite:///study.db")
    'sqlite:///study.db'
    """
    text = os.fspath(url) if isinstance(url, (str, os.PathLike)) else str(url)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    authority, slash, path = rest.partition("/")
    credentials, at, host = authority.rpartition("@")
    if not at or ":" not in credentials:
        return text
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


def __getattr__(name: str) -> Any:
    if name == "SCHEMA_VERSION":
        from tunelab.storage._schema import SCHEMA_VERSION

        return SCHEMA_VERSION
    if name == "JournalStorage":
        from tunelab.storage._journal import JournalStorage

        return JournalStorage
    if name == "SQLStorage":  # SQLAlchemy is imported only when an SQL storage is used
        from tunelab.storage._sql import SQLStorage

        return SQLStorage
    raise AttributeError(f"module 'tunelab.storage' has no attribute {name!r}")
