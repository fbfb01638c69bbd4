"""Keras families: the names and arguments of ``keras.optimizers.schedules``, as Schedule values.

Values match Keras 3 (checked against Keras 3.15 on TensorFlow, with ``floatx`` float64 and with
its default float32). Keras schedules accept any non-negative float step, so these families do
too (``integer_steps = False``). The Keras ``name`` argument is not kept: it only names a graph
scope. Differences from Keras, each on purpose:

* Staircase and cycle counts (``floor``/``ceil`` of ``step / decay_steps``) are exact, so steps up
  to ``2**53`` never land in the wrong stair.
* ``CosineDecayRestarts`` finds the restart index exactly; Keras takes the floor of a float
  ``log`` ratio, which at some exact restart steps lands one cycle too low (the value there is the
  cycle's minimum instead of its restarted maximum). ``t_mul < 1`` (shrinking cycles, undefined
  past a finite step) is refused.
* Arguments Keras silently accepts but ignores or turns into NaN are refused: non-positive
  ``decay_rate`` or ``power``, ``warmup_steps`` without ``warmup_target``, non-increasing
  ``boundaries``.

>>> s = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
>>> s(2500), s(2999.5)
(0.09216, 0.09216)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from tunelab._constraints import ListOf, Real
from tunelab._errors import invalid
from tunelab.schedules import _kernel as k
from tunelab.schedules._base import (
    FLAG,
    NON_NEGATIVE,
    NUMBER,
    POSITIVE,
    Schedule,
    ScheduleError,
    check_increasing,
    family_args,
)

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]

_frozen = dataclasses.dataclass(frozen=True, repr=False)


class _Keras(Schedule):
    """Shared by the Keras families: float steps allowed; not registered itself."""

    family = "_keras"
    integer_steps = False


@family_args({"initial_learning_rate": NUMBER, "decay_steps": POSITIVE, "decay_rate": POSITIVE, "staircase": FLAG})
@_frozen
class ExponentialDecay(_Keras):
    """``initial_learning_rate * decay_rate ** p`` with ``p = step / decay_steps``.

    ``p`` is floored (exactly) when ``staircase``. ``decay_steps > 0``, ``decay_rate > 0``.

    >>> ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)(15)
    0.3535533905932738
    """

    initial_learning_rate: float
    decay_steps: float
    decay_rate: float
    staircase: bool = False

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return k.exponential(steps, self.initial_learning_rate, self.decay_rate, self.decay_steps,
                             staircase=self.staircase)


@family_args({"boundaries": ListOf(NUMBER), "values": ListOf(NUMBER)})
@_frozen
class PiecewiseConstantDecay(_Keras):
    """``values[0]`` up to and *including* ``boundaries[0]``, ``values[i]`` on ``(b[i-1], b[i]]``.

    The value switches on the step just *after* a boundary (optax and PyTorch switch *at* it).
    ``len(values) == len(boundaries) + 1``; boundaries strictly increasing.

    >>> s = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> s(100), s(100.5), s(201)
    (1.0, 0.5, 0.1)
    """

    boundaries: Sequence[float]
    values: Sequence[float]

    def __post_init__(self) -> None:
        if len(self.values) != len(self.boundaries) + 1:
            raise ScheduleError(
                f"values={list(self.values)!r} is invalid for {self.family}: must hold "
                f"len(boundaries) + 1 = {len(self.boundaries) + 1} values, got {len(self.values)}"
            )
        check_increasing(self.family, "boundaries", self.boundaries)

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return k.piecewise_constant(steps, self.boundaries, self.values, right_inclusive=True)


@family_args({"initial_learning_rate": NUMBER, "decay_steps": POSITIVE, "end_learning_rate": NUMBER,
              "power": POSITIVE, "cycle": FLAG})
@_frozen
class PolynomialDecay(_Keras):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, ``step`` clipped at ``decay_steps``.

    With ``cycle=True`` the step is not clipped; instead the horizon becomes
    ``decay_steps * ceil(step / decay_steps)`` (``decay_steps`` at step 0), so the value reaches
    ``end_learning_rate`` at each multiple of ``decay_steps`` and jumps back up just after it.
    ``decay_steps > 0``, ``power > 0``.

    >>> s = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    >>> s(5), s(10), s(15)
    (0.5, 0.0, 0.25)
    """

    initial_learning_rate: float
    decay_steps: float
    end_learning_rate: float = 0.0001
    power: float = 1.0
    cycle: bool = False

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        horizon = self.decay_steps
        if self.cycle:
            horizon = self.decay_steps * np.maximum(k.ceil_div(steps, self.decay_steps), 1.0)
        return k.polynomial(steps, self.initial_learning_rate, self.end_learning_rate, horizon, self.power)


@family_args({"initial_learning_rate": NUMBER, "decay_steps": POSITIVE, "decay_rate": NON_NEGATIVE,
              "staircase": FLAG})
@_frozen
class InverseTimeDecay(_Keras):
    """``initial_learning_rate / (1 + decay_rate * p)`` with ``p = step / decay_steps``.

    ``p`` is floored (exactly) when ``staircase``. ``decay_steps > 0``, ``decay_rate >= 0``.

    >>> InverseTimeDecay(1.0, decay_steps=10, decay_rate=0.5, staircase=True)(25)
    0.5
    """

    initial_learning_rate: float
    decay_steps: float
    decay_rate: float
    staircase: bool = False

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        p = k.progress(steps, self.decay_steps, staircase=self.staircase)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


@family_args({"initial_learning_rate": NUMBER, "decay_steps": POSITIVE, "alpha": NUMBER,
              "warmup_target": (None, NUMBER), "warmup_steps": NON_NEGATIVE})
@_frozen
class CosineDecay(_Keras):
    """Cosine decay to ``alpha * start`` over ``decay_steps``, after an optional linear warmup.

    Without ``warmup_target``: ``start = initial_learning_rate`` and
    ``value = start * ((1 - alpha) * c(min(step, decay_steps)) + alpha)`` with
    ``c(s) = 0.5 * (1 + cos(pi * s / decay_steps))``.

    With ``warmup_target``: first ``initial + (warmup_target - initial) * step / warmup_steps`` for
    ``step < warmup_steps``, then the decay above from ``start = warmup_target`` at
    ``step - warmup_steps``: ``decay_steps`` counts *after* the warmup (optax's
    ``warmup_cosine_decay_schedule`` counts it in). ``warmup_steps`` without ``warmup_target`` is
    refused (Keras ignores it). ``decay_steps > 0``, ``warmup_steps >= 0``.

    >>> s = CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    >>> s(5), s(10), round(s(60), 12), s(110)
    (0.5, 1.0, 0.5, 0.0)
    """

    initial_learning_rate: float
    decay_steps: float
    alpha: float = 0.0
    _: dataclasses.KW_ONLY
    warmup_target: float | None = None
    warmup_steps: float = 0

    def __post_init__(self) -> None:
        if self.warmup_target is None and self.warmup_steps:
            raise invalid("warmup_steps", self.warmup_steps, "0 when warmup_target is None (Keras would silently "
                          "skip the warmup)", where=self.family, error=ScheduleError)

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        start, ws = self.initial_learning_rate, self.warmup_steps
        if self.warmup_target is not None:
            start = self.warmup_target
        t = np.minimum(steps, self.decay_steps + ws)
        decayed = start * ((1 - self.alpha) * k.half_cosine((t - ws) / self.decay_steps) + self.alpha)
        if not ws:
            return decayed
        warming = (start - self.initial_learning_rate) * (t / ws) + self.initial_learning_rate
        return np.where(t < ws, warming, decayed)


@family_args({"initial_learning_rate": NUMBER, "first_decay_steps": POSITIVE, "t_mul": Real(min=1),
              "m_mul": NON_NEGATIVE, "alpha": NUMBER})
@_frozen
class CosineDecayRestarts(_Keras):
    """Cosine decay with warm restarts (SGDR): cycle ``i`` lasts ``first_decay_steps * t_mul ** i``.

    With ``S(i) = first_decay_steps * (t_mul ** i - 1) / (t_mul - 1)`` (``first_decay_steps * i``
    when ``t_mul == 1``) the start of cycle ``i``, ``i`` is the largest index with
    ``S(i) <= step`` and ``f = (step - S(i)) / (first_decay_steps * t_mul ** i)``:
    ``value = initial * ((1 - alpha) * m_mul ** i * 0.5 * (1 + cos(pi * f)) + alpha)``.
    ``alpha`` is not scaled by ``m_mul``.

    The restart index is exact; Keras computes it as ``floor(log(1 + f0 * (t_mul - 1)) /
    log(t_mul))`` in floating point, which at some exact restart steps lands one cycle low and
    returns the previous cycle's minimum instead of the restarted value. ``first_decay_steps > 0``,
    ``t_mul >= 1``, ``m_mul >= 0``.

    >>> s = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    >>> s(0), s(10), s(30), round(s(20), 12)
    (1.0, 0.5, 0.25, 0.25)
    """

    initial_learning_rate: float
    first_decay_steps: float
    t_mul: float = 2.0
    m_mul: float = 1.0
    alpha: float = 0.0

    def _cycle(self, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The exact restart index ``i`` and fraction ``f`` of cycle ``i`` done at ``steps``."""
        first, t_mul = self.first_decay_steps, self.t_mul
        if t_mul == 1.0:
            i = k.floor_div(steps, first)
            return i, (steps - i * first) / first

        def start(i: np.ndarray) -> np.ndarray:
            return first * ((t_mul**i - 1.0) / (t_mul - 1.0))

        i = np.floor(np.log1p(steps / first * (t_mul - 1.0)) / math.log(t_mul))
        i = np.where(start(i + 1) <= steps, i + 1, i)
        i = np.where(start(i) > steps, i - 1, i)
        return i, (steps - start(i)) / (first * t_mul**i)

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        i, fraction = self._cycle(steps)
        cosine = self.m_mul**i * k.half_cosine(fraction)
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)
