"""A throw-away PostgreSQL database per test session (skips with the reason when no server answers)."""

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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_url(request, tmp_path):
    """A study storage URL, once per backend: an SQLite file in ``tmp_path`` (``study.db``), and this
    session's PostgreSQL database (skipped, saying why, where no server answers). Name studies uniquely:
    the PostgreSQL database is shared by the session."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return request.getfixturevalue("pg_url")


def reset_pg(url: str) -> None:
    """Drop tunelab's tables, so each test starts from an empty database."""
    import sqlalchemy as sa

    from tunelab.storage import _schema

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        _schema.metadata.drop_all(conn)
    engine.dispose()


