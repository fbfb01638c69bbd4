"""Random search: independent draws, log-uniform where asked, on the grid of ``step``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tunelab._constraints import constrained
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.space import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution


def draw(rng: np.random.Generator, distribution: BaseDistribution) -> Any:
    """One random external value from ``distribution`` (shared by every sampler's random start)."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[int(rng.integers(len(distribution.choices)))]
    low, high = distribution.low, distribution.high
    if isinstance(distribution, IntDistribution):
        if distribution.log:
            x = math.exp(rng.uniform(math.log(low - 0.5), math.log(high + 0.5)))
            return int(min(max(round(x), low), high))
        n = (high - low) // distribution.step
        return int(low + distribution.step * int(rng.integers(n + 1)))
    if isinstance(distribution, FloatDistribution):
        if distribution.step is not None:
            n = int(round((high - low) / distribution.step))
            return float(min(low + distribution.step * int(rng.integers(n + 1)), high))
        if distribution.log:
            return float(min(max(math.exp(rng.uniform(math.log(low), math.log(high))), low), high))
        return float(min(rng.uniform(low, high), high))
    raise TypeError(f"unknown distribution {distribution!r}")


@constrained({"seed": SEED})
class RandomSampler(Sampler):
    """Independent random draws; the same ``seed`` gives the same sequence.

    >>> import tunelab
    >>> study = tunelab.create_study(sampler=RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
    >>> len(study.trials)
    5
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self.seed!r})"

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        return draw(self._rng, distribution)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
