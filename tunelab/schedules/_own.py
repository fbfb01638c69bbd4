"""tunelab's own families: a warmup-stable-decay schedule and a warmup for any schedule.

>>> s = WarmupStableDecay(1.0, total_steps=100, warmup_steps=10, decay_fraction=0.2)
>>> s(5), s(50), s(90), s(100)
(0.5, 1.0, 0.5, 0.0)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from tunelab._constraints import Options
from tunelab._errors import invalid
from tunelab.schedules import _kernel as k
from tunelab.schedules._base import (
    FRACTION,
    NON_NEGATIVE,
    NUMBER,
    POSITIVE,
    POSITIVE_STEPS,
    SCHEDULE,
    STEPS,
    Schedule,
    ScheduleError,
    family_args,
)

__all__ = ["WarmupStableDecay", "warmup"]


def _phase_steps(s: Any, phase: str) -> int:
    """The step count of ``phase`` ("warmup" or "decay") from ``<phase>_steps`` or ``<phase>_fraction``."""
    steps, fraction = getattr(s, f"{phase}_steps"), getattr(s, f"{phase}_fraction")
    if fraction is None:
        return 0 if steps is None else int(steps)
    return math.floor(fraction * s.total_steps + 0.5)


@family_args({"peak_lr": POSITIVE, "total_steps": POSITIVE_STEPS, "warmup_steps": (None, STEPS),
              "warmup_fraction": (None, FRACTION), "decay_steps": (None, STEPS), "decay_fraction": (None, FRACTION),
              "decay_shape": Options(*k.SHAPES), "warmup_shape": Options("linear", "cosine"),
              "init_lr": NON_NEGATIVE, "final_lr": NON_NEGATIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class WarmupStableDecay(Schedule):
    """Warmup to ``peak_lr``, hold it, then decay to ``final_lr`` by ``total_steps`` (WSD).

    With ``W`` warmup steps, ``D`` decay steps and ``T = total_steps``:

    * ``0 <= t < W``: ``init_lr + (peak_lr - init_lr) * rise(t / W)`` (``warmup_shape``);
    * ``W <= t < T - D``: ``peak_lr``;
    * ``T - D <= t < T``: ``final_lr + (peak_lr - final_lr) * fall((t - T + D) / D)`` (``decay_shape``);
    * ``t >= T``: ``final_lr``.

    Shapes: ``"linear"`` (rise ``p``, fall ``1 - p``), ``"cosine"`` (rise ``(1 - cos(pi p)) / 2``,
    fall ``(1 + cos(pi p)) / 2``) and, for the decay, ``"1-sqrt"`` (fall ``1 - sqrt(p)``, Hägele et
    al. 2024). The curve is continuous: ``peak_lr`` at ``t = W`` and at ``t = T - D``.

    Args:
        peak_lr: the stable value, ``> 0``.
        total_steps: ``T``, an integer ``> 0``.
        warmup_steps / warmup_fraction: at most one; ``W = warmup_steps`` (integer ``>= 0``) or
            ``round(warmup_fraction * T)`` (half up, fraction in ``[0, 1]``); default 0.
        decay_steps / decay_fraction: exactly one; ``D`` likewise. ``W + D <= T``.
        decay_shape: ``"linear"`` (default), ``"cosine"`` or ``"1-sqrt"``.
        warmup_shape: ``"linear"`` (default) or ``"cosine"``.
        init_lr: value at step 0, ``>= 0`` (default 0).
        final_lr: value from ``T`` on, ``>= 0`` (default 0).

    >>> s = WarmupStableDecay(1.0, 100, decay_steps=20, decay_shape="1-sqrt", final_lr=0.1)
    >>> s(0), s(80), round(s(85), 12), s(100)
    (1.0, 1.0, 0.55, 0.1)
    """

    peak_lr: float
    total_steps: int
    _: dataclasses.KW_ONLY
    warmup_steps: int | None = None
    warmup_fraction: float | None = None
    decay_steps: int | None = None
    decay_fraction: float | None = None
    decay_shape: str = "linear"
    warmup_shape: str = "linear"
    init_lr: float = 0.0
    final_lr: float = 0.0

    def __post_init__(self) -> None:
        f = self.family
        for phase in ("warmup", "decay"):
            steps, fraction = getattr(self, f"{phase}_steps"), getattr(self, f"{phase}_fraction")
            if steps is not None and fraction is not None:
                raise ScheduleError(
                    f"{phase}_fraction={fraction!r} is invalid for {f}: give {phase}_steps or "
                    f"{phase}_fraction, not both"
                )
        if self.decay_steps is None and self.decay_fraction is None:
            raise ScheduleError(f"decay_steps=None is invalid for {f}: give decay_steps or decay_fraction")
        w, d = _phase_steps(self, "warmup"), _phase_steps(self, "decay")
        if w + d > self.total_steps:
            raise ScheduleError(
                f"total_steps={self.total_steps!r} is invalid for {f}: must be at least warmup + decay "
                f"= {w} + {d} = {w + d} steps"
            )

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        w, d, total = _phase_steps(self, "warmup"), _phase_steps(self, "decay"), self.total_steps
        rise = k.shape(self.warmup_shape, np.clip(steps / max(w, 1), 0.0, 1.0), rising=True)
        fall = k.shape(self.decay_shape, np.clip((steps - (total - d)) / max(d, 1), 0.0, 1.0), rising=False)
        return np.select(
            [steps < w, steps < total - d, steps < total],
            [self.init_lr + (self.peak_lr - self.init_lr) * rise, self.peak_lr,
             self.final_lr + (self.peak_lr - self.final_lr) * fall],
            self.final_lr,
        )


@family_args({"schedule": SCHEDULE, "steps": NON_NEGATIVE, "start": NUMBER})
@dataclasses.dataclass(frozen=True, repr=False)
class _Warmup(Schedule):
    family = "warmup"
    schedule: Schedule
    steps: float
    start: float = 0.0

    def __post_init__(self) -> None:
        if self.schedule.integer_steps and not float(self.steps).is_integer():
            raise invalid("steps", self.steps, "an integer (the schedule counts whole steps)", where=self.family,
                          error=ScheduleError)

    @property
    def integer_steps(self) -> bool:  # type: ignore[override]
        """As the wrapped schedule."""
        return self.schedule.integer_steps

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        values = self.schedule(steps)
        if not self.steps:
            return values
        target = self.schedule(self.steps)
        return np.where(steps < self.steps, self.start + (target - self.start) * (steps / self.steps), values)


def warmup(schedule: Schedule, steps: float, start: float = 0.0) -> Schedule:
    """Replace the first ``steps`` steps of ``schedule`` by a linear ramp from ``start``.

    ``value(t) = start + (schedule(steps) - start) * t / steps`` for ``t < steps``, else
    ``schedule(t)``. The wrapped schedule is *not* shifted: it keeps counting from step 0, so its
    first ``steps`` steps are replaced (the total length stays the same) and the curve is continuous
    at ``steps``. For a shifted warmup (the schedule starting at its own step 0 after the ramp), join
    instead: ``join_schedules([linear_schedule(start, peak, steps), schedule], [steps])``.
    ``steps >= 0`` (integral when the schedule counts whole steps; 0 returns the schedule's values).

    >>> from tunelab.schedules import CosineDecay
    >>> s = warmup(CosineDecay(1.0, decay_steps=100), steps=50)
    >>> round(s(25), 12), round(s(50), 12), round(s(75), 12)
    (0.25, 0.5, 0.146446609407)
    """
    return _Warmup(schedule, steps, start)
