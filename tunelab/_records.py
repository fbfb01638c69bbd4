"""Records: trial states, directions, frozen trials and study summaries."""

from __future__ import annotations

import dataclasses
import datetime
import enum
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


#: Key prefix under which a trial's schedule configs are kept in its system attributes.
SCHEDULE_ATTR_PREFIX = "schedule:"
#: System attribute holding a multi-objective trial's reports: ``{str(step): [v1, v2, ...]}``.
INTERMEDIATE_VECTORS_ATTR = "intermediate_vectors"
#: System attribute holding the reason a trial failed.
FAIL_REASON_ATTR = "fail_reason"
#: System attribute of a trial's constraint values.
CONSTRAINTS_ATTR = "constraints"
#: System attribute of a re-queued trial: the number of the lost trial it repeats.
RETRY_OF_ATTR = "retry_of"
#: System attribute of a re-queued trial: how many times its parameters were re-queued so far.
RETRY_COUNT_ATTR = "retry_count"
#: System attribute of an enqueued trial: the parameter values fixed in advance.
FIXED_PARAMS_ATTR = "fixed_params"


@dataclasses.dataclass(frozen=True)
class FrozenTrial:
    """An immutable snapshot of one trial as stored.

    ``params`` holds external values (what ``suggest_*`` returned), ``distributions`` their
    distributions, ``intermediate_values`` the values reported by step.
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

    # -- the core's own fields (typed views; plug-ins keep their state in ``system_attrs``) --------
    @property
    def fail_reason(self) -> str | None:
        """Why a FAIL trial failed (None for other states or when no reason was recorded)."""
        reason = self.system_attrs.get(FAIL_REASON_ATTR)
        return None if reason is None else str(reason)

    @property
    def constraints(self) -> tuple[float, ...] | None:
        """Constraint values recorded by ``trial.set_constraint`` (feasible when all are <= 0)."""
        values = self.system_attrs.get(CONSTRAINTS_ATTR)
        return None if values is None else tuple(float(v) for v in values)

    @property
    def retry_of(self) -> int | None:
        """The number of the lost trial this one repeats (None if it is not a retry)."""
        number = self.system_attrs.get(RETRY_OF_ATTR)
        return None if number is None else int(number)

    @property
    def retry_count(self) -> int:
        """How many times this trial's parameters were re-queued before it (0 for a first run)."""
        return int(self.system_attrs.get(RETRY_COUNT_ATTR, 0))

    @property
    def fixed_params(self) -> dict[str, Any]:
        """Parameter values fixed in advance (``enqueue_trial``, a retry), by name."""
        return dict(self.system_attrs.get(FIXED_PARAMS_ATTR, {}))

    @property
    def intermediate_vectors(self) -> dict[int, tuple[float, ...]]:
        """A multi-objective trial's reports by step."""
        return {int(k): tuple(float(x) for x in v)
                for k, v in self.system_attrs.get(INTERMEDIATE_VECTORS_ATTR, {}).items()}

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    def schedule(self, name: str) -> Any:
        """Rebuild the Schedule that ``trial.suggest_schedule(name, ...)`` returned."""
        from tunelab.schedules import Schedule

        key = SCHEDULE_ATTR_PREFIX + name
        if key not in self.system_attrs:
            known = sorted(k[len(SCHEDULE_ATTR_PREFIX):] for k in self.system_attrs
                           if k.startswith(SCHEDULE_ATTR_PREFIX))
            raise InvalidArgumentError(f"name={name!r} is invalid: trial {self.number} has schedules {known}")
        return Schedule.from_config(self.system_attrs[key])

    @property
    def schedules(self) -> dict[str, Any]:
        """Every schedule this trial suggested, by name."""
        return {k[len(SCHEDULE_ATTR_PREFIX):]: self.schedule(k[len(SCHEDULE_ATTR_PREFIX):])
                for k in self.system_attrs if k.startswith(SCHEDULE_ATTR_PREFIX)}


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
