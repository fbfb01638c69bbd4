"""The journal's replay: the state its records add up to, and the records a write plans.

A record carries the ids and numbers it assigns, so replay is a plain fold (:meth:`State.apply`);
a write fills a :class:`Plan` against the state all earlier records produced, and its records are
applied only once appended (see :mod:`tunelab.storage._journal`).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from tunelab._errors import StorageError, StudyNotFoundError, TrialNotFoundError
from tunelab._records import FrozenTrial, StudyDirection, TrialState, core_fields
from tunelab.space import BaseDistribution, distribution_from_json
from tunelab.storage._base import StoredParam, raise_finished

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


class State:
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
        if sid != self.next_study_id or r["name"] in self.names:
            raise StorageError(f"the journal holds study {r['name']!r} with id {sid} where a new name with id "
                               f"{self.next_study_id} was due: two writers appended without a working lock")
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
        if tid != self.next_trial_id or r["number"] != len(self.studies[r["study"]].trial_ids):
            raise StorageError(f"the journal holds trial id {tid} number {r['number']} where id "
                               f"{self.next_trial_id} number {len(self.studies[r['study']].trial_ids)} was due: two "
                               "writers appended without a working lock (a lock-file lock on a file system where "
                               "the file's lock is not seen by all machines?)")
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


class Plan:
    """The records of one write, with the ids, numbers and claims they make (the state is updated
    only once they are appended)."""

    def __init__(self, state: State) -> None:
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
