"""transformers' scheduler factories, with ``base_lr`` in place of the optimizer, as Schedule values.

transformers builds each schedule as a ``torch.optim.lr_scheduler.LambdaLR`` whose multiplier
``lr_lambda(step)`` is applied to the optimizer's learning rate; after ``k`` calls of
``scheduler.step()`` the learning rate is ``base_lr * lr_lambda(k)``, which is what these return
at step ``k`` (checked against transformers 5.24 with torch 2.13). Every warmup is
``step / max(1, num_warmup_steps)``: 0 at step 0.

Differences from transformers, on purpose: inconsistent phase lengths (``num_training_steps <
num_warmup_steps``, a negative stable phase in WSD, both ``num_training_steps`` and
``num_stable_steps`` given but disagreeing) raise ScheduleError instead of giving a silently
truncated curve or a warning. The hard-restart position is an exact integer remainder when
``num_cycles`` is integral (transformers' float ``(num_cycles * progress) % 1.0`` agreed with it at
every restart checked).

>>> s = get_linear_schedule_with_warmup(1e-3, num_warmup_steps=10, num_training_steps=110)
>>> s(5), s(10), s(60), s(200)
(0.0005, 0.001, 0.0005, 0.0)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tunelab._constraints import Options
from tunelab._errors import invalid
from tunelab.schedules import _kernel as k
from tunelab.schedules._base import (
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    STEPS,
    Schedule,
    ScheduleError,
    family_args,
)

__all__ = [
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_wsd_schedule",
]

_frozen = dataclasses.dataclass(frozen=True, repr=False)


class _Lambda(Schedule):
    """Shared by the transformers families: ``base_lr * factor(step)`` after a linear warmup."""

    family = "_transformers"

    def _check_training(self, *, strict: bool = False) -> None:
        """Raise unless ``num_training_steps`` covers the warmup (and more, when ``strict``)."""
        n, w = self.num_training_steps, self.num_warmup_steps
        if n < w or (strict and n == w):
            raise invalid("num_training_steps", n, f"an integer {'>' if strict else '>='} {w}", where=self.family,
                          error=ScheduleError)

    def _factor(self, steps: np.ndarray) -> np.ndarray:
        """The multiplier from ``num_warmup_steps`` on (only read there)."""
        raise NotImplementedError

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        w = self.num_warmup_steps
        factor = self._factor(steps)
        if w:
            factor = np.where(steps < w, steps / max(1, w), factor)
        return self.base_lr * factor

    def _decay_progress(self, steps: np.ndarray) -> np.ndarray:
        w = self.num_warmup_steps
        return (steps - w) / max(1, self.num_training_steps - w)


_WARMUP = {"base_lr": POSITIVE, "num_warmup_steps": STEPS}
_TRAINING = {**_WARMUP, "num_training_steps": STEPS}


@family_args(_WARMUP)
@_frozen
class _ConstantWithWarmup(_Lambda):
    family = "get_constant_schedule_with_warmup"
    base_lr: float
    num_warmup_steps: int

    def _factor(self, steps: np.ndarray) -> np.ndarray:
        return np.ones_like(steps)


def get_constant_schedule_with_warmup(base_lr: float, num_warmup_steps: int) -> Schedule:
    """Linear warmup from 0, then ``base_lr``: ``base_lr * min(step / max(1, W), 1)``.

    >>> get_constant_schedule_with_warmup(0.1, num_warmup_steps=4)(1)
    0.025
    """
    return _ConstantWithWarmup(base_lr, num_warmup_steps)


@family_args(_TRAINING)
@_frozen
class _LinearWithWarmup(_Lambda):
    family = "get_linear_schedule_with_warmup"
    base_lr: float
    num_warmup_steps: int
    num_training_steps: int

    def __post_init__(self) -> None:
        self._check_training()

    def _factor(self, steps: np.ndarray) -> np.ndarray:
        w, n = self.num_warmup_steps, self.num_training_steps
        return np.maximum(0.0, (n - steps) / max(1, n - w))


def get_linear_schedule_with_warmup(base_lr: float, num_warmup_steps: int, num_training_steps: int) -> Schedule:
    """Warmup, then linear decay to 0 at ``N = num_training_steps`` and 0 after.

    ``factor = max(0, (N - step) / max(1, N - W))`` for ``step >= W``; ``N >= W``.

    >>> get_linear_schedule_with_warmup(1.0, 0, 10)(7)
    0.3
    """
    return _LinearWithWarmup(base_lr, num_warmup_steps, num_training_steps)


@family_args({**_TRAINING, "num_cycles": POSITIVE})
@_frozen
class _CosineWithWarmup(_Lambda):
    family = "get_cosine_schedule_with_warmup"
    base_lr: float
    num_warmup_steps: int
    num_training_steps: int
    num_cycles: float = 0.5

    def __post_init__(self) -> None:
        self._check_training()

    def _factor(self, steps: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, k.half_cosine(2.0 * self.num_cycles * self._decay_progress(steps)))


def get_cosine_schedule_with_warmup(
    base_lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5
) -> Schedule:
    """Warmup, then ``factor = max(0, 0.5 * (1 + cos(pi * 2 * num_cycles * progress)))``.

    ``progress = (step - W) / max(1, N - W)`` is *not* clipped: with the default half cycle the
    value reaches 0 at ``N = num_training_steps`` and then rises again (back to ``base_lr`` at
    ``2N - W``), as in transformers. ``N >= W``, ``num_cycles > 0``.

    >>> s = get_cosine_schedule_with_warmup(1.0, 0, 100)
    >>> round(s(50), 12), s(100), round(s(150), 12)
    (0.5, 0.0, 0.5)
    """
    return _CosineWithWarmup(base_lr, num_warmup_steps, num_training_steps, num_cycles)


@family_args({**_TRAINING, "num_cycles": POSITIVE})
@_frozen
class _CosineHardRestarts(_Lambda):
    family = "get_cosine_with_hard_restarts_schedule_with_warmup"
    base_lr: float
    num_warmup_steps: int
    num_training_steps: int
    num_cycles: float = 1

    def __post_init__(self) -> None:
        self._check_training()

    def _factor(self, steps: np.ndarray) -> np.ndarray:
        w, n, cycles = self.num_warmup_steps, self.num_training_steps, self.num_cycles
        progress = self._decay_progress(steps)
        if float(cycles).is_integer():  # exact: (cycles * (step - W)) mod span, in integers
            span = max(1, n - w)
            position = np.fmod(cycles * np.clip(steps - w, 0.0, span), span) / span
        else:
            position = np.fmod(cycles * progress, 1.0)
        return np.where(progress >= 1.0, 0.0, np.maximum(0.0, k.half_cosine(position)))


def get_cosine_with_hard_restarts_schedule_with_warmup(
    base_lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 1
) -> Schedule:
    """Warmup, then ``num_cycles`` cosine decays from ``base_lr`` to 0, each restarting at the top.

    ``factor = 0.5 * (1 + cos(pi * ((num_cycles * progress) mod 1)))`` for ``progress < 1``, 0
    from ``N = num_training_steps`` on. ``N >= W``, ``num_cycles > 0``.

    >>> s = get_cosine_with_hard_restarts_schedule_with_warmup(1.0, 0, 100, num_cycles=2)
    >>> s(0), s(50), round(s(25), 12), s(100)
    (1.0, 1.0, 0.5, 0.0)
    """
    return _CosineHardRestarts(base_lr, num_warmup_steps, num_training_steps, num_cycles)


@family_args({**_TRAINING, "lr_end": NON_NEGATIVE, "power": POSITIVE})
@_frozen
class _PolynomialWithWarmup(_Lambda):
    family = "get_polynomial_decay_schedule_with_warmup"
    base_lr: float
    num_warmup_steps: int
    num_training_steps: int
    lr_end: float = 1e-7
    power: float = 1.0

    def __post_init__(self) -> None:
        self._check_training(strict=True)
        if self.lr_end >= self.base_lr:
            raise invalid("lr_end", self.lr_end, f"a number >= 0 and < base_lr={self.base_lr!r}", where=self.family,
                          error=ScheduleError)

    def _factor(self, steps: np.ndarray) -> np.ndarray:
        w, n = self.num_warmup_steps, self.num_training_steps
        decayed = k.polynomial(np.maximum(steps - w, 0.0), self.base_lr, self.lr_end, n - w, self.power)
        return decayed / self.base_lr


def get_polynomial_decay_schedule_with_warmup(
    base_lr: float, num_warmup_steps: int, num_training_steps: int, lr_end: float = 1e-7, power: float = 1.0
) -> Schedule:
    """Warmup, then polynomial decay from ``base_lr`` to ``lr_end`` at ``N``, held after.

    ``value = (base_lr - lr_end) * (1 - (step - W) / (N - W)) ** power + lr_end`` for
    ``W <= step <= N``. ``N > W``, ``0 <= lr_end < base_lr``, ``power > 0``.

    >>> round(get_polynomial_decay_schedule_with_warmup(1.0, 0, 10, lr_end=0.0, power=2)(5), 12)
    0.25
    """
    return _PolynomialWithWarmup(base_lr, num_warmup_steps, num_training_steps, lr_end, power)


@family_args({**_WARMUP, "timescale": (None, POSITIVE)})
@_frozen
class _InverseSqrt(_Lambda):
    family = "get_inverse_sqrt_schedule"
    base_lr: float
    num_warmup_steps: int
    timescale: int | None = None

    def _factor(self, steps: np.ndarray) -> np.ndarray:
        w = self.num_warmup_steps
        timescale = self.timescale if self.timescale is not None else (w or 10_000)
        return 1.0 / np.sqrt(np.maximum(steps + (timescale - w), timescale) / timescale)


def get_inverse_sqrt_schedule(base_lr: float, num_warmup_steps: int, timescale: int | None = None) -> Schedule:
    """Warmup, then ``factor = 1 / sqrt((step + timescale - W) / timescale)`` (1 at ``step = W``).

    ``timescale`` defaults to ``W``, or 10000 when ``W = 0``; ``timescale > 0``.

    >>> get_inverse_sqrt_schedule(1.0, num_warmup_steps=100)(400)
    0.5
    """
    return _InverseSqrt(base_lr, num_warmup_steps, timescale)


@family_args({**_WARMUP, "num_decay_steps": STEPS, "num_training_steps": (None, STEPS),
              "num_stable_steps": (None, STEPS), "warmup_type": Options(*k.SHAPES), "decay_type": Options(*k.SHAPES),
              "min_lr_ratio": FRACTION, "num_cycles": POSITIVE})
@_frozen
class _WSD(_Lambda):
    family = "get_wsd_schedule"
    base_lr: float
    num_warmup_steps: int
    num_decay_steps: int
    num_training_steps: int | None = None
    num_stable_steps: int | None = None
    warmup_type: str = "linear"
    decay_type: str = "cosine"
    min_lr_ratio: float = 0
    num_cycles: float = 0.5

    def __post_init__(self) -> None:
        f, n = self.family, self.num_training_steps
        phases = self.num_warmup_steps + self.num_decay_steps
        if n is None:
            if self.num_stable_steps is None:
                raise ScheduleError(
                    f"num_training_steps=None is invalid for {f}: give num_training_steps or num_stable_steps"
                )
        elif self.num_stable_steps is None:
            if n < phases:
                raise invalid("num_training_steps", n, f"an integer >= {phases}", where=f, error=ScheduleError)
        elif n != phases + self.num_stable_steps:
            raise ScheduleError(
                f"num_training_steps={n!r} is invalid for {f}: must equal num_warmup_steps + num_stable_steps "
                f"+ num_decay_steps = {phases + self.num_stable_steps} when both are given"
            )

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        w, d, r = self.num_warmup_steps, self.num_decay_steps, self.min_lr_ratio
        stable = self.num_stable_steps
        if stable is None:
            stable = self.num_training_steps - w - d
        rise = k.shape(self.warmup_type, np.minimum(steps / max(1, w), 1.0), rising=True)
        p = np.clip((steps - w - stable) / max(1, d), 0.0, 1.0)
        fall = k.half_cosine(2.0 * self.num_cycles * p) if self.decay_type == "cosine" else \
            k.shape(self.decay_type, p, rising=False)
        factor = np.select(
            [steps < w, steps < w + stable, steps < w + stable + d],
            [rise * (1.0 - r) + r, 1.0, np.maximum(0.0, fall * (1.0 - r) + r)],
            r,
        )
        return self.base_lr * factor


def get_wsd_schedule(
    base_lr: float,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0,
    num_cycles: float = 0.5,
) -> Schedule:
    """Warmup-stable-decay: warmup (W steps), ``base_lr`` (S steps), decay (D steps), then the floor.

    ``r = min_lr_ratio`` in ``[0, 1]``; warmup ``p = step / max(1, W)``, factor
    ``r + (1 - r) * rise(p)``; stable factor 1; decay ``p = (step - W - S) / max(1, D)``, factor
    ``max(0, r + (1 - r) * fall(p))``; ``r`` from ``W + S + D`` on. Shapes (``warmup_type``,
    ``decay_type``): ``"linear"``, ``"cosine"`` (decay ``0.5 * (1 + cos(pi * 2 * num_cycles * p))``),
    ``"1-sqrt"``. Unlike the other transformers warmups, this one starts at ``r * base_lr``.
    ``S = num_stable_steps``, or ``num_training_steps - W - D`` (which must be ``>= 0``).

    >>> s = get_wsd_schedule(1.0, num_warmup_steps=10, num_decay_steps=10, num_training_steps=40,
    ...                      decay_type="linear", min_lr_ratio=0.1)
    >>> s(0), s(10), s(30), s(35), s(40)
    (0.1, 1.0, 1.0, 0.55, 0.1)
    """
    return _WSD(base_lr, num_warmup_steps, num_decay_steps, num_training_steps, num_stable_steps,
                warmup_type, decay_type, min_lr_ratio, num_cycles)

