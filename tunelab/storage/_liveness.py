"""Liveness: telling the trials of dead workers from slow ones, beside the storage's data contract.

A :class:`Liveness` policy belongs to a storage object that was given a ``heartbeat_interval``. The
trials this process runs heartbeat from one background thread (:class:`Heartbeat`); a RUNNING
trial whose heartbeat is older than ``grace_period`` belongs to a dead worker, and
:meth:`Liveness.sweep` fails it and, while it was re-queued fewer than ``retries`` times, queues
its retry. The storage only stores: heartbeat times (``record_heartbeats``), which trials are
stale (``stale_trial_ids``) and failing one with its retry in one write (``fail_trial``).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from tunelab._constraints import Integral, Real, constrained
from tunelab._errors import InvalidArgumentError, invalid

if TYPE_CHECKING:
    from tunelab.storage._base import Storage

_log = logging.getLogger("tunelab.storage")

_SECONDS = (None, Real(0, None, min_open=True, what="a positive, finite number of seconds"))
#: The table of a storage's liveness arguments: :meth:`Liveness.of` and the storages that take them declare it.
LIVENESS_ARGUMENTS = {"heartbeat_interval": _SECONDS, "grace_period": _SECONDS, "retries": Integral(min=0)}


class Liveness:
    """A heartbeat policy: beat every ``interval`` s; lost after ``grace`` s of silence; ``retries`` re-queues.

    >>> policy = Liveness.of(1, None, 0, beat=lambda ids: None)
    >>> policy.interval, policy.grace, policy.retries
    (1.0, 4.0, 0)
    >>> Liveness.of(None, None, 0, beat=lambda ids: None) is None
    True
    """

    def __init__(self, interval: float, grace: float, retries: int, beat: Callable[[Collection[int]], None]) -> None:
        self.interval = interval
        self.grace = grace
        self.retries = retries
        self._heartbeat = Heartbeat(interval, beat)

    @classmethod
    @constrained(LIVENESS_ARGUMENTS, where="Liveness.of")
    def of(cls, heartbeat_interval: float | None, grace_period: float | None, retries: int, *,
           beat: Callable[[Collection[int]], None]) -> Liveness | None:
        """The policy for a storage's arguments (``grace_period`` defaults to four intervals); None
        without heartbeats. Bad arguments raise, naming the argument."""
        interval = None if heartbeat_interval is None else float(heartbeat_interval)
        grace = None if grace_period is None else float(grace_period)
        if interval is None:
            if grace is not None or retries:
                raise InvalidArgumentError(f"grace_period={grace_period!r} and retries={retries!r} need "
                                           "heartbeats: give heartbeat_interval too")
            return None
        grace = 4 * interval if grace is None else grace
        if grace <= interval:
            raise invalid("grace_period", grace_period, f"longer than heartbeat_interval={heartbeat_interval!r}")
        return cls(interval, grace, retries, beat)

    def watch(self, trial_id: int) -> None:
        """Heartbeat ``trial_id`` from this process until :meth:`unwatch`."""
        self._heartbeat.add(trial_id)

    def unwatch(self, trial_id: int) -> None:
        self._heartbeat.discard(trial_id)

    def close(self) -> None:
        self._heartbeat.stop()

    def sweep(self, storage: Storage, study_id: int, grace: float | None = None) -> list[int]:
        """Fail (and re-queue, under the retry policy) the study's RUNNING trials silent for ``grace`` s.

        Returns the numbers of the trials this call failed (each is failed by one caller only, even
        when several processes sweep at once).
        """
        grace = self.grace if grace is None else grace
        reason = f"no heartbeat for more than {grace:g} s (worker died?)"
        failed = []
        for trial_id in storage.stale_trial_ids(study_id, grace):
            outcome = storage.fail_trial(trial_id, reason, max_retries=self.retries)
            if outcome is not None:
                failed.append(outcome[0])
        return failed


class Heartbeat:
    """Calls ``beat(ids)`` every ``interval`` seconds while some trial ids are registered.

    The thread is a daemon, started on the first :meth:`add` and ended when the set empties, so
    an idle process holds no thread. A failing beat (a dropped connection) is logged and retried
    at the next interval: a missed beat only matters once the grace period passes.
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
