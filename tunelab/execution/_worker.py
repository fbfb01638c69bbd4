"""What runs in a worker: load the study once per process, then evaluate the trials sent to it."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
from typing import Any, NamedTuple

from tunelab._errors import InvalidArgumentError
from tunelab._records import FrozenTrial, TrialState, stored_core
from tunelab.execution._procs import DONE, FAILED, READY, SKIPPED
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
    interrupted: bool = False  # the objective was stopped by Ctrl-C (SIGINT): end it interrupted
    ended_elsewhere: bool = False  # someone else finished the trial meanwhile: tell nothing


def run_task(token: str, payload: bytes, frozen: FrozenTrial, relative_space: dict[str, Any],
             relative: dict[str, Any]) -> Outcome:
    """Evaluate the objective on the asked trial ``frozen``; the study process tells the outcome.

    ``payload`` holds (storage, study name, sampler, pruner, default or not, objective, catch), unpickled once
    per process and ``token`` (one optimize call). Parameters the study process sampled jointly
    come as ``relative``; the rest are drawn here by this process's reseeded copy of the sampler.
    Reports, attributes and pruning questions go through the storage as the objective runs.
    """
    return evaluate(*load(token, payload), frozen, relative_space, relative)


def evaluate(study: Study, objective: Any, catch: tuple[type[Exception], ...], frozen: FrozenTrial,
             relative_space: dict[str, Any], relative: dict[str, Any]) -> Outcome:
    """Run the objective on ``frozen`` and return what the study process needs to tell it."""
    storage = study.storage
    storage.start_heartbeat(frozen.trial_id)
    told: dict[str, Any] = {"values": None, "state": None, "fail_reason": None}
    ended_elsewhere: list[FrozenTrial] = []

    def hand_back(trial: Trial, values: Any = None, state: TrialState | None = None, *,
                  fail_reason: str | None = None) -> FrozenTrial:
        told.update(values=_portable(values), state=state, fail_reason=fail_reason)
        return trial.freeze()

    trial = Trial(study, frozen)
    trial._set_relative(relative_space, relative)
    error = None
    interrupted = False
    try:
        _signals.running = True
        run_trial(study, objective, catch, trial=trial, tell=hand_back, on_lost=ended_elsewhere.append)
    except KeyboardInterrupt:  # told already as FAIL, interrupted
        interrupted = True
    except BaseException as exc:  # told already as FAIL; the study process re-raises it (SystemExit too)
        error = exc if _portable(exc) is exc else RuntimeError(f"{type(exc).__name__}: {exc}")
    finally:
        _signals.running = False
        storage.stop_heartbeat(frozen.trial_id)
    return Outcome(told["values"], told["state"], told["fail_reason"], trial.freeze(), trial._take_pending(), error,
                   interrupted, bool(ended_elsewhere))


def adopt(trial: Trial, outcome: Outcome) -> None:
    """Bring the study process's copy of a trial up to what the worker's objective did to it."""
    snapshot = outcome.snapshot
    trial._params = dict(snapshot.params)
    trial._distributions = dict(snapshot.distributions)
    trial._intermediate = dict(snapshot.intermediate_values)
    trial._user_attrs = dict(snapshot.user_attrs)
    trial._system_attrs = dict(snapshot.system_attrs)
    trial._core = stored_core(snapshot)
    trial._pending = dict(outcome.pending)


def _portable(value: Any) -> Any:
    """``value`` if it can travel back to the study process, else its repr (told as not a number)."""
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 - anything that fails to pickle
        return repr(value)
    return value


def load(token: str, payload: bytes) -> tuple[Study, Any, tuple[type[Exception], ...]]:
    """The study, objective and ``catch`` of the optimize call ``token``, unpickled once per process."""
    with _lock:
        hit = _loaded.get(token)
        if hit is None:
            try:
                storage, study_name, sampler, pruner, default_pruner, objective, catch = pickle.loads(payload)
            except Exception as exc:
                raise InvalidArgumentError(
                    f"the worker process could not load the objective ({type(exc).__name__}: {exc}): it, or the "
                    "sampler or pruner, refers by name to a module or attribute that the worker cannot import; "
                    "define it in a file on the import path, or pass executor='thread'") from None
            sampler.reseed_rng()
            _loaded.clear()  # one optimize call at a time per worker: drop the previous one's study
            study = Study(study_name, storage, sampler=sampler, pruner=pruner)
            study._default_pruner = pruner if default_pruner else None  # tunelab.fidelity may replace it
            hit = _loaded[token] = (study, objective, catch)
            # the study process asks and tells: a worker whose objective never reports holds no connection
            storage.release_connections()
        return hit


# -- a worker process of executor='process' (see tunelab.execution._procs) ----------------------------


class _Signals:
    """Ctrl-C in a worker: the first SIGINT stops the running objective; later ones are ignored."""

    running = False
    interrupted = False


_signals = _Signals()


def _on_sigint(signum: int, frame: Any) -> None:
    if _signals.interrupted:
        return
    _signals.interrupted = True
    if _signals.running:
        raise KeyboardInterrupt


def serve(conn: Any, environ: dict[str, str] | None = None) -> None:
    """A worker process's life: load the study sent first, say ready, then evaluate each trial
    sent, in order, replying with its :class:`Outcome`; end on None or when the pipe closes.

    ``environ``: the study process's environment when it started this worker, taken over whole (a
    forkserver's children inherit the environment it had when it started, not the caller's now:
    ``os.environ["CUDA_VISIBLE_DEVICES"] = ...`` between two optimize calls must reach the workers).

    Once interrupted (SIGINT, from Ctrl-C or from the study process), trials not yet started are
    answered ``skipped``. The process ends with the study process, even in the middle of a trial.
    """
    signal.signal(signal.SIGINT, _on_sigint)
    _exit_with_parent()
    if environ is not None:
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        os.environ.update(environ)
    try:
        token, payload = conn.recv()
        try:
            loaded = load(token, payload)
        except InvalidArgumentError as exc:
            conn.send((FAILED, str(exc)))
            return
        conn.send((READY, os.getpid()))
        while True:
            task = conn.recv()
            if task is None:
                return
            if _signals.interrupted:
                conn.send((SKIPPED, None))
                continue
            conn.send((DONE, evaluate(*loaded, *task)))
    except (EOFError, OSError):  # the study process closed the pipe or is gone
        return


def _exit_with_parent() -> None:
    """End this process when the study process is gone (e.g. killed with -9), even mid-trial."""
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - not started by multiprocessing
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="tunelab-parent-watch", daemon=True).start()
