"""Journal storage: studies kept as an append-only log of operations in one file, for shared file systems.

Where no database server is at hand but the machines share a file system (NFS, a cluster's home
directory), several processes append their writes to one log file and each replays the others'
(:mod:`tunelab.storage._journal_file` holds the file and its locks). Every write is checked against
the state all earlier records produce, under the file's exclusive lock, before it is appended, so
the log holds only writes that were allowed: replaying it gives every process the same studies,
trial numbers and states. A write the storage refuses (a finished trial, a duplicate study name,
a value no backend stores) leaves the file as it was.

Records carry the ids and numbers they assign, so replay is a plain fold. A trial's end with what
it writes beside it (its last parameters, a lost trial's retry) is one line: all or nothing.

Heartbeats (``heartbeat_interval``) append one small record per interval for the trials this
process runs; a RUNNING trial silent for longer than ``grace_period`` is failed (and re-queued up to
``retries`` times) by the next ``ask``, as in :class:`~tunelab.storage.SQLStorage`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from tunelab._constraints import AnyOf, InstanceOf, String, constrained
from tunelab._errors import (
    DuplicatedStudyError,
    StorageError,
    StudyNotFoundError,
    TrialNotFoundError,
    invalid,
)
from tunelab._records import FAIL_REASON_KEY, FrozenTrial, StudyDirection, StudySummary, TrialState, core_fields
from tunelab.space import BaseDistribution, distribution_from_json
from tunelab.storage._base import (
    Finish,
    Storage,
    StoredParam,
    best_values,
    check_attr_kind,
    check_attr_value,
    check_finish,
    check_name,
    check_new_trial_attrs,
    check_params,
    check_report,
    check_trial_attr,
    check_values,
    raise_finished,
    retry_attrs,
    with_params,
)
from tunelab.storage._journal_file import JournalFile, JournalFileBackend, open_journal
from tunelab.storage._liveness import LIVENESS_ARGUMENTS, Liveness

_stamp = datetime.datetime.fromtimestamp


@dataclasses.dataclass
class _Study:
    name: str
    directions: tuple[StudyDirection, ...]
    created: float
    attrs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=lambda: {"user": {}, "system": {}})
    trial_ids: list[int] = dataclasses.field(default_factory=list)
    waiting: list[int] = dataclasses.field(default_factory=list)  # WAITING trial ids, oldest first


@dataclasses.dataclass
class _Trial:
    study_id: int
    number: int
    state: TrialState
    values: tuple[float, ...] | None
    params: dict[str, Any]
    distributions: dict[str, BaseDistribution]
    intermediate: dict[int, float]
    attrs: dict[str, dict[str, Any]]  # "user", "system", "core"
    start: float | None
    complete: float | None
    beat: float | None  # last heartbeat; None: its process does not heartbeat
    frozen: FrozenTrial | None = None


class _State:
    """What the records of one journal add up to (this process's replay of the file)."""

    def __init__(self) -> None:
        self.studies: dict[int, _Study] = {}
        self.names: dict[str, int] = {}
        self.trials: dict[int, _Trial] = {}
        self.next_study_id = 0
        self.next_trial_id = 0
        self._dists: dict[str, BaseDistribution] = {}

    # -- replay --------------------------------------------------------------------------------------
    def apply(self, record: dict[str, Any]) -> None:
        op = record.get("op")
        handler = getattr(self, f"_op_{op}", None) if isinstance(op, str) else None
        if handler is None:
            raise StorageError(f"the journal holds an operation this tunelab does not know ({str(record)[:80]}); "
                               "was it written by a newer tunelab?")
        handler(record)

    def _op_batch(self, r: dict[str, Any]) -> None:
        for record in r["ops"]:
            self.apply(record)

    def _op_study(self, r: dict[str, Any]) -> None:
        sid = r["id"]
        self.studies[sid] = _Study(r["name"], tuple(StudyDirection[d] for d in r["directions"]), r["t"])
        self.names[r["name"]] = sid
        self.next_study_id = sid + 1

    def _op_drop(self, r: dict[str, Any]) -> None:
        study = self.studies.pop(r["study"])
        del self.names[study.name]
        for tid in study.trial_ids:
            del self.trials[tid]

    def _op_study_attr(self, r: dict[str, Any]) -> None:
        self.studies[r["study"]].attrs[r["kind"]][r["key"]] = r["value"]

    def _op_trial(self, r: dict[str, Any]) -> None:
        tid, state, t = r["id"], TrialState[r["state"]], r["t"]
        params, dists = self._params(r["params"])
        self.trials[tid] = _Trial(
            r["study"], r["number"], state, _values(r["values"]), params, dists,
            {int(k): float(v) for k, v in r["inter"].items()},
            {"user": r["user"], "system": r["system"], "core": r["core"]},
            None if state == TrialState.WAITING else t, t if state.is_finished() else None,
            t if r["beat"] else None,
        )
        study = self.studies[r["study"]]
        study.trial_ids.append(tid)
        if state == TrialState.WAITING:
            study.waiting.append(tid)
        self.next_trial_id = tid + 1

    def _op_claim(self, r: dict[str, Any]) -> None:
        trial = self._changed(r["id"])
        trial.state, trial.start, trial.beat = TrialState.RUNNING, r["t"], r["t"] if r["beat"] else None
        self.studies[trial.study_id].waiting.remove(r["id"])

    def _op_params(self, r: dict[str, Any]) -> None:
        trial = self._changed(r["id"])
        params, dists = self._params(r["params"])
        trial.params.update(params)
        trial.distributions.update(dists)

    def _op_report(self, r: dict[str, Any]) -> None:
        trial = self._changed(r["id"])
        trial.intermediate[r["step"]] = float(r["value"])
        if r.get("beat") is not None:
            trial.beat = r["beat"]

    def _op_attr(self, r: dict[str, Any]) -> None:
        self._changed(r["id"]).attrs[r["kind"]][r["key"]] = r["value"]

    def _op_finish(self, r: dict[str, Any]) -> None:
        trial = self._changed(r["id"])
        params, dists = self._params(r["params"])
        trial.params.update(params)
        trial.distributions.update(dists)
        trial.attrs["system"].update(r["system"])
        trial.attrs["core"].update(r["core"])
        trial.values = _values(r["values"])
        if trial.state == TrialState.WAITING:
            self.studies[trial.study_id].waiting.remove(r["id"])
        trial.state, trial.complete = TrialState[r["state"]], r["t"]

    def _op_times(self, r: dict[str, Any]) -> None:
        for tid, (start, complete) in r["times"].items():
            trial = self._changed(int(tid))
            trial.start, trial.complete = start, complete

    def _op_beat(self, r: dict[str, Any]) -> None:
        for tid in r["ids"]:
            trial = self.trials.get(tid)
            if trial is not None and trial.state == TrialState.RUNNING:
                trial.beat = r["t"]

    def _changed(self, trial_id: int) -> _Trial:
        trial = self.trials[trial_id]
        trial.frozen = None
        return trial

    def _params(self, encoded: Mapping[str, list[Any]]) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
        params, dists = {}, {}
        for name, (internal, text) in encoded.items():
            dist = self._dists.get(text)
            if dist is None:
                dist = self._dists[text] = distribution_from_json(text)
            params[name], dists[name] = dist.to_external(internal), dist
        return params, dists

    # -- reading -------------------------------------------------------------------------------------
    def study(self, study_id: int) -> _Study:
        try:
            return self.studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def trial(self, trial_id: int) -> _Trial:
        try:
            return self.trials[trial_id]
        except KeyError:
            raise TrialNotFoundError(f"no trial with id {trial_id}") from None

    def running(self, trial_id: int, action: str) -> _Trial:
        trial = self.trial(trial_id)
        if trial.state.is_finished():
            raise_finished(trial.number, trial.state, action)
        return trial

    def freeze(self, trial_id: int) -> FrozenTrial:
        trial = self.trials[trial_id]
        if trial.frozen is None:
            trial.frozen = FrozenTrial(
                number=trial.number, state=trial.state, values=trial.values, params=dict(trial.params),
                distributions=dict(trial.distributions), intermediate_values=dict(trial.intermediate),
                user_attrs=copy.deepcopy(trial.attrs["user"]), system_attrs=copy.deepcopy(trial.attrs["system"]),
                datetime_start=None if trial.start is None else _stamp(trial.start),
                datetime_complete=None if trial.complete is None else _stamp(trial.complete),
                trial_id=trial_id, **core_fields(copy.deepcopy(trial.attrs["core"])),
            )
        return trial.frozen


class _Plan:
    """The records of one write, with the ids, numbers and claims they make (the state is updated
    only once they are appended)."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.records: list[dict[str, Any]] = []
        self._next_id = state.next_trial_id
        self._added: dict[int, int] = {}  # study id -> trials this plan creates
        self._taken: set[int] = set()  # WAITING trials this plan claims or finishes

    def new_trial(self, study_id: int, state: TrialState, now: float, *, beat: bool, params: Any = None,
                  values: Sequence[float] | None = None, inter: Mapping[int, float] | None = None,
                  user: Any = None, system: Any = None, core: Any = None) -> tuple[int, int]:
        study = self.state.study(study_id)
        tid, number = self._next_id, len(study.trial_ids) + self._added.get(study_id, 0)
        self._next_id += 1
        self._added[study_id] = self._added.get(study_id, 0) + 1
        self.records.append({
            "op": "trial", "id": tid, "study": study_id, "number": number, "state": state.name,
            "params": encode_params(params), "values": None if values is None else list(values),
            "inter": {str(k): v for k, v in (inter or {}).items()}, "user": _json(user), "system": _json(system),
            "core": _json(core), "t": now, "beat": beat,
        })
        return tid, number

    def start(self, study_id: int, now: float, *, beat: bool) -> tuple[int, bool]:
        """Claim the study's oldest WAITING trial, or else create a RUNNING one: ``(trial id, claimed)``."""
        study = self.state.study(study_id)
        for tid in study.waiting:
            if tid not in self._taken:
                self._taken.add(tid)
                self.records.append({"op": "claim", "id": tid, "t": now, "beat": beat})
                return tid, True
        return self.new_trial(study_id, TrialState.RUNNING, now, beat=beat)[0], False

    def finish(self, trial_id: int, state: TrialState, values: Sequence[float] | None, now: float, *,
               params: Any = None, system: Any = None, core: Any = None) -> None:
        self._taken.add(trial_id)
        self.records.append({"op": "finish", "id": trial_id, "state": state.name,
                             "values": None if values is None else list(values), "params": encode_params(params),
                             "system": _json(system), "core": _json(core), "t": now})


def encode_params(params: Mapping[str, StoredParam] | None) -> dict[str, list[Any]]:
    """Parameters as a record holds them, each converted both ways first (a distribution that cannot
    be stored raises here, before anything is written)."""
    out = {}
    for name, (internal, dist) in (params or {}).items():
        dist.to_external(internal)
        out[name] = [internal, dist.to_json()]
    return out


def _json(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    return copy.deepcopy(dict(mapping)) if mapping else {}


def _values(values: list[float] | None) -> tuple[float, ...] | None:
    return None if values is None else tuple(float(v) for v in values)


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
    def _journal(self) -> tuple[JournalFile, _State]:
        handle = self.__dict__.get("_handle")
        if handle is None or self._pid != os.getpid():  # new, or a forked child: open afresh
            handle = self._handle = open_journal(self.path, self._lock, _State)
            self._pid = os.getpid()
        return handle, handle.state

    def _file(self) -> JournalFile:
        return self._journal()[0]

    def _read(self) -> _State:
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
            plan = _Plan(state)
            result = build(plan)
            return plan.records

        journal.write(records)
        return result

    # -- studies -------------------------------------------------------------------------------------
    def create_study(self, study_name: str, directions: Iterable[StudyDirection]) -> int:
        check_name("study_name", study_name)
        names = [StudyDirection.parse(d, "directions").name for d in directions]

        def build(plan: _Plan) -> int:
            if study_name in plan.state.names:
                raise DuplicatedStudyError(f"a study named {study_name!r} already exists")
            sid = plan.state.next_study_id
            plan.records.append({"op": "study", "id": sid, "name": study_name, "directions": names,
                                 "t": time.time()})
            return sid

        return self._write(build)

    def delete_study(self, study_id: int) -> None:
        def build(plan: _Plan) -> None:
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

        def build(plan: _Plan) -> None:
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
                counts: dict[str, int] = {}
                for t in trials:
                    counts[t.state.name] = counts.get(t.state.name, 0) + 1
                stamps = [s for t in trials for s in (t.datetime_start, t.datetime_complete) if s]
                created = _stamp(study.created)
                out.append(StudySummary(study.name, sid, study.directions, len(trials), counts,
                                        best_values(trials, study.directions), created,
                                        max(stamps) if stamps else created, copy.deepcopy(study.attrs["user"])))
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
        check_params(params)
        check_values(values)
        check_new_trial_attrs(user_attrs, system_attrs, core)
        reports = dict(check_report(step, v) for step, v in (intermediate_values or {}).items())
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

        def build(plan: _Plan) -> list[int | None]:
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

        def build(plan: _Plan) -> None:
            plan.state.running(trial_id, "setting parameters")
            plan.records.append({"op": "params", "id": trial_id, "params": encode_params(params)})

        self._write(build)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        step, value = check_report(step, value)
        beat = self.liveness is not None  # a report is a sign of life too

        def build(plan: _Plan) -> None:
            plan.state.running(trial_id, "report")
            plan.records.append({"op": "report", "id": trial_id, "step": step, "value": value,
                                 "beat": time.time() if beat else None})

        self._write(build)

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        check_trial_attr(kind, key, value)

        def build(plan: _Plan) -> None:
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

        def build(plan: _Plan) -> None:
            plan.state.running(trial_id, f"finishing as {state.name}")
            plan.finish(trial_id, state, values, time.time(), params=params, system=system_attrs, core=core)

        try:
            self._write(build)
        finally:
            self.stop_heartbeat(trial_id)

    def fail_trial(self, trial_id: int, reason: str, *, max_retries: int | None = 0,
                   params: Mapping[str, StoredParam] | None = None) -> tuple[int, int | None] | None:
        check_params(params)

        def build(plan: _Plan) -> tuple[int, int | None] | None:
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

        def build(plan: _Plan) -> None:
            for tid in times:
                plan.state.trial(tid)
            plan.records.append({"op": "times", "times": {str(k): list(v) for k, v in times.items()}})

        if times:
            self._write(build)

    # -- liveness data ---------------------------------------------------------------------------------
    def record_heartbeats(self, trial_ids: Collection[int]) -> None:
        def build(plan: _Plan) -> None:
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

