"""The optimize loop: budgets, failures, callbacks, progress and parallel jobs."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from tunelab._errors import InvalidArgumentError
from tunelab._records import FrozenTrial
from tunelab.study._logs import TrialLog
from tunelab.study._progress import make_progress, progress_mode

if TYPE_CHECKING:
    from tunelab.study._study import ObjectiveFn, Study


def _jobs(n_jobs: int) -> int:
    """How many trials run at once: ``n_jobs``, or one per CPU core for -1."""
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def _normalise_catch(catch: type[Exception] | tuple[type[Exception], ...] | None) -> tuple[type[Exception], ...]:
    """``catch`` as a tuple of Exception classes (None and () catch nothing)."""
    return () if catch is None else catch if isinstance(catch, tuple) else (catch,)


class _Budget:
    """How many more trials may start: ``n_trials``, ``timeout`` and ``study.stop()`` together."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None) -> None:
        self._study = study
        self._n_trials = n_trials
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._lock = threading.Lock()
        self.started = 0

    def take(self) -> bool:
        """Claim one trial start if the budget allows it."""
        with self._lock:
            if self._study._stop_flag or (self._n_trials is not None and self.started >= self._n_trials) or (
                    self._deadline is not None and time.monotonic() >= self._deadline):
                return False
            self.started += 1
            return True

    def give_back(self) -> None:
        """A started trial did not count (it was lost and its retry queued)."""
        with self._lock:
            self.started -= 1


def optimize(
    study: Study,
    objective: ObjectiveFn,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Any,
    callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None,
    show_progress_bar: bool,
    gc_after_trial: bool = False,
    executor: Any = None,
) -> None:
    """Run trials until ``n_trials`` of them ran in this call, ``timeout`` elapsed or ``study.stop()``.

    Every trial started ends in exactly one state (COMPLETE, PRUNED or FAIL), whichever way the
    call ends:

    * An objective that raises makes its trial FAIL with the error recorded; the error is re-raised
      unless it is an instance of ``catch`` (in parallel runs, once the running trials finished).
    * ``TrialPruned`` makes the trial PRUNED; a NaN or non-numeric return (None included) makes
      it FAIL, as does a result the storage refuses to store; the run goes on.
    * Ctrl-C (KeyboardInterrupt) marks the running trials FAIL ("interrupted ...") and queues each
      again with the parameters it drew (the next run, or the next ``ask``, runs it), then
      re-raises; every finished trial is kept.
    * A trial that someone else failed meanwhile (its heartbeats paused past the grace period)
      keeps that record: its objective is stopped at its next report and the run goes on; when
      its retry was queued, the retry counts in its place.
    * ``n_jobs > 1`` runs that many trials at once, in worker processes by default; ``executor``
      picks threads, a Dask cluster, Ray or any ``concurrent.futures.Executor``
      (see :mod:`tunelab.execution`).
    * Each finished trial is logged on the ``"tunelab"`` logger in Optuna's words (see
      :mod:`tunelab.logging`), then handed to ``callbacks`` in order; with ``gc_after_trial``
      the garbage collector runs after each (in this process, where the callbacks run).

    The arguments are those :meth:`Study.optimize` checked against its table.
    """
    from tunelab.execution._executors import resolve_pool
    from tunelab.execution._startup import refuse_reimported_main

    refuse_reimported_main()
    jobs = _jobs(n_jobs)
    catch_t = _normalise_catch(catch)
    callbacks = list(callbacks or [])
    if show_progress_bar:
        progress_mode()  # a bad TUNELAB_PROGRESS fails before any pool starts
    pool = resolve_pool(executor, jobs, study.storage)
    study._stop_flag = False
    budget = _Budget(study, n_trials, timeout)
    log = TrialLog(study)

    def finished(frozen: FrozenTrial) -> None:
        log(frozen)
        for callback in callbacks:
            callback(study, frozen)
        if gc_after_trial:
            gc.collect()
        if progress is not None:
            progress.update(_best_text(study))

    # made last before the try, so that every way out (an error, Ctrl-C, a worker's failure) closes it
    progress = make_progress(n_trials, timeout) if show_progress_bar else None
    try:
        dispatch(study, objective, catch_t, pool, jobs, budget, finished)
    finally:
        if progress is not None:
            progress.close()


def dispatch(study: Study, objective: ObjectiveFn, catch: tuple[type[Exception], ...], pool: Any, jobs: int,
             budget: Any, finished: Callable[[FrozenTrial], None]) -> None:
    """Run trials while ``budget.take()`` grants them: in this thread (``pool`` None), ``jobs``
    threads, or a worker pool; ``finished(frozen)`` gets each ended trial in this thread. A lost
    trial that was queued again gives its ticket back (its retry stands in for it). Shared by
    :func:`optimize` and population-based training, which owns its budget."""
    from tunelab.execution._ending import was_retried
    from tunelab.execution._executors import THREADS
    from tunelab.execution._interrupt import InterruptGate
    from tunelab.study._run import run_trial

    def lost(record: FrozenTrial) -> None:
        if was_retried(study, record):
            budget.give_back()

    with InterruptGate() as gate:
        if pool is None:
            while budget.take():
                frozen = run_trial(study, objective, catch, gate=gate, on_lost=lost)
                with gate.opened():
                    finished(frozen)
        elif pool == THREADS:
            _run_threads(study, objective, catch, jobs, budget, finished, gate=gate, lost=lost)
        else:
            from tunelab.execution._dispatch import run_pooled

            run_pooled(study, objective, catch, pool, budget=budget, finished=finished, gate=gate)


def _run_threads(study: Study, objective: ObjectiveFn, catch: tuple[type[Exception], ...], jobs: int,
                 budget: _Budget, finished: Callable[[FrozenTrial], None], *, gate: Any,
                 lost: Callable[[FrozenTrial], None]) -> None:
    """``jobs`` threads evaluate and tell; this thread asks, waits and runs the callbacks. The first
    error an objective raised (outside ``catch``) is re-raised once the running trials finished.
    On Ctrl-C the running trials end interrupted and are re-queued; their objectives are stopped
    at their next ``suggest`` / ``report`` (a thread cannot be stopped from outside)."""
    from tunelab.execution._ending import end_all
    from tunelab.study._run import run_trial

    threads = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="tunelab")
    running: dict[Future, Any] = {}
    error: BaseException | None = None
    try:
        while True:
            while error is None and len(running) < jobs and budget.take():
                trial = study.ask()
                running[threads.submit(run_trial, study, objective, catch, trial=trial, on_lost=lost)] = trial
            if not running:
                break
            with gate.opened():
                done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                del running[future]
                exc = future.exception()
                if isinstance(exc, KeyboardInterrupt):  # its trial ended interrupted: so do the others
                    raise exc
                if exc is not None:
                    error = error or exc
                    continue
                with gate.opened():
                    finished(future.result())
    except BaseException as exc:
        threads.shutdown(wait=False, cancel_futures=True)
        end_all(study, running.values(), exc)
        raise
    threads.shutdown()
    if error is not None:
        raise error


def _best_text(study: Study) -> str:
    if len(study.directions) > 1:
        return f"{len(study.best_trials)} on the Pareto front"
    try:
        best = study.best_trial
    except InvalidArgumentError:  # no COMPLETE trial yet
        return "-"
    return f"{best.values[0]:.6g} (trial {best.number})"
