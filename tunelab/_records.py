"""Records: trial states, directions, frozen trials and study summaries."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import enum
from collections.abc import Mapping
from typing import Any

from tunelab._errors import InvalidArgumentError, invalid
from tunelab.space import BaseDistribution


class TrialState(enum.IntEnum):
    """Where a trial is in its life: WAITING (enqueued) -> RUNNING -> COMPLETE / PRUNED / FAIL."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def is_finished(self) -> bool:
        """COMPLETE, PRUNED and FAIL are final: a finished trial never changes again."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def __str__(self) -> str:  # print(trial.state) shows the name, as Optuna's does
        return f"TrialState.{self.name}"


class StudyDirection(enum.IntEnum):
    """Whether an objective is minimised or maximised."""

    MINIMIZE = 1
    MAXIMIZE = 2

    @staticmethod
    def parse(value: Any, argument: str = "direction") -> StudyDirection:
        if isinstance(value, StudyDirection):
            return value
        if isinstance(value, str) and value.lower() in ("minimize", "maximize"):
            return StudyDirection[value.upper()]
        raise invalid(argument, value, "'minimize' or 'maximize'")

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"


#: The core's own fields of a trial, as stored (trial attributes of kind "core", JSON values).
#: FrozenTrial shows them as typed fields; plug-ins keep their state in ``system_attrs``.
FAIL_REASON_KEY = "fail_reason"
CONSTRAINTS_KEY = "constraints"
RETRY_OF_KEY = "retry_of"
RETRY_COUNT_KEY = "retry_count"
FIXED_PARAMS_KEY = "fixed_params"
INTERMEDIATE_VECTORS_KEY = "intermediate_vectors"
#: A schedule's config is stored under this prefix and its name.
SCHEDULE_KEY_PREFIX = "schedule:"
CORE_KEYS = frozenset({FAIL_REASON_KEY, CONSTRAINTS_KEY, RETRY_OF_KEY, RETRY_COUNT_KEY, FIXED_PARAMS_KEY,
                       INTERMEDIATE_VECTORS_KEY})


def is_core_key(key: str) -> bool:
    """Whether ``key`` names one of the core's own trial fields as stored."""
    return key in CORE_KEYS or key.startswith(SCHEDULE_KEY_PREFIX)


def core_fields(stored: Mapping[str, Any]) -> dict[str, Any]:
    """FrozenTrial's typed fields (keyword arguments) from the core fields as stored.

    >>> core_fields({"retry_of": 3, "retry_count": 1, "intermediate_vectors": {"2": [0.5, 1]}})
    {'retry_of': 3, 'retry_count': 1, 'intermediate_vectors': {2: (0.5, 1.0)}}
    """
    out: dict[str, Any] = {}
    for key, value in stored.items():
        if key == FAIL_REASON_KEY:
            out["fail_reason"] = str(value)
        elif key == CONSTRAINTS_KEY:
            out["constraints"] = tuple(float(v) for v in value)
        elif key in (RETRY_OF_KEY, RETRY_COUNT_KEY):
            out[key] = int(value)
        elif key == FIXED_PARAMS_KEY:
            out["fixed_params"] = dict(value)
        elif key == INTERMEDIATE_VECTORS_KEY:
            out["intermediate_vectors"] = {int(k): tuple(float(x) for x in v) for k, v in value.items()}
        elif key.startswith(SCHEDULE_KEY_PREFIX):
            out.setdefault("schedule_configs", {})[key[len(SCHEDULE_KEY_PREFIX):]] = value
    return out


def stored_core(trial: FrozenTrial) -> dict[str, Any]:
    """The core fields of ``trial`` as stored (the inverse of :func:`core_fields`)."""
    out: dict[str, Any] = {}
    if trial.fail_reason is not None:
        out[FAIL_REASON_KEY] = trial.fail_reason
    if trial.constraints is not None:
        out[CONSTRAINTS_KEY] = list(trial.constraints)
    if trial.retry_of is not None:
        out[RETRY_OF_KEY] = trial.retry_of
    if trial.retry_count:
        out[RETRY_COUNT_KEY] = trial.retry_count
    if trial.fixed_params:
        out[FIXED_PARAMS_KEY] = dict(trial.fixed_params)
    if trial.intermediate_vectors:
        out[INTERMEDIATE_VECTORS_KEY] = {str(k): list(v) for k, v in trial.intermediate_vectors.items()}
    for name, config in trial.schedule_configs.items():
        out[SCHEDULE_KEY_PREFIX + name] = config
    return out


def split_core(system: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(plug-in attributes, core fields)`` of system attributes written before the core had its own
    fields (files of tunelab schema 1 opened read-only keep them there)."""
    plugin, core = {}, {}
    for key, value in system.items():
        (core if is_core_key(key) else plugin)[key] = value
    return plugin, core


#: The keys under which Optuna keeps these core fields in ``system_attrs``, and the field each reads.
OPTUNA_SYSTEM_KEYS = {CONSTRAINTS_KEY: "constraints", FAIL_REASON_KEY: "fail_reason"}


class RecordDict(dict):
    """A dict field of a trial record (``FrozenTrial.params``, ``user_attrs`` ...): read like a dict,
    never written. Records are snapshots shared with the storage's cache and with every sampler and
    pruner, so a write to one would change what everyone else reads (and nothing stored): it is
    refused. Copies are plain dicts (``dict(record.params)``, ``copy.deepcopy(record)``,
    ``study.get_trials(deepcopy=True)``).

    One subclass per field names it in the message (made with a plain dict copy: records are built
    by the ten thousand).

    >>> params = record_dict("params", {"x": 1.0})
    >>> params["x"], dict(params), copy.copy(params)
    (1.0, {'x': 1.0}, {'x': 1.0})
    >>> params["x"] = 2.0
    Traceback (most recent call last):
    ...
    TypeError: FrozenTrial.params is a read-only snapshot shared with the study; copy it to change it (dict(trial.params), or study.get_trials(deepcopy=True))
    """

    __slots__ = ()
    _field = ""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"FrozenTrial.{self._field} is a read-only snapshot shared with the study; copy it to change "
                        f"it (dict(trial.{self._field}), or study.get_trials(deepcopy=True))")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        return copy.deepcopy(dict(self), memo)

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (dict(self),)


#: FrozenTrial's dict fields: each with its read-only type (:class:`RecordDict`) and a shared empty one.
_DICT_FIELDS = ("params", "distributions", "intermediate_values", "user_attrs", "system_attrs", "fixed_params",
                "intermediate_vectors", "schedule_configs")
_RECORD_TYPES = {name: type(f"RecordDict[{name}]", (RecordDict,), {"__slots__": (), "_field": name})
                 for name in _DICT_FIELDS}
_EMPTY = {name: cls() for name, cls in _RECORD_TYPES.items()}


def record_dict(field: str, items: Mapping[Any, Any]) -> RecordDict:
    """``items`` as the read-only value of the record field ``field``."""
    return _RECORD_TYPES[field](items) if items else _EMPTY[field]


class SystemAttrs(dict):
    """A trial record's ``system_attrs``: the plug-ins' attributes, which also answer lookups of the
    keys where Optuna keeps two of the core's fields, ``"constraints"`` (a list of floats) and
    ``"fail_reason"`` (a string), read from the record's typed fields.

    Those two are not entries: iteration, ``len``, ``dict(...)`` and equality see the plug-ins'
    attributes only, so the typed fields stay the one source, and copying the attributes (to
    another study, say) never duplicates them. They cannot be written here (nor stored by a
    storage): the core sets them (``trial.set_constraint``, a sampler's ``constraints_func``, the
    trial's end). A record holding neither field keeps a plain dict (a lookup of those keys finds
    nothing, as in Optuna). See docs/compat.md.

    >>> attrs = SystemAttrs({"cmaes:solution": [0.5]}, {"constraints": (-1.0, 2.0)})
    >>> attrs["constraints"], attrs.get("fail_reason"), "constraints" in attrs, dict(attrs)
    ([-1.0, 2.0], None, True, {'cmaes:solution': [0.5]})
    """

    __slots__ = ("_derived",)

    def __init__(self, attrs: Mapping[str, Any] = (), derived: Mapping[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self._derived = {key: (list(value) if isinstance(value, tuple) else value)
                         for key, value in (derived or {}).items() if key in OPTUNA_SYSTEM_KEYS and value is not None}

    def __missing__(self, key: Any) -> Any:
        if key in self._derived:
            value = self._derived[key]
            return list(value) if isinstance(value, list) else value
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._derived

    def __setitem__(self, key: str, value: Any) -> None:
        _refuse_core_key(key)
        dict.__setitem__(self, key, value)

    def setdefault(self, key: str, default: Any = None) -> Any:
        _refuse_core_key(key)
        return dict.setdefault(self, key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key in dict(*args, **kwargs):
            _refuse_core_key(key)
        dict.update(self, *args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return SystemAttrs, (dict(self), self._derived)


class FrozenSystemAttrs(SystemAttrs):
    """:class:`SystemAttrs` of a trial record: read-only as :class:`RecordDict` (a copy is a writable
    :class:`SystemAttrs` that still answers Optuna's two keys)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("FrozenTrial.system_attrs is a read-only snapshot shared with the study; copy it to change "
                        "it (dict(trial.system_attrs), or study.get_trials(deepcopy=True))")

    __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __setitem__(self, key: str, value: Any) -> None:
        _refuse_core_key(key)  # the typed field's own message first
        self._refuse()

    def __copy__(self) -> SystemAttrs:
        return SystemAttrs(dict(self), self._derived)

    def __deepcopy__(self, memo: dict[int, Any]) -> SystemAttrs:
        return SystemAttrs(copy.deepcopy(dict(self), memo), self._derived)

    def __reduce__(self) -> tuple[Any, ...]:
        return SystemAttrs, (dict(self), self._derived)


def _refuse_core_key(key: Any) -> None:
    if isinstance(key, str) and is_core_key(key):
        raise InvalidArgumentError(
            f"system_attrs[{key!r}] is read-only: it shows the trial's own field "
            f"({OPTUNA_SYSTEM_KEYS.get(key, key)}), which the core sets (trial.set_constraint, a sampler's "
            "constraints_func, the trial's end)")


def is_feasible(trial: Any) -> bool:
    """Whether a trial meets its constraints: none recorded, or every value ``<= 0`` (Optuna's rule).

    >>> from types import SimpleNamespace as T
    >>> is_feasible(T(constraints=None)), is_feasible(T(constraints=(0.0, -1.0))), is_feasible(T(constraints=(0.5,)))
    (True, True, False)
    """
    return trial.constraints is None or all(c <= 0.0 for c in trial.constraints)


_FIELD_TYPES = tuple(_RECORD_TYPES.items())


@dataclasses.dataclass(frozen=True)
class FrozenTrial:
    """An immutable snapshot of one trial as stored.

    ``params`` holds external values (what ``suggest_*`` returned), ``distributions`` their
    distributions, ``intermediate_values`` the values reported by step. The fields after
    ``trial_id`` are the core's own records; ``system_attrs`` holds plug-ins' state (JSON, under
    keys namespaced by the plug-in, e.g. ``"cmaes:solution"``), and answers Optuna's lookups of
    ``"constraints"`` and ``"fail_reason"`` from the typed fields (:class:`SystemAttrs`).
    """

    number: int
    state: TrialState
    values: tuple[float, ...] | None
    params: dict[str, Any]
    distributions: dict[str, BaseDistribution]
    intermediate_values: dict[int, float] = dataclasses.field(default_factory=dict)
    user_attrs: dict[str, Any] = dataclasses.field(default_factory=dict)
    system_attrs: dict[str, Any] = dataclasses.field(default_factory=dict)
    datetime_start: datetime.datetime | None = None
    datetime_complete: datetime.datetime | None = None
    trial_id: int = -1
    #: Why a FAIL trial failed (None for other states, or when no reason was recorded).
    fail_reason: str | None = None
    #: Constraint values from ``trial.set_constraint`` or the sampler's ``constraints_func`` (the
    #: trial is feasible when all are <= 0; Optuna scripts read them as ``system_attrs["constraints"]``).
    constraints: tuple[float, ...] | None = None
    #: The number of the lost or interrupted trial this one repeats (None: not a retry).
    retry_of: int | None = None
    #: How many times this trial's parameters were re-queued before it (0 for a first run).
    retry_count: int = 0
    #: Parameter values fixed in advance (``enqueue_trial``, a retry), by name.
    fixed_params: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: A multi-objective trial's reports: ``{step: (v1, v2, ...)}``.
    intermediate_vectors: dict[int, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    #: The config of each schedule the trial suggested, by name (:meth:`schedule` rebuilds one).
    schedule_configs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        # the dict fields become read-only (see RecordDict); system_attrs also answers Optuna's keys for
        # the typed fields when the record has them (else a lookup finds nothing, as in Optuna)
        fields = self.__dict__
        for name, cls in _FIELD_TYPES:
            value = fields[name]
            if type(value) is not cls:
                fields[name] = cls(value) if value else _EMPTY[name]
        if self.constraints is not None or self.fail_reason is not None:
            fields["system_attrs"] = FrozenSystemAttrs(
                self.system_attrs, {"constraints": self.constraints, "fail_reason": self.fail_reason})

    def __lt__(self, other: Any) -> bool:  # trials sort by number, as Optuna's do
        return self.number < other.number if isinstance(other, FrozenTrial) else NotImplemented

    def __le__(self, other: Any) -> bool:
        return self.number <= other.number if isinstance(other, FrozenTrial) else NotImplemented

    @property
    def value(self) -> float | None:
        """The single objective value (None while unfinished or failed)."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise InvalidArgumentError(
                f"trial {self.number} has {len(self.values)} values; use .values for multi-objective studies"
            )
        return self.values[0]

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    def schedule(self, name: str) -> Any:
        """Rebuild the Schedule that ``trial.suggest_schedule(name, ...)`` returned."""
        from tunelab.schedules import Schedule

        if name not in self.schedule_configs:
            known = sorted(self.schedule_configs)
            raise InvalidArgumentError(f"name={name!r} is invalid: trial {self.number} has schedules {known}")
        return Schedule.from_config(self.schedule_configs[name])

    @property
    def schedules(self) -> dict[str, Any]:
        """Every schedule this trial suggested, by name."""
        return {name: self.schedule(name) for name in self.schedule_configs}


@dataclasses.dataclass(frozen=True)
class StudySummary:
    """What `tunelab studies` lists: a study's name, directions, counts and best values."""

    study_name: str
    study_id: int
    directions: tuple[StudyDirection, ...]
    n_trials: int
    n_by_state: dict[str, int]
    best_values: tuple[float, ...] | None
    datetime_start: datetime.datetime | None
    last_update: datetime.datetime | None
    user_attrs: dict[str, Any] = dataclasses.field(default_factory=dict)
