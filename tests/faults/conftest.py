"""Fixtures of the fault matrix: the repository importable by child processes, PostgreSQL's session database."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.storage.postgres import pg_url  # noqa: E402,F401 - a fixture
