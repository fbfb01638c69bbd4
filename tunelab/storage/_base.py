"""The Storage interface every backend implements, and the pieces backends share.

Contract (the conformance suite in ``tests/storage`` checks it for every backend):

* Trial numbers are 0, 1, 2, ... per study, assigned atomically by :meth:`Storage.create_trial`,
  never duplicated, even with many writers.
* A finished trial (COMPLETE, PRUNED, FAIL) never changes again: every write to it raises
  :class:`~tunelab.TrialFinishedError` and leaves it as it was.
* :meth:`Storage.finish_trial` writes the trial's last parameters, attributes, values and state in
  one transaction: a reader never sees a finished trial without its parameters.
* Methods may be called from several threads of one process; backends that are shared between
  processes (SQL) also keep these promises across processes.
* The storage never calls back into studies, samplers or pruners.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Mapping
from typing import Any

from tunelab._errors import InvalidArgumentError, TrialFinishedError
from tunelab.space import BaseDistribution
from tunelab._records import FrozenTrial, StudyDirection, StudySummary, TrialState

#: A parameter as stored: its internal (numeric) value and its distribution.
StoredParam = tuple[float, BaseDistribution]


class Storage(abc.ABC):
    """Where studies and trials live. All ids are backend-assigned integers."""

    # -- studies ------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_study(self, study_name: str, directions: Iterable[StudyDirection]) -> int:
        """Create a study; raise DuplicatedStudyError if the name is taken. Return its id."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials; raise StudyNotFoundError if it does not exist."""

    @abc.abstractmethod
    def get_study_id(self, study_name: str) -> int:
        """The id of the study called ``study_name``; raise StudyNotFoundError if none."""

    @abc.abstractmethod
    def get_study_name(self, study_id: int) -> str:
        """The name of a study."""

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        """The study's objective directions."""

    @abc.abstractmethod
    def set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        """Set a JSON-serialisable study attribute; ``kind`` is "user" or "system"."""

    @abc.abstractmethod
    def get_study_attrs(self, study_id: int, kind: str) -> dict[str, Any]:
        """Every study attribute of ``kind``."""

    @abc.abstractmethod
    def get_all_studies(self) -> list[StudySummary]:
        """A summary of every study, in creation order."""

    # -- trials -------------------------------------------------------------------------------
    @abc.abstractmethod
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
    ) -> FrozenTrial:
        """Create a trial with the next number of the study and return it."""

    @abc.abstractmethod
    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        """Atomically move the oldest WAITING trial to RUNNING and return it (None if none waits)."""

    @abc.abstractmethod
    def set_trial_params(self, trial_id: int, params: Mapping[str, StoredParam]) -> None:
        """Record parameters of a running trial."""

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Record (or overwrite) the value reported at ``step`` by a running trial."""

    @abc.abstractmethod
    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        """Set a JSON-serialisable trial attribute of a running trial; ``kind`` is "user" or "system"."""

    @abc.abstractmethod
    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        *,
        params: Mapping[str, StoredParam] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> None:
        """In one transaction: record the last params/attrs, then the values and the final state.

        Raise TrialFinishedError if the trial is already finished (nothing is written then).
        """

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """A snapshot of one trial; raise TrialNotFoundError if none."""

    @abc.abstractmethod
    def get_trial_id(self, study_id: int, number: int) -> int:
        """The id of the trial with ``number`` in the study; raise TrialNotFoundError if none."""

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, *, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Snapshots of the study's trials (optionally only in ``states``), ordered by number."""

    def get_n_trials(self, study_id: int, *, states: Iterable[TrialState] | None = None) -> int:
        """How many trials the study has (optionally only in ``states``)."""
        return len(self.get_all_trials(study_id, states=states))

    # -- liveness (workers that die) ------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        """Note that the worker running ``trial_id`` is alive. Backends without heartbeats ignore it."""

    def fail_stale_trials(self, study_id: int, grace_seconds: float) -> list[int]:
        """Mark RUNNING trials whose heartbeat is older than ``grace_seconds`` FAIL; return their numbers."""
        return []

    def close(self) -> None:
        """Release connections. The storage must not be used afterwards."""


# -- helpers shared by the backends -------------------------------------------------------------


def check_value(value: Any, argument: str = "value") -> float:
    """A finite or infinite float; NaN and non-numbers are refused with a clear error."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{argument}={value!r} is invalid: must be a real number") from None
    if math.isnan(number):
        raise InvalidArgumentError(f"{argument}={value!r} is invalid: must not be NaN")
    return number


def check_attr_kind(kind: str) -> None:
    if kind not in ("user", "system"):
        raise InvalidArgumentError(f"kind={kind!r} is invalid: must be 'user' or 'system'")


def check_attr_value(key: str, value: Any) -> None:
    """Attributes are stored as JSON: refuse anything JSON cannot hold, naming the key."""
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"attribute {key!r}={value!r} is invalid: must be JSON-serialisable ({exc})"
        ) from None


def raise_finished(number: int, state: TrialState, action: str) -> None:
    raise TrialFinishedError(
        f"trial {number} is already {state.name} and cannot be changed ({action} refused)"
    )


def best_values(trials: Iterable[FrozenTrial], directions: tuple[StudyDirection, ...]) -> tuple[float, ...] | None:
    """The best value of a single-objective study (None for multi-objective or no complete trial)."""
    if len(directions) != 1:
        return None
    values = [t.values[0] for t in trials if t.state == TrialState.COMPLETE and t.values]
    if not values:
        return None
    best = min(values) if directions[0] == StudyDirection.MINIMIZE else max(values)
    return (best,)
