"""The unit-cube encoding that model-based samplers (GP, CMA-ES, QMC) search in, and search-space inference.

Numbers are mapped in the distribution's internal encoding (``d.to_internal``: the value itself,
or for integers beyond ``±2**53`` the offset from ``low``, which float64 holds exactly), never in
``float(value)``, and mapped back with ``d.to_external``. A numeric parameter maps to ``[0, 1]``:
linearly, or linearly in ``log`` for ``log=True``. A discrete one (int, or float with ``step``)
owns an equal-width cell per value, so that rounding the unit coordinate picks each value from an
interval of the same width. A categorical parameter is encoded as the index of its choice (the GP
kernel compares indices for equality only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from tunelab.space import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution


def internal_bounds(d: IntDistribution | FloatDistribution) -> tuple[float, float]:
    """``low`` and ``high`` in the internal encoding (exact: not ``float(d.low)`` beyond ``2**53``).

    >>> internal_bounds(IntDistribution(2**60, 2**60 + 10)), internal_bounds(IntDistribution(-3, 4))
    ((0.0, 10.0), (-3.0, 4.0))
    """
    return d.to_internal(d.low), d.to_internal(d.high)


def edges(d: BaseDistribution) -> tuple[float, float, bool]:
    """(lower, upper, log) edges of the parameter's interval in its internal encoding (its log for
    ``log=True``), widened by half a step at each end for discrete parameters.

    >>> edges(IntDistribution(1, 5)), edges(IntDistribution(2**60, 2**60 + 10, step=2))
    ((0.5, 5.5, False), (-1.0, 11.0, False))
    """
    if not isinstance(d, (IntDistribution, FloatDistribution)):
        raise TypeError(f"no numeric encoding for {d!r}")
    low, high = internal_bounds(d)
    if isinstance(d, IntDistribution) and d.log:
        return math.log(low - 0.5), math.log(high + 0.5), True
    if is_discrete(d):
        return low - d.step / 2, high + d.step / 2, False
    if d.log:
        return math.log(low), math.log(high), True
    return low, high, False


def to_unit(d: BaseDistribution, value: Any) -> float:
    """The unit coordinate of an external value (the choice index for categorical parameters).

    >>> to_unit(IntDistribution(0, 3), 0), to_unit(FloatDistribution(1.0, 100.0, log=True), 10.0)
    (0.125, 0.5)
    """
    if isinstance(d, CategoricalDistribution):
        return d.to_internal(value)
    lo, hi, log = edges(d)
    internal = d.to_internal(value)
    v = math.log(internal) if log else internal
    return min(max((v - lo) / (hi - lo), 0.0), 1.0) if hi > lo else 0.5


def from_unit(d: BaseDistribution, u: float) -> Any:
    """The external value at unit coordinate ``u`` (rounded onto the grid, clipped into the bounds).

    >>> from_unit(IntDistribution(0, 3), 0.99), from_unit(FloatDistribution(0.0, 1.0, step=0.5), 0.4)
    (3, 0.5)
    >>> from_unit(IntDistribution(2**60, 2**60 + 10), 0.99) - 2**60
    10
    """
    if isinstance(d, CategoricalDistribution):
        return d.choices[int(min(max(round(u), 0), len(d.choices) - 1))]
    lo, hi, log = edges(d)
    v = lo + min(max(float(u), 0.0), 1.0) * (hi - lo)
    if log:
        v = math.exp(v)
    low, high = internal_bounds(d)
    if isinstance(d, IntDistribution) and d.log:
        return d.to_external(min(max(round(v), low), high))
    if is_discrete(d):  # on the step grid counted from low, in the internal encoding
        k = round((v - low) / d.step)
        return d.to_external(min(max(low + k * d.step, low), high))
    return d.to_external(min(max(v, low), high))


#: Width, as a share of a continuous range (of its log for ``log=True``), of the band just inside a
#: bound where :func:`inside_bounds` moves a proposal that would land on the bound itself.
EDGE_BAND = 1e-3


def inside_bounds(d: BaseDistribution, u: float, rng: np.random.Generator) -> float:
    """Unit coordinate ``u`` of a proposal, moved off the bound of a continuous range.

    An optimiser working in the unit box (L-BFGS-B on an acquisition function, a clipped
    perturbation) stops exactly on its edge whenever the best point lies beyond it, so a
    continuous parameter would get ``low`` or ``high`` itself, which a random draw never gives
    (``suggest_float("dropout", 0, 1)`` returning exactly 0.0). Where ``u`` decodes to a bound of a
    continuous float range, it is redrawn uniformly in the band of width :data:`EDGE_BAND` just
    inside that bound: as close as the model asked for, never the bound. Discrete parameters
    (int, ``step``), whose bounds are ordinary values, and other coordinates are returned as given.

    >>> rng = np.random.default_rng(0)
    >>> d = FloatDistribution(0.0, 1.0)
    >>> u = inside_bounds(d, 0.0, rng)
    >>> 0.0 < from_unit(d, u) <= EDGE_BAND, inside_bounds(d, 0.25, rng), inside_bounds(IntDistribution(0, 3), 0.0, rng)
    (True, 0.25, 0.0)
    >>> 1.0 - EDGE_BAND <= from_unit(d, inside_bounds(d, 1.0, rng)) < 1.0
    True
    """
    if not isinstance(d, FloatDistribution) or d.step is not None or d.single():
        return u
    value = from_unit(d, u)
    if value != d.low and value != d.high:
        return u
    depth = EDGE_BAND * (1.0 - float(rng.random()))  # in (0, EDGE_BAND]
    return depth if u < 0.5 else 1.0 - depth


def snap_array(d: BaseDistribution, u: np.ndarray) -> np.ndarray:
    """Unit coordinates moved to the centre of their value's cell (discrete parameters only).

    >>> snap_array(IntDistribution(0, 3), np.array([0.01, 0.3, 0.99])).tolist()
    [0.125, 0.375, 0.875]
    """
    if not is_discrete(d):
        return u
    lo, hi, log = edges(d)
    if not log:
        n = round((hi - lo) / d.step)
        return (np.clip(np.floor(u * n), 0, n - 1) + 0.5) / n
    values = np.clip(np.round(np.exp(lo + np.clip(u, 0.0, 1.0) * (hi - lo))), *internal_bounds(d))
    return (np.log(values) - lo) / (hi - lo)


def is_discrete(d: BaseDistribution) -> bool:
    """Whether a numeric parameter takes values on a grid (int, or float with ``step``)."""
    return isinstance(d, IntDistribution) or (isinstance(d, FloatDistribution) and d.step is not None)


def consistent_space(trials: Iterable[Any], *, intersection: bool) -> dict[str, BaseDistribution]:
    """The parameters of ``trials`` that have one distribution throughout, sorted by name.

    ``intersection=True`` keeps those present in every trial; otherwise every parameter seen
    (the union). Single-valued distributions are left out: there is nothing to choose.

    >>> from types import SimpleNamespace as T
    >>> a = T(distributions={"x": FloatDistribution(0, 1), "y": IntDistribution(0, 3)})
    >>> b = T(distributions={"x": FloatDistribution(0, 1)})
    >>> sorted(consistent_space([a, b], intersection=True)), sorted(consistent_space([a, b], intersection=False))
    (['x'], ['x', 'y'])
    """
    seen: dict[str, BaseDistribution] = {}
    clashing: set[str] = set()
    common: set[str] | None = None
    for t in trials:
        names = set(t.distributions)
        common = names if common is None else common & names
        for name, d in t.distributions.items():
            if name in seen and seen[name] != d:
                clashing.add(name)
            seen.setdefault(name, d)
    keep = (common or set()) if intersection else set(seen)
    return {n: seen[n] for n in sorted(keep - clashing) if not seen[n].single()}


def encode(space: Mapping[str, BaseDistribution], params: Mapping[str, Any]) -> np.ndarray:
    """One row of unit coordinates; NaN where the parameter is absent (inactive) or foreign."""
    row = np.full(len(space), np.nan)
    for j, (name, d) in enumerate(space.items()):
        if name in params and d.contains(params[name]):
            row[j] = to_unit(d, params[name])
    return row
