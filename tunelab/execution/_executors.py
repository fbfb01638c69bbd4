"""Turning ``optimize(..., executor=...)`` into a pool of workers on an existing engine."""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from tunelab._errors import InvalidArgumentError, require_extra, wrong_type

_log = logging.getLogger("tunelab")
_DASK_SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")


class Pool:
    """An executor plus what tunelab needs to know about it.

    ``kind`` is "thread" (run in this process on the shared study, ``executor`` is None),
    "process", "dask", "ray" or "executor" (any ``concurrent.futures.Executor``).
    """

    def __init__(self, kind: str, executor: Executor | None, *, jobs: int,
                 make: Callable[[], Executor] | None = None, close: Callable[[], None] | None = None,
                 dumps: Callable[[Any], bytes] = pickle.dumps, queue_depth: int = 1) -> None:
        self.kind = kind
        self.queue_depth = queue_depth  # trials asked ahead per worker
        self.executor = executor
        self.jobs = jobs
        self._make = make
        self._close = close
        self.dumps = dumps

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        return self.executor.submit(fn, *args)  # type: ignore[union-attr]

    def replace_broken(self) -> bool:
        """Start a fresh pool in place of a broken one we own; False if this one is not ours."""
        if self._make is None:
            return False
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._make()
        return True

    def close(self, *, cancel: bool = False) -> None:
        if self._make is not None and self.executor is not None:
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)
        if self._close is not None:
            self._close()


def resolve_pool(executor: Any, jobs: int, storage: Any) -> Pool | None:
    """The pool for ``executor`` and ``jobs``, or None to run trials one by one in this process."""
    if executor is None:
        if jobs == 1:
            return None
        if not storage.shared_between_processes:
            _log.warning(
                "n_jobs=%d runs in threads: the storage %r lives in this process's memory, which worker "
                "processes cannot see. For process parallelism use a file or server storage, e.g. "
                "storage='sqlite:///study.db'", jobs, storage)
            return Pool("thread", None, jobs=jobs)
        executor = "process"
    if isinstance(executor, str):
        if executor == "thread":
            return Pool("thread", None, jobs=jobs)
        _require_shared(storage, executor)
        if executor == "process":
            return _process_pool(jobs)
        if executor == "ray":
            return _ray_pool(jobs)
        if executor.startswith(_DASK_SCHEMES):
            distributed = require_extra("distributed", "dask")
            client = distributed.Client(executor)
            return _dask_pool(client, jobs, close=client.close)
        raise InvalidArgumentError(
            f"executor={executor!r} is invalid: must be 'process', 'thread', 'ray', a Dask scheduler "
            "address such as 'tcp://host:8786', a distributed.Client or a concurrent.futures.Executor")
    if type(executor).__module__.startswith("distributed") and hasattr(executor, "get_executor"):
        _require_shared(storage, executor)
        return _dask_pool(executor, jobs)
    if isinstance(executor, Executor):
        _require_shared(storage, executor)
        return Pool("executor", executor, jobs=jobs, dumps=_cloud_or_plain())
    raise wrong_type("executor", executor, "None, 'process', 'thread', 'ray', a Dask client or address, "
                     "or a concurrent.futures.Executor")


def _require_shared(storage: Any, executor: Any) -> None:
    if not storage.shared_between_processes:
        raise InvalidArgumentError(
            f"executor={executor!r} needs a storage that worker processes can open; {storage!r} lives in "
            "this process's memory: use storage='sqlite:///study.db' (or PostgreSQL), or executor='thread'")


def _process_pool(jobs: int) -> Pool:
    import multiprocessing

    if sys.platform == "win32":  # pragma: no cover - no forkserver there
        context = multiprocessing.get_context("spawn")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tunelab.execution._worker"])

    def make() -> Executor:
        return ProcessPoolExecutor(jobs, mp_context=context, initializer=_exit_with_parent,
                                   initargs=(os.getpid(),))

    return Pool("process", make(), jobs=jobs, make=make, queue_depth=2)


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker when the study process is gone (e.g. killed with -9)."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - the pid was reused by another user
                os._exit(1)

    threading.Thread(target=watch, name="tunelab-parent-watch", daemon=True).start()


def _dask_pool(client: Any, jobs: int, *, close: Callable[[], None] | None = None) -> Pool:
    import cloudpickle

    return Pool("dask", client.get_executor(pure=False), jobs=jobs, close=close, dumps=cloudpickle.dumps)


def _ray_pool(jobs: int) -> Pool:
    ray = require_extra("ray", "ray")
    if not ray.is_initialized():
        ray.init()
    import cloudpickle

    return Pool("ray", _RayExecutor(ray), jobs=jobs, dumps=cloudpickle.dumps)


class _RayExecutor(Executor):
    """``submit`` as a Ray task; Ray's object reference gives the concurrent.futures Future."""

    def __init__(self, ray: Any) -> None:
        self._ray = ray
        self._remote: dict[Callable[..., Any], Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(fn)
        return remote.remote(*args, **kwargs).future()


def _cloud_or_plain() -> Callable[[Any], bytes]:
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps
    return cloudpickle.dumps


def is_lost(future: Future) -> BaseException | None:
    """The error of a future whose worker died (or was cancelled), None for a normal outcome."""
    from concurrent.futures import BrokenExecutor

    if future.cancelled():
        return InterruptedError("the task was cancelled by the executor")
    exc = future.exception()
    if isinstance(exc, BrokenExecutor) or type(exc).__name__ in _LOST_NAMES:
        return exc
    return None


#: Errors by which Dask and Ray say that the worker running a task died.
_LOST_NAMES = frozenset({"KilledWorker", "WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError",
                         "OwnerDiedError", "ObjectLostError"})
