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
* Liveness: with a ``heartbeat_interval``, running trials heartbeat from a background thread of
  the process running them; a trial silent for longer than ``grace_period`` is failed (and
  re-queued up to ``retries`` times) by the next ``claim_waiting_trial`` (every ``ask``) or by
  :meth:`Storage.fail_stale_trials`.
"""

from __future__ import annotations

import abc
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from tunelab._errors import InvalidArgumentError, TrialFinishedError, TrialNotFoundError
from tunelab._records import (
    FAIL_REASON_ATTR,
    RETRY_COUNT_ATTR,
    RETRY_OF_ATTR,
    FrozenTrial,
    StudyDirection,
    StudySummary,
    TrialState,
)
from tunelab.space import BaseDistribution

#: A parameter as stored: its internal (numeric) value and its distribution.
StoredParam = tuple[float, BaseDistribution]


class Finish(NamedTuple):
    """One trial's end, as :meth:`Storage.finish_and_start_many` takes it."""

    trial_id: int
    state: TrialState
    values: tuple[float, ...] | None = None
    params: Mapping[str, StoredParam] | None = None
    system_attrs: Mapping[str, Any] | None = None


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

    def start_trial(self, study_id: int) -> FrozenTrial:
        """The next trial to run: the oldest WAITING one, claimed, or else a new RUNNING one.

        What ``study.ask()`` calls. Backends may do both steps in one transaction.
        """
        claimed = self.claim_waiting_trial(study_id)
        return claimed if claimed is not None else self.create_trial(study_id)

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

    def finish_and_start_many(self, finishes: Sequence[Finish], *, study_id: int) -> list[FrozenTrial | None]:
        """:meth:`finish_trial` each of ``finishes``, each followed by :meth:`start_trial` of ``study_id``.

        What a study process running many workers calls to tell the results at hand and ask their
        replacements. Returns the trial started in place of each, in order; None where that trial
        was missing or finished already (it is left as it was and nothing is started for it). SQL
        backends write the whole batch in one transaction: one commit for several results.
        """
        started: list[FrozenTrial | None] = []
        for f in finishes:
            try:
                self.finish_trial(f.trial_id, f.state, f.values, params=f.params, system_attrs=f.system_attrs)
            except (TrialFinishedError, TrialNotFoundError):
                started.append(None)
                continue
            started.append(self.start_trial(study_id))
        return started

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
    #: Seconds between heartbeats of a running trial (None: no heartbeats, dead workers' trials
    #: stay RUNNING). Backends that support heartbeats take it, ``grace_period`` and ``retries``
    #: as constructor arguments; see :class:`~tunelab.storage.SQLStorage`.
    heartbeat_interval: float | None = None
    #: Seconds without a heartbeat after which a RUNNING trial counts as lost.
    grace_period: float | None = None
    #: How many times a lost trial is re-queued (a new WAITING trial with the same parameters).
    retries: int = 0

    def record_heartbeat(self, trial_id: int) -> None:
        """Note that the worker running ``trial_id`` is alive. Backends without heartbeats ignore it."""

    def start_heartbeat(self, trial_id: int) -> None:
        """Heartbeat ``trial_id`` from a background thread of this process until it finishes.

        Backends call it for the trials they create or claim RUNNING; a worker process that runs a
        trial created elsewhere calls it itself. No-op without ``heartbeat_interval``.
        """

    def stop_heartbeat(self, trial_id: int) -> None:
        """Stop heartbeating ``trial_id`` from this process (finishing a trial stops it too)."""

    def stale_trial_ids(self, study_id: int, grace_seconds: float) -> list[int]:
        """Ids of RUNNING trials whose last heartbeat is older than ``grace_seconds`` (default: none)."""
        return []

    def fail_stale_trials(self, study_id: int, grace_seconds: float | None = None) -> list[int]:
        """Fail (and re-queue, under the retry policy) RUNNING trials that stopped heartbeating.

        ``grace_seconds`` defaults to the storage's ``grace_period``; with neither, nothing is done.
        Returns the numbers of the trials failed by this call (each is failed by one caller only,
        even when several processes sweep at once).
        """
        grace = self.grace_period if grace_seconds is None else grace_seconds
        if grace is None:
            return []
        failed = []
        for trial_id in self.stale_trial_ids(study_id, grace):
            lost = self.fail_lost_trial(trial_id, f"no heartbeat for more than {grace:g} s (worker died?)")
            if lost is not None:
                failed.append(lost[0])
        return failed

    def fail_lost_trial(self, trial_id: int, reason: str) -> tuple[int, int | None] | None:
        """Mark a RUNNING trial whose worker is gone FAIL with ``reason``; re-queue it if retries allow.

        The retry is a new WAITING trial with the same parameters (``fixed_params``), linked by the
        system attributes ``retry_of`` (the failed trial's number) and ``retry_count``; the next
        ``ask`` runs it. Returns the failed trial's number and the retry's number (None when the
        retries are spent), or None if the trial had already finished (someone else told or
        failed it first: nothing is written then).
        """
        trial = self.get_trial(trial_id)
        try:
            self.finish_trial(trial_id, TrialState.FAIL, system_attrs={FAIL_REASON_ATTR: reason})
        except TrialFinishedError:
            return None
        retry = self.retry_attrs(trial)
        if retry is None:
            return trial.number, None
        queued = self.create_trial(self.get_study_id_of_trial(trial_id), state=TrialState.WAITING,
                                   user_attrs=retry[0], system_attrs=retry[1])
        return trial.number, queued.number

    def retry_attrs(self, trial: FrozenTrial) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The user and system attributes of the retry of a lost ``trial``; None if its retries are spent."""
        count = int(trial.system_attrs.get(RETRY_COUNT_ATTR, 0))
        if count >= self.retries:
            return None
        system = {k: v for k, v in trial.system_attrs.items() if k != FAIL_REASON_ATTR}
        system.update({"fixed_params": dict(trial.params), RETRY_OF_ATTR: trial.number, RETRY_COUNT_ATTR: count + 1})
        return dict(trial.user_attrs), system

    def get_study_id_of_trial(self, trial_id: int) -> int:
        """The id of the study a trial belongs to."""
        raise NotImplementedError(f"{type(self).__name__} does not support re-queueing lost trials")

    @property
    def shared_between_processes(self) -> bool:
        """Whether worker processes can open this storage too (pickled, it reconnects by URL)."""
        return False

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
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"attribute {key!r}={value!r} is invalid: must be JSON-serialisable ({exc})"
        ) from None


def check_attrs(*attrs: Mapping[str, Any] | None) -> None:
    """:func:`check_attr_value` for every entry of each mapping (None stands for no attributes)."""
    for mapping in attrs:
        for key, value in (mapping or {}).items():
            check_attr_value(key, value)


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


def check_liveness(
    heartbeat_interval: Any, grace_period: Any, retries: Any
) -> tuple[float | None, float | None, int]:
    """Validate a heartbeat policy; ``grace_period`` defaults to four heartbeat intervals.

    >>> check_liveness(1, None, 0)
    (1.0, 4.0, 0)
    """
    from tunelab._errors import invalid

    def positive(name: str, value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
            raise invalid(name, value, "None or a positive, finite number of seconds")
        return float(value)

    interval = positive("heartbeat_interval", heartbeat_interval)
    grace = positive("grace_period", grace_period)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise invalid("retries", retries, "a non-negative integer")
    if interval is None and (grace is not None or retries):
        raise InvalidArgumentError(
            f"grace_period={grace_period!r} and retries={retries!r} need heartbeats: "
            "give heartbeat_interval too")
    if interval is not None:
        grace = 4 * interval if grace is None else grace
        if grace <= interval:
            raise invalid("grace_period", grace_period, f"longer than heartbeat_interval={heartbeat_interval!r}")
    return interval, grace, retries
