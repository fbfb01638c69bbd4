"""What runs in a worker: load the study once per process, then evaluate the trials sent to it."""

from __future__ import annotations

import pickle
import threading
from typing import Any, NamedTuple

from tunelab._errors import InvalidArgumentError
from tunelab._records import FrozenTrial, TrialState
from tunelab.storage import StoredParam
from tunelab.study._study import Study, run_trial
from tunelab.study._trial import Trial

_loaded: dict[str, tuple[Study, Any, tuple[type[Exception], ...]]] = {}
_lock = threading.Lock()


class Outcome(NamedTuple):
    """What a worker hands back for the study process to tell: the result and the trial as it ran."""

    values: Any
    state: TrialState | None
    fail_reason: str | None
    snapshot: FrozenTrial  # parameters, reports and attributes as the objective left them
    pending: dict[str, StoredParam]  # parameters not written yet: the tell writes them with the result
    error: BaseException | None  # the objective's error when ``catch`` does not cover it


def run_task(token: str, payload: bytes, frozen: FrozenTrial, relative_space: dict[str, Any],
             relative: dict[str, Any]) -> Outcome:
    """Evaluate the objective on the asked trial ``frozen``; the study process tells the outcome.

    ``payload`` holds (storage, study name, sampler, pruner, objective, catch), unpickled once
    per process and ``token`` (one optimize call). Parameters the study process sampled jointly
    come as ``relative``; the rest are drawn here by this process's reseeded copy of the sampler.
    Reports, attributes and pruning questions go through the storage as the objective runs.
    """
    study, objective, catch = _load(token, payload)
    storage = study.storage
    storage.start_heartbeat(frozen.trial_id)
    told: dict[str, Any] = {}

    def hand_back(trial: Trial, values: Any = None, state: TrialState | None = None, *,
                  fail_reason: str | None = None) -> FrozenTrial:
        told.update(values=_portable(values), state=state, fail_reason=fail_reason)
        return trial.freeze()

    trial = Trial(study, frozen)
    trial._set_relative(relative_space, relative)
    error = None
    try:
        run_trial(study, objective, catch, trial=trial, tell=hand_back)
    except Exception as exc:  # told already as FAIL; the study process re-raises it
        error = exc if _portable(exc) is exc else RuntimeError(f"{type(exc).__name__}: {exc}")
    finally:
        storage.stop_heartbeat(frozen.trial_id)
    return Outcome(told["values"], told["state"], told["fail_reason"], trial.freeze(), trial._take_pending(), error)


def adopt(trial: Trial, outcome: Outcome) -> None:
    """Bring the study process's copy of a trial up to what the worker's objective did to it."""
    snapshot = outcome.snapshot
    trial._params = dict(snapshot.params)
    trial._distributions = dict(snapshot.distributions)
    trial._intermediate = dict(snapshot.intermediate_values)
    trial._user_attrs = dict(snapshot.user_attrs)
    trial._system_attrs = dict(snapshot.system_attrs)
    trial._pending = dict(outcome.pending)


def _portable(value: Any) -> Any:
    """``value`` if it can travel back to the study process, else its repr (told as not a number)."""
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 - anything that fails to pickle
        return repr(value)
    return value


def _load(token: str, payload: bytes) -> tuple[Study, Any, tuple[type[Exception], ...]]:
    with _lock:
        hit = _loaded.get(token)
        if hit is None:
            try:
                storage, study_name, sampler, pruner, objective, catch = pickle.loads(payload)
            except Exception as exc:
                raise InvalidArgumentError(
                    f"the worker process could not load the objective ({type(exc).__name__}: {exc}): define it "
                    "at module top level in an importable file (not in an interactive session's __main__), "
                    "or pass executor='thread'") from None
            sampler.reseed_rng()
            _loaded.clear()  # one optimize call at a time per worker: drop the previous one's study
            hit = _loaded[token] = (Study(study_name, storage, sampler=sampler, pruner=pruner), objective, catch)
        return hit
