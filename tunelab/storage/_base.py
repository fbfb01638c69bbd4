"""The Storage interface every backend implements, and the pieces backends share.

Contract (the storage suite of :mod:`tunelab.testing` checks it; tunelab runs it on every backend):

* Trial numbers are 0, 1, 2, ... per study, assigned atomically by :meth:`Storage.create_trial`,
  never duplicated, even with many writers.
* A finished trial (COMPLETE, PRUNED, FAIL) never changes again: every write to it raises
  :class:`~tunelab.TrialFinishedError` and leaves it as it was.
* :meth:`Storage.finish_trial` writes the trial's last parameters, attributes, values and state in
  one transaction: a reader never sees a finished trial without its parameters.
* Methods may be called from several threads of one process; backends that are shared between
  processes (SQL) also keep these promises across processes.
* The storage never calls back into studies, samplers or pruners.
* Liveness is a component beside this contract (``storage.liveness``, see ``_liveness``): with a
  ``heartbeat_interval``, running trials heartbeat from a background thread of the process running
  them; a trial silent for longer than ``grace_period`` is failed (and re-queued up to ``retries``
  times) by the next ``start_trial`` (every ``ask``) or by :meth:`Storage.fail_stale_trials`.
* Refused before anything is written: what a backend could not store faithfully (parameter and
  attribute names over 512 characters or holding NUL, values that are not JSON, NaN objective values).
"""

from __future__ import annotations

import abc
import copy
import dataclasses
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from tunelab._constraints import InstanceOf, Integral, ListOf, Real, String, check
from tunelab._errors import InvalidArgumentError, TrialFinishedError, TrialNotFoundError, invalid, wrong_type
from tunelab._records import (
    CONSTRAINTS_KEY,
    CORE_KEYS,
    FAIL_REASON_KEY,
    FIXED_PARAMS_KEY,
    INTERMEDIATE_VECTORS_KEY,
    RETRY_COUNT_KEY,
    RETRY_OF_KEY,
    SCHEDULE_KEY_PREFIX,
    FrozenTrial,
    StudyDirection,
    StudySummary,
    TrialState,
    is_core_key,
)
from tunelab.space import BaseDistribution

if TYPE_CHECKING:
    from tunelab.storage._liveness import Liveness

#: A parameter as stored: its internal (numeric) value and its distribution.
StoredParam = tuple[float, BaseDistribution]


class Finish(NamedTuple):
    """One trial's end, as :meth:`Storage.finish_and_start_many` takes it."""

    trial_id: int
    state: TrialState
    values: tuple[float, ...] | None = None
    params: Mapping[str, StoredParam] | None = None
    system_attrs: Mapping[str, Any] | None = None
    core: Mapping[str, Any] | None = None


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
        core: Mapping[str, Any] | None = None,
    ) -> FrozenTrial:
        """Create a trial with the next number of the study and return it.

        ``core``: the trial's own fields as stored (see :func:`tunelab._records.core_fields`).
        """

    @abc.abstractmethod
    def start_trial(self, study_id: int) -> FrozenTrial:
        """The next trial to run, in one atomic step: the oldest WAITING one moved to RUNNING, or
        else a new RUNNING one. What ``study.ask()`` calls. A WAITING trial is started once only,
        however many processes start trials at once."""

    @abc.abstractmethod
    def set_trial_params(self, trial_id: int, params: Mapping[str, StoredParam]) -> None:
        """Record parameters of a running trial."""

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Record (or overwrite) the value reported at ``step`` by a running trial."""

    @abc.abstractmethod
    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        """Set a JSON-serialisable attribute of a running trial.

        ``kind`` is "user", "system" (plug-ins' state, under keys other than the core's) or "core"
        (one of the trial's own fields as stored, see :func:`tunelab._records.core_fields`).
        """

    @abc.abstractmethod
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
        """In one transaction: record the last params/attrs/core fields, then the values and the final state.

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
                self.finish_trial(f.trial_id, f.state, f.values, params=f.params, system_attrs=f.system_attrs,
                                  core=f.core)
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

    # -- liveness (workers that die): data the Liveness component reads and writes ------------------
    #: The heartbeat policy of this storage object (None: no heartbeats; dead workers' trials stay
    #: RUNNING). Backends that support heartbeats build it from their ``heartbeat_interval``,
    #: ``grace_period`` and ``retries`` arguments; see :class:`~tunelab.storage.SQLStorage`.
    liveness: Liveness | None = None

    def record_heartbeats(self, trial_ids: Collection[int]) -> None:
        """Note that the workers running ``trial_ids`` are alive (backends without heartbeats ignore it)."""

    def stale_trial_ids(self, study_id: int, grace_seconds: float) -> list[int]:
        """Ids of RUNNING trials whose last heartbeat is older than ``grace_seconds`` (default: none)."""
        return []

    @abc.abstractmethod
    def fail_trial(self, trial_id: int, reason: str, *, max_retries: int | None = 0,
                   params: Mapping[str, StoredParam] | None = None) -> tuple[int, int | None] | None:
        """Mark a RUNNING (or WAITING) trial FAIL with ``reason`` (after recording ``params``, those
        it drew but had not stored), and re-queue it while it was re-queued fewer than
        ``max_retries`` times (None: always) — for trials whose worker is gone or that were
        interrupted — in one atomic step.

        The retry is a new WAITING trial with :func:`retry_attrs` (the lost trial's parameters as
        ``fixed_params``, ``retry_of`` its number, ``retry_count``); the next ``ask`` runs it.
        Returns the failed trial's number and the retry's number (None when none was queued), or
        None if the trial had finished already (someone else told or failed it first: nothing is
        written then).
        """

    # -- liveness, as the study and its workers use it ---------------------------------------------
    @property
    def heartbeat_interval(self) -> float | None:
        return None if self.liveness is None else self.liveness.interval

    @property
    def grace_period(self) -> float | None:
        return None if self.liveness is None else self.liveness.grace

    @property
    def retries(self) -> int:
        return 0 if self.liveness is None else self.liveness.retries

    def start_heartbeat(self, trial_id: int) -> None:
        """Heartbeat ``trial_id`` from a background thread of this process until it finishes.

        Backends call it for the trials they create or claim RUNNING; a worker process that runs a
        trial created elsewhere calls it itself. No-op without heartbeats.
        """
        if self.liveness is not None:
            self.liveness.watch(trial_id)

    def stop_heartbeat(self, trial_id: int) -> None:
        """Stop heartbeating ``trial_id`` from this process (finishing a trial stops it too)."""
        if self.liveness is not None:
            self.liveness.unwatch(trial_id)

    def fail_stale_trials(self, study_id: int, grace_seconds: float | None = None) -> list[int]:
        """Fail (and re-queue, under the retry policy) RUNNING trials that stopped heartbeating.

        ``grace_seconds`` defaults to the storage's ``grace_period``; without heartbeats nothing is
        done. Returns the numbers of the trials failed by this call.
        """
        if self.liveness is None:
            return []
        return self.liveness.sweep(self, study_id, grace_seconds)

    def fail_lost_trial(self, trial_id: int, reason: str) -> tuple[int, int | None] | None:
        """:meth:`fail_trial` under this storage's retry policy (a worker died running it)."""
        return self.fail_trial(trial_id, reason, max_retries=self.retries)

    @property
    def shared_between_processes(self) -> bool:
        """Whether worker processes can open this storage too (pickled, it reconnects by URL)."""
        return False

    def release_connections(self) -> None:
        """Close the database connections this object holds idle; the next read or write opens one
        again. What a worker process that may not touch the storage for long calls (default: nothing)."""

    def close(self) -> None:
        """Release connections. The storage must not be used afterwards."""


# -- helpers shared by the backends -------------------------------------------------------------


#: The longest study, parameter or attribute name a backend stores (the SQL schema's columns).
MAX_NAME_LENGTH = 512
#: Intermediate values are reported at steps 0 .. MAX_STEP (the SQL schema's 64-bit column).
MAX_STEP = 2**63 - 1
ATTR_KINDS = ("user", "system")
#: A trial's attributes also hold its core fields.
TRIAL_ATTR_KINDS = ("user", "system", "core")


def check_name(argument: str, name: Any) -> str:
    """A name every backend stores as given: a string of 1 to 512 characters without NUL.

    >>> check_name("name", "lr")
    'lr'
    >>> check_name("name", "x" * 600)
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: name='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (600 characters) is invalid: must be a string of 1 to 512 characters without NUL
    """
    if not isinstance(name, str):
        raise wrong_type(argument, name, "a string")
    if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name:
        shown = name if len(name) <= 40 else _Shortened(name)
        raise invalid(argument, shown, f"a string of 1 to {MAX_NAME_LENGTH} characters without NUL")
    return name


class _Shortened(str):
    def __repr__(self) -> str:
        return f"{str.__repr__(self[:40])[:-1]}...' ({len(self)} characters)"


def check_attr_kind(kind: str, *, trial: bool = False) -> None:
    allowed = TRIAL_ATTR_KINDS if trial else ATTR_KINDS
    if kind not in allowed:
        raise invalid("kind", kind, " or ".join(repr(k) for k in allowed))


def check_attr_value(key: str, value: Any) -> None:
    """Attributes are stored as JSON under names every backend stores: refuse anything else, naming the key."""
    check_name("key", key)
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"attribute {key!r}={value!r} is invalid: must be JSON-serialisable ({exc})"
        ) from None


def check_trial_attr(kind: str, key: str, value: Any) -> None:
    """A trial attribute of ``kind``: core fields of the right shape, plug-in state outside them."""
    check_attr_kind(kind, trial=True)
    check_attr_value(key, value)
    if kind == "core":
        check_core({key: value})
    elif kind == "system" and is_core_key(key):
        raise InvalidArgumentError(f"system attribute {key!r} is reserved: it is one of the trial's own fields "
                                   "(fail_reason, constraints, retry links, fixed_params, intermediate_vectors, "
                                   "schedules); plug-ins name their keys after themselves, e.g. 'myplugin:state'")


def check_core(core: Mapping[str, Any] | None) -> None:
    """The core's own trial fields as stored: known keys, each of its declared shape."""
    for key, value in (core or {}).items():
        if not isinstance(key, str) or not is_core_key(key):
            raise invalid("core field", key, f"one of {sorted(CORE_KEYS)} or '{SCHEDULE_KEY_PREFIX}<name>'")
        check_attr_value(key, value)
        check(f"core field {key!r}", value, _CORE_FIELDS.get(key, InstanceOf(dict, "a schedule config (a dict)")))
        if key == INTERMEDIATE_VECTORS_KEY:  # read back as {int(step): tuple}: refused now rather than unreadable then
            for step, vector in value.items():
                if not (isinstance(step, str) and step.isdigit()):
                    raise invalid(f"core field {key!r} step", step, "a step number as a string of digits")
                check(f"core field {key!r}[{step!r}]", vector, ListOf(Real(finite=False, nan=True)))


_CORE_FIELDS = {
    FAIL_REASON_KEY: String(),
    CONSTRAINTS_KEY: ListOf(Real(finite=False), min_len=1),
    RETRY_OF_KEY: Integral(min=0),
    RETRY_COUNT_KEY: Integral(min=0),
    FIXED_PARAMS_KEY: InstanceOf(dict, "a dict of parameter name to value"),
    INTERMEDIATE_VECTORS_KEY: InstanceOf(dict, "a dict of step (as a string) to a list of values"),
}


def check_params(params: Mapping[str, StoredParam] | None) -> None:
    """Parameters as stored: storable names, finite internal values, distributions."""
    if not params:
        return
    for name, (internal, distribution) in params.items():
        # the common case in a few type tests (every finish writes these); the rest goes to the full checks
        if type(name) is not str or not 0 < len(name) <= MAX_NAME_LENGTH or "\x00" in name:
            check_name("name", name)
        if not isinstance(distribution, BaseDistribution):
            raise wrong_type(f"distribution of {name!r}", distribution, "a tunelab.space distribution")
        kind = type(internal)
        if not ((kind is float or kind is int) and -math.inf < internal < math.inf):
            if isinstance(internal, bool) or not isinstance(internal, (int, float)) or not math.isfinite(internal):
                raise invalid(f"internal value of {name!r}", internal, "a finite number")


_VALUES = ListOf(Real(finite=False))


def check_values(values: Sequence[float] | None) -> None:
    """Objective values as stored: None, or real numbers (infinite allowed, NaN not)."""
    if values is not None:
        check("values", values, _VALUES)


def check_finish(state: Any, values: Sequence[float] | None, params: Mapping[str, StoredParam] | None,
                 system_attrs: Mapping[str, Any] | None, core: Mapping[str, Any] | None) -> None:
    """What a finish writes, refused before anything is written if a backend could not hold it."""
    if not isinstance(state, TrialState) or not state.is_finished():
        raise invalid("state", state, "COMPLETE, PRUNED or FAIL")
    check_values(values)
    check_params(params)
    check_new_trial_attrs(None, system_attrs, core)


def check_new_trial_attrs(user_attrs: Mapping[str, Any] | None, system_attrs: Mapping[str, Any] | None,
                          core: Mapping[str, Any] | None) -> None:
    """The attributes and core fields a trial is created or finished with."""
    for kind, mapping in (("user", user_attrs), ("system", system_attrs)):
        for key, value in (mapping or {}).items():
            check_trial_attr(kind, key, value)
    check_core(core)


def check_new_trial(params: Mapping[str, StoredParam] | None, values: Sequence[float] | None,
                    intermediate_values: Mapping[int, float] | None, user_attrs: Mapping[str, Any] | None,
                    system_attrs: Mapping[str, Any] | None, core: Mapping[str, Any] | None) -> dict[int, float]:
    """What every backend's ``create_trial`` checks before it writes; returns the reports as stored."""
    check_params(params)
    check_values(values)
    check_new_trial_attrs(user_attrs, system_attrs, core)
    return dict(check_report(step, v) for step, v in (intermediate_values or {}).items())


def check_report(step: Any, value: Any) -> tuple[int, float]:
    """A reported (step, value) as stored: a step in 0 .. 2**63 - 1 and a float (NaN allowed)."""
    check("step", step, Integral(min=0, max=MAX_STEP))
    try:
        return step, float(value)
    except (TypeError, ValueError, OverflowError):
        raise invalid("value", value, "a real number within the float range") from None


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


def summary_of(name: str, study_id: int, directions: tuple[StudyDirection, ...], trials: list[FrozenTrial],
               created: Any, user_attrs: Mapping[str, Any]) -> StudySummary:
    """A study's summary from its frozen trials (the backends that hold trials as records)."""
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    stamps = [s for t in trials for s in (t.datetime_start, t.datetime_complete) if s]
    return StudySummary(name, study_id, directions, len(trials), counts, best_values(trials, directions), created,
                        max(stamps) if stamps else created, copy.deepcopy(dict(user_attrs)))


def with_params(trial: FrozenTrial, params: Mapping[str, StoredParam] | None) -> FrozenTrial:
    """``trial`` with ``params`` (stored form) recorded too."""
    if not params:
        return trial
    return dataclasses.replace(trial, params={**trial.params, **{n: d.to_external(v) for n, (v, d) in params.items()}},
                               distributions={**trial.distributions, **{n: d for n, (_, d) in params.items()}})


def retry_attrs(trial: FrozenTrial, max_retries: int | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The user attributes and core fields of the retry of a lost ``trial``; None if its retries are spent.

    The retry runs with the parameters the lost trial had drawn (and those it had fixed in
    advance but not reached), linked to it by ``retry_of`` and ``retry_count``.
    """
    count = trial.retry_count
    if max_retries is not None and count >= max_retries:
        return None
    fixed = {**trial.fixed_params, **trial.params}
    return dict(trial.user_attrs), {FIXED_PARAMS_KEY: fixed, RETRY_OF_KEY: trial.number, RETRY_COUNT_KEY: count + 1}
