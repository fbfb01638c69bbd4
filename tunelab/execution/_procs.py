"""``executor='process'``: one worker process per job, each with its own pipe.

A worker that dies (killed, out of memory) loses only the trial it was running: the trial queued
behind it goes to the process that replaces it, and the other workers never notice. The study
process sends a worker its next trial while it runs one, so workers do not wait for the study
process between trials. A storage that only the study process can open (in memory) is served to
the workers by a relay in the study process (:mod:`tunelab.execution._relay`).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque
from multiprocessing import connection
from typing import Any

from tunelab._errors import InvalidArgumentError
from tunelab.execution._executors import dumps
from tunelab.execution._relay import RELAY_LOST_EXIT, Relay
from tunelab.execution._startup import REIMPORT_EXIT, WORKER_NAME, WorkerStartError, check_main_guard, guard_message

#: Replies of a worker process (``tunelab.execution._worker.serve``) to the study process.
READY, FAILED, DONE, SKIPPED = "ready", "failed", "done", "skipped"


class _Worker:
    """One worker process, its pipe, and the trials sent to it (the first one is running)."""

    def __init__(self, context: Any, index: int) -> None:
        from tunelab.execution._worker import serve

        self.index = index
        self.conn, child = context.Pipe()
        # the environment of this optimize call: a forkserver's children inherit the one it started with
        self.process = context.Process(target=serve, args=(child, dict(os.environ)), name=f"{WORKER_NAME}-{index}")
        self.process.start()
        child.close()
        self.tasks: deque[tuple[int, tuple[Any, ...]]] = deque()  # (task id, its arguments)
        self.ready = False

    def died(self) -> BaseException:
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code == RELAY_LOST_EXIT:
            how = "it lost its connection to the study process's storage relay"
        elif code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit code {code}"
        return ChildProcessError(f"worker process {self.process.pid} ended ({how})")

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass

    def end(self, deadline: float) -> None:
        self.process.join(timeout=max(deadline - time.monotonic(), 0))
        if self.process.exitcode is None:
            self.process.terminate()
            self.process.join(timeout=2)
            if self.process.exitcode is None:
                self.process.kill()
                self.process.join()
        self.conn.close()


def _send(worker: _Worker, message: Any) -> None:
    try:
        worker.conn.send(message)
    except OSError:  # it died: the next wait finds out and tells why
        pass


class ProcessPool:
    """``jobs`` worker processes fed through pipes; see :mod:`tunelab.execution._dispatch` for the
    interface every pool offers (``start``, ``submit``, ``wait``, ``interrupt``, ``close``)."""

    kind = "process"
    queue_depth = 2  # trials in flight per worker: the running one and the next
    broken: BaseException | None = None  # never: a dead worker is replaced
    dumps = staticmethod(dumps)  # pickle, or cloudpickle where pickle cannot

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        self.jobs = jobs
        if sys.platform == "win32":  # pragma: no cover - no forkserver there
            self._context = multiprocessing.get_context("spawn")
        else:
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload(["tunelab.execution._worker"])
        self._workers: list[_Worker] = []
        self._load: tuple[str, bytes] | None = None
        self._relay: Relay | None = None

    def share(self, storage: Any) -> Any:
        """The storage object the workers get: ``storage`` itself when other processes can open it,
        else a client of a relay that serves it from this process until :meth:`close`."""
        if storage.shared_between_processes:
            return storage
        if self._relay is None:
            self._relay = Relay(storage)
        return self._relay.client()

    def start(self, token: str, payload: bytes) -> None:
        """Start the workers and wait until each loaded the study; raise if one cannot."""
        check_main_guard()
        self._load = (token, payload)
        try:
            for i in range(self.jobs):
                self._workers.append(_Worker(self._context, i))
            for worker in self._workers:  # once all run: a large payload waits for its reader
                _send(worker, self._load)
            while not all(w.ready for w in self._workers):
                for worker, message in self._receive([w for w in self._workers if not w.ready], None):
                    if message is None:
                        raise self._start_error(worker)
                    if message[0] == FAILED:
                        raise InvalidArgumentError(message[1])
                    worker.ready = True
        except BaseException:
            self.close(cancel=True)
            raise

    def _start_error(self, worker: _Worker) -> WorkerStartError:
        cause = worker.died()
        if worker.process.exitcode == REIMPORT_EXIT:
            return WorkerStartError(guard_message(f"worker process {worker.process.pid}"))
        return WorkerStartError(f"{cause} before it could run a trial (its error, if any, is printed above); "
                                "if the main script has no `if __name__ == \"__main__\":` guard, add one, or "
                                "pass executor='thread'")

    def submit(self, task: int, args: tuple[Any, ...]) -> None:
        worker = min(self._workers, key=lambda w: len(w.tasks))
        worker.tasks.append((task, args))
        _send(worker, args)

    def wait(self, timeout: float | None = None) -> list[tuple[int, Any, BaseException | None]]:
        """Block until some trials came back: (task id, its Outcome or None, None or why it was lost).

        A worker that died is replaced (idle ones too, before a trial is sent to them)."""
        done = []
        for worker, message in self._receive(self._workers, timeout):
            if message is None:
                done.extend(self._replace(worker))
            elif message[0] == DONE:
                done.append((worker.tasks.popleft()[0], message[1], None))
            elif message[0] == SKIPPED:
                done.append((worker.tasks.popleft()[0], None, InterruptedError("interrupted before it started")))
            elif message[0] == FAILED:  # a replacement that could not load: unlikely, but final
                raise InvalidArgumentError(message[1])
        return done

    def _receive(self, workers: list[_Worker], timeout: float | None) -> list[tuple[_Worker, Any]]:
        """Messages from ``workers`` (a replacement's READY dropped), with None for a worker that died."""
        by_handle: dict[Any, _Worker] = {}
        for w in workers:
            by_handle[w.conn] = by_handle[w.process.sentinel] = w
        hit = list(dict.fromkeys(by_handle[h] for h in connection.wait(list(by_handle), timeout)))
        out = []
        for worker in hit:
            try:
                while worker.conn.poll():  # what it sent, even just before dying
                    message = worker.conn.recv()
                    if not (message[0] == READY and worker.ready):
                        out.append((worker, message))
            except (EOFError, OSError):
                out.append((worker, None))
                continue
            if worker.process.exitcode is not None:  # dead, its pipe still held by a child of its own
                out.append((worker, None))
        return out

    def _replace(self, worker: _Worker) -> list[tuple[int, Any, BaseException | None]]:
        """The trial a dead worker was running, lost; a new process takes the ones queued behind it."""
        lost = worker.died()
        worker.conn.close()
        if not worker.ready:
            raise self._start_error(worker)
        tasks = list(worker.tasks)
        fresh = _Worker(self._context, worker.index)
        _send(fresh, self._load)
        fresh.ready = True  # its READY is dropped; a replacement that cannot load answers FAILED
        self._workers[self._workers.index(worker)] = fresh
        for task, args in tasks[1:]:
            fresh.tasks.append((task, args))
            _send(fresh, args)
        return [(tasks[0][0], None, lost)] if tasks else []

    def interrupt(self) -> None:
        """Stop the running objectives as Ctrl-C would (SIGINT to each busy worker)."""
        for worker in self._workers:
            if worker.tasks and worker.process.exitcode is None:
                try:
                    os.kill(worker.process.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass

    def close(self, *, cancel: bool = False) -> None:
        """End the workers: at once with ``cancel``, else once they finished what they hold (5 s at most)."""
        for worker in self._workers:
            worker.stop()
        deadline = time.monotonic() + (0.05 if cancel else 5)
        for worker in self._workers:
            worker.end(deadline)
        self._workers = []
        if self._relay is not None:  # after the workers: they may use it to the end
            self._relay.close()
            self._relay = None
