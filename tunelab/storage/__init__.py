"""Where studies live: one Storage interface, in memory or in SQL (SQLite by default, PostgreSQL).

>>> from tunelab.storage import get_storage
>>> get_storage(None)
InMemoryStorage()
>>> get_storage("sqlite://")
SQLStorage('sqlite://')
"""

from __future__ import annotations

import os
from typing import Any

from tunelab._errors import wrong_type
from tunelab.storage._base import Finish, Storage, StoredParam
from tunelab.storage._memory import InMemoryStorage

__all__ = ["Finish", "InMemoryStorage", "SCHEMA_VERSION", "SQLStorage", "Storage", "StoredParam", "get_storage"]

#: Environment variable the CLI reads when --storage is not given.
STORAGE_ENV = "TUNELAB_STORAGE"


def get_storage(storage: Any) -> Storage:
    """A Storage from None (in memory), a URL (``sqlite:///path.db``, ``postgresql://...``) or a Storage."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, (str, os.PathLike)):
        from tunelab.storage._sql import SQLStorage

        text = os.fspath(storage)
        if "://" not in text:  # a bare path means an SQLite file
            text = f"sqlite:///{text}"
        return SQLStorage(text)
    raise wrong_type("storage", storage, "None, a database URL or a tunelab Storage")


def __getattr__(name: str) -> Any:
    if name == "SCHEMA_VERSION":
        from tunelab.storage._schema import SCHEMA_VERSION

        return SCHEMA_VERSION
    if name == "SQLStorage":  # SQLAlchemy is imported only when an SQL storage is used
        from tunelab.storage._sql import SQLStorage

        return SQLStorage
    raise AttributeError(f"module 'tunelab.storage' has no attribute {name!r}")
