"""``constraints_func``: constraint values computed from each finished trial, as Optuna's samplers take them.

A sampler built with ``constraints_func=f`` calls ``f(trial)`` once for each trial that ends
COMPLETE or PRUNED and did not record constraint values itself (``trial.set_constraint``), with
the trial's frozen record (final state, values, parameters, user attributes). ``f`` returns a
sequence of numbers; the trial is feasible when every one is ``<= 0``. The values are

- returned from the sampler's :meth:`~tunelab.samplers.Sampler.constraints_of`, which the core
  calls before writing the trial's end, so they are stored as the trial's ``constraints``;
- kept by the sampler too (by trial number, from its ``after_trial``), so it ranks trials by them
  whatever the core stored.

Ranking (TPE, NSGA-II: feasible first, infeasible by total violation; GP: infeasible trials count
as the worst value) reads :meth:`Feasibility.violation`, which prefers the stored values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import ListOf, Real, check
from tunelab._errors import wrong_type
from tunelab._records import TrialState
from tunelab.samplers._ranking import violation_of

#: The final states whose trials ``constraints_func`` is asked about (as in Optuna).
_CONSTRAINED = (TrialState.COMPLETE, TrialState.PRUNED)
#: What ``constraints_func`` may return.
_VALUES = ListOf(Real(finite=False), ordered=True)


class Feasibility:
    """A sampler's ``constraints_func`` (or None) and the values it returned, by trial number.

    >>> from types import SimpleNamespace as T
    >>> f = Feasibility(lambda t: [t.params["x"] - 1.0], where="TPESampler")
    >>> trial = T(number=3, params={"x": 3.0}, constraints=None, state=TrialState.COMPLETE)
    >>> f.record(trial, TrialState.COMPLETE)
    >>> f.constraints(trial), f.violation(trial)
    ((2.0,), 2.0)
    >>> f.violation(T(number=4, params={}, constraints=(-1.0,)))  # stored values come first
    0.0
    >>> f.violation(T(number=5, params={}, constraints=None, state=TrialState.COMPLETE))  # not begun here
    0.0
    """

    def __init__(self, func: Callable[[Any], Sequence[float]] | None, *, where: str) -> None:
        self.func = func
        self.where = where
        self._values: dict[int, tuple[float, ...] | None] = {}
        self._begun: set[int] = set()

    def share(self, other: Feasibility) -> None:
        """Use ``other``'s values from now on (the automatic sampler's delegates share one record)."""
        self._values, self._begun = other._values, other._begun

    def begin(self, number: int) -> None:
        """The sampler began trial ``number`` (its ``before_trial``): ``func`` may be asked about it."""
        if self.func is not None:
            self._begun.add(number)

    def evaluate(self, trial: Any) -> tuple[float, ...] | None:
        """``func(trial)`` checked (a sequence of numbers, no NaN); None without a function or
        for an empty sequence (no constraint: feasible). Cached by trial number."""
        if self.func is None:
            return None
        if trial.number in self._values:
            return self._values[trial.number]
        result = self.func(trial)
        if isinstance(result, np.ndarray):
            result = result.tolist()
        name = f"constraints_func(trial {trial.number})"
        if isinstance(result, (str, bytes)) or not isinstance(result, Sequence):
            raise wrong_type(name, result, "a sequence of numbers (feasible when every one is <= 0)",
                             where=self.where)
        values = tuple(float(v) for v in check(name, result, _VALUES, where=self.where)) or None
        self._values[trial.number] = values
        return values

    def of_ending(self, trial: Any) -> tuple[float, ...] | None:
        """What a sampler's ``constraints_of`` returns for a trial that is ending (its final state
        set): ``func``'s values for COMPLETE and PRUNED trials without their own, else None."""
        if self.func is None or trial.constraints is not None or trial.state not in _CONSTRAINED:
            return None
        return self.evaluate(trial)

    def record(self, trial: Any, state: TrialState) -> None:
        """After a trial ended (the sampler's ``after_trial``): evaluate it once if it is COMPLETE or
        PRUNED and holds no constraint values."""
        if self.func is not None and trial.constraints is None and state in _CONSTRAINED:
            self.evaluate(trial)
        self._begun.discard(trial.number)

    def constraints(self, trial: Any) -> tuple[float, ...] | None:
        """A finished trial's constraint values: those stored with it, else those ``func`` gave.

        ``func`` is asked here about a trial this sampler began whose ``after_trial`` has not come
        yet (another thread asks in between); never about trials it did not begin (a study's older
        trials: ``func`` may need what they lack), which count as unconstrained.
        """
        if trial.constraints is not None:
            return tuple(trial.constraints)
        if trial.number in self._values:
            return self._values[trial.number]
        if trial.number in self._begun and trial.state in _CONSTRAINED:
            return self.evaluate(trial)
        return None

    def violation(self, trial: Any) -> float:
        """Total violation of a finished trial (0 when feasible or unconstrained)."""
        return violation_of(self.constraints(trial))
