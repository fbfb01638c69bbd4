"""The optimize loop: budgets, failures, callbacks, progress and parallel jobs."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from tunelab._errors import invalid, wrong_type
from tunelab._records import FrozenTrial, TrialState
from tunelab.study._progress import ProgressLine

if TYPE_CHECKING:
    from tunelab.study._study import ObjectiveFn, Study


def _check_budget(n_trials: Any, timeout: Any, n_jobs: Any) -> int:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise invalid("n_trials", n_trials, "None or a non-negative integer")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise invalid("timeout", timeout, "None or a positive number of seconds")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise invalid("n_jobs", n_jobs, "a positive integer, or -1 for one job per CPU core")
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def _normalise_catch(catch: Any) -> tuple[type[BaseException], ...]:
    items = catch if isinstance(catch, tuple) else (catch,) if catch else ()
    for c in items:
        if not (isinstance(c, type) and issubclass(c, Exception)):
            raise wrong_type("catch", catch, "an Exception class or a tuple of them")
    return items


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
) -> None:
    """Run trials until ``n_trials`` of them ran in this call, ``timeout`` elapsed or ``study.stop()``.

    * An objective that raises makes its trial FAIL with the error recorded; the error is re-raised
      unless it is an instance of ``catch``.
    * ``TrialPruned`` makes the trial PRUNED; a NaN or non-numeric return makes it FAIL.
    * Ctrl-C (KeyboardInterrupt) marks the running trials FAIL ("interrupted") and re-raises;
      every finished trial is kept.
    * ``n_jobs > 1`` runs trials in that many threads (useful when the objective releases the GIL).
    """
    if not callable(objective):
        raise wrong_type("objective", objective, "a callable taking a Trial")
    jobs = _check_budget(n_trials, timeout, n_jobs)
    catch_t = _normalise_catch(catch)
    callbacks = list(callbacks or [])
    study._stop_flag = False
    progress = ProgressLine(n_trials, timeout) if show_progress_bar else None
    deadline = None if timeout is None else time.monotonic() + timeout
    lock = threading.Lock()
    started = 0

    def more() -> bool:
        return not study._stop_flag and (n_trials is None or started < n_trials) and (
            deadline is None or time.monotonic() < deadline)

    def finished(frozen: FrozenTrial) -> None:
        for callback in callbacks:
            callback(study, frozen)
        if progress is not None:
            progress.update(_best_text(study))

    from tunelab.study._study import run_trial

    try:
        if jobs == 1:
            while more():
                started += 1
                finished(run_trial(study, objective, catch_t))
            return
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="tunelab") as pool:
            running: set[Future] = set()
            while True:
                while len(running) < jobs and more():
                    with lock:
                        started += 1
                    running.add(pool.submit(run_trial, study, objective, catch_t))
                if not running:
                    break
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(future.result())
    finally:
        if progress is not None:
            progress.close()


def _best_text(study: Study) -> str:
    if len(study.directions) > 1:
        return f"{len(study.best_trials)} on the Pareto front"
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    if not complete:
        return "-"
    best = study.best_trial
    return f"{best.values[0]:.6g} (trial {best.number})"
