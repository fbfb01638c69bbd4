"""Explore: perturb or resample a copied member's hyperparameters (pure functions of a numpy generator).

For each explored parameter, with probability ``resample_probability`` a new value is drawn from
the parameter's distribution (uniform, or log-uniform for ``log=True``, on its grid when it has a
``step``); otherwise a number is multiplied by one of ``perturbation_factors`` (chosen uniformly)
and clipped into the distribution's range and grid, and a categorical value moves to a neighbouring
choice (one place left or right, kept at the ends). These are Ray Tune's PBT rules
(``resample_probability``, ``perturbation_factors``); the result is always a value the
distribution contains, so the next interval's trial accepts it.

>>> import numpy as np
>>> from tunelab.space import FloatDistribution
>>> d = {"lr": FloatDistribution(1e-4, 1e-1, log=True)}
>>> params, how = explore({"lr": 0.01}, d, np.random.default_rng(0), names=["lr"],
...                       factors=(0.8, 1.2), resample_probability=0.0)
>>> how["lr"]["how"] in ("x0.8", "x1.2"), params["lr"] in (0.008, 0.012)
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from tunelab.space import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

__all__: list[str] = []


def explore(params: Mapping[str, Any], distributions: Mapping[str, BaseDistribution], rng: np.random.Generator,
            *, names: Iterable[str], factors: Sequence[float], resample_probability: float
            ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``(new params, {name: {"from": old, "to": new, "how": "x1.2" | "resample" | "shift-1" ...}})``.

    Parameters not in ``names`` (or without a distribution) are copied unchanged; ``params`` is not
    modified. Draws happen in the sorted order of ``names``, so a seeded generator gives the same
    result whatever order the caller listed them in.
    """
    out = dict(params)
    record: dict[str, dict[str, Any]] = {}
    for name in sorted(set(names)):
        if name not in params or name not in distributions:
            continue
        dist = distributions[name]
        old = params[name]
        if dist.single():
            continue
        if rng.random() < resample_probability:
            new, how = resample(dist, rng), "resample"
        elif isinstance(dist, CategoricalDistribution):
            new, how = _shift(dist, old, rng)
        else:
            factor = float(factors[int(rng.integers(len(factors)))])
            new, how = perturb(dist, old, factor), f"x{factor:g}"
        out[name] = new
        record[name] = {"from": old, "to": new, "how": how}
    return out, record


def resample(dist: BaseDistribution, rng: np.random.Generator) -> Any:
    """A fresh draw from ``dist`` (uniform; log-uniform when ``log``; on the grid when ``step``)."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(rng.integers(len(dist.choices)))]
    if isinstance(dist, (FloatDistribution, IntDistribution)):
        if dist.log:
            value = math.exp(rng.uniform(math.log(dist.low), math.log(dist.high)))
        else:
            value = rng.uniform(dist.low, dist.high)
        return _snap(dist, value)
    raise TypeError(f"cannot resample {dist!r}")  # every tunelab distribution is handled above


def perturb(dist: FloatDistribution | IntDistribution, value: float, factor: float) -> Any:
    """``value * factor`` clipped into ``dist`` (and onto its grid). An integer that the factor would
    leave in place moves one step in the factor's direction, so that perturbing an int can change it.

    >>> perturb(IntDistribution(1, 10), 3, 1.2)
    4
    >>> perturb(FloatDistribution(0.0, 1.0), 0.9, 1.2)
    1.0
    """
    new = _snap(dist, value * factor)
    if isinstance(dist, IntDistribution) and new == value and factor != 1.0:
        new = _snap(dist, value + (dist.step if factor > 1.0 else -dist.step))
    return new


def _snap(dist: FloatDistribution | IntDistribution, value: float) -> Any:
    value = min(max(float(value), dist.low), dist.high)
    if isinstance(dist, IntDistribution):
        k = round((value - dist.low) / dist.step)
        return int(min(dist.low + k * dist.step, dist.high))
    if dist.step is not None:
        k = round((value - dist.low) / dist.step)
        value = min(dist.low + k * dist.step, dist.high)
    return float(value)


def _shift(dist: CategoricalDistribution, value: Any, rng: np.random.Generator) -> tuple[Any, str]:
    index = next((i for i, c in enumerate(dist.choices) if type(c) is type(value) and c == value), 0)
    move = -1 if rng.random() < 0.5 else 1
    new_index = min(max(index + move, 0), len(dist.choices) - 1)
    return dist.choices[new_index], f"shift{move:+d}"
