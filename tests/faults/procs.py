"""Processes of the fault tests: starting them as a user would, waiting on them, and making sure
none is left behind. One copy, shared by the fault matrix, ``tests/execution`` and ``tests/runner``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from typing import Any

#: The repository root: put on ``PYTHONPATH`` so child processes import ``tests.*`` modules.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment with the repository importable (and ``extra`` variables)."""
    path = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": path, **extra}


def wait_for(condition: Callable[[], Any], timeout: float, what: str = "the condition", *,
             proc: subprocess.Popen | None = None) -> Any:
    """Poll ``condition`` until it is truthy and return its value; fail with ``what`` after
    ``timeout`` seconds, or at once if ``proc`` (which should bring the condition about) ended."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate() if proc.stdout is not None else ("", "")
            raise AssertionError(f"the process ended (status {proc.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting for its parent to reap it does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def group_gone(pgid: int) -> bool:
    """Whether no live process of the process group ``pgid`` is left (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return not any(alive(pid) for pid in group_members(pgid))


def group_members(pgid: int) -> list[int]:
    """The processes of group ``pgid`` (from /proc; empty where there is none)."""
    members = []
    for pid in _proc_pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append(pid)
    return members


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = []
    for name in _proc_pids():
        if parent_of(name) == pid and alive(name):
            found.append(name)
    return found


def _proc_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to the process group ``pgid``, if any of it is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def kill_group(pgid: int) -> None:
    signal_group(pgid, signal.SIGKILL)


def kill_all(pids: Iterable[int]) -> None:
    """Clean up after a failing test: SIGKILL whatever of ``pids`` still runs."""
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def parent_of(pid: int) -> int | None:
    """The parent of process ``pid`` (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
