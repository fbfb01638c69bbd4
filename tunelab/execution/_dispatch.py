"""The study process's side of a pooled run: ask, dispatch, watch the workers, end every trial.

Every pool (:class:`~tunelab.execution._procs.ProcessPool`,
:class:`~tunelab.execution._executors.FuturePool`) offers the same five calls:

* ``share(storage)``: the storage object to send the workers (the storage itself, or a client of
  a relay that serves it from this process while the pool is open);
* ``start(token, payload)`` before the first trial: the workers load the study; raises if they
  cannot (nothing has been asked then);
* ``submit(task, args)``: run ``run_task``'s trial arguments ``args`` under the id ``task``;
* ``wait(timeout)``: what came back, as ``(task, outcome, lost)``: the worker's
  :class:`~tunelab.execution._worker.Outcome`, or None and why the trial was lost (its worker died,
  it was interrupted before it started, or the engine could not run it);
* ``interrupt()``: stop the running objectives as Ctrl-C would, where the engine can;
* ``close(cancel=...)``; plus the attributes ``kind``, ``jobs``, ``queue_depth``, ``broken``.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tunelab._errors import InvalidArgumentError, TrialFinishedError, TunelabError
from tunelab.execution._ending import INTERRUPTED, end_all, end_interrupted, finish, taken_over, was_retried
from tunelab.execution._executors import _RefusedError
from tunelab.execution._worker import Outcome, adopt

if TYPE_CHECKING:
    from tunelab._records import FrozenTrial
    from tunelab.execution._interrupt import InterruptGate
    from tunelab.study._optimize import _Budget
    from tunelab.study._study import ObjectiveFn, Study
    from tunelab.study._trial import Trial

#: Seconds the study process waits, after Ctrl-C, for the interrupted objectives to hand back
#: what they drew (a second Ctrl-C stops waiting).
INTERRUPT_GRACE = 5.0


def run_pooled(study: Study, objective: ObjectiveFn, catch: tuple[type[Exception], ...], pool: Any, *,
               budget: _Budget, finished: Callable[[FrozenTrial], None], gate: InterruptGate) -> None:
    """Keep ``pool.jobs * pool.queue_depth`` trials in flight until the budget is spent, then wait.

    Workers evaluate; this process tells each outcome (so the sampler's ``after_trial`` runs here
    and SQLite sees one writer per trial) and asks the trial that takes its place in the same
    storage write (``Storage.finish_and_start_many``: one commit for all the results at hand).
    The first error an objective raised (outside ``catch``) is re-raised once the trials in
    flight finished. A trial whose worker died is failed (and re-queued per the storage's retry
    policy) at once. On Ctrl-C the running objectives are interrupted, and each trial in flight
    ends interrupted and is re-queued (a result that came back meanwhile is told as usual).
    """
    run = _Run(study, pool, budget, finished)
    try:
        with gate.opened():
            pool.start(uuid.uuid4().hex, _payload(study, objective, catch, pool))
        while True:
            while run.error is None and len(run.running) < pool.jobs * pool.queue_depth and budget.take():
                run.submit(study.ask())
            if not run.running:
                break
            with gate.opened():
                done = pool.wait()
            records = run.collect(done)
            with gate.opened():
                for record in records:
                    finished(record)
            if run.interrupted:
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        run.wind_down(gate)
        raise
    except BaseException as exc:
        pool.close(cancel=True)
        end_all(study, run.running.values(), exc)
        raise
    pool.close()
    if run.error is not None:
        raise run.error


class _Run:
    """The trials in flight of one pooled run and what came back."""

    def __init__(self, study: Study, pool: Any, budget: _Budget, finished: Callable[[FrozenTrial], None]) -> None:
        self.study = study
        self.pool = pool
        self.budget = budget
        self.finished = finished
        self.running: dict[int, Trial] = {}
        self.error: BaseException | None = None
        self.interrupted = False
        self._ids = itertools.count()

    def submit(self, trial: Trial) -> None:
        task = next(self._ids)
        self.running[task] = trial  # first: if the engine refuses it, the trial is still ended
        self.pool.submit(task, (trial.freeze(), trial._relative_space, trial._relative))

    def collect(self, done: list[tuple[int, Outcome | None, BaseException | None]]) -> list[FrozenTrial]:
        """End the trials that came back; ask and submit those that replace them. Returns the
        records for the callbacks."""
        storage = self.study.storage
        told: list[tuple[Trial, Outcome, bool]] = []
        records: list[FrozenTrial] = []
        for task, outcome, lost in done:
            trial = self.running.pop(task)
            storage.stop_heartbeat(trial.trial_id)
            if outcome is None:
                self._lost(trial, lost)
            elif outcome.interrupted:
                adopt(trial, outcome)
                end_interrupted(self.study, trial, outcome.fail_reason or INTERRUPTED)
                self.interrupted = True
            elif outcome.ended_elsewhere:
                records.append(self._taken_over(trial))
            else:
                self.error = self.error or outcome.error
                ask_next = self.error is None and not self.interrupted and self.budget.take()
                told.append((trial, outcome, ask_next))
        if self.pool.broken is not None:
            self.error = self.error or self.pool.broken
        records.extend(self._tell(told))
        return records

    def _lost(self, trial: Trial, lost: BaseException | None) -> None:
        if isinstance(lost, InterruptedError) or self.interrupted:  # before it started, or while stopping
            end_interrupted(self.study, trial)
            self.interrupted = True
        elif isinstance(lost, _RefusedError):  # the engine could not run it: it never started
            end_interrupted(self.study, trial, f"interrupted: the worker could not run it ({lost})")
            self.error = self.error or lost.cause
        else:
            reason = f"its worker died ({type(lost).__name__}: {lost})"
            failed = self.study.storage.fail_lost_trial(trial.trial_id, reason)
            if failed is not None and failed[1] is not None:
                self.budget.give_back()  # the retry will be asked next and counts in its place

    def _taken_over(self, trial: Trial) -> FrozenTrial:
        record = taken_over(self.study, trial) or self.study.storage.get_trial(trial.trial_id)
        if was_retried(self.study, record):
            self.budget.give_back()
        return record

    def _tell(self, told: list[tuple[Trial, Outcome, bool]]) -> list[FrozenTrial]:
        """Tell what the workers handed back; those marked to be replaced are told with the asks
        of their replacements in one storage write, the others one by one."""
        for trial, outcome, _ in told:
            adopt(trial, outcome)
        singles = [(trial, outcome) for trial, outcome, ask_next in told if not ask_next]
        replaced = [(trial, outcome) for trial, outcome, ask_next in told if ask_next]
        records = []
        if replaced:
            try:
                pairs = self.study._tell_and_ask_many([(t, o.values, o.state, o.fail_reason) for t, o in replaced])
            except TunelabError:  # the storage refused one of them: tell each alone, it ends FAIL
                pairs = None
            if pairs is None:
                records.extend(self._tell_each(replaced))
                for _ in replaced:
                    self.submit(self.study.ask())
            else:
                for (trial, _), (frozen, following) in zip(replaced, pairs):
                    if following is None:  # finished meanwhile by someone else: that record stands
                        frozen = self._taken_over(trial)
                        following = self.study.ask()
                    self.submit(following)
                    records.append(frozen)
        records.extend(self._tell_each(singles))
        return records

    def _tell_each(self, told: list[tuple[Trial, Outcome]]) -> list[FrozenTrial]:
        records = []
        for trial, outcome in told:
            try:
                records.append(finish(self.study, trial, outcome.values, state=outcome.state,
                                      fail_reason=outcome.fail_reason))
            except TrialFinishedError:
                records.append(self._taken_over(trial))
        return records

    def wind_down(self, gate: InterruptGate) -> None:
        """After Ctrl-C: interrupt the objectives, tell what comes back within the grace period,
        end the rest interrupted (each re-queued) and close the pool."""
        self.interrupted = True
        self.pool.interrupt()
        deadline = time.monotonic() + INTERRUPT_GRACE
        try:
            while self.running and (left := deadline - time.monotonic()) > 0:
                with gate.opened():
                    done = self.pool.wait(left)
                self.collect(done)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            pass
        finally:
            self.pool.close(cancel=True)
            end_all(self.study, self.running.values(), KeyboardInterrupt())


def _payload(study: Study, objective: ObjectiveFn, catch: tuple[type[Exception], ...], pool: Any) -> bytes:
    """What each worker loads once: (storage, study name, sampler, pruner, whether the pruner is the
    default create_study chose, objective, catch), pickled by ``pool.dumps``. Raises, naming the
    argument at fault, when it cannot be sent."""
    parts = {"storage": pool.share(study.storage), "study_name": study.study_name, "sampler": study.sampler,
             "pruner": study.pruner, "default_pruner": study._default_pruner is study.pruner,
             "objective": objective, "catch": catch}
    try:
        return pool.dumps(tuple(parts.values()))
    except Exception as exc:  # noqa: BLE001 - pickling fails in many ways
        error = exc
    for name, value in parts.items():  # which one cannot travel, and why
        try:
            pool.dumps(value)
        except Exception as exc:  # noqa: BLE001
            culprit, error = name, exc
            break
    else:
        culprit = "objective"
    value = parts[culprit]
    raise InvalidArgumentError(
        f"{culprit}={value!r} cannot be sent to {pool.kind} workers: it cannot be pickled, not even by cloudpickle "
        f"({type(error).__name__}: {error}). Locks, open files, sockets, database connections and the like cannot "
        f"travel to another process: let the {culprit} create them where it runs (e.g. on first use in each "
        "worker) instead of holding them, or pass executor='thread' to run the trials in threads of this process")
