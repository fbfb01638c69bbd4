"""Driving the real ``tunelab`` command in a subprocess, and watching the processes it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


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


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str,
             proc: subprocess.Popen | None = None) -> Any:
    """Poll ``condition`` until it is truthy; fail the test with ``what`` after ``timeout`` seconds,
    or at once if ``proc`` (which should bring the condition about) ended."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"tunelab ended (status {proc.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def kill_all(pids: list[int]) -> None:
    """Clean up after a failing test: SIGKILL whatever of ``pids`` still runs."""
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
