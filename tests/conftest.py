import pytest

from tests.storage.postgres import pg_url, sql_url  # noqa: F401 - fixtures for every test module


@pytest.fixture(params=["memory", "sqlite"])
def storage_url(request, tmp_path):
    """Run a test against the in-memory storage and an SQLite file."""
    if request.param == "memory":
        from tunelab.storage import InMemoryStorage

        return InMemoryStorage()
    return f"sqlite:///{tmp_path / 'study.db'}"
