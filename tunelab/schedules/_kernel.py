"""The kernel the named families are built from: vectorised float64 primitives and a validated join.

Every primitive takes ``t``, a float64 numpy array of validated non-negative steps (what
``Schedule._evaluate`` receives), and plain Python numbers for its parameters, and returns a
float64 array of the same shape. The named families (Keras, optax, transformers, PyTorch,
tunelab's own) are thin constructors over these, so each formula is written once.

Exactness: :func:`floor_div` and :func:`ceil_div` give the mathematical floor/ceiling of
``t / period`` (numpy's ``floor_divide`` works through ``fmod``, which is exact), so staircase and
cycle counts stay exact for integral steps up to ``2**53``, where ``floor(t / period)`` computed by
division can round up across an integer.

>>> import numpy as np
>>> t = np.array([0.0, 50.0, 100.0, 150.0])
>>> polynomial(t, 1.0, 0.0, 100.0).tolist()
[1.0, 0.5, 0.0, 0.0]
>>> piecewise_constant(t, (50, 100), (3.0, 2.0, 1.0), right_inclusive=True).tolist()
[3.0, 3.0, 2.0, 1.0]
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np

from tunelab._constraints import ListOf
from tunelab._errors import invalid
from tunelab.schedules._base import NON_NEGATIVE, SCHEDULE, Schedule, ScheduleError, check_increasing, family_args

__all__: list[str] = []  # private: the public families live in the framework modules

FloatArray = np.ndarray


def floor_div(t: FloatArray, period: float) -> FloatArray:
    """``floor(t / period)``, computed exactly (no rounding of the quotient before the floor).

    >>> floor_div(np.array([2.0**53 - 1]), 3.0).tolist() == [(2**53 - 1) // 3]
    True
    """
    return np.floor_divide(t, period)


def ceil_div(t: FloatArray, period: float) -> FloatArray:
    """``ceil(t / period)``, computed exactly.

    >>> ceil_div(np.array([0.0, 1.0, 10.0, 11.0]), 10.0).tolist()
    [0.0, 1.0, 1.0, 2.0]
    """
    return -np.floor_divide(-t, period)


def progress(t: FloatArray, period: float, *, staircase: bool = False) -> FloatArray:
    """``p = t / period``, or ``floor(t / period)`` (exact) when ``staircase``.

    >>> progress(np.array([0.0, 5.0, 10.0, 15.0]), 10.0, staircase=True).tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    return floor_div(t, period) if staircase else t / period


def polynomial(t: FloatArray, start: float, end: float, horizon: float, power: float = 1.0) -> FloatArray:
    """Polynomial decay from ``start`` to ``end`` over ``horizon`` steps, then held at ``end``.

    ``value(t) = (start - end) * (1 - min(t, horizon) / horizon) ** power + end``; ``horizon > 0``.
    ``power = 1`` is a linear ramp (also upwards when ``end > start``).

    >>> polynomial(np.array([0.0, 25.0, 50.0, 99.0]), 1.0, 0.0, 50.0, power=2.0).tolist()
    [1.0, 0.25, 0.0, 0.0]
    """
    fraction = np.minimum(t, horizon) / horizon
    return (start - end) * (1.0 - fraction) ** power + end


def exponential(
    t: FloatArray, start: float, rate: float, period: float, *, staircase: bool = False
) -> FloatArray:
    """Exponential decay: ``value(t) = start * rate ** p`` with ``p`` from :func:`progress`.

    ``rate > 0``; ``rate < 1`` decays, ``rate > 1`` grows. Not clipped: callers clip if their
    framework does.

    >>> exponential(np.array([0.0, 10.0, 15.0]), 1.0, 0.5, 10.0, staircase=True).tolist()
    [1.0, 0.5, 0.5]
    """
    with np.errstate(over="ignore"):  # a growing rate may overflow to inf, as in the frameworks
        return start * rate ** progress(t, period, staircase=staircase)


def half_cosine(fraction: FloatArray) -> FloatArray:
    """``0.5 * (1 + cos(pi * fraction))``: 1 at fraction 0, 0 at fraction 1, periodic beyond.

    >>> half_cosine(np.array([0.0, 0.5, 1.0, 2.0])).round(12).tolist()
    [1.0, 0.5, 0.0, 1.0]
    """
    return 0.5 * (1.0 + np.cos(math.pi * fraction))


def cosine(
    t: FloatArray, start: float, end: float, horizon: float, *, exponent: float = 1.0
) -> FloatArray:
    """Cosine decay from ``start`` to ``end`` over ``horizon`` steps, then held at ``end``.

    ``value(t) = end + (start - end) * half_cosine(min(t, horizon) / horizon) ** exponent``;
    ``horizon > 0``.

    >>> cosine(np.array([0.0, 50.0, 100.0, 200.0]), 1.0, 0.0, 100.0).round(12).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    return end + (start - end) * half_cosine(np.minimum(t, horizon) / horizon) ** exponent


#: The ramp shapes :func:`shape` knows.
SHAPES = ("linear", "cosine", "1-sqrt")


def shape(kind: str, p: FloatArray, *, rising: bool) -> FloatArray:
    """A ramp over ``p`` in ``[0, 1]``: falling from 1 to 0, or rising from 0 to 1.

    Falling: linear ``1 - p``, cosine ``0.5 * (1 + cos(pi * p))``, 1-sqrt ``1 - sqrt(p)``.
    Rising: linear ``p``, cosine ``0.5 * (1 - cos(pi * p))``, 1-sqrt ``1 - sqrt(1 - p)``
    (each the falling shape mirrored, ``fall(1 - p)``, written so that it stays exact at the ends).

    >>> shape("1-sqrt", np.array([0.0, 0.25, 1.0]), rising=False).tolist()
    [1.0, 0.5, 0.0]
    >>> shape("cosine", np.array([0.0, 0.5, 1.0]), rising=True).round(12).tolist()
    [0.0, 0.5, 1.0]
    """
    if kind == "linear":
        return p if rising else 1.0 - p
    if kind == "cosine":
        return 0.5 * (1.0 - np.cos(math.pi * p)) if rising else half_cosine(p)
    if kind == "1-sqrt":
        return 1.0 - np.sqrt(1.0 - p) if rising else 1.0 - np.sqrt(p)
    raise invalid("shape", kind, f"one of {list(SHAPES)}", error=ScheduleError)


def linear_interp(t: FloatArray, xs: Sequence[float], ys: Sequence[float]) -> FloatArray:
    """Piecewise-linear through the points ``(xs[i], ys[i])``, constant outside ``[xs[0], xs[-1]]``.

    ``xs`` must be increasing.

    >>> linear_interp(np.array([0.0, 5.0, 10.0, 20.0]), (0, 10), (0.0, 1.0)).tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    return np.interp(t, np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))


def piecewise_constant(
    t: FloatArray, boundaries: Sequence[float], values: Sequence[float], *, right_inclusive: bool
) -> FloatArray:
    """``values[i]`` on the i-th interval between sorted ``boundaries``; ``len(values) == len(boundaries)+1``.

    ``right_inclusive=True`` (Keras ``PiecewiseConstantDecay``): intervals are ``(b[i-1], b[i]]``,
    so the value changes just *after* a boundary. ``right_inclusive=False`` (optax, PyTorch
    ``MultiStepLR``): intervals are ``[b[i-1], b[i])``, so the value changes *at* the boundary.

    >>> t = np.array([9.0, 10.0, 11.0])
    >>> piecewise_constant(t, (10,), (1.0, 2.0), right_inclusive=True).tolist()
    [1.0, 1.0, 2.0]
    >>> piecewise_constant(t, (10,), (1.0, 2.0), right_inclusive=False).tolist()
    [1.0, 2.0, 2.0]
    """
    index = np.searchsorted(
        np.asarray(boundaries, dtype=np.float64), t, side="left" if right_inclusive else "right"
    )
    return np.asarray(values, dtype=np.float64)[index]


@family_args({"schedules": ListOf(SCHEDULE, min_len=1), "boundaries": ListOf(NON_NEGATIVE)})
@dataclasses.dataclass(frozen=True, repr=False)
class Join(Schedule):
    """Schedules joined at boundaries, each restarted from step 0 at its boundary (optax semantics).

    ``value(t) = schedules[i](t - boundaries[i-1])`` for ``boundaries[i-1] <= t < boundaries[i]``
    (with ``boundaries[-1] = 0`` before the first boundary and ``+inf`` after the last): at a
    boundary step the *next* schedule takes over, evaluated at its own step 0.

    Registered under optax's name ``join_schedules`` because it is exactly optax's
    ``join_schedules(schedules, boundaries)``, with validation optax does not do:
    ``len(schedules) == len(boundaries) + 1``, boundaries non-negative and strictly increasing, and
    integral when any piece counts whole steps (then so does the join).

    Args:
        schedules: the pieces, :class:`Schedule` values (a list is stored as a tuple).
        boundaries: the steps where each next piece starts.

    >>> from tunelab.schedules import constant_schedule, linear_schedule
    >>> s = Join([linear_schedule(0.0, 1.0, 10), constant_schedule(0.5)], [10])
    >>> s(5), s(10), s(1000)
    (0.5, 0.5, 0.5)
    >>> s(9)
    0.9
    """

    family = "join_schedules"

    schedules: Sequence[Schedule]
    boundaries: Sequence[float]

    def __post_init__(self) -> None:
        family = self.family
        if len(self.schedules) != len(self.boundaries) + 1:
            raise ScheduleError(
                f"boundaries={list(self.boundaries)!r} is invalid for {family}: must hold "
                f"len(schedules) - 1 = {len(self.schedules) - 1} steps, got {len(self.boundaries)}"
            )
        for i, b in enumerate(self.boundaries):
            if self.integer_steps and not float(b).is_integer():
                raise invalid(f"boundaries[{i}]", b, "an integer (a piece counts whole steps)", where=family,
                              error=ScheduleError)
        check_increasing(family, "boundaries", self.boundaries)

    @property
    def integer_steps(self) -> bool:  # type: ignore[override]
        """True when any piece counts whole steps."""
        return any(piece.integer_steps for piece in self.schedules)

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        starts = (0, *self.boundaries)
        which = np.searchsorted(np.asarray(self.boundaries, dtype=np.float64), steps, side="right")
        out = np.empty_like(steps)
        for i, piece in enumerate(self.schedules):
            mask = which == i
            if mask.any():
                out[mask] = piece(steps[mask] - starts[i])
        return out


@dataclasses.dataclass(frozen=True, repr=False)
class Composite(Schedule):
    """Base for families defined as a combination of other schedules (a warmup joined to a decay ...).

    Subclasses validate their own arguments (so errors name *their* family and arguments) and
    implement :meth:`build`, which returns the equivalent schedule made of simpler pieces; the value
    is ``build()(step)``. Not registered itself (its family name starts with ``_``).
    """

    family = "_composite"

    def build(self) -> Schedule:
        """Return the equivalent schedule made of simpler pieces."""
        raise NotImplementedError

    @functools.cached_property
    def _built(self) -> Schedule:
        # The value is frozen, so its pieces are built (and validated) once, not on every call.
        return self.build()

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return self._built(steps)

