"""Turning ``optimize(..., executor=...)`` into a pool of workers on an existing engine."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from typing import Any

from tunelab._errors import InvalidArgumentError, require_extra, wrong_type

_DASK_SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")


class FuturePool:
    """An engine that runs each trial as a ``concurrent.futures`` future: a Dask or Ray cluster, or
    any ``concurrent.futures.Executor``. Offers the pool interface of
    :mod:`tunelab.execution._dispatch` (``start``, ``submit``, ``wait``, ``interrupt``, ``close``).

    ``kind`` is "dask", "ray" or "executor"; ``broken`` is set once the engine can take no more
    trials (a ``concurrent.futures`` pool whose worker died breaks as a whole).
    """

    queue_depth = 1

    def __init__(self, kind: str, executor: Executor, *, jobs: int, close: Callable[[], None] | None = None,
                 dumps: Callable[[Any], bytes] = pickle.dumps) -> None:
        self.kind = kind
        self.executor = executor
        self.jobs = jobs
        self._close = close
        self.dumps = dumps
        self.broken: BaseException | None = None
        self._futures: dict[Future, int] = {}
        self._load: tuple[str, bytes] = ("", b"")

    def share(self, storage: Any) -> Any:
        return storage  # one the workers can open: resolve_pool refused the others

    def start(self, token: str, payload: bytes) -> None:
        self._load = (token, payload)

    def submit(self, task: int, args: tuple[Any, ...]) -> None:
        from tunelab.execution._worker import run_task

        self._futures[self.executor.submit(run_task, *self._load, *args)] = task

    def wait(self, timeout: float | None = None) -> list[tuple[int, Any, BaseException | None]]:
        """Block until some trials came back: (task id, its Outcome or None, None or why it was lost)."""
        done, _ = wait(self._futures, timeout, return_when=FIRST_COMPLETED)
        out: list[tuple[int, Any, BaseException | None]] = []
        for future in done:
            task = self._futures.pop(future)
            lost = is_lost(future)
            if lost is not None:
                if isinstance(lost, BrokenExecutor):
                    self.broken = lost
                out.append((task, None, lost))
            elif future.exception() is not None:  # the worker could not run it (e.g. not unpickled)
                out.append((task, None, _RefusedError(future.exception())))
            else:
                out.append((task, future.result(), None))
        return out

    def interrupt(self) -> None:
        """Remote objectives cannot be interrupted: the trials not started yet are cancelled."""
        for future in self._futures:
            future.cancel()

    def close(self, *, cancel: bool = False) -> None:
        for future in self._futures:
            future.cancel()
        if self._close is not None:
            self._close()


class _RefusedError(Exception):
    """The engine could not run a trial: ``cause`` is raised by ``optimize``."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


#: ``resolve_pool``'s answer for threads in this process, sharing the study.
THREADS = "thread"


def resolve_pool(executor: Any, jobs: int, storage: Any) -> Any:
    """The pool for ``executor`` and ``jobs``: a FuturePool or ProcessPool, :data:`THREADS`, or None
    to run trials one by one in this process."""
    if executor is None:
        if jobs == 1:
            return None
        from tunelab.execution._startup import unguarded_call

        found = unguarded_call()
        if found is not None:  # Optuna's scripts call optimize(n_jobs=...) at top level: its threads, said once
            warnings.warn(
                f"n_jobs={jobs} runs in threads here, as Optuna's does: {found[0]!r} calls optimize at line "
                f"{found[1]}, outside an `if __name__ == \"__main__\":` block, and worker processes would run that "
                "line again. Put it under that block for worker processes (faster for CPU-bound Python), or pass "
                "executor='thread' to say threads are meant", UserWarning, stacklevel=5)
            return THREADS
        executor = "process"
    if isinstance(executor, str):
        if executor == "thread":
            return THREADS
        if executor == "process":  # a storage only this process can open is served to the workers
            from tunelab.execution._procs import ProcessPool

            return ProcessPool(jobs)
        _require_shared(storage, executor)
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
        return FuturePool("executor", executor, jobs=jobs, dumps=dumps)
    raise wrong_type("executor", executor, "None, 'process', 'thread', 'ray', a Dask client or address, "
                     "or a concurrent.futures.Executor")


def _require_shared(storage: Any, executor: Any) -> None:
    if not storage.shared_between_processes:
        raise InvalidArgumentError(
            f"executor={executor!r} needs a storage that worker processes can open; {storage!r} lives in "
            "this process's memory: use storage='sqlite:///study.db' (or PostgreSQL), or executor='process' "
            "(worker processes on this machine, served the storage by this process) or executor='thread'")


def _dask_pool(client: Any, jobs: int, *, close: Callable[[], None] | None = None) -> FuturePool:
    import cloudpickle

    return FuturePool("dask", client.get_executor(pure=False), jobs=jobs, close=close, dumps=cloudpickle.dumps)


def _ray_pool(jobs: int) -> FuturePool:
    ray = require_extra("ray", "ray")
    if not ray.is_initialized():
        _check_ray_cluster_answers()
        ray.init()
    import cloudpickle

    return FuturePool("ray", _RayExecutor(ray), jobs=jobs, dumps=cloudpickle.dumps)


def _check_ray_cluster_answers(timeout: float = 3.0) -> None:
    """Refuse at once a Ray cluster that ``ray.init()`` would join but that is gone.

    ``ray.init()`` joins the cluster ``RAY_ADDRESS`` names, else the last one ``ray start`` recorded
    on this machine (``/tmp/ray/ray_current_cluster``), else starts one here. A recorded cluster that
    has stopped (its head killed, the machine rebooted) keeps ``ray.init()`` waiting for minutes
    before it fails; a TCP connection to the cluster's address tells in a moment.
    """
    import socket

    try:
        from ray._private.services import canonicalize_bootstrap_address

        address = canonicalize_bootstrap_address(None)
    except Exception:  # noqa: BLE001 - Ray's own lookup changed or failed: leave the decision to ray.init()
        return
    if not address:
        return  # a new local instance
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return
    except (OSError, ValueError):
        pass
    import os

    source = "RAY_ADDRESS" if os.environ.get("RAY_ADDRESS") else "the last `ray start` on this machine"
    raise InvalidArgumentError(
        f"executor='ray' would join the Ray cluster at {address} (named by {source}), which does not answer: "
        "start it again (`ray start --head`), forget it (`ray stop`), or set RAY_ADDRESS=local to start a new "
        "Ray instance on this machine")


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


def dumps(obj: Any) -> bytes:
    """``obj`` pickled for worker processes on this machine: by ``pickle``, or by cloudpickle where
    pickle cannot (a lambda, a closure, a function or class defined in a function) or where what it
    writes could not be loaded there (functions of an interactive session's ``__main__``, which has
    no file for the workers to import). Raises what cloudpickle raises for what neither can send."""
    if not _interactive_main():
        try:
            return pickle.dumps(obj)
        except Exception:  # noqa: BLE001 - pickle fails in many ways; cloudpickle gets its turn
            pass
    import cloudpickle

    return cloudpickle.dumps(obj)


def _interactive_main() -> bool:
    import sys

    main = sys.modules.get("__main__")
    return main is not None and getattr(main, "__file__", None) is None


def is_lost(future: Future) -> BaseException | None:
    """The error of a future whose worker died (or was cancelled), None for a normal outcome."""
    if future.cancelled():
        return InterruptedError("the task was cancelled by the executor")
    exc = future.exception()
    if isinstance(exc, BrokenExecutor) or type(exc).__name__ in _LOST_NAMES:
        return exc
    return None


#: Errors by which Dask and Ray say that the worker running a task died.
_LOST_NAMES = frozenset({"KilledWorker", "WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError",
                         "OwnerDiedError", "ObjectLostError"})
