"""Running a study in a child process, to interrupt or kill it as a user would.

The process helpers themselves live in :mod:`tests.faults.procs`, shared with the fault matrix.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.faults.procs import ROOT, child_env, group_gone, kill_group, wait_for

__all__ = ["ROOT", "group_gone", "kill_group", "python", "script", "wait_for"]


def python(code: str, *args: str, cwd: str | None = None) -> subprocess.Popen:
    """``python -c code args`` in a new session (its own process group), the repository importable."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=child_env(), text=True, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def script(path: str, *args: str) -> subprocess.CompletedProcess:
    """Run the script file ``path`` (as ``python path``) to its end."""
    return subprocess.run([sys.executable, path, *args], env=child_env(), text=True, capture_output=True,
                          cwd=os.path.dirname(path), timeout=120, start_new_session=True)
