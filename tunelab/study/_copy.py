"""copy_study: a study with all its trials into another storage, from a tunelab storage or an Optuna database.

What a copy keeps: the directions, the study's user and system attributes, and every trial in
number order with its state, values, parameters and their distributions, reported values, user
and system attributes, its own fields (fail reason, constraints, retry links, enqueued
parameters) and its start and end times. Two states change meaning in a new storage: a WAITING
trial stays WAITING (the next ``ask`` runs it), but a RUNNING one is copied as FAIL with the
reason, since only the process running it where it was could finish it.

From an Optuna database (SQLite, PostgreSQL, MySQL; read through SQLAlchemy, Optuna itself is not
needed) Optuna's system attributes that are tunelab fields become those fields: ``constraints``,
``fixed_params``, and the retry series of ``RetryFailedTrialCallback`` (``failed_trial``,
``retry_history``) become ``retry_of`` / ``retry_count``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

from tunelab._constraints import AnyOf, InstanceOf, ListOf, Real, String, check, constrained
from tunelab._errors import DuplicatedStudyError, InvalidArgumentError, StorageError
from tunelab._records import (
    CONSTRAINTS_KEY,
    FAIL_REASON_KEY,
    FIXED_PARAMS_KEY,
    RETRY_COUNT_KEY,
    RETRY_OF_KEY,
    StudyDirection,
    TrialState,
    is_core_key,
    stored_core,
)
from tunelab.space import BaseDistribution
from tunelab.storage import Storage, get_storage
from tunelab.study._arguments import NAME, STORAGE

#: Where a copied RUNNING trial's reason says it was left.
RUNNING_REASON = "it was RUNNING in {source} when copied: only the process running it there could finish it"
_CONSTRAINTS = ListOf(Real(finite=False), min_len=1)


@dataclasses.dataclass
class TrialCopy:
    """One trial as the copy writes it (parameters in tunelab's stored form)."""

    number: int
    state: TrialState
    values: tuple[float, ...] | None
    params: dict[str, tuple[float, BaseDistribution]]
    intermediate: dict[int, float]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    core: dict[str, Any]
    start: float | None
    complete: float | None


@dataclasses.dataclass
class StudyCopy:
    """One study as the copy writes it."""

    name: str
    directions: tuple[StudyDirection, ...]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    trials: list[TrialCopy]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.state.name] = out.get(t.state.name, 0) + 1
        return out


_FROM = AnyOf(InstanceOf((str, os.PathLike, Storage)),
              what="a database URL (tunelab's or Optuna's) or a tunelab Storage")


@constrained({"from_study_name": String(), "from_storage": _FROM, "to_storage": STORAGE,
              "to_study_name": (None, NAME)})
def copy_study(*, from_study_name: str, from_storage: Any, to_storage: Any, to_study_name: str | None = None) -> None:
    """Copy the study ``from_study_name`` with all its trials into ``to_storage`` (as ``to_study_name``,
    default the same name), where no study of that name may exist yet.

    ``from_storage`` is a tunelab storage (a URL or a Storage) or the URL of an **Optuna**
    database, whose studies come over as tunelab studies (``tunelab import-optuna`` does the same
    from the shell). What is kept, and how RUNNING trials are copied, is in the module notes.
    Nothing is left behind in ``to_storage`` when the copy fails half-way.

    >>> import tunelab
    >>> study = tunelab.create_study(study_name="a")
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> target = tunelab.storage.InMemoryStorage()
    >>> copy_study(from_study_name="a", from_storage=study.storage, to_storage=target, to_study_name="b")
    >>> [t.params for t in tunelab.load_study(study_name="b", storage=target).trials] == [
    ...     t.params for t in study.trials]
    True
    """
    study = read_study(from_storage, from_study_name)
    write_study(get_storage(to_storage), study, to_study_name or from_study_name)


def read_study(source: Any, name: str, *, datetimes: str = "auto") -> StudyCopy:
    """The study ``name`` of ``source`` (a tunelab storage or an Optuna database URL), ready to write."""
    from tunelab.storages._optuna_db import OptunaDatabase, is_optuna_database

    if not isinstance(source, Storage) and is_optuna_database(source):
        with OptunaDatabase(source, datetimes=datetimes) as db:
            return from_optuna(db.read_study(name), shown=db.shown)
    storage = source if isinstance(source, Storage) else get_storage(source, read_only=True)
    try:
        study_id = storage.get_study_id(name)
        return from_tunelab(storage, study_id, name)
    finally:
        if storage is not source:
            storage.close()


def from_tunelab(storage: Storage, study_id: int, name: str) -> StudyCopy:
    trials = []
    for t in storage.get_all_trials(study_id):
        copy = TrialCopy(
            t.number, t.state, t.values, {n: (d.to_internal(t.params[n]), d) for n, d in t.distributions.items()},
            dict(t.intermediate_values), dict(t.user_attrs), dict(t.system_attrs), stored_core(t),
            _seconds(t.datetime_start), _seconds(t.datetime_complete))
        trials.append(_ended_if_running(copy, repr(storage)))
    return StudyCopy(name, storage.get_study_directions(study_id), storage.get_study_attrs(study_id, "user"),
                     storage.get_study_attrs(study_id, "system"), trials)


def from_optuna(study: Any, *, shown: str) -> StudyCopy:
    """A study read from an Optuna database (:class:`~tunelab.storages._optuna_db.OptunaStudy`) in tunelab's terms."""
    numbers = {t.number: i for i, t in enumerate(study.trials)}  # Optuna's numbers are 0..n-1; kept if so
    trials = []
    for i, t in enumerate(study.trials):
        where = f"trial {t.number} of Optuna study {study.name!r}"
        params = {}
        for n, (value, dist) in t.params.items():
            try:
                params[n] = (dist.to_internal(value), dist)
            except (ValueError, TypeError) as exc:
                raise StorageError(f"{where}: parameter {n!r}={value!r} cannot be stored ({exc})") from None
        system, core = _optuna_system_attrs(t.system_attrs, numbers)
        values = t.values
        if values is not None and any(math.isnan(v) for v in values):
            values = None  # Optuna never completes with NaN; an odd row reads as no value
        copy = TrialCopy(i, t.state, values, params, dict(t.intermediate), dict(t.user_attrs), system, core,
                         t.start, t.complete)
        if t.state == TrialState.WAITING and params:  # Optuna's retries carry their parameters as such
            copy.core[FIXED_PARAMS_KEY] = {**{n: v for n, (v, _) in t.params.items()}, **copy.core.get(
                FIXED_PARAMS_KEY, {})}
            copy.params = {}
        trials.append(_ended_if_running(copy, shown))
    return StudyCopy(study.name, study.directions, dict(study.user_attrs), dict(study.system_attrs), trials)


def _optuna_system_attrs(attrs: Mapping[str, Any], numbers: Mapping[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(system attributes, core fields)`` of an Optuna trial's system attributes."""
    from tunelab.storages._retry import RETRY_HISTORY_KEY

    system, core = dict(attrs), {}
    constraints = system.pop("constraints", None)
    if constraints is not None:
        try:
            core[CONSTRAINTS_KEY] = list(check("constraints", constraints, _CONSTRAINTS))
        except (InvalidArgumentError, TypeError):
            system["optuna:constraints"] = constraints  # not numbers: kept as they were, beside
    fixed = system.pop("fixed_params", None)
    if isinstance(fixed, dict):
        core[FIXED_PARAMS_KEY] = fixed
    elif fixed is not None:
        system["optuna:fixed_params"] = fixed
    history = system.pop("retry_history", None)
    first = system.pop("failed_trial", None)
    if not history and isinstance(first, int):
        history = [first]
    if isinstance(history, list) and history and all(isinstance(n, int) and n in numbers for n in history):
        series = [numbers[n] for n in history]
        core[RETRY_OF_KEY], core[RETRY_COUNT_KEY] = series[-1], len(series)
        if len(series) > 1:
            system[RETRY_HISTORY_KEY] = series
    for key in [k for k in system if is_core_key(k)]:  # a key tunelab keeps for its own fields
        system[f"optuna:{key}"] = system.pop(key)
    return system, core


def _ended_if_running(copy: TrialCopy, source: str) -> TrialCopy:
    if copy.state == TrialState.RUNNING:
        copy.state = TrialState.FAIL
        copy.values = None
        copy.core[FAIL_REASON_KEY] = RUNNING_REASON.format(source=source)
    return copy


def _seconds(stamp: Any) -> float | None:
    return None if stamp is None else stamp.timestamp()


def write_study(storage: Storage, study: StudyCopy, name: str) -> int:
    """Create study ``name`` in ``storage`` holding ``study``; its id. All or nothing: a failure
    deletes what was written of it."""
    from tunelab.storages._times import set_trial_times

    try:
        study_id = storage.create_study(name, study.directions)
    except DuplicatedStudyError:
        raise DuplicatedStudyError(f"a study named {name!r} already exists in {storage!r}; copy into another "
                                   "name (to_study_name=) or storage") from None
    try:
        for kind, attrs in (("user", study.user_attrs), ("system", study.system_attrs)):
            for key, value in attrs.items():
                storage.set_study_attr(study_id, kind, key, value)
        times = {}
        for t in study.trials:
            try:
                frozen = storage.create_trial(
                    study_id, state=t.state, params=t.params, values=t.values, intermediate_values=t.intermediate,
                    user_attrs=t.user_attrs, system_attrs=t.system_attrs, core=t.core)
            except InvalidArgumentError as exc:
                raise StorageError(f"trial {t.number} of study {study.name!r} cannot be stored: {exc}") from None
            times[frozen.trial_id] = (t.start, t.complete)
        set_trial_times(storage, times)
    except BaseException:
        storage.delete_study(study_id)
        raise
    return study_id


def check_free(storage: Storage, names: Iterable[str]) -> None:
    """Refuse, before anything is written, names that ``storage`` already has a study of."""
    taken = sorted({s.study_name for s in storage.get_all_studies()} & set(names))
    if taken:
        raise DuplicatedStudyError(f"{storage!r} already holds studies named {taken}: nothing was copied (delete "
                                   "them first, or copy into another storage)")

