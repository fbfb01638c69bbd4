"""Exhaustive search over a finite define-by-run space, conditional branches included."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from tunelab._constraints import Bool, constrained
from tunelab._errors import InvalidArgumentError
from tunelab._records import TrialState
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._locked import Locked
from tunelab.samplers._unit import internal_bounds
from tunelab.space import BaseDistribution, CategoricalDistribution, FloatDistribution

#: A trial's choices: parameter name -> (distribution, index of the value among the distribution's values).
Path = dict[str, tuple[BaseDistribution, int | None]]
#: Above this many values of one parameter, an untried value is found by random draws, not by listing.
_LIST_UP_TO = 10_000


@dataclasses.dataclass
class _Known:
    """One other trial as the search sees it: what it chose, and whether it finished."""

    path: Path
    finished: bool


@constrained({"seed": SEED, "avoid_premature_stop": Bool()})
class BruteForceSampler(Locked, Sampler):
    """Try every combination of a finite search space once, then stop the study.

    The space is whatever the objective asks, define-by-run: categorical parameters, integers and
    floats with ``step`` (a float range without ``step`` is infinite and is refused, naming the
    parameter), with conditional branches. Each value a trial asks for is drawn at random among the
    values whose branch is not exhausted yet: not every combination below it was tried (by finished
    trials, or by running ones while others remain). When a trial ends and every combination has
    been tried, the sampler calls ``study.stop()``; a trial asked after that repeats a combination.
    With ``seed`` the order is reproducible.

    A branch counts as tried when a trial that took it finished in any state (FAIL included). With
    ``avoid_premature_stop=False`` (the default, as in Optuna) running trials count too when
    deciding to stop, so with parallel workers the study may stop while the last trials run (and
    a combination whose trial then fails is not tried again); ``True`` stops only once finished
    trials cover every combination, at the risk of a few repeated combinations.

    The objective must ask the same parameters, with the same distributions, for the same earlier
    choices (the order of its parameters is read from what the trials hold, not stored).

    >>> import tunelab
    >>> def objective(trial):
    ...     act = trial.suggest_categorical("act", ["relu", "tanh"])
    ...     if act == "relu":
    ...         return trial.suggest_float("slope", 0.0, 0.2, step=0.1)
    ...     return trial.suggest_int("layers", 1, 3)
    >>> study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    >>> study.optimize(objective, n_trials=100)
    >>> len(study.trials)   # 3 slopes + 3 layer counts: then the study stopped
    6
    """

    def __init__(self, seed: int | None = None, *, avoid_premature_stop: bool = False) -> None:
        self.seed = seed
        self.avoid_premature_stop = avoid_premature_stop
        self._rng = np.random.default_rng(seed)
        self._paths: dict[int, Path] = {}  # finished trials, by number (they never change)
        self._proposed: dict[int, Path] = {}  # running trials of this process: what they were given
        Locked.__init__(self)

    def __repr__(self) -> str:
        return f"BruteForceSampler(seed={self.seed!r}, avoid_premature_stop={self.avoid_premature_stop!r})"

    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        n = _count(distribution)
        if n is None:
            raise InvalidArgumentError(
                f"BruteForceSampler needs a finite search space: parameter {name!r} is {distribution!r}; "
                "give the float range a step (suggest_float(..., step=...)) or use another sampler")
        with self._lock:
            prefix: Path = {p: (d, _index(d, trial.params[p])) for p, d in trial.distributions.items()}
            others = [k for number, k in self._known_by_number(study).items()
                      if number != trial.number and _agrees(k.path, prefix)]
            by_index: dict[int, list[_Known]] = {}
            for k in others:
                held = k.path.get(name)
                if held is not None and held[0] == distribution and held[1] is not None:
                    by_index.setdefault(held[1], []).append(k)
            index = self._choose(n, name, distribution, prefix, by_index)
            self._proposed.setdefault(trial.number, {})[name] = (distribution, index)
            return _value(distribution, index)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        with self._lock:
            self._proposed.pop(trial.number, None)
            known = list(self._known_by_number(study).values())
            if _exhausted({}, known, count_running=not self.avoid_premature_stop):
                study.stop()

    # -- internals ------------------------------------------------------------------------------------------
    def _choose(self, n: int, name: str, d: BaseDistribution, prefix: Path, by_index: dict[int, list[_Known]]) -> int:
        """A random index among the values whose branch is untried (counting running trials), else
        among those untried by finished trials, else any."""
        free = [k for k, held in sorted(by_index.items())
                if not _exhausted({**prefix, name: (d, k)}, held, count_running=True)]
        n_untouched = n - len(by_index)
        if free or n_untouched:
            pick = int(self._rng.integers(len(free) + n_untouched))
            return free[pick] if pick < len(free) else self._untouched(n, by_index)
        open_ = [k for k, held in sorted(by_index.items())
                 if not _exhausted({**prefix, name: (d, k)}, held, count_running=False)]
        pool = open_ or list(range(n))
        return pool[int(self._rng.integers(len(pool)))]

    def _untouched(self, n: int, by_index: dict[int, list[_Known]]) -> int:
        """A random index that no other trial holds."""
        if n <= _LIST_UP_TO:
            pool = [k for k in range(n) if k not in by_index]
            return pool[int(self._rng.integers(len(pool)))]
        while True:
            k = int(self._rng.integers(n))
            if k not in by_index:
                return k

    def _known_by_number(self, study: Any) -> dict[int, _Known]:
        """Every trial but the waiting ones, as paths (finished ones read once)."""
        out = {}
        for t in study.get_trials():
            if t.state == TrialState.WAITING:
                continue
            if t.state.is_finished():
                path = self._paths.get(t.number)
                if path is None:
                    path = self._paths[t.number] = _path(t)
                out[t.number] = _Known(path, True)
            else:
                out[t.number] = _Known({**_path(t), **self._proposed.get(t.number, {})}, False)
        return out


def _count(d: BaseDistribution) -> int | None:
    """How many values ``d`` has (None: infinitely many)."""
    if isinstance(d, CategoricalDistribution):
        return len(d.choices)
    if d.single():
        return 1
    if isinstance(d, FloatDistribution) and d.step is None:
        return None
    low, high = internal_bounds(d)
    return int(round((high - low) / d.step)) + 1


def _index(d: BaseDistribution, value: Any) -> int | None:
    """The index of ``value`` among the values of ``d`` (None for a continuous range)."""
    if isinstance(d, CategoricalDistribution):
        return int(d.to_internal(value))
    if d.single():
        return 0
    if isinstance(d, FloatDistribution) and d.step is None:
        return None
    low, _ = internal_bounds(d)
    return int(round((d.to_internal(value) - low) / d.step))


def _value(d: BaseDistribution, k: int) -> Any:
    """The ``k``-th value of ``d`` (external)."""
    if isinstance(d, CategoricalDistribution):
        return d.choices[k]
    if d.single():
        return d.low
    low, high = internal_bounds(d)
    return d.to_external(min(low + k * d.step, high))


def _path(trial: Any) -> Path:
    return {name: (d, _index(d, trial.params[name])) for name, d in trial.distributions.items()}


def _agrees(path: Path, prefix: Path) -> bool:
    """Whether ``path`` took every choice of ``prefix`` (same distribution, same value)."""
    return all(path.get(name) == choice for name, choice in prefix.items())


def _exhausted(prefix: Path, known: list[_Known], *, count_running: bool) -> bool:
    """Whether every combination extending ``prefix`` was tried by ``known`` (the trials taking ``prefix``).

    No order of the parameters is stored, so the next parameter below ``prefix`` is taken to be one
    that every finished trial extending it holds with one distribution (the first by name); for an
    objective that asks the same parameters for the same earlier choices, any such parameter splits
    the combinations below ``prefix`` into its values, so the answer does not depend on which.
    """
    finished = [k for k in known if k.finished and len(k.path) > len(prefix)]
    if any(k.finished and len(k.path) == len(prefix) for k in known):
        return True  # a trial ended here: nothing more is asked below this choice
    if not finished:  # only running trials got here: they cover it, if they count
        return count_running and any(not k.finished for k in known)
    common = set.intersection(*(set(k.path) - set(prefix) for k in finished))
    names = sorted(n for n in common if len({k.path[n][0] for k in finished}) == 1
                   and all(k.path[n][1] is not None for k in finished))
    if not names:
        return False  # the trials disagree on what comes next (a changed space): keep searching
    name = names[0]
    d = finished[0].path[name][0]
    groups: dict[int, list[_Known]] = {}
    for k in known:
        held = k.path.get(name)
        if held is not None and held[0] == d:
            groups.setdefault(held[1], []).append(k)
    n = _count(d)
    if n is None or len(groups) < n:
        return False
    return all(_exhausted({**prefix, name: (d, i)}, groups[i], count_running=count_running) for i in range(n))
