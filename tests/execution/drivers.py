"""Running a study in a child process, to interrupt or kill it as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def python(code: str, *args: str, cwd: str | None = None) -> subprocess.Popen:
    """``python -c code args`` in a new session (its own process group), the repository importable."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env, text=True, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def script(path: str, *args: str) -> subprocess.CompletedProcess:
    """Run the script file ``path`` (as ``python path``) to its end."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, path, *args], env=env, text=True, capture_output=True,
                          cwd=os.path.dirname(path), timeout=120, start_new_session=True)


def wait_for(predicate, timeout: float, what: str = "the condition") -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def group_gone(pgid: int) -> bool:
    """Whether no process of the process group ``pgid`` is left (nothing leaked)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
