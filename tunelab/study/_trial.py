"""The running Trial: define-by-run suggestions, reports and pruning questions."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tunelab._constraints import InstanceOf, Integral, ListOf, Real, constrained
from tunelab._errors import InvalidArgumentError, TrialFinishedError, invalid, wrong_type
from tunelab._records import (
    CONSTRAINTS_KEY,
    INTERMEDIATE_VECTORS_KEY,
    SCHEDULE_KEY_PREFIX,
    FrozenTrial,
    TrialState,
    core_fields,
    stored_core,
)
from tunelab.pruners._common import recording
from tunelab.space import (
    BaseDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
)
from tunelab.storage import StoredParam
from tunelab.storage._base import MAX_STEP
from tunelab.study._arguments import NAME, ScheduleSpaceLike
from tunelab.study._deprecated import OldSuggestions

if TYPE_CHECKING:
    from tunelab.study._study import Study

#: Types whose values ``==`` compares the way a distribution's constructor keeps them.
_PLAIN_NUMBERS = (int, float)

#: The key, in a stored schedule config (``FrozenTrial.schedule_configs[name]``), of the horizon in
#: steps the schedule was built for; figures draw the schedule over it. ``Schedule.from_config``
#: reads ``family`` and ``args`` only, so older readers ignore it.
HORIZON_KEY = "horizon"


def schedule_record(schedule: Any, total_steps: int | None, where: str) -> dict[str, Any]:
    """The config stored for ``schedule`` (any tunelab Schedule, checked here), with its horizon if known.

    >>> from tunelab.schedules import StepLR
    >>> schedule_record(StepLR(0.1, 10), 100, "Trial.set_schedule")
    {'family': 'StepLR', 'args': {'base_lr': 0.1, 'step_size': 10, 'gamma': 0.1}, 'horizon': 100}
    """
    from tunelab.schedules import Schedule  # not at import: tunelab stays light until schedules are used

    if not isinstance(schedule, Schedule):
        raise wrong_type("schedule", schedule, "a tunelab schedule (a tunelab.schedules.Schedule value, e.g. "
                         "schedules.StepLR(0.1, 30))", where=where)
    config = schedule.to_config()
    if total_steps is not None:
        config[HORIZON_KEY] = int(total_steps)
    return config


def space_horizon(space: Any, total_steps: int | None) -> int | None:
    """The horizon ``space.suggest`` built for: ``total_steps``, else the space's own (None if it has none)."""
    if total_steps is not None:
        return total_steps
    own = getattr(space, "total_steps", None)
    return own if isinstance(own, int) and not isinstance(own, bool) and own >= 1 else None


class Trial(OldSuggestions):
    """One evaluation of the objective. Created by ``study.ask()`` or inside ``study.optimize``.

    Parameters are asked where the code needs them, so conditional spaces are plain ``if``s.
    Asking the same name again returns the same value; asking it with another distribution is an
    error. A running trial's parameters reach the storage at its first ``report`` and when it
    finishes (one write per trial instead of one per parameter).
    """

    def __init__(self, study: Study, frozen: FrozenTrial) -> None:
        self.study = study
        self._trial_id = frozen.trial_id
        self.number = frozen.number
        self.datetime_start = frozen.datetime_start or datetime.datetime.now()
        self._params: dict[str, Any] = dict(frozen.params)
        self._distributions: dict[str, BaseDistribution] = dict(frozen.distributions)
        self._pending: dict[str, StoredParam] = {}
        self._intermediate: dict[int, float] = dict(frozen.intermediate_values)
        self._user_attrs: dict[str, Any] = dict(frozen.user_attrs)
        self._system_attrs: dict[str, Any] = dict(frozen.system_attrs)
        self._core: dict[str, Any] = stored_core(frozen)  # the trial's own fields, as stored
        self._fixed: dict[str, Any] = dict(frozen.fixed_params)
        self._hand_set: set[str] = set()  # schedule names recorded with set_schedule
        self._relative: dict[str, Any] = {}
        self._relative_space: dict[str, BaseDistribution] = {}
        self._finished = False
        # a lost trial is re-queued with its parameters: with retries, each one is stored when drawn
        self._store_each = bool(study._storage.retries)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"

    # -- read-only views ------------------------------------------------------------------------
    @property
    def trial_id(self) -> int:
        """The storage's id of this trial (unique across studies of one storage)."""
        return self._trial_id

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._system_attrs)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate)

    # -- suggestions ------------------------------------------------------------------------------
    # Each suggest_* first compares its arguments with the distribution the trial already holds
    # under ``name`` (asking a name again returns its value): an equal distribution is neither
    # built nor validated again. Only exact ints and floats are compared there, so that True or
    # NaN never pass for a held bound; anything else builds the distribution, which checks it
    # (and must then equal the one held).
    @constrained({"name": NAME}, where="Trial.suggest_float")
    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float:
        """A float in ``[low, high]`` (log-uniform with ``log=True``, on a grid with ``step``).

        The arguments are :class:`~tunelab.space.FloatDistribution`'s, checked by its table."""
        if self._finished:
            self._check_running("suggest")
        held = self._distributions.get(name)
        if held is None:
            return self._draw(name, FloatDistribution(low, high, log=log, step=step))
        if (type(held) is FloatDistribution and type(low) in _PLAIN_NUMBERS and type(high) in _PLAIN_NUMBERS
                and low == held.low and high == held.high and log is held.log
                and (step is None if held.step is None else type(step) in _PLAIN_NUMBERS and step == held.step)):
            return self._params[name]
        return self._again(name, held, FloatDistribution(low, high, log=log, step=step))

    @constrained({"name": NAME}, where="Trial.suggest_int")
    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """An integer in ``[low, high]`` (log scale with ``log=True``, on a grid with ``step``).

        The arguments are :class:`~tunelab.space.IntDistribution`'s, checked by its table."""
        if self._finished:
            self._check_running("suggest")
        held = self._distributions.get(name)
        if held is None:
            return self._draw(name, IntDistribution(low, high, log=log, step=step))
        if (type(held) is IntDistribution and type(low) is int and type(high) is int and type(step) is int
                and low == held.low and high == held.high and step == held.step and log is held.log):
            return self._params[name]
        return self._again(name, held, IntDistribution(low, high, log=log, step=step))

    @constrained({"name": NAME}, where="Trial.suggest_categorical")
    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoice]) -> CategoricalChoice:
        """One of ``choices`` (None, bool, int, float or str).

        ``choices`` is :class:`~tunelab.space.CategoricalDistribution`'s argument, checked by its table."""
        if self._finished:
            self._check_running("suggest")
        held = self._distributions.get(name)
        if held is None:
            return self._draw(name, CategoricalDistribution(choices))
        if (type(held) is CategoricalDistribution and type(choices) in (list, tuple)
                and len(choices) == len(held.choices)
                and all(type(a) is type(b) and a == b for a, b in zip(choices, held.choices))):
            return self._params[name]
        return self._again(name, held, CategoricalDistribution(choices))

    @constrained({"name": NAME,
                  "space": InstanceOf(ScheduleSpaceLike, "a schedule space from tunelab.schedules.space(...)"),
                  "total_steps": (None, Integral(min=1))}, where="Trial.suggest_schedule")
    def suggest_schedule(self, name: str, space: Any, *, total_steps: int | None = None) -> Any:
        """A learning-rate :class:`~tunelab.schedules.Schedule` drawn from a schedule ``space``.

        The space is sampled through ordinary conditional parameters (``{name}.family`` and that
        family's arguments), so every sampler learns it. Lengths are fractions of ``total_steps``
        (or of the space's own ``total_steps``): asking again with another ``total_steps`` returns
        the same schedule rebuilt for that horizon. The last schedule's config is stored with the
        trial, with the horizon it was built for (figures draw it over exactly that many steps),
        and :meth:`FrozenTrial.schedule` rebuilds it.
        """
        self._check_running("suggest_schedule")
        if name in self._hand_set:
            raise InvalidArgumentError(f"name={name!r} is invalid for Trial.suggest_schedule: trial {self.number} "
                                       "holds a schedule of that name set with set_schedule")
        schedule = space.suggest(self, name, total_steps=total_steps)
        horizon = space_horizon(space, total_steps)
        self._record_schedule(name, schedule_record(schedule, horizon, "Trial.suggest_schedule"))
        self.study._tell_schedule_aware_rungs()
        return schedule

    @constrained({"name": NAME, "total_steps": (None, Integral(min=1))}, where="Trial.set_schedule")
    def set_schedule(self, name: str, schedule: Any, *, total_steps: int | None = None) -> None:
        """Record a hand-built ``schedule`` (any :class:`~tunelab.schedules.Schedule`) under ``name``.

        The trial keeps it as it keeps a suggested one: ``FrozenTrial.schedule(name)`` rebuilds it,
        and the figures, the report and the dashboard draw it, over ``total_steps`` steps when
        given (else over the schedule's own length). Setting ``name`` again replaces it; a name
        already searched with :meth:`suggest_schedule` in this trial is refused.

        >>> import tunelab
        >>> from tunelab import schedules
        >>> study = tunelab.create_study()
        >>> trial = study.ask()
        >>> trial.set_schedule("lr", schedules.StepLR(0.1, step_size=30), total_steps=90)
        >>> study.tell(trial, 1.0).schedule("lr")
        StepLR(base_lr=0.1, step_size=30, gamma=0.1)
        """
        self._check_running("set_schedule")
        if f"{name}.family" in self._params:
            raise InvalidArgumentError(f"name={name!r} is invalid for Trial.set_schedule: trial {self.number} "
                                       "searched a schedule of that name with suggest_schedule")
        self._record_schedule(name, schedule_record(schedule, total_steps, "Trial.set_schedule"))
        self._hand_set.add(name)

    def _record_schedule(self, name: str, config: dict[str, Any]) -> None:
        key = SCHEDULE_KEY_PREFIX + name
        if self._core.get(key) != config:
            self._set_core(key, config)

    @constrained({"name": NAME, "distribution": InstanceOf(BaseDistribution, "a tunelab.space distribution")},
                 where="Trial.suggest")
    def suggest(self, name: str, distribution: BaseDistribution) -> Any:
        """A value for ``name`` from any distribution (what the ``suggest_*`` methods call)."""
        self._check_running("suggest")
        held = self._distributions.get(name)
        return self._draw(name, distribution) if held is None else self._again(name, held, distribution)

    def _again(self, name: str, held: BaseDistribution, distribution: BaseDistribution) -> Any:
        """The value of ``name``, asked again: the same as before, if ``distribution`` is the one held."""
        check_compatible(name, held, distribution)
        return self._params[name]

    def _draw(self, name: str, distribution: BaseDistribution) -> Any:
        """A value for ``name`` (a checked name, new in this running trial) from ``distribution``."""
        if name in self._fixed:
            value = self._fixed[name]
            if not distribution.contains(value):
                raise InvalidArgumentError(
                    f"enqueued value {name}={value!r} is outside the distribution {distribution!r}"
                )
        elif distribution.single():  # its one value, as given (not through the internal encoding)
            value = distribution.choices[0] if isinstance(distribution, CategoricalDistribution) else distribution.low
        elif name in self._relative and self._relative_space.get(name) == distribution:
            value = self._relative[name]
        else:
            value = self.study.sampler.sample_independent(self.study, self, name, distribution)
        internal = distribution.to_internal(value)
        value = distribution.to_external(internal)
        self._params[name] = value
        self._distributions[name] = distribution
        self._pending[name] = (internal, distribution)
        if self._store_each:
            self._flush()
        return value

    def _set_relative(self, space: dict[str, BaseDistribution], params: dict[str, Any]) -> None:
        self._relative_space = dict(space)
        self._relative = dict(params)

    # -- reporting ---------------------------------------------------------------------------------
    @constrained({"step": Integral(min=0, max=MAX_STEP)}, where="Trial.report")
    def report(self, value: float | Sequence[float], step: int) -> None:
        """Record an intermediate objective value at ``step`` (a non-negative integer).

        In a study with ``n > 1`` objectives, ``value`` is a sequence of ``n`` numbers in the
        order of the study's directions; the vectors are kept in
        ``intermediate_vectors`` of its record as ``{step: (v1, ...)}`` (pruners compare
        them by Pareto dominance, see :mod:`tunelab.pruners`). ``value`` is anything ``float()``
        takes (a 0-d tensor too), so it is checked in the body rather than by the table.
        """
        self._check_running("report")
        if self.study._n_objectives > 1:
            self._report_vector(value, step)
            return
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise wrong_type("value", value, "a real number") from None
        except OverflowError:
            raise invalid("value", value, "a real number within the float range") from None
        self._flush()
        self.study._storage.set_trial_intermediate_value(self._trial_id, step, number)
        self._intermediate[step] = number

    def _report_vector(self, value: Any, step: int) -> None:
        n = self.study._n_objectives
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != n:
            raise InvalidArgumentError(
                f"report is for single-objective studies when value is one number; this study has {n} "
                f"objectives: value={value!r} is invalid, allowed: a sequence of {n} real numbers")
        try:
            vector = [float(v) for v in value]
        except (TypeError, ValueError, OverflowError):
            raise wrong_type("value", value, f"a sequence of {n} real numbers (one per objective)") from None
        vectors = dict(self._core.get(INTERMEDIATE_VECTORS_KEY, {}))
        vectors[str(step)] = vector
        self._flush()
        self._set_core(INTERMEDIATE_VECTORS_KEY, vectors)

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now."""
        self._check_running("should_prune")
        with recording() as written:  # what the pruner stores (rung values, bracket), kept as it is stored
            decision = bool(self.study.pruner.prune(self.study, self.freeze()))  # a read-only record
        self._system_attrs.update(written)
        return decision

    @constrained({"key": NAME}, where="Trial.set_user_attr")
    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable user attribute with the trial."""
        self._check_running("set_user_attr")
        self.study._storage.set_trial_attr(self._trial_id, "user", key, value)
        self._user_attrs[key] = value

    @constrained({"key": NAME}, where="Trial.set_system_attr")
    def set_system_attr(self, key: str, value: Any) -> None:
        """Store an attribute for tunelab's own use (samplers, schedules)."""
        self._check_running("set_system_attr")
        self.study._storage.set_trial_attr(self._trial_id, "system", key, value)
        self._system_attrs[key] = value

    def _set_core(self, key: str, value: Any) -> None:
        """Store one of the trial's own fields (as stored: see :func:`tunelab._records.core_fields`)."""
        self._check_running(f"setting {key}")
        self.study._storage.set_trial_attr(self._trial_id, "core", key, value)
        self._core[key] = value

    @constrained({"values": ListOf(Real(finite=False, nan=True, what="a real number"), min_len=1, ordered=True,
                                   what="a non-empty list of real numbers, not NaN")}, where="Trial.set_constraint")
    def set_constraint(self, values: Sequence[float]) -> None:
        """Record constraint values: the trial is feasible when every one is ``<= 0``.

        Constrained samplers (TPE, NSGA-II) rank feasible trials first and infeasible ones by their
        total violation; the values are kept in the record's ``constraints``. Infinities are
        allowed (an integer beyond float64's range counts as one), NaN is not.
        """
        if any(v != v for v in values):  # the message NSGA-II's tests pin (without the callee's name)
            raise invalid("values", list(values), "real numbers, not NaN")
        self._set_core(CONSTRAINTS_KEY, [_as_float(v) for v in values])

    # -- internals --------------------------------------------------------------------------------------
    def _check_running(self, action: str) -> None:
        if self._finished:
            raise TrialFinishedError(f"trial {self.number} is already finished ({action} refused)")

    def save_params(self) -> None:
        """Write the parameters asked so far to the storage now (normally done at the first report).

        Use it before another process reads this running trial's parameters.
        """
        self._check_running("save_params")
        self._flush()

    def refresh(self) -> None:
        """Re-read reported values and attributes that another process wrote for this trial."""
        frozen = self.study._storage.get_trial(self._trial_id)
        self._intermediate.update(frozen.intermediate_values)
        self._user_attrs.update(frozen.user_attrs)
        self._system_attrs.update(frozen.system_attrs)
        self._core.update(stored_core(frozen))

    def _flush(self) -> None:
        if self._pending:
            self.study._storage.set_trial_params(self._trial_id, self._pending)
            self._pending = {}

    def _take_pending(self) -> dict[str, StoredParam]:
        pending, self._pending = self._pending, {}
        return pending

    def freeze(self, state: TrialState = TrialState.RUNNING, values: tuple[float, ...] | None = None) -> FrozenTrial:
        """A frozen snapshot of this trial as it stands."""
        return FrozenTrial(
            number=self.number, state=state, values=values, params=dict(self._params),
            distributions=dict(self._distributions), intermediate_values=dict(self._intermediate),
            user_attrs=dict(self._user_attrs), system_attrs=dict(self._system_attrs),
            **core_fields(self._core),
            datetime_start=self.datetime_start,
            datetime_complete=datetime.datetime.now() if state.is_finished() else None,
            trial_id=self._trial_id,
        )


def _as_float(number: Any) -> float:
    """A real ``number`` as a float, an integer beyond float64's range as an infinity of its sign."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf
