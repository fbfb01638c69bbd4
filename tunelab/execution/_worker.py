"""What runs in a worker: load the study once per process, then evaluate the trials sent to it."""

from __future__ import annotations

import pickle
import threading
from typing import Any

from tunelab._errors import InvalidArgumentError
from tunelab._records import FrozenTrial
from tunelab.study._study import Study, run_trial
from tunelab.study._trial import Trial

_loaded: dict[str, tuple[Study, Any, tuple[type[Exception], ...]]] = {}
_lock = threading.Lock()


def run_task(token: str, payload: bytes, frozen: FrozenTrial, relative_space: dict[str, Any],
             relative: dict[str, Any]) -> FrozenTrial:
    """Evaluate the objective on the asked trial ``frozen`` and tell its result to the storage.

    ``payload`` holds (storage, study name, sampler, pruner, objective, catch), unpickled once
    per process and ``token`` (one optimize call). Parameters the driver sampled jointly come as
    ``relative``; the rest are drawn here by this process's reseeded copy of the sampler.
    """
    study, objective, catch = _load(token, payload)
    storage = study.storage
    storage.start_heartbeat(frozen.trial_id)
    try:
        trial = Trial(study, frozen)
        trial._set_relative(relative_space, relative)
        return run_trial(study, objective, catch, trial=trial)
    finally:
        storage.stop_heartbeat(frozen.trial_id)


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
