"""DaskStorage: a tunelab storage held by one Dask worker, for Optuna's ``client.submit(study.optimize)`` pattern.

Optuna's Dask examples create ``DaskStorage()`` and submit ``study.optimize`` to every worker;
each worker's trials go to the one storage. Here that storage (in memory by default, or the one a
URL names) lives in a Dask actor: every storage call of every process is a call to that actor.
The data lives and dies with the worker holding it (Optuna keeps it on the scheduler); for results
that outlive the cluster give a file or server URL.

tunelab's own way needs no wrapper: ``study.optimize(objective, n_trials=..., executor=client)``
runs trials on the cluster while the study process keeps the study, with any storage workers can
open (see :mod:`tunelab.execution`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from tunelab._constraints import AnyOf, InstanceOf, String, constrained
from tunelab._errors import require_extra
from tunelab._records import FrozenTrial, StudyDirection, StudySummary, TrialState
from tunelab.storage import Storage, StoredParam

__all__ = ["DaskStorage"]


class _Host:
    """The actor: one storage, and every call made on it from any process."""

    def __init__(self, storage: Any) -> None:
        from tunelab.storage import get_storage

        self.storage = get_storage(storage)

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return getattr(self.storage, name)(*args, **kwargs)

    def describe(self) -> str:
        return repr(self.storage)


@constrained({"storage": AnyOf(None, InstanceOf((str, Storage)), what="None, a storage URL or a tunelab Storage"),
              "name": (None, String(non_empty=True))})
class DaskStorage(Storage):
    """A storage that every Dask worker (and the client) shares: it lives in a Dask actor.

    ``storage``: what the actor holds (None: an in-memory storage; or a URL or Storage, opened on
    the worker that holds the actor). ``name``: the name it is published under on the cluster, so
    that ``DaskStorage(name=...)`` elsewhere reaches the same one (default: a new random name).
    ``client``: the Dask client (default: the current one).

    Heartbeats do not cross the actor: a dead worker's trial stays RUNNING unless the held storage
    is one whose own heartbeats catch it.
    """

    def __init__(self, storage: Any = None, name: str | None = None, client: Any = None) -> None:
        distributed = require_extra("distributed", "dask")
        client = client if client is not None else distributed.get_client()
        self.name = name or f"tunelab-storage-{uuid.uuid4().hex[:12]}"
        actor = None
        if name is not None and name in client.list_datasets():
            actor = client.get_dataset(name)
        if actor is None:
            actor = client.submit(_Host, storage, actor=True, key=self.name).result()
            client.publish_dataset(actor, name=self.name, override=True)
        self._actor = actor

    def __repr__(self) -> str:
        return f"DaskStorage(name={self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_attach, (self.name, self._actor))

    @property
    def shared_between_processes(self) -> bool:
        return True

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._actor.call(name, args, kwargs).result()

    # -- studies -------------------------------------------------------------------------------------
    def create_study(self, study_name: str, directions: Iterable[StudyDirection]) -> int:
        return self._call("create_study", study_name, list(directions))

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def get_study_id(self, study_name: str) -> int:
        return self._call("get_study_id", study_name)

    def get_study_name(self, study_id: int) -> str:
        return self._call("get_study_name", study_id)

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        return self._call("get_study_directions", study_id)

    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        self._call("set_study_attr", study_id, kind, key, value)

    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        return self._call("get_study_attrs", study_id, kind)

    def get_all_studies(self) -> list[StudySummary]:
        return self._call("get_all_studies")

    # -- trials --------------------------------------------------------------------------------------
    def create_trial(self, study_id: int, **fields: Any) -> FrozenTrial:
        return self._call("create_trial", study_id, **fields)

    def start_trial(self, study_id: int) -> FrozenTrial:
        return self._call("start_trial", study_id)

    def finish_and_start_many(self, finishes: Sequence[Any], *, study_id: int) -> list[FrozenTrial | None]:
        return self._call("finish_and_start_many", list(finishes), study_id=study_id)

    def set_trial_params(self, trial_id: int, params: Mapping[str, StoredParam]) -> None:
        self._call("set_trial_params", trial_id, dict(params))

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._call("set_trial_intermediate_value", trial_id, step, value)

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        self._call("set_trial_attr", trial_id, kind, key, value)

    def finish_trial(self, trial_id: int, state: TrialState, values: tuple[float, ...] | None = None,
                     **fields: Any) -> None:
        self._call("finish_trial", trial_id, state, values, **fields)

    def fail_trial(self, trial_id: int, reason: str, **fields: Any) -> tuple[int, int | None] | None:
        return self._call("fail_trial", trial_id, reason, **fields)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._call("get_trial", trial_id)

    def get_trial_id(self, study_id: int, number: int) -> int:
        return self._call("get_trial_id", study_id, number)

    def get_all_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> list[FrozenTrial]:
        return self._call("get_all_trials", study_id, states=None if states is None else list(states))

    def get_n_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> int:
        return self._call("get_n_trials", study_id, states=None if states is None else list(states))

    def stale_trial_ids(self, study_id: int, grace_seconds: float) -> list[int]:
        return self._call("stale_trial_ids", study_id, grace_seconds)

    def record_heartbeats(self, trial_ids: Collection[int]) -> None:
        self._call("record_heartbeats", list(trial_ids))

    def fail_stale_trials(self, study_id: int, grace_seconds: float | None = None) -> list[int]:
        return self._call("fail_stale_trials", study_id, grace_seconds)


def _attach(name: str, actor: Any) -> DaskStorage:
    storage = DaskStorage.__new__(DaskStorage)
    storage.name, storage._actor = name, actor
    return storage
