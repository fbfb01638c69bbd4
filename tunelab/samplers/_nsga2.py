"""NSGA-II for multi-objective studies: elitist Pareto selection, crossover and mutation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import Function, Integral, Real, constrained
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._feasibility import Feasibility
from tunelab.samplers._locked import Locked
from tunelab.samplers._random import draw
from tunelab.samplers._ranking import minimised, order_best_first
from tunelab.samplers._tpe_parzen import Axis
from tunelab.space import BaseDistribution, CategoricalDistribution


@constrained({"seed": SEED, "population_size": Integral(min=2), "mutation_prob": (None, Real(0, 1)),
              "crossover_prob": Real(0, 1), "swapping_prob": Real(0, 1), "crossover_alpha": Real(min=0),
              "constraints_func": (None, Function())})
class NSGAIISampler(Locked, Sampler):
    """Non-dominated sorting genetic algorithm II, steady-state.

    The population is the ``population_size`` best COMPLETE trials (constraint-dominance first:
    feasible trials, then infeasible ones by total violation, from ``trial.set_constraint`` or
    ``constraints_func(frozen_trial)``, Optuna's argument, called once per trial ending COMPLETE
    or PRUNED and stored as its ``constraints``; then Pareto rank, then crowding distance); it is
    updated incrementally as trials finish, so each new trial is compared with the population. Each
    new trial picks two parents by binary tournament (with probability ``1 - crossover_prob``
    the same parent twice: a mutated copy); every parameter it asks for is taken from one parent
    (categorical: the second with probability ``swapping_prob``), or blended between both
    (numeric, BLX-alpha on the log scale where the parameter is, restricted to the range: never
    clipped onto a bound), and mutated to a random value with probability ``mutation_prob``
    (default ``1 / number of parameters``). ``crossover_prob`` and ``swapping_prob`` are
    Optuna's arguments (Optuna's defaults: 0.9 and 0.5; here 1.0 and 0.5).
    Parameters neither parent has are drawn at random, so conditional and changing spaces work.
    Until the population is full trials are random.

    >>> import tunelab
    >>> study = tunelab.create_study(directions=["minimize", "minimize"],
    ...                              sampler=NSGAIISampler(seed=0, population_size=10))
    >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)), n_trials=30)
    >>> len(study.best_trials) > 5
    True
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        population_size: int = 50,
        mutation_prob: float | None = None,
        crossover_prob: float = 1.0,
        swapping_prob: float = 0.5,
        crossover_alpha: float = 0.25,
        constraints_func: Callable[[Any], Sequence[float]] | None = None,
    ) -> None:
        self.seed = seed
        self.constraints_func = constraints_func
        self._feasibility = Feasibility(constraints_func, where="NSGAIISampler")
        self.population_size = population_size
        self.mutation_prob = mutation_prob
        self.crossover_prob = float(crossover_prob)
        self.swapping_prob = float(swapping_prob)
        self.crossover_alpha = float(crossover_alpha)
        self._rng = np.random.default_rng(seed)
        self._population: list[Any] = []
        self._seen: set[int] = set()
        self._parents: dict[int, tuple[Any, Any]] = {}
        Locked.__init__(self)

    def __repr__(self) -> str:
        return f"NSGAIISampler(seed={self.seed!r}, population_size={self.population_size})"

    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()

    def before_trial(self, study: Any, trial: Any) -> None:
        with self._lock:
            self._feasibility.begin(trial.number)
            self._update(study)
            if len(self._population) >= self.population_size:
                first = self._tournament()
                crossover = self.crossover_prob >= 1.0 or self._rng.random() < self.crossover_prob
                self._parents[trial.number] = (first, self._tournament() if crossover else first)

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        with self._lock:
            parents = self._parents.get(trial.number)
            if parents is None:
                return draw(self._rng, distribution)
            holders = [p for p in parents if p.distributions.get(name) == distribution]
            n_params = max(len(p.params) for p in parents) or 1
            mutation = self.mutation_prob if self.mutation_prob is not None else 1.0 / n_params
            if not holders or self._rng.random() < mutation:
                return draw(self._rng, distribution)
            if isinstance(distribution, CategoricalDistribution) or len(holders) == 1:
                second = len(holders) == 2 and self._rng.random() < self.swapping_prob
                return holders[1 if second else 0].params[name]
            axis = Axis.of(distribution)
            a, b = (axis.encode(distribution.to_internal(p.params[name])) for p in holders)
            return axis.decode(self._blend(a, b, axis.low, axis.high))

    def constraints_of(self, study: Any, trial: Any) -> Sequence[float] | None:
        with self._lock:
            return self._feasibility.of_ending(trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        with self._lock:
            self._parents.pop(trial.number, None)
            self._feasibility.record(trial, state)

    # -- internals ------------------------------------------------------------------------------------------
    def _update(self, study: Any) -> None:
        from tunelab.study import TrialState

        fresh = [t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.number not in self._seen]
        if not fresh:
            return
        self._seen.update(t.number for t in fresh)
        pool = self._population + fresh
        directions = study.directions
        order = order_best_first([minimised(t.values, directions) for t in pool], [self._feasibility.violation(t) for t in pool])
        self._population = [pool[i] for i in order[: self.population_size]]

    def _blend(self, a: float, b: float, low: float, high: float) -> float:
        """A BLX-alpha child of ``a`` and ``b``, drawn from the part of the blend interval inside [low, high].

        Clipping a draw that fell outside would put the bound itself in the population with the
        probability of the whole overshoot (a continuous parameter exactly on ``low`` in a few
        percent of trials); the draw is restricted to the part inside instead.
        """
        lo, hi = -self.crossover_alpha, 1.0 + self.crossover_alpha
        if b != a:
            ends = sorted(((low - a) / (b - a), (high - a) / (b - a)))
            lo, hi = max(lo, ends[0]), min(hi, ends[1])
        return min(max(a + self._rng.uniform(lo, hi) * (b - a), low), high)

    def _tournament(self) -> Any:
        i, j = self._rng.integers(len(self._population), size=2)
        return self._population[min(i, j)]  # the population is ordered best first
