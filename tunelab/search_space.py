"""The search space common to a study's finished trials (Optuna's ``optuna.search_space``).

A parameter belongs to the *intersection search space* when every COMPLETE trial (and PRUNED one,
with ``include_pruned=True``) asked for it with one and the same distribution; a parameter whose
range changed between trials is left out. Custom samplers use it in
``infer_relative_search_space``.

>>> import tunelab
>>> study = tunelab.create_study()
>>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + (t.suggest_int("n", 1, 3) if t.number else 0), n_trials=3)
>>> sorted(intersection_search_space(study.trials))
['x']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tunelab._constraints import Bool, InstanceOf, ListOf, constrained
from tunelab._errors import InvalidArgumentError
from tunelab._records import FrozenTrial, TrialState
from tunelab.space import BaseDistribution
from tunelab.study import Study

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]

_TRIALS = ListOf(InstanceOf(FrozenTrial, "a FrozenTrial"), ordered=True)


def _states(include_pruned: bool) -> tuple[TrialState, ...]:
    return (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)


def _intersect(trials: Iterable[FrozenTrial], states: tuple[TrialState, ...],
               space: dict[str, BaseDistribution] | None) -> dict[str, BaseDistribution] | None:
    """``space`` (None: not started) narrowed by each trial of ``trials`` in ``states``."""
    for trial in trials:
        if trial.state not in states:
            continue
        if space is None:
            space = dict(trial.distributions)
        else:
            space = {name: d for name, d in space.items() if trial.distributions.get(name) == d}
    return space


@constrained({"trials": _TRIALS, "include_pruned": Bool()})
def intersection_search_space(trials: list[FrozenTrial], include_pruned: bool = False) -> dict[str, BaseDistribution]:
    """The parameters every COMPLETE trial of ``trials`` (and PRUNED one with ``include_pruned``)
    asked with one distribution, sorted by name; ``{}`` when there is no such trial."""
    space = _intersect(trials, _states(include_pruned), None) or {}
    return dict(sorted(space.items()))


@constrained({"include_pruned": Bool()})
class IntersectionSearchSpace:
    """:func:`intersection_search_space` of one study, computed incrementally: each
    :meth:`calculate` looks only at the trials finished since the last one.

    >>> import tunelab
    >>> study = tunelab.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    >>> IntersectionSearchSpace().calculate(study)
    {'x': FloatDistribution(low=0.0, high=1.0, log=False, step=None)}
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._states = _states(include_pruned)
        self._study: tuple[int, Any] | None = None
        self._space: dict[str, BaseDistribution] | None = None
        self._seen = 0  # trials numbered below this one were all finished and are counted in _space

    @constrained({"study": InstanceOf(Study, "a tunelab Study"), "use_cache": Bool()},
                 where="IntersectionSearchSpace.calculate")
    def calculate(self, study: Study, use_cache: bool = False) -> dict[str, BaseDistribution]:
        """The intersection search space of ``study`` (always the same study for one instance).

        ``use_cache`` is accepted for Optuna's signature; the result is always incremental."""
        key = (study._study_id, study.storage)
        if self._study is None:
            self._study = key
        elif self._study[0] != key[0] or self._study[1] is not key[1]:
            raise InvalidArgumentError("an IntersectionSearchSpace follows one study; make one per study")
        trials = study.get_trials()
        fresh = trials[self._seen:]
        self._space = _intersect(fresh, self._states, self._space)
        for trial in fresh:  # the cache may move past finished trials only
            if not trial.state.is_finished():
                break
            self._seen = trial.number + 1
        return dict(sorted((self._space or {}).items()))
