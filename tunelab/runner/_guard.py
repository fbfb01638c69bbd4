"""The guard between ``tunelab run`` and a training script: the script dies with its driver.

``tunelab run`` starts ``python -S _guard.py DRIVER_PID COMMAND...`` as the leader of a new process
group; the guard starts the script in that group and waits for it. When the driver dies, even by
SIGKILL, the guard kills the whole group (the script and anything it started), so no orphaned
script goes on training and writing into a trial that was never completed. It learns of the
driver's death at once on Linux (``prctl(PR_SET_PDEATHSIG)``), and elsewhere by seeing its parent
change (checked every :data:`POLL_S` seconds).

Otherwise the guard is transparent: the script inherits its standard streams, folder and
environment, and the guard ends the way the script ended (the same exit status, or killed by the
same signal, SIGKILL included), so ``tunelab run`` records the script's outcome. SIGTERM, which
``tunelab run`` sends to the whole group to stop a trial, is the script's to handle: the guard waits
for the script.

A script killed by a signal is the one thing the guard adds a line for: before dying of the same
signal it prints ``tunelab: the script was killed by signal N (NAME)`` (:data:`KILLED_PREFIX`), so
that ``tunelab run`` tells a killed script (the guard ends by its signal after that line) from a
killed guard (it ends by a signal without it).

This file runs as a script on its own (no tunelab import, standard library only) to start fast.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

#: Seconds between checks that the driver still lives (where no death signal is available).
POLL_S = 0.2
#: The exit status of a guard whose script could not start; the reason is its last line of output.
START_FAILED = 127
#: The first words of the guard's line when the script could not start.
START_FAILED_PREFIX = "tunelab: the script could not start:"
#: The first words of the guard's last line when its script was killed by a signal.
KILLED_PREFIX = "tunelab: the script was killed by signal"
#: Signals that cannot be caught, blocked or ignored: they act whatever the guard's handlers are.
_UNCATCHABLE = (signal.SIGKILL, signal.SIGSTOP)
#: The signal the kernel sends the guard when the thread that started it exits (Linux).
_DEATH_SIGNAL = signal.SIGUSR1
_PR_SET_PDEATHSIG = 1


def _kill_group() -> None:
    os.killpg(0, signal.SIGKILL)  # the guard is in the group too: this is its last act


def _ask_for_death_signal() -> bool:
    """On Linux, ask the kernel to signal the guard when its parent dies; whether it will."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(_DEATH_SIGNAL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no prctl: the guard polls its parent instead
        return False


def _end_like(status: int) -> None:
    """Exit the way the script did: the same status, or killed by the same signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        _say(f"{KILLED_PREFIX} {sig} ({_name(sig)})")
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the script's crash, not the guard's core
        except (ImportError, ValueError, OSError):
            pass
        if sig not in _UNCATCHABLE:  # their handler cannot be set (EINVAL), nor is there one to undo
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)  # a signal whose default is not to end a process
    os._exit(os.waitstatus_to_exitcode(status))


def _name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "unnamed"


def _say(line: str) -> None:
    """A line of the guard's own on the trial's output (nowhere, once the driver is gone)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def main(argv: list[str]) -> None:
    driver = int(argv[0])
    command = argv[1:]
    if os.getpgrp() != os.getpid():  # started by hand: lead a group of its own, never kill the caller's
        os.setpgid(0, 0)

    def on_death_signal(signum: int, frame: object) -> None:
        if os.getppid() != driver:
            _kill_group()

    signal.signal(_DEATH_SIGNAL, on_death_signal)
    for sig in (signal.SIGTERM, signal.SIGINT):  # the script's to handle (a handler, unlike SIG_IGN, is not
        signal.signal(sig, lambda signum, frame: None)  # inherited: the script gets the default)
    armed = _ask_for_death_signal()
    if os.getppid() != driver:  # the driver died before the death signal was armed
        _kill_group()
    try:
        child = subprocess.Popen(command)
    except OSError as exc:
        print(f"{START_FAILED_PREFIX} {exc}", file=sys.stderr, flush=True)
        os._exit(START_FAILED)
    while True:
        pid, status = os.waitpid(child.pid, 0 if armed else os.WNOHANG)  # the death signal interrupts a wait
        if pid:
            _end_like(status)
        if os.getppid() != driver:
            _kill_group()
        time.sleep(POLL_S)


if __name__ == "__main__":
    main(sys.argv[1:])
