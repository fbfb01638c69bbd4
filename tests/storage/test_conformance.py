"""The storage contract (tunelab.testing's storage suite), run on every backend: in memory, SQLite
file, SQLite in memory, PostgreSQL."""

from __future__ import annotations

import pytest

from tunelab import InvalidArgumentError
from tunelab.testing import NotApplicable, storage_checks


@pytest.mark.parametrize("check", storage_checks(), ids=str)
def test_storage_passes_the_shipped_checks(check, make_storage):
    try:
        check(make_storage)
    except NotApplicable as reason:
        pytest.skip(str(reason))


def test_heartbeat_options_are_validated():
    from tunelab.storage import SQLStorage

    with pytest.raises(InvalidArgumentError, match="heartbeat_interval=0 is invalid"):
        SQLStorage("sqlite://", heartbeat_interval=0)
    with pytest.raises(InvalidArgumentError, match="grace_period=1 is invalid: must be longer than"):
        SQLStorage("sqlite://", heartbeat_interval=2, grace_period=1)
    with pytest.raises(InvalidArgumentError, match="retries=-1 is invalid"):
        SQLStorage("sqlite://", heartbeat_interval=1, retries=-1)
    with pytest.raises(InvalidArgumentError, match="need heartbeats: give heartbeat_interval"):
        SQLStorage("sqlite://", retries=2)
