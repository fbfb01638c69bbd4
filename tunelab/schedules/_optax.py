"""optax's schedule functions, with optax's names and arguments, as Schedule values.

Each public function returns a frozen Schedule whose family is the optax function name, so its
repr reads like the optax call (``exponential_decay(init_value=0.1, ...)``) and its config
round-trips. Values match ``optax.schedules`` (checked against optax 0.2.8, evaluated with jax x64)
on integer step counts. Where optax silently turns bad input into a constant schedule (non-positive
``transition_steps``, zero ``decay_rate``, negative ``transition_begin``), tunelab raises
ScheduleError instead; ``transition_steps=0`` stays allowed for ``linear_schedule`` and
``polynomial_schedule`` (a constant ``init_value``, as in optax), since warmup-then-decay families
use it for "no warmup".

>>> s = exponential_decay(init_value=1.0, transition_steps=10, decay_rate=0.5, staircase=True)
>>> s
exponential_decay(init_value=1.0, transition_steps=10, decay_rate=0.5, transition_begin=0, \
staircase=True, end_value=None)
>>> s(25)
0.25
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import InstanceOf, Options, check
from tunelab._errors import invalid
from tunelab.schedules import _kernel as k
from tunelab.schedules._base import (
    FLAG,
    NON_NEGATIVE,
    NUMBER,
    POSITIVE,
    POSITIVE_STEPS,
    STEPS,
    Schedule,
    ScheduleError,
    family_args,
)

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "exponential_decay",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
]

_frozen = dataclasses.dataclass(frozen=True, repr=False)


def _ramp(t: np.ndarray, init: float, end: float, power: float, steps: int, begin: int) -> np.ndarray:
    """optax's polynomial ramp: init until ``begin``, then to ``end`` over ``steps`` (0: constant)."""
    if steps == 0:
        return np.full_like(t, init)
    return k.polynomial(np.maximum(t - begin, 0.0), init, end, steps, power)


@family_args({"value": NUMBER})
@_frozen
class _Constant(Schedule):
    family = "constant_schedule"
    value: float

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return np.full_like(steps, self.value)


def constant_schedule(value: float) -> Schedule:
    """``value`` at every step.

    >>> constant_schedule(0.1)(10**9)
    0.1
    """
    return _Constant(value)


_RAMP = {"init_value": NUMBER, "end_value": NUMBER, "transition_steps": STEPS, "transition_begin": STEPS}


@family_args({**_RAMP, "power": POSITIVE})
@_frozen
class _Polynomial(Schedule):
    family = "polynomial_schedule"
    init_value: float
    end_value: float
    power: float
    transition_steps: int
    transition_begin: int = 0

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return _ramp(steps, self.init_value, self.end_value, self.power, self.transition_steps,
                     self.transition_begin)


def polynomial_schedule(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """Polynomial ramp from ``init_value`` to ``end_value``.

    ``c = clip(t - transition_begin, 0, transition_steps)``;
    ``value(t) = (init_value - end_value) * (1 - c / transition_steps) ** power + end_value``.
    ``power > 0``; ``transition_steps >= 0`` (0: constant ``init_value``, as optax);
    ``transition_begin >= 0`` (optax silently replaces a negative one by 0; tunelab raises).

    >>> polynomial_schedule(1.0, 0.0, power=2, transition_steps=10)(5)
    0.25
    """
    return _Polynomial(init_value, end_value, power, transition_steps, transition_begin)


@family_args(_RAMP)
@_frozen
class _Linear(Schedule):
    family = "linear_schedule"
    init_value: float
    end_value: float
    transition_steps: int
    transition_begin: int = 0

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return _ramp(steps, self.init_value, self.end_value, 1.0, self.transition_steps,
                     self.transition_begin)


def linear_schedule(
    init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """Linear ramp: :func:`polynomial_schedule` with ``power=1``.

    >>> linear_schedule(0.0, 1.0, transition_steps=10, transition_begin=5)(10)
    0.5
    """
    return _Linear(init_value, end_value, transition_steps, transition_begin)


#: The arguments of optax's exponential decay (also the decay of the warmup-exponential family).
EXPONENTIAL = {"transition_steps": POSITIVE_STEPS, "decay_rate": POSITIVE, "transition_begin": STEPS,
               "staircase": FLAG, "end_value": (None, NUMBER)}


@family_args({"init_value": NUMBER, **EXPONENTIAL})
@_frozen
class _ExponentialDecay(Schedule):
    family = "exponential_decay"
    init_value: float
    transition_steps: int
    decay_rate: float
    transition_begin: int = 0
    staircase: bool = False
    end_value: float | None = None

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        elapsed = np.maximum(steps - self.transition_begin, 0.0)
        value = k.exponential(elapsed, self.init_value, self.decay_rate, self.transition_steps,
                              staircase=self.staircase)
        if self.end_value is None:
            return value
        clip = np.maximum if self.decay_rate < 1.0 else np.minimum
        return clip(value, self.end_value)


def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """Exponential decay after ``transition_begin``, optionally clipped at ``end_value``.

    ``p = (t - transition_begin) / transition_steps`` (floored, exactly, when ``staircase``);
    ``value(t) = init_value`` for ``t <= transition_begin``, else ``init_value * decay_rate ** p``,
    then clipped below at ``end_value`` if ``decay_rate < 1`` (above if ``decay_rate >= 1``).
    ``transition_steps > 0`` and ``decay_rate > 0`` (optax turns 0 or less into a constant
    schedule; tunelab raises).

    >>> exponential_decay(1.0, transition_steps=10, decay_rate=0.5, transition_begin=10)(30)
    0.25
    """
    return _ExponentialDecay(init_value, transition_steps, decay_rate, transition_begin, staircase, end_value)


@family_args({"init_value": NUMBER, "decay_steps": POSITIVE_STEPS, "alpha": NUMBER, "exponent": POSITIVE})
@_frozen
class _CosineDecay(Schedule):
    family = "cosine_decay_schedule"
    init_value: float
    decay_steps: int
    alpha: float = 0.0
    exponent: float = 1.0

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        c = k.half_cosine(np.minimum(steps, self.decay_steps) / self.decay_steps)
        return self.init_value * ((1 - self.alpha) * c**self.exponent + self.alpha)


def cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    """Cosine decay from ``init_value`` to ``alpha * init_value`` over ``decay_steps``, then held.

    ``c = 0.5 * (1 + cos(pi * min(t, decay_steps) / decay_steps))``;
    ``value(t) = init_value * ((1 - alpha) * c ** exponent + alpha)``. ``decay_steps > 0``,
    ``exponent > 0``.

    >>> round(cosine_decay_schedule(1.0, decay_steps=100, alpha=0.1)(50), 12)
    0.55
    """
    return _CosineDecay(init_value, decay_steps, alpha, exponent)


def _scales(family: str, value: Any) -> tuple[tuple[int, float], ...]:
    """Normalise ``{step: scale}`` (keys may be digit strings, as in a JSON config) to sorted pairs."""
    if value is None:
        return ()
    pairs = []
    for step, scale in value.items():
        if isinstance(step, str):  # JSON keys
            with contextlib.suppress(ValueError):
                step = int(step)
        step = check("boundaries_and_scales key", step, STEPS, where=family, error=ScheduleError)
        check(f"boundaries_and_scales[{step!r}]", scale, NON_NEGATIVE, where=family, error=ScheduleError)
        pairs.append((step, scale))
    pairs.sort()
    if len({b for b, _ in pairs}) != len(pairs):
        raise invalid("boundaries_and_scales", value, "free of repeated steps", where=family, error=ScheduleError)
    return tuple(pairs)


_SCALES = (None, InstanceOf(Mapping, "a dict {step: scale}"))


@family_args({"init_value": NUMBER, "boundaries_and_scales": _SCALES})
@_frozen
class _PiecewiseConstant(Schedule):
    family = "piecewise_constant_schedule"
    init_value: float
    boundaries_and_scales: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "boundaries_and_scales", _scales(self.family, self.boundaries_and_scales))

    def _arguments(self) -> dict[str, Any]:
        return {"init_value": self.init_value, "boundaries_and_scales": dict(self.boundaries_and_scales)}

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        bounds = [b for b, _ in self.boundaries_and_scales]
        values = np.cumprod([self.init_value, *(s for _, s in self.boundaries_and_scales)])
        return k.piecewise_constant(steps, bounds, values, right_inclusive=False)


def piecewise_constant_schedule(
    init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """``init_value`` times the product of every scale whose boundary step ``b <= t``.

    The value changes *at* a boundary step (Keras ``PiecewiseConstantDecay`` changes one step
    later). Scales are non-negative; boundaries are integer steps ``>= 0``.

    >>> s = piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.5})
    >>> s(99), s(100), round(s(200), 12)
    (1.0, 0.1, 0.05)
    """
    return _PiecewiseConstant(init_value, boundaries_and_scales)


def _interpolate(t: np.ndarray, kind: str, init: float, pairs: Sequence[tuple[int, float]]) -> np.ndarray:
    """optax's piecewise interpolation between the cumulative values at ``(0, *boundaries)``."""
    bounds = np.array([0, *(b for b, _ in pairs)], dtype=np.float64)
    values = np.cumprod([init, *(s for _, s in pairs)])
    i = np.searchsorted(bounds, t, side="right") - 1
    last = i >= len(pairs)
    j = np.minimum(i, len(pairs) - 1)
    if not pairs:
        return np.full_like(t, init)
    start, end = values[j], values[j + 1]
    pct = (t - bounds[j]) / np.maximum(bounds[j + 1] - bounds[j], 1.0)
    if kind == "linear":
        inner = (end - start) * pct + start
    else:
        inner = end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return np.where(last, values[-1], inner)


@family_args({"interpolate_type": Options("linear", "cosine"), "init_value": NUMBER, "boundaries_and_scales": _SCALES})
@_frozen
class _PiecewiseInterpolate(Schedule):
    family = "piecewise_interpolate_schedule"
    interpolate_type: str
    init_value: float
    boundaries_and_scales: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "boundaries_and_scales", _scales(self.family, self.boundaries_and_scales))

    def _arguments(self) -> dict[str, Any]:
        return {**super()._arguments(), "boundaries_and_scales": dict(self.boundaries_and_scales)}

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return _interpolate(steps, self.interpolate_type, self.init_value, self.boundaries_and_scales)


def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """Interpolate (``"linear"`` or ``"cosine"``) between cumulative values at the boundaries.

    With sorted boundaries ``b_1 < ... < b_n``, ``b_0 = 0`` and ``v_i = init_value * s_1 * ... * s_i``:
    on ``[b_i, b_{i+1})``, ``pct = (t - b_i) / max(b_{i+1} - b_i, 1)`` and the value goes from
    ``v_i`` to ``v_{i+1}``: linear ``v_i + (v_{i+1} - v_i) * pct``, cosine
    ``v_{i+1} + (v_i - v_{i+1}) * (1 + cos(pi * pct)) / 2``; ``v_n`` from ``b_n`` on.

    >>> s = piecewise_interpolate_schedule("linear", 1.0, {10: 0.5})
    >>> s(0), s(5), s(10), s(99)
    (1.0, 0.75, 0.5, 0.5)
    """
    return _PiecewiseInterpolate(interpolate_type, init_value, boundaries_and_scales)
