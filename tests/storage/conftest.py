"""Backends for the storage conformance suite, and a throw-away PostgreSQL database per session."""

from __future__ import annotations

import os
import uuid

import pytest

PG_HOST = os.environ.get("TUNELAB_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _admin_connect():
    import psycopg

    return psycopg.connect(f"{PG_HOST}/postgres", autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL database for this test session, dropped at the end."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (extra 'postgres')")
    try:
        admin = _admin_connect()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means skip
        pytest.skip(f"no PostgreSQL server reachable at {PG_HOST} ({type(exc).__name__}: {exc})")
    name = f"tunelab_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_HOST}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def reset_pg(url: str) -> None:
    """Drop tunelab's tables, so each test starts from an empty database."""
    import sqlalchemy as sa

    from tunelab.storage import _schema

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        _schema.metadata.drop_all(conn)
    engine.dispose()


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
