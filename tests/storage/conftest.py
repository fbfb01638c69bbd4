"""Backends for the storage conformance suite."""

from __future__ import annotations

import pytest

from tests.storage.postgres import pg_url, reset_pg  # noqa: F401 - pg_url is a fixture

BACKENDS = ["memory", "sqlite-file", "sqlite-memory", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def make_storage(request, tmp_path):
    """A factory of storage objects on one fresh backend; objects from one call share its data.

    For the in-memory backends "another object" is the same object (nothing else can see them).
    """
    from tunelab.storage import InMemoryStorage, SQLStorage

    made = []
    kind = request.param
    if kind == "memory":
        shared = InMemoryStorage()
        url = None
    elif kind == "sqlite-memory":
        shared = url = None
    elif kind == "sqlite-file":
        url, shared = f"sqlite:///{tmp_path / 'conformance.db'}", None
    else:
        url, shared = request.getfixturevalue("pg_url"), None
        reset_pg(url)

    def make(**options):
        nonlocal shared
        if kind == "sqlite-memory" and shared is None:
            shared = SQLStorage("sqlite://", **options)  # the first call's options hold for the test
        if url is None:
            return shared
        storage = SQLStorage(url, **options)
        made.append(storage)
        return storage

    make.kind = kind
    make.url = url
    yield make
    for storage in made:
        storage.close()
