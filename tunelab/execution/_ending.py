"""How a trial ends on the paths beside a plain tell: interrupted, finished by someone else, or
refused by the storage. Each leaves the trial in exactly one final state."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tunelab._errors import TrialFinishedError, TrialNotFoundError, TunelabError
from tunelab._records import FAIL_REASON_KEY, FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunelab.study._study import Study
    from tunelab.study._trial import Trial

_log = logging.getLogger("tunelab")

#: The fail reason of a trial stopped by Ctrl-C (every interrupted trial's reason starts with "interrupted").
INTERRUPTED = "interrupted (KeyboardInterrupt)"


def end_interrupted(study: Study, trial: Trial, reason: str = INTERRUPTED) -> int | None:
    """FAIL ``trial`` with ``reason`` and queue a WAITING copy that runs it again with the
    parameters it had drawn, whatever the storage's retry policy: an interrupted trial is never
    lost. Returns the copy's number, or None when the trial had finished already (nothing is
    written then).

    The storage records the parameters not stored yet, fails the trial and queues its copy
    (linked by ``retry_of`` and ``retry_count``) in one write (``Storage.fail_trial(...,
    max_retries=None, params=...)``); parameters it cannot store are left out (the copy draws
    those anew).
    """
    storage = study.storage

    def fail_and_queue(params: dict[str, Any]) -> tuple[int, int | None] | None:
        try:
            ended = storage.fail_trial(trial.trial_id, reason, max_retries=None, params=params)
        except TrialFinishedError:
            raise
        except TunelabError as exc:  # a parameter it cannot store
            _log.warning("parameters of interrupted trial %d not stored: %s", trial.number, exc)
            ended = storage.fail_trial(trial.trial_id, reason, max_retries=None)
        if ended is None:
            raise TrialFinishedError(f"trial {trial.number} is already finished")
        return ended

    try:
        _, (_, retry) = study._finish(trial, trial.trial_id, TrialState.FAIL, None, {FAIL_REASON_KEY: reason},
                                      fail_and_queue)
    except TrialFinishedError:
        return None
    return retry


def end_all(study: Study, trials: Iterable[Trial], cause: BaseException) -> None:
    """:func:`end_interrupted` each of ``trials`` (still running when ``optimize`` stops with
    ``cause``); an error while ending one is logged, so that ``cause`` is what the caller raises."""
    reason = INTERRUPTED if isinstance(cause, KeyboardInterrupt) else \
        f"interrupted: optimize stopped ({type(cause).__name__}: {_printable(str(cause), 200)})"
    for trial in list(trials):
        try:
            end_interrupted(study, trial, reason)
        except Exception as exc:  # noqa: BLE001 - the storage itself may be what failed
            _log.error("trial %d could not be ended as interrupted: %s", trial.number, exc)


def finish(study: Study, trial: Trial, values: Any = None, *, state: TrialState | None = None,
           fail_reason: str | None = None) -> FrozenTrial:
    """``study.tell`` for a trial that ran in ``optimize``; if the storage refuses to write it (a
    value or parameter it cannot store), the trial ends FAIL with the storage's message instead,
    without the parameters that were not stored yet. TrialFinishedError (finished by someone
    else) passes through."""
    try:
        return study.tell(trial, values, state=state, fail_reason=fail_reason)
    except TrialFinishedError:
        raise
    except TunelabError as exc:
        refused = exc
    trial._take_pending()  # the offending parameter is among these: drop them all
    detail = _printable(f"{type(refused).__name__}: {refused}")
    for reason in (f"the storage refused the result ({detail})", "the storage refused the result"):
        try:
            study.tell(trial, state=TrialState.FAIL, fail_reason=reason)
            _log.warning("the storage refused the result of trial %d (%s); it is recorded FAIL", trial.number,
                         detail)
            break
        except TrialFinishedError:
            raise
        except TunelabError:
            continue
    else:
        raise refused
    return study.storage.get_trial(trial.trial_id)


def taken_over(study: Study, trial: Trial) -> FrozenTrial | None:
    """The stored record of ``trial`` if someone else finished it (failed it as stale, or
    interrupted it), else None. Its heartbeat from this process stops."""
    try:
        record = study.storage.get_trial(trial.trial_id)
    except TrialNotFoundError:
        return None
    if not record.state.is_finished():
        return None
    study.storage.stop_heartbeat(trial.trial_id)
    if trial._finished:  # ended by this process (interrupted by another thread): nothing to say
        return record
    _log.warning("trial %d was finished elsewhere meanwhile (%s: %s); its objective was stopped here",
                 record.number, record.state.name, record.fail_reason or "no reason recorded")
    return record


def was_retried(study: Study, record: FrozenTrial) -> bool:
    """Whether a retry of the lost trial ``record`` was queued (it then counts in its place)."""
    return any(t.retry_of == record.number for t in study.storage.get_all_trials(study._study_id))


def _printable(text: str, limit: int = 1000) -> str:
    """``text`` without NUL characters and cut to ``limit`` characters, for a fail reason."""
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= limit else text[:limit] + "..."
