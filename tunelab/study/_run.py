"""One trial run by ``optimize`` (here or in a worker): ask, evaluate, tell, one final state on every path."""

from __future__ import annotations

import contextlib
import functools
import math
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tunelab._errors import TrialFinishedError, TrialPruned
from tunelab._records import FrozenTrial, TrialState
from tunelab.execution._ending import INTERRUPTED, end_interrupted, finish, taken_over
from tunelab.study._trial import Trial

if TYPE_CHECKING:
    from tunelab.study._study import ObjectiveFn, Study


def run_trial(study: Study, objective: ObjectiveFn, catch: tuple[type[Exception], ...],
              trial: Trial | None = None, tell: Callable[..., FrozenTrial] | None = None, *,
              gate: Any = None, on_lost: Callable[[FrozenTrial], None] | None = None) -> FrozenTrial:
    """Ask (unless ``trial`` was asked already), evaluate and tell one trial, so that it ends in
    exactly one final state on every path; returns its record.

    * The objective's error is recorded (FAIL) and re-raised unless it is an instance of ``catch``;
      a result that is not a number (None, a string, ``10**400``, NaN) makes the trial FAIL.
    * KeyboardInterrupt: the trial ends FAIL ("interrupted ...") and is queued again with the
      parameters it drew (:func:`~tunelab.execution._ending.end_interrupted`); then re-raised.
    * Finished by someone else meanwhile (failed as stale when its heartbeats paused): the
      objective is stopped at its next report (the storage refuses it), nothing more is written,
      ``on_lost`` receives the stored record, which is returned.
    * The storage refuses the result: the trial ends FAIL with the storage's message.

    ``tell`` (default: the study's tell with that fallback) receives the outcome; a worker process
    passes one that hands it back to the study process. ``gate`` (an
    :class:`~tunelab.execution._interrupt.InterruptGate`) lets Ctrl-C through while the objective runs.
    """
    trial = study.ask() if trial is None else trial
    local = tell is None
    if local:
        tell = functools.partial(finish, study)

    error: Exception | None = None
    try:
        with gate.opened() if gate is not None else _NO_GATE:
            result = objective(trial)
    except TrialPruned:
        last = trial._intermediate[max(trial._intermediate)] if trial._intermediate else None
        result, state, reason = (None if last is None or math.isnan(last) else last), TrialState.PRUNED, None
    except KeyboardInterrupt:
        if local:
            end_interrupted(study, trial, INTERRUPTED)
        else:
            tell(trial, state=TrialState.FAIL, fail_reason=INTERRUPTED)
        raise
    except Exception as exc:
        if isinstance(exc, TrialFinishedError) and (record := _lost(study, trial, on_lost)) is not None:
            return record
        error, result, state, reason = exc, None, TrialState.FAIL, _raised(exc)
    except BaseException as exc:  # SystemExit: recorded, then on its way
        tell(trial, state=TrialState.FAIL, fail_reason=_raised(exc))
        raise
    else:
        state, reason = None, None
        if result is None:
            state, reason = TrialState.FAIL, "the objective returned None, not a number (is its return missing?)"
    try:
        frozen = tell(trial, result, state=state, fail_reason=reason)
    except TrialFinishedError:
        record = _lost(study, trial, on_lost)
        if record is None:
            raise
        return record
    if error is not None and not (catch and isinstance(error, catch)):
        raise error
    return frozen


_NO_GATE = contextlib.nullcontext()


def _raised(exc: BaseException) -> str:
    return "the objective raised " + _exception_line(exc)


def _exception_line(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _lost(study: Study, trial: Trial, on_lost: Callable[[FrozenTrial], None] | None) -> FrozenTrial | None:
    """The record of ``trial`` if someone else finished it, handed to ``on_lost`` too; else None."""
    record = taken_over(study, trial)
    if record is not None and on_lost is not None:
        on_lost(record)
    return record


def _not_a_number(value: Any) -> str:
    return f"the objective returned {_short(value)} (type {type(value).__name__}), not a number"


def _short(value: Any, *, text: Callable[[Any], str] = repr, limit: int = 80) -> str:
    """``repr(value)`` (or ``text(value)``) cut to ``limit`` characters, for a fail reason; never raises."""
    try:
        shown = text(value)
    except Exception:  # noqa: BLE001 - an int past the digit limit, a broken __repr__
        shown = f"<{type(value).__name__} object>"
    return shown if len(shown) <= limit else shown[:limit] + "..."
