"""Journal storage: studies kept as an append-only log of operations in one file, for shared file systems.

Where no database server is at hand but the machines share a file system (NFS, a cluster's home
directory), several processes append their writes to one log file and each replays the others'
(:mod:`tunelab.storage._journal_file` holds the file and its locks). Every write is checked against
the state all earlier records produce, under the file's exclusive lock, before it is appended, so
the log holds only writes that were allowed: replaying it gives every process the same studies,
trial numbers and states. A write the storage refuses (a finished trial, a duplicate study name,
a value no backend stores) leaves the file as it was.

Records carry the ids and numbers they assign, so replay is a plain fold (``_journal_state``). A
trial's end with what it writes beside it (its last parameters, a lost trial's retry) is one line:
all or nothing.

Heartbeats (``heartbeat_interval``) append one small record per interval for the trials this
process runs; a RUNNING trial silent for longer than ``grace_period`` is failed (and re-queued up to
``retries`` times) by the next ``ask``, as in :class:`~tunelab.storage.SQLStorage`.
"""

from __future__ import annotations

import copy
import datetime
import os
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from tunelab._constraints import AnyOf, InstanceOf, String, constrained
from tunelab._errors import DuplicatedStudyError, StorageError, StudyNotFoundError, TrialNotFoundError, invalid
from tunelab._records import FAIL_REASON_KEY, FrozenTrial, StudyDirection, StudySummary, TrialState
from tunelab.storage._base import (
    Finish,
    Storage,
    StoredParam,
    check_attr_kind,
    check_attr_value,
    check_finish,
    check_name,
    check_new_trial,
    check_params,
    check_report,
    check_trial_attr,
    retry_attrs,
    summary_of,
    with_params,
)
from tunelab.storage._journal_file import JournalFile, JournalFileBackend, open_journal
from tunelab.storage._journal_state import Plan, State, encode_params
from tunelab.storage._liveness import LIVENESS_ARGUMENTS, Liveness

_LOG_STORAGE = AnyOf(String(), InstanceOf(os.PathLike, "a path"), InstanceOf(JournalFileBackend),
                     what="a path to the journal file or a JournalFileBackend")


@constrained({"log_storage": _LOG_STORAGE, **LIVENESS_ARGUMENTS})
class JournalStorage(Storage):
    """Studies in an append-only log file that several processes share, on one machine or on a
    shared file system (NFS): for clusters without a database server.

    ``log_storage`` is the file's path, or a ``JournalFileBackend(path, lock_obj=...)`` (Optuna's
    spelling; ``lock_obj`` picks a lock-file lock where the file system has no POSIX locks). The
    file is created when missing; a file that is not a tunelab journal is refused untouched.
    ``heartbeat_interval``, ``grace_period`` and ``retries`` work as in
    :class:`~tunelab.storage.SQLStorage` (each heartbeat appends one short line).

    Every object on one file in one process shares one replay of it; each read first takes in
    what other processes appended. Reads and writes cost a lock and the new lines: fine for trials
    of seconds or more, slower than SQLite for thousands of trials a minute.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
    >>> storage = JournalStorage(path)
    >>> sid = storage.create_study("demo", [StudyDirection.MINIMIZE])
    >>> JournalStorage(path).get_study_name(sid)
    'demo'
    """

    def __init__(self, log_storage: str | os.PathLike[str] | JournalFileBackend, *,
                 heartbeat_interval: float | None = None, grace_period: float | None = None,
                 retries: int = 0) -> None:
        if isinstance(log_storage, JournalFileBackend):
            path, self._lock = os.fspath(log_storage.file_path), log_storage.lock_obj
        else:
            path, self._lock = os.fspath(log_storage), None
        if not path or os.path.isdir(path):
            raise invalid("log_storage", log_storage, "a path to a journal file (not a directory, not empty)")
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise StorageError(f"journal {path!r}: the folder {parent!r} does not exist")
        self.path = path
        self.liveness = Liveness.of(heartbeat_interval, grace_period, retries, beat=self.record_heartbeats)
        self._file().sync()  # a foreign file is refused now, not at the first write

    def __repr__(self) -> str:
        return f"JournalStorage({self.path!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # a worker process replays the file itself
        return (_rebuild, (self.path, self._lock, self.heartbeat_interval, self.grace_period, self.retries))

    @property
    def shared_between_processes(self) -> bool:
        return True

    def close(self) -> None:
        if self.liveness is not None:
            self.liveness.close()

    # -- the file ------------------------------------------------------------------------------------
    def _journal(self) -> tuple[JournalFile, State]:
        handle = self.__dict__.get("_handle")
        if handle is None or self._pid != os.getpid():  # new, or a forked child: open afresh
            handle = self._handle = open_journal(self.path, self._lock, State)
            self._pid = os.getpid()
        return handle, handle.state

    def _file(self) -> JournalFile:
        return self._journal()[0]

    def _read(self) -> State:
        journal, state = self._journal()
        journal.sync()
        return state

    def _write(self, build: Any) -> Any:
        """``build(plan)`` fills a plan (raising when the write is not allowed) and returns the result;
        its records are appended and applied, then the result is returned."""
        journal, state = self._journal()
        result = None

        def records() -> list[dict[str, Any]]:
            nonlocal result
            plan = Plan(state)
            result = build(plan)
            return plan.records

        journal.write(records)
        return result

    # -- studies -------------------------------------------------------------------------------------
    def create_study(self, study_name: str, directions: Iterable[StudyDirection]) -> int:
        check_name("study_name", study_name)
        names = [StudyDirection.parse(d, "directions").name for d in directions]

        def build(plan: Plan) -> int:
            if study_name in plan.state.names:
                raise DuplicatedStudyError(f"a study named {study_name!r} already exists")
            sid = plan.state.next_study_id
            plan.records.append({"op": "study", "id": sid, "name": study_name, "directions": names,
                                 "t": time.time()})
            return sid

        return self._write(build)

    def delete_study(self, study_id: int) -> None:
        def build(plan: Plan) -> None:
            plan.state.study(study_id)
            plan.records.append({"op": "drop", "study": study_id})

        self._write(build)

    def get_study_id(self, study_name: str) -> int:
        state = self._read()
        if study_name not in state.names:
            raise StudyNotFoundError(f"no study named {study_name!r}")
        return state.names[study_name]

    def get_study_name(self, study_id: int) -> str:
        return self._read().study(study_id).name

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        return self._read().study(study_id).directions

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_attr_kind(kind)
        check_attr_value(key, value)

        def build(plan: Plan) -> None:
            plan.state.study(study_id)
            plan.records.append({"op": "study_attr", "study": study_id, "kind": kind, "key": key,
                                 "value": copy.deepcopy(value)})

        self._write(build)

    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        check_attr_kind(kind)
        state = self._read()
        with self._file().lock:
            return copy.deepcopy(state.study(study_id).attrs[kind])

    def get_all_studies(self) -> list[StudySummary]:
        state = self._read()
        out = []
        with self._file().lock:
            for sid, study in state.studies.items():
                trials = [state.freeze(tid) for tid in study.trial_ids]
                created = datetime.datetime.fromtimestamp(study.created)
                out.append(summary_of(study.name, sid, study.directions, trials, created, study.attrs["user"]))
        return out

    # -- trials --------------------------------------------------------------------------------------
    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        params: Mapping[str, StoredParam] | None = None,
        values: tuple[float, ...] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        core: Mapping[str, Any] | None = None,
    ) -> FrozenTrial:
        reports = check_new_trial(params, values, intermediate_values, user_attrs, system_attrs, core)
        beat = state == TrialState.RUNNING and self.liveness is not None
        trial_id = self._write(lambda plan: plan.new_trial(
            study_id, state, time.time(), beat=beat, params=params, values=values, inter=reports, user=user_attrs,
            system=system_attrs, core=core)[0])
        if state == TrialState.RUNNING:
            self.start_heartbeat(trial_id)
        return self.get_trial(trial_id)

    def start_trial(self, study_id: int) -> FrozenTrial:
        self.fail_stale_trials(study_id)
        beat = self.liveness is not None
        trial_id, _ = self._write(lambda plan: plan.start(study_id, time.time(), beat=beat))
        self.start_heartbeat(trial_id)
        return self.get_trial(trial_id)

    def finish_and_start_many(self, finishes: Sequence[Finish], *, study_id: int) -> list[FrozenTrial | None]:
        for f in finishes:
            check_finish(f.state, f.values, f.params, f.system_attrs, f.core)
        self.fail_stale_trials(study_id)
        beat = self.liveness is not None

        def build(plan: Plan) -> list[int | None]:
            plan.state.study(study_id)
            now, started = time.time(), []
            for f in finishes:
                trial = plan.state.trials.get(f.trial_id)
                if trial is None or trial.state.is_finished() or f.trial_id in plan._taken:
                    started.append(None)
                    continue
                plan.finish(f.trial_id, f.state, f.values, now, params=f.params, system=f.system_attrs, core=f.core)
                started.append(plan.start(study_id, now, beat=beat)[0])
            return started

        try:
            started = self._write(build)
        finally:
            for f in finishes:
                self.stop_heartbeat(f.trial_id)
        out: list[FrozenTrial | None] = []
        for trial_id in started:
            if trial_id is not None:
                self.start_heartbeat(trial_id)
            out.append(None if trial_id is None else self.get_trial(trial_id))
        return out

    def set_trial_params(self, trial_id: int, params: Mapping[str, StoredParam]) -> None:
        check_params(params)

        def build(plan: Plan) -> None:
            plan.state.running(trial_id, "setting parameters")
            plan.records.append({"op": "params", "id": trial_id, "params": encode_params(params)})

        self._write(build)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        step, value = check_report(step, value)
        beat = self.liveness is not None  # a report is a sign of life too

        def build(plan: Plan) -> None:
            plan.state.running(trial_id, "report")
            plan.records.append({"op": "report", "id": trial_id, "step": step, "value": value,
                                 "beat": time.time() if beat else None})

        self._write(build)

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        check_trial_attr(kind, key, value)

        def build(plan: Plan) -> None:
            plan.state.running(trial_id, f"setting {kind} attribute {key!r}")
            plan.records.append({"op": "attr", "id": trial_id, "kind": kind, "key": key, "value": copy.deepcopy(value)})

        self._write(build)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        *,
        params: Mapping[str, StoredParam] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        core: Mapping[str, Any] | None = None,
    ) -> None:
        check_finish(state, values, params, system_attrs, core)

        def build(plan: Plan) -> None:
            plan.state.running(trial_id, f"finishing as {state.name}")
            plan.finish(trial_id, state, values, time.time(), params=params, system=system_attrs, core=core)

        try:
            self._write(build)
        finally:
            self.stop_heartbeat(trial_id)

    def fail_trial(self, trial_id: int, reason: str, *, max_retries: int | None = 0,
                   params: Mapping[str, StoredParam] | None = None) -> tuple[int, int | None] | None:
        check_params(params)

        def build(plan: Plan) -> tuple[int, int | None] | None:
            trial = plan.state.trial(trial_id)
            if trial.state.is_finished():
                return None  # told or failed by someone else first
            now = time.time()
            plan.finish(trial_id, TrialState.FAIL, None, now, params=params, core={FAIL_REASON_KEY: reason})
            retry = retry_attrs(with_params(plan.state.freeze(trial_id), params), max_retries)
            if retry is None:
                return trial.number, None
            _, number = plan.new_trial(trial.study_id, TrialState.WAITING, now, beat=False, user=retry[0],
                                       core=retry[1])
            return trial.number, number

        try:
            return self._write(build)
        finally:
            self.stop_heartbeat(trial_id)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        state = self._read()
        with self._file().lock:
            state.trial(trial_id)
            return state.freeze(trial_id)

    def get_trial_id(self, study_id: int, number: int) -> int:
        state = self._read()
        with self._file().lock:
            study = state.study(study_id)
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < len(study.trial_ids):
                raise TrialNotFoundError(f"no trial number {number!r} in study {study.name!r}")
            return study.trial_ids[number]

    def get_all_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> list[FrozenTrial]:
        wanted = None if states is None else frozenset(states)
        state = self._read()
        with self._file().lock:
            trials = [state.freeze(tid) for tid in state.study(study_id).trial_ids]
        return trials if wanted is None else [t for t in trials if t.state in wanted]

    def get_n_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> int:
        if states is None:
            state = self._read()
            with self._file().lock:
                return len(state.study(study_id).trial_ids)
        return super().get_n_trials(study_id, states=states)

    def restamp(self, times: Mapping[int, tuple[float | None, float | None]]) -> None:
        """Set trials' start and end times (seconds since the epoch): what a copied study's trials
        had where they ran (:func:`tunelab.copy_study`); nothing else changes."""

        def build(plan: Plan) -> None:
            for tid in times:
                plan.state.trial(tid)
            plan.records.append({"op": "times", "times": {str(k): list(v) for k, v in times.items()}})

        if times:
            self._write(build)

    # -- liveness data ---------------------------------------------------------------------------------
    def record_heartbeats(self, trial_ids: Collection[int]) -> None:
        def build(plan: Plan) -> None:
            running = [tid for tid in trial_ids if (t := plan.state.trials.get(tid)) and t.state == TrialState.RUNNING]
            if running:
                plan.records.append({"op": "beat", "ids": running, "t": time.time()})

        self._write(build)

    def stale_trial_ids(self, study_id: int, grace_seconds: float) -> list[int]:
        state = self._read()
        limit = time.time() - grace_seconds
        with self._file().lock:
            return [tid for tid in state.study(study_id).trial_ids
                    if (t := state.trials[tid]).state == TrialState.RUNNING and t.beat is not None and t.beat < limit]


def _rebuild(path: str, lock: Any, interval: float | None, grace: float | None, retries: int) -> JournalStorage:
    log = path if lock is None else JournalFileBackend(path, lock)
    return JournalStorage(log, heartbeat_interval=interval, grace_period=grace, retries=retries)

