"""The study process's side of a pooled run: ask, dispatch, watch the workers, recover lost trials."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TYPE_CHECKING

from tunelab._errors import InvalidArgumentError, TrialFinishedError
from tunelab.execution._executors import Pool, is_lost
from tunelab.execution._worker import Outcome, adopt, run_task

if TYPE_CHECKING:
    from tunelab._records import FrozenTrial
    from tunelab.study._optimize import _Budget
    from tunelab.study._study import ObjectiveFn, Study
    from tunelab.study._trial import Trial


def run_pooled(study: Study, objective: ObjectiveFn, catch: tuple[type[Exception], ...], pool: Pool, *,
               budget: _Budget, finished: Callable[[FrozenTrial], None]) -> None:
    """Keep ``pool.jobs * pool.queue_depth`` trials in flight until the budget is spent, then wait.

    With a queue depth of 2, each worker has its next trial waiting while it runs one, so workers
    do not sit idle while this process tells the callbacks and asks the next trial.

    Workers evaluate; this process tells each outcome (so the sampler's ``after_trial`` runs here
    and SQLite sees one writer per trial) and asks the trial that takes its place in the same
    storage write (``Storage.finish_and_start_many``: one commit for all the results at hand). The first error an objective raised (outside
    ``catch``) is re-raised once the trials in flight finished. A trial whose worker died is failed (and re-queued per the storage's retry
    policy) at once; a broken pool of our own is replaced and the run goes on.
    """
    storage = study.storage
    payload = _payload(study, objective, catch, pool)
    token = uuid.uuid4().hex
    running: dict[Future, Trial] = {}
    error: BaseException | None = None
    in_flight = pool.jobs * pool.queue_depth
    try:
        while True:
            while error is None and len(running) < in_flight and budget.take():
                trial = study.ask()
                running[_submit(pool, token, payload, trial)] = trial
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken: BaseException | None = None
            told: list[tuple[Trial, Outcome, bool]] = []
            for future in done:
                trial = running.pop(future)
                storage.stop_heartbeat(trial.trial_id)
                lost = is_lost(future)
                if lost is None:
                    exc = future.exception()
                    if exc is None:
                        outcome = future.result()
                        told.append((trial, outcome, error is None and outcome.error is None and budget.take()))
                        exc = outcome.error
                    if exc is not None and error is None:
                        error = exc
                    continue
                broken = lost
                _recover(study, trial, lost, budget)
            for following in _tell(study, told, finished):
                running[_submit(pool, token, payload, following)] = following
            if broken is not None and not pool.replace_broken() and error is None:
                error = broken
    except BaseException:
        for future, trial in running.items():
            future.cancel()
            storage.stop_heartbeat(trial.trial_id)
            storage.fail_lost_trial(trial.trial_id, "interrupted (the study process stopped)")
        pool.close(cancel=True)
        raise
    pool.close()
    if error is not None:
        raise error


def _payload(study: Study, objective: ObjectiveFn, catch: tuple[type[Exception], ...], pool: Pool) -> bytes:
    try:
        return pool.dumps((study.storage, study.study_name, study.sampler, study.pruner, objective, catch))
    except Exception as exc:
        raise InvalidArgumentError(
            f"objective={objective!r} cannot be sent to {pool.kind} workers ({type(exc).__name__}: {exc}): "
            "define it at module top level (not a lambda, a nested function or a closure) with picklable "
            "sampler and pruner, or pass executor='thread'") from None


def _submit(pool: Pool, token: str, payload: bytes, trial: Trial) -> Future:
    args = (token, payload, trial.freeze(), trial._relative_space, trial._relative)
    try:
        return pool.submit(run_task, *args)
    except RuntimeError:  # BrokenExecutor (a worker died while idle): replace the pool once
        if not pool.replace_broken():
            trial.study.storage.fail_lost_trial(trial.trial_id, "the executor refused the trial")
            raise
        return pool.submit(run_task, *args)


def _recover(study: Study, trial: Trial, lost: BaseException, budget: _Budget) -> None:
    outcome = study.storage.fail_lost_trial(
        trial.trial_id, f"its worker died ({type(lost).__name__}: {lost})".strip())
    if outcome is not None and outcome[1] is not None:
        budget.give_back()  # the retry will be asked next and counts in its place


def _tell(study: Study, told: list[tuple[Trial, Outcome, bool]], finished: Callable[[FrozenTrial], None]) -> list[Trial]:
    """Tell what the workers handed back; those marked to be replaced are told with the asks of
    their replacements in one storage write. Returns the trials asked."""
    for trial, outcome, _ in told:
        adopt(trial, outcome)
    replaced = [(trial, outcome) for trial, outcome, ask_next in told if ask_next]
    asked = []
    if replaced:
        pairs = study._tell_and_ask_many([(t, o.values, o.state, o.fail_reason) for t, o in replaced])
        for frozen, following in pairs:
            # None: failed meanwhile as silent (its heartbeats lapsed); that record stands, ask anew
            asked.append(following if following is not None else study.ask())
            finished(frozen)
    for trial, outcome, ask_next in told:
        if ask_next:
            continue
        try:
            frozen = study.tell(trial, outcome.values, state=outcome.state, fail_reason=outcome.fail_reason)
        except TrialFinishedError:  # failed meanwhile as silent (its heartbeats lapsed): that record stands
            frozen = study.storage.get_trial(trial.trial_id)
        finished(frozen)
    return asked
