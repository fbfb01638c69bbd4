"""The background thread that heartbeats the trials a process is running."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Collection

_log = logging.getLogger("tunelab.storage")


class Heartbeat:
    """Calls ``beat(ids)`` every ``interval`` seconds while some trial ids are registered.

    The thread is a daemon, started on the first :meth:`add` and ended when the set empties, so
    an idle process holds no thread. A failing beat (a dropped connection) is logged and retried
    at the next interval: a missed beat only matters once ``grace_period`` passes.
    """

    def __init__(self, interval: float, beat: Callable[[Collection[int]], None]) -> None:
        self.interval = interval
        self._beat = weakref.WeakMethod(beat) if hasattr(beat, "__self__") else (lambda: beat)
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, trial_id: int) -> None:
        with self._lock:
            self._ids.add(trial_id)
            if self._thread is None or not self._thread.is_alive():
                self._wake.clear()
                self._thread = threading.Thread(target=self._run, name="tunelab-heartbeat", daemon=True)
                self._thread.start()

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._ids.discard(trial_id)
            if not self._ids:
                self._wake.set()

    def stop(self) -> None:
        """Stop heartbeating every trial (the storage is closing)."""
        with self._lock:
            self._ids.clear()
            self._wake.set()

    def _run(self) -> None:
        while not self._wake.wait(self.interval):
            with self._lock:
                ids = tuple(self._ids)
                if not ids:
                    self._thread = None
                    return
            beat = self._beat()
            if beat is None:  # the storage was garbage-collected
                return
            try:
                beat(ids)
            except Exception as exc:  # noqa: BLE001 - keep beating; the grace period absorbs a miss
                _log.warning("heartbeat of trials %s failed (%s); retrying in %g s", ids, exc, self.interval)
        with self._lock:
            if self._ids:  # re-armed while stopping: keep going
                self._wake.clear()
                self._thread = threading.Thread(target=self._run, name="tunelab-heartbeat", daemon=True)
                self._thread.start()
            else:
                self._thread = None
