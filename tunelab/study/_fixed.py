"""Trials outside a study: FixedTrial (run an objective on given values), create_trial (a finished
record to add to a study) and BaseTrial (what Trial, FixedTrial and FrozenTrial have in common).

These are Optuna's names and arguments; ``tunelab.trial`` offers them under Optuna's module path.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from tunelab._constraints import AnyOf, InstanceOf, Integral, ListOf, Options, Real, check, constrained
from tunelab._errors import InvalidArgumentError, invalid
from tunelab._records import FrozenTrial, TrialState
from tunelab.space import (
    BaseDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
)
from tunelab.study._arguments import ATTRS, NAME, ScheduleSpaceLike
from tunelab.study._deprecated import OldSuggestions
from tunelab.study._trial import Trial, schedule_record, space_horizon

_PARAMS = InstanceOf(Mapping, "a mapping of parameter name to value")
_CONSTRAINT_VALUES = AnyOf(None, ListOf(Real(finite=False), min_len=1, ordered=True),
                           InstanceOf(Mapping, "a mapping of constraint name to value"),
                           what="None, a non-empty list of numbers or a mapping of name to number")


class BaseTrial(abc.ABC):  # noqa: B024 - a marker base: the three classes are registered, nothing is abstract
    """What :class:`~tunelab.Trial`, :class:`FixedTrial` and :class:`~tunelab.FrozenTrial` share
    (Optuna's ``optuna.trial.BaseTrial``): for annotations and ``isinstance`` checks.

    >>> import tunelab
    >>> isinstance(FixedTrial({"x": 1.0}), BaseTrial), issubclass(tunelab.Trial, BaseTrial)
    (True, True)
    """


@constrained({"params": _PARAMS, "number": Integral(min=0)})
class FixedTrial(OldSuggestions):
    """A trial whose parameters are given in advance: run an objective on known values, without a
    study (to test it, or to retrain the best model from ``study.best_params``).

    ``suggest_*`` return ``params[name]``, checked against the distribution asked for (a value
    outside it, or a name missing from ``params``, raises InvalidArgumentError, a ValueError;
    Optuna only warns about the first). ``report`` records nothing, ``should_prune`` is False.

    >>> def objective(trial):
    ...     return trial.suggest_float("x", -10, 10) ** 2 + (trial.suggest_categorical("k", ["a", "b"]) == "b")
    >>> objective(FixedTrial({"x": 3.0, "k": "b"}))
    10.0
    """

    def __init__(self, params: Mapping[str, Any], number: int = 0) -> None:
        self._given = dict(params)
        self._number = number
        self._params: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._constraints: tuple[float, ...] | None = None
        self._schedule_configs: dict[str, dict[str, Any]] = {}
        self._hand_set: set[str] = set()  # schedule names recorded with set_schedule
        self._datetime_start = datetime.datetime.now()

    def __repr__(self) -> str:
        return f"FixedTrial({self._given!r}, number={self._number})"

    @constrained({"name": NAME}, where="FixedTrial.suggest_float")
    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float:
        """``params[name]``, which must lie in ``FloatDistribution(low, high, step=step, log=log)``."""
        return float(self.suggest(name, FloatDistribution(low, high, log=log, step=step)))

    @constrained({"name": NAME}, where="FixedTrial.suggest_int")
    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """``params[name]``, which must lie in ``IntDistribution(low, high, step=step, log=log)``."""
        return int(self.suggest(name, IntDistribution(low, high, log=log, step=step)))

    @constrained({"name": NAME}, where="FixedTrial.suggest_categorical")
    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoice]) -> CategoricalChoice:
        """``params[name]``, which must be one of ``choices``."""
        return self.suggest(name, CategoricalDistribution(choices))

    @constrained({"name": NAME, "distribution": InstanceOf(BaseDistribution, "a tunelab.space distribution")},
                 where="FixedTrial.suggest")
    def suggest(self, name: str, distribution: BaseDistribution) -> Any:
        """``params[name]`` checked against any distribution (what the ``suggest_*`` methods call)."""
        if name not in self._given:
            raise InvalidArgumentError(f"FixedTrial has no value for parameter {name!r}: give it in params "
                                       f"(it holds {sorted(self._given)})")
        held = self._distributions.get(name)
        if held is not None:
            check_compatible(name, held, distribution)
        value = self._given[name]
        if not distribution.contains(value):
            raise invalid(f"params[{name!r}]", value, f"a value of {distribution!r}", where="FixedTrial")
        self._params[name] = value
        self._distributions[name] = distribution
        return value

    @constrained({"name": NAME,
                  "space": InstanceOf(ScheduleSpaceLike, "a schedule space from tunelab.schedules.space(...)"),
                  "total_steps": (None, Integral(min=1))}, where="FixedTrial.suggest_schedule")
    def suggest_schedule(self, name: str, space: Any, *, total_steps: int | None = None) -> Any:
        """The schedule that ``params`` describe (``"{name}.family"`` and that family's arguments).

        Its config and horizon are kept in :attr:`schedule_configs`, as a Trial records them."""
        if name in self._hand_set:
            raise InvalidArgumentError(f"name={name!r} is invalid for FixedTrial.suggest_schedule: the trial "
                                       "holds a schedule of that name set with set_schedule")
        schedule = space.suggest(self, name, total_steps=total_steps)
        self._schedule_configs[name] = schedule_record(schedule, space_horizon(space, total_steps),
                                                       "FixedTrial.suggest_schedule")
        return schedule

    @constrained({"name": NAME, "total_steps": (None, Integral(min=1))}, where="FixedTrial.set_schedule")
    def set_schedule(self, name: str, schedule: Any, *, total_steps: int | None = None) -> None:
        """Keep a hand-built ``schedule`` under ``name`` (with its horizon ``total_steps``), as
        ``Trial.set_schedule`` does.

        >>> from tunelab import schedules
        >>> trial = FixedTrial({})
        >>> trial.set_schedule("lr", schedules.StepLR(0.1, step_size=30), total_steps=90)
        >>> trial.schedule_configs["lr"]["horizon"]
        90
        """
        if f"{name}.family" in self._params:
            raise InvalidArgumentError(f"name={name!r} is invalid for FixedTrial.set_schedule: the trial "
                                       "searched a schedule of that name with suggest_schedule")
        self._schedule_configs[name] = schedule_record(schedule, total_steps, "FixedTrial.set_schedule")
        self._hand_set.add(name)

    @property
    def schedule_configs(self) -> dict[str, dict[str, Any]]:
        """The config of each schedule suggested or set, by name, with its horizon (``"horizon"``)
        where known, as ``FrozenTrial.schedule_configs``."""
        return {name: dict(config) for name, config in self._schedule_configs.items()}

    @constrained({"step": Integral(min=0)}, where="FixedTrial.report")
    def report(self, value: float | Sequence[float], step: int) -> None:
        """Nothing is recorded: a FixedTrial has no study."""

    def should_prune(self) -> bool:
        """Always False: a FixedTrial has no pruner."""
        return False

    @constrained({"key": NAME}, where="FixedTrial.set_user_attr")
    def set_user_attr(self, key: str, value: Any) -> None:
        self._user_attrs[key] = value

    @constrained({"values": ListOf(Real(finite=False), min_len=1, ordered=True)}, where="FixedTrial.set_constraint")
    def set_constraint(self, values: Sequence[float]) -> None:
        """Keep constraint values (feasible when every one is ``<= 0``), as ``Trial.set_constraint``."""
        self._constraints = tuple(float(v) for v in values)

    @property
    def number(self) -> int:
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        """The parameters asked so far (not every given one)."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return {}

    @property
    def constraints(self) -> tuple[float, ...] | None:
        return self._constraints

    @property
    def datetime_start(self) -> datetime.datetime:
        return self._datetime_start


for _cls in (Trial, FixedTrial, FrozenTrial):
    BaseTrial.register(_cls)


@constrained({"state": Options(*TrialState, what="a TrialState"),
              "value": (None, Real(finite=False)),
              "values": (None, ListOf(Real(finite=False), min_len=1, ordered=True)),
              "params": (None, _PARAMS),
              "distributions": (None, InstanceOf(Mapping, "a mapping of parameter name to distribution")),
              "user_attrs": ATTRS, "system_attrs": ATTRS,
              "intermediate_values": (None, InstanceOf(Mapping, "a mapping of step to value")),
              "constraints": _CONSTRAINT_VALUES}, where="create_trial")
def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, BaseDistribution] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
    constraints: Sequence[float] | Mapping[str, float] | None = None,
) -> FrozenTrial:
    """A finished (or WAITING) trial record made outside a study, for :meth:`Study.add_trial`.

    Optuna's arguments: ``value`` or ``values`` (one of them for a COMPLETE trial), ``params``
    with one distribution each in ``distributions``, attributes, ``intermediate_values`` by
    step and ``constraints`` (a list of numbers; a mapping's values in its order, as Optuna's
    named constraints). Its number is -1 until a study adds it.

    >>> from tunelab.space import FloatDistribution
    >>> t = create_trial(params={"x": 2.0}, distributions={"x": FloatDistribution(0, 10)}, value=4.0)
    >>> t.state, t.value, t.params
    (TrialState.COMPLETE, 4.0, {'x': 2.0})
    """
    if value is not None and values is not None:
        raise InvalidArgumentError(f"give value or values, not both (value={value!r}, values={list(values)!r})")
    numbers = (float(value),) if value is not None else (tuple(float(v) for v in values) if values else None)
    if state == TrialState.COMPLETE and numbers is None:
        raise InvalidArgumentError("a COMPLETE trial needs value= or values=")
    params, distributions = dict(params or {}), dict(distributions or {})
    if set(params) != set(distributions):
        raise InvalidArgumentError(f"params and distributions must name the same parameters: params has "
                                   f"{sorted(params)}, distributions {sorted(distributions)}")
    for name, distribution in distributions.items():
        check(f"distributions[{name!r}]", distribution, InstanceOf(BaseDistribution, "a tunelab.space distribution"),
              where="create_trial")
        if not distribution.contains(params[name]):
            raise invalid(f"params[{name!r}]", params[name], f"a value of {distribution!r}", where="create_trial")
    steps = {}
    for step, reported in (intermediate_values or {}).items():
        steps[check("intermediate_values step", step, Integral(min=0), where="create_trial")] = check(
            f"intermediate_values[{step!r}]", reported, Real(finite=False, nan=True), where="create_trial")
    if isinstance(constraints, Mapping):
        constraints = check("constraints", list(constraints.values()), ListOf(Real(finite=False), min_len=1),
                            where="create_trial")
    started = None if state == TrialState.WAITING else datetime.datetime.now()
    return FrozenTrial(
        number=-1, state=state, values=numbers, params=params, distributions=distributions,
        intermediate_values={int(k): float(v) for k, v in steps.items()}, user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}), datetime_start=started,
        datetime_complete=started if state.is_finished() else None,
        constraints=None if constraints is None else tuple(float(c) for c in constraints),
    )
