"""Grid search over explicit values, each grid point tried once even with parallel workers."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import constrained
from tunelab._errors import InvalidArgumentError, invalid, wrong_type
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.space import BaseDistribution

#: Trial system attribute: the index of the grid point the trial took.
GRID_ID_ATTR = "grid:point"
#: Where studies made before plug-in keys were namespaced keep it (read, never written).
LEGACY_GRID_ID_ATTR = "grid_id"


@constrained({"seed": SEED})
class GridSampler(Sampler):
    """Try every combination of ``search_space`` (name -> list of values) once.

    Each trial takes a grid point that no other trial (running ones included) has taken; when
    all are taken the study's ``optimize`` stops. With ``seed`` the points come in a shuffled,
    reproducible order, otherwise in lexicographic order. A trial with values fixed in advance
    (``enqueue_trial``, a retried trial) takes the point of those values, so that point is not
    tried again; with only some values fixed, the first free point that agrees with them.

    >>> import tunelab
    >>> sampler = GridSampler({"x": [0, 1], "act": ["relu", "tanh"]})
    >>> study = tunelab.create_study(sampler=sampler)
    >>> study.optimize(lambda t: t.suggest_int("x", 0, 1) + len(t.suggest_categorical("act", ["relu", "tanh"])),
    ...                n_trials=10)
    >>> len(study.trials)
    4
    """

    def __init__(self, search_space: Mapping[str, Sequence[Any]], seed: int | None = None) -> None:
        if not isinstance(search_space, Mapping) or not search_space:
            raise invalid("search_space", search_space, "a non-empty mapping of parameter name to values",
                          where="GridSampler")
        space: dict[str, tuple[Any, ...]] = {}
        for name, values in search_space.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise wrong_type(f"search_space[{name!r}]", values, "a list of values", where="GridSampler")
            if len(values) == 0:
                raise invalid(f"search_space[{name!r}]", list(values), "a non-empty list", where="GridSampler")
            for v in values:
                if v is not None and not isinstance(v, (bool, int, float, str)):
                    raise wrong_type(f"search_space[{name!r}]", list(values),
                                     "a list of None, bool, int, float or str", where="GridSampler")
            space[name] = tuple(values)
        self.search_space = space
        self.seed = seed
        self._names = sorted(space)
        self._grid = list(itertools.product(*(space[n] for n in self._names)))
        self._index = {point: i for i, point in reversed(list(enumerate(self._grid)))}
        self._order = np.arange(len(self._grid))
        if seed is not None:
            np.random.default_rng(seed).shuffle(self._order)

    def __repr__(self) -> str:
        return f"GridSampler({self.search_space!r}, seed={self.seed!r})"

    @property
    def n_points(self) -> int:
        return len(self._grid)

    def _taken(self, study: Any) -> set[int]:
        return {i for t in study.get_trials() if (i := _point(t.system_attrs)) is not None}

    def before_trial(self, study: Any, trial: Any) -> None:
        if _point(trial.system_attrs) is not None:
            return
        fixed = trial.freeze().fixed_params
        taken = self._taken(study)
        free = [int(i) for i in self._order if int(i) not in taken]
        point = self._fixed_point(fixed)  # every value fixed: that point, even if taken (a retry repeats it)
        if point is None:
            agreeing = [i for i in free if all(fixed[n] == self._grid[i][k] for k, n in enumerate(self._names)
                                               if n in fixed)]
            if agreeing or free:
                point = (agreeing or free)[0]
            else:  # every point taken: repeat one, as a parallel worker may still ask
                point = int(self._order[trial.number % len(self._order)])
        trial.set_system_attr(GRID_ID_ATTR, point)
        if not set(free) - {point}:
            study.stop()

    def _fixed_point(self, fixed: dict[str, Any]) -> int | None:
        if not all(n in fixed for n in self._names):
            return None
        try:
            return self._index.get(tuple(fixed[n] for n in self._names))
        except TypeError:  # an unhashable value is no grid value
            return None

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        if name not in self.search_space:
            raise InvalidArgumentError(
                f"parameter {name!r} is not in the GridSampler's search space {self._names}: add it to the grid"
            )
        value = self._grid[_point(trial.system_attrs)][self._names.index(name)]
        if not distribution.contains(value):
            raise InvalidArgumentError(
                f"grid value {name}={value!r} is outside the distribution {distribution!r} the objective asked for"
            )
        return value

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        if len(self._taken(study)) >= len(self._grid):
            study.stop()


def _point(system_attrs: dict[str, Any]) -> int | None:
    """The grid point a trial took, if any (under the current or the legacy key)."""
    point = system_attrs.get(GRID_ID_ATTR, system_attrs.get(LEGACY_GRID_ID_ATTR))
    return point if isinstance(point, int) and not isinstance(point, bool) else None
