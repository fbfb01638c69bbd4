"""Driving the real ``tunelab`` command in a subprocess, and watching the processes it starts.

The process helpers (``alive``, ``wait_for``, ``kill_all``) live in :mod:`tests.faults.procs`, shared with the
fault matrix.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.faults.procs import alive, kill_all, wait_for

__all__ = ["alive", "command", "kill_all", "run", "start", "wait_for"]


def command() -> list[str]:
    """The ``tunelab`` program of this interpreter's environment."""
    exe = Path(sys.executable).with_name("tunelab")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "import sys, tunelab.cli; sys.exit(tunelab.cli.main())"]


def start(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    """``tunelab ARGS...`` started, its output captured as text."""
    return subprocess.Popen([*command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)


def run(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``tunelab ARGS...`` run to the end."""
    return subprocess.run([*command(), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


