"""In-memory storage: fast, thread-safe, gone when the process ends."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from tunelab._errors import DuplicatedStudyError, StudyNotFoundError, TrialFinishedError, TrialNotFoundError
from tunelab._records import FAIL_REASON_KEY, FrozenTrial, StudyDirection, StudySummary, TrialState, core_fields
from tunelab.storage._base import (
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
    raise_finished,
    retry_attrs,
    summary_of,
)


@dataclasses.dataclass
class _Study:
    name: str
    directions: tuple[StudyDirection, ...]
    created: datetime.datetime
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
    distributions: dict[str, Any]
    intermediate_values: dict[int, float]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    core: dict[str, Any]
    datetime_start: datetime.datetime | None
    datetime_complete: datetime.datetime | None
    frozen: FrozenTrial | None = None  # cached snapshot, dropped on every change


class InMemoryStorage(Storage):
    """Studies held in this process's memory, guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._names: dict[str, int] = {}
        self._trials: dict[int, _Trial] = {}
        self._next_study_id = 0
        self._next_trial_id = 0

    def __repr__(self) -> str:
        return "InMemoryStorage()"

    # -- studies ------------------------------------------------------------------------------
    def create_study(self, study_name: str, directions: Iterable[StudyDirection]) -> int:
        check_name("study_name", study_name)
        with self._lock:
            if study_name in self._names:
                raise DuplicatedStudyError(f"a study named {study_name!r} already exists")
            study_id = self._next_study_id
            self._next_study_id += 1
            self._studies[study_id] = _Study(study_name, tuple(directions), datetime.datetime.now())
            self._names[study_name] = study_id
            return study_id

    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._study(study_id)
            for tid in study.trial_ids:
                del self._trials[tid]
            del self._names[study.name]
            del self._studies[study_id]

    def get_study_id(self, study_name: str) -> int:
        with self._lock:
            if study_name not in self._names:
                raise StudyNotFoundError(f"no study named {study_name!r}")
            return self._names[study_name]

    def get_study_name(self, study_id: int) -> str:
        return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        return self._study(study_id).directions

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        check_attr_kind(kind)
        check_attr_value(key, value)
        with self._lock:
            self._study(study_id).attrs[kind][key] = copy.deepcopy(value)

    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        check_attr_kind(kind)
        with self._lock:
            return copy.deepcopy(self._study(study_id).attrs[kind])

    def get_all_studies(self) -> list[StudySummary]:
        with self._lock:
            out = []
            for sid, study in self._studies.items():
                trials = [self._freeze(tid) for tid in study.trial_ids]
                out.append(summary_of(study.name, sid, study.directions, trials, study.created, study.attrs["user"]))
            return out

    # -- trials -------------------------------------------------------------------------------
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
        now = datetime.datetime.now()
        with self._lock:
            study = self._study(study_id)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(study.trial_ids)
            params = dict(params or {})
            self._trials[trial_id] = _Trial(
                study_id, number, state, tuple(values) if values is not None else None,
                {n: d.to_external(v) for n, (v, d) in params.items()},
                {n: d for n, (_, d) in params.items()},
                reports,
                _copy(user_attrs), _copy(system_attrs), _copy(core),
                None if state == TrialState.WAITING else now,
                now if state.is_finished() else None,
            )
            study.trial_ids.append(trial_id)
            if state == TrialState.WAITING:
                study.waiting.append(trial_id)
            return self._freeze(trial_id)

    def start_trial(self, study_id: int) -> FrozenTrial:
        with self._lock:
            waiting = self._study(study_id).waiting
            while waiting:  # oldest first; a trial finished while waiting is dropped
                tid = waiting.pop(0)
                trial = self._trials[tid]
                if trial.state == TrialState.WAITING:
                    trial.state = TrialState.RUNNING
                    trial.datetime_start = datetime.datetime.now()
                    trial.frozen = None
                    return self._freeze(tid)
            return self.create_trial(study_id)

    def _running(self, trial_id: int, action: str) -> _Trial:
        try:
            trial = self._trials[trial_id]
        except KeyError:
            raise TrialNotFoundError(f"no trial with id {trial_id}") from None
        if trial.state.is_finished():
            raise_finished(trial.number, trial.state, action)
        trial.frozen = None
        return trial

    def set_trial_params(self, trial_id: int, params: Mapping[str, StoredParam]) -> None:
        check_params(params)
        with self._lock:
            trial = self._running(trial_id, "setting parameters")
            for name, (internal, dist) in params.items():
                trial.params[name] = dist.to_external(internal)
                trial.distributions[name] = dist

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        step, value = check_report(step, value)
        with self._lock:
            self._running(trial_id, "report").intermediate_values[step] = value

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        check_trial_attr(kind, key, value)
        with self._lock:
            trial = self._running(trial_id, f"setting {kind} attribute {key!r}")
            {"user": trial.user_attrs, "system": trial.system_attrs, "core": trial.core}[kind][key] = copy.deepcopy(value)

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
        with self._lock:
            trial = self._running(trial_id, f"finishing as {state.name}")
            # everything that can fail first, so a failing finish leaves the trial as it was
            external = {name: (dist.to_external(internal), dist) for name, (internal, dist) in (params or {}).items()}
            attrs = _copy(system_attrs)
            for name, (value, dist) in external.items():
                trial.params[name] = value
                trial.distributions[name] = dist
            trial.system_attrs.update(attrs)
            trial.core.update(_copy(core))
            trial.values = tuple(values) if values is not None else None
            trial.state = state
            trial.datetime_complete = datetime.datetime.now()

    def fail_trial(self, trial_id: int, reason: str, *, max_retries: int | None = 0,
                   params: Mapping[str, StoredParam] | None = None) -> tuple[int, int | None] | None:
        check_params(params)
        with self._lock:  # failing and re-queueing as one step
            try:
                self.finish_trial(trial_id, TrialState.FAIL, params=params, core={FAIL_REASON_KEY: reason})
            except TrialFinishedError:
                return None
            trial = self.get_trial(trial_id)
            retry = retry_attrs(trial, max_retries)
            if retry is None:
                return trial.number, None
            queued = self.create_trial(self._trials[trial_id].study_id, state=TrialState.WAITING,
                                       user_attrs=retry[0], core=retry[1])
            return trial.number, queued.number

    def _freeze(self, trial_id: int) -> FrozenTrial:
        trial = self._trials[trial_id]
        if trial.frozen is None:
            trial.frozen = FrozenTrial(
                number=trial.number, state=trial.state, values=trial.values,
                params=dict(trial.params), distributions=dict(trial.distributions),
                intermediate_values=dict(trial.intermediate_values),
                user_attrs=_copy(trial.user_attrs), system_attrs=_copy(trial.system_attrs),
                datetime_start=trial.datetime_start, datetime_complete=trial.datetime_complete,
                trial_id=trial_id, **core_fields(_copy(trial.core)),
            )
        return trial.frozen

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            if trial_id not in self._trials:
                raise TrialNotFoundError(f"no trial with id {trial_id}")
            return self._freeze(trial_id)

    def get_trial_id(self, study_id: int, number: int) -> int:
        with self._lock:
            ids = self._study(study_id).trial_ids
            if not isinstance(number, int) or not 0 <= number < len(ids):
                raise TrialNotFoundError(f"no trial number {number!r} in study {self._study(study_id).name!r}")
            return ids[number]

    def get_all_trials(
        self, study_id: int, *, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        wanted = None if states is None else frozenset(states)
        with self._lock:
            trials = [self._freeze(tid) for tid in self._study(study_id).trial_ids]
        return trials if wanted is None else [t for t in trials if t.state in wanted]

    def get_n_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> int:
        if states is None:
            with self._lock:
                return len(self._study(study_id).trial_ids)
        return super().get_n_trials(study_id, states=states)


def _copy(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A private copy of JSON attributes (most trials have none: no deep copy then)."""
    return copy.deepcopy(dict(attrs)) if attrs else {}
