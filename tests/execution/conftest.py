"""Fixtures for the execution tests: the PostgreSQL session database comes from tests/storage."""

from __future__ import annotations

import os
import sys

# the objectives below must be importable by worker processes: put the repository root on the path
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.storage.postgres import pg_url  # noqa: E402,F401 - a fixture
