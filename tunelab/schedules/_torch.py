"""PyTorch's ``torch.optim.lr_scheduler`` families, with ``base_lr`` in place of the optimizer.

Each family keeps torch's name and argument names; the value at step ``k`` is the learning rate
torch's optimizer holds after ``k`` calls of ``scheduler.step()`` (``k = 0``: right after
construction), for a param group whose initial lr is ``base_lr``. Torch computes most of these
recursively (each step multiplies the current lr by a ratio); tunelab evaluates the closed form
the recursion telescopes to, in float64, with exact integer arithmetic for every floor and modulo,
so any step up to ``2**53`` is evaluated directly and resuming is exact. Where torch's recursion
loses digits (a long cosine near its minimum) tunelab returns the mathematically intended value;
``docs/schedules.md`` lists every such difference.

The cyclic families (``CosineAnnealingWarmRestarts``, ``CyclicLR``, ``OneCycleLR``) live in
``_torch_cyclic`` and the metric-driven ``ReduceLROnPlateau`` controller in ``_torch_plateau``;
both are re-exported here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from tunelab._constraints import ListOf, Real
from tunelab.schedules._base import (
    FRACTION,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_STEPS,
    SCHEDULE,
    STEPS,
    Schedule,
    ScheduleError,
    check_increasing,
    family_args,
)
from tunelab.schedules._kernel import Composite, Join, floor_div, polynomial
from tunelab.schedules._torch_base import raised_cosine
from tunelab.schedules._torch_cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from tunelab.schedules._torch_plateau import PlateauState, ReduceLROnPlateau

__all__ = [
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "PlateauState",
]


# -- step-wise multiplicative families ------------------------------------------------------------


@family_args({"base_lr": POSITIVE, "step_size": POSITIVE_STEPS, "gamma": POSITIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class StepLR(Schedule):
    """Decay by ``gamma`` every ``step_size`` steps (torch ``StepLR``).

    ``lr(k) = base_lr * gamma ** floor(k / step_size)``

    Args:
        base_lr: the optimizer's initial lr, > 0.
        step_size: period of the decay, an integer >= 1.
        gamma: multiplicative factor, > 0 (``> 1`` grows).

    >>> s = StepLR(0.1, step_size=30, gamma=0.1)
    >>> s(29), s(30), s(60)
    (0.1, 0.010000000000000002, 0.0010000000000000002)
    """

    base_lr: float
    step_size: int
    gamma: float = 0.1

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return self.base_lr * self.gamma ** floor_div(steps, float(self.step_size))


@family_args({"base_lr": POSITIVE, "milestones": ListOf(STEPS), "gamma": POSITIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class MultiStepLR(Schedule):
    """Decay by ``gamma`` at each milestone (torch ``MultiStepLR``).

    ``lr(k) = base_lr * gamma ** (number of milestones <= k)``; a milestone listed twice decays
    twice, as in torch (which counts them).

    Args:
        base_lr: the optimizer's initial lr, > 0.
        milestones: steps where the lr decays, integers >= 0 sorted in increasing order
            (torch also takes them unsorted; tunelab asks for the order it will apply them in).
        gamma: multiplicative factor, > 0.

    >>> s = MultiStepLR(1.0, milestones=[2, 4], gamma=0.5)
    >>> s.table(6)
    [(0, 1.0), (1, 1.0), (2, 0.5), (3, 0.5), (4, 0.25), (5, 0.25)]
    """

    base_lr: float
    milestones: Sequence[int]
    gamma: float = 0.1

    def __post_init__(self) -> None:
        check_increasing(self.family, "milestones", self.milestones, strict=False)

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        passed = np.searchsorted(np.asarray(self.milestones, dtype=np.float64), steps, side="right")
        return self.base_lr * self.gamma ** passed.astype(np.float64)


@family_args({"base_lr": POSITIVE, "factor": FRACTION, "total_iters": POSITIVE_STEPS})
@dataclasses.dataclass(frozen=True, repr=False)
class ConstantLR(Schedule):
    """``base_lr * factor`` for the first ``total_iters`` steps, then ``base_lr`` (torch ``ConstantLR``).

    Args:
        base_lr: the optimizer's initial lr, > 0.
        factor: multiplier during the first phase, 0 <= factor <= 1 (torch's range).
        total_iters: length of the first phase, an integer >= 1.

    >>> ConstantLR(0.3, factor=0.5, total_iters=2).table(4)
    [(0, 0.15), (1, 0.15), (2, 0.3), (3, 0.3)]
    """

    base_lr: float
    factor: float = 1.0 / 3
    total_iters: int = 5

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return np.where(steps < self.total_iters, self.base_lr * self.factor, self.base_lr)


@family_args({"base_lr": POSITIVE, "start_factor": Real(0, 1, min_open=True), "end_factor": FRACTION,
              "total_iters": POSITIVE_STEPS})
@dataclasses.dataclass(frozen=True, repr=False)
class LinearLR(Schedule):
    """Linear change of the multiplier from ``start_factor`` to ``end_factor`` (torch ``LinearLR``).

    ``lr(k) = base_lr * (start_factor + (end_factor - start_factor) * min(k, total_iters) / total_iters)``

    Args:
        base_lr: the optimizer's initial lr, > 0.
        start_factor: multiplier at step 0, 0 < start_factor <= 1 (torch's range).
        end_factor: multiplier from ``total_iters`` on, 0 <= end_factor <= 1.
        total_iters: length of the ramp, an integer >= 1.

    >>> LinearLR(1.0, start_factor=0.25, end_factor=1.0, total_iters=3).table(5)
    [(0, 0.25), (1, 0.5), (2, 0.75), (3, 1.0), (4, 1.0)]
    """

    base_lr: float
    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int = 5

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        factor = polynomial(steps, self.start_factor, self.end_factor, float(self.total_iters))
        return self.base_lr * factor


@family_args({"base_lr": POSITIVE, "gamma": POSITIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class ExponentialLR(Schedule):
    """Decay by ``gamma`` every step (torch ``ExponentialLR``): ``lr(k) = base_lr * gamma ** k``.

    Args:
        base_lr: the optimizer's initial lr, > 0.
        gamma: multiplicative factor per step, > 0.

    >>> ExponentialLR(1.0, gamma=0.5).table(3)
    [(0, 1.0), (1, 0.5), (2, 0.25)]
    """

    base_lr: float
    gamma: float

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return self.base_lr * self.gamma**steps


@family_args({"base_lr": POSITIVE, "total_iters": POSITIVE_STEPS, "power": NON_NEGATIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class PolynomialLR(Schedule):
    """Polynomial decay to 0 over ``total_iters`` steps, then 0 (torch ``PolynomialLR``).

    ``lr(k) = base_lr * (1 - min(k, total_iters) / total_iters) ** power``

    Args:
        base_lr: the optimizer's initial lr, > 0.
        total_iters: length of the decay, an integer >= 1.
        power: exponent, >= 0 (``power = 0`` keeps ``base_lr``, as torch does since ``0 ** 0 = 1``).

    >>> PolynomialLR(1.0, total_iters=4, power=2.0).table(6)
    [(0, 1.0), (1, 0.5625), (2, 0.25), (3, 0.0625), (4, 0.0), (5, 0.0)]
    """

    base_lr: float
    total_iters: int = 5
    power: float = 1.0

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        remaining = (self.total_iters - np.minimum(steps, self.total_iters)) / self.total_iters
        return self.base_lr * remaining**self.power


@family_args({"base_lr": POSITIVE, "T_max": POSITIVE_STEPS, "eta_min": NON_NEGATIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class CosineAnnealingLR(Schedule):
    """Cosine annealing from ``base_lr`` to ``eta_min`` over ``T_max`` steps (torch ``CosineAnnealingLR``).

    ``lr(k) = eta_min + (base_lr - eta_min) * (1 + cos(pi * k / T_max)) / 2``

    Past ``T_max`` the cosine keeps going, as torch's does: the lr climbs back to ``base_lr`` at
    ``2 * T_max`` and the curve repeats with period ``2 * T_max``. ``k mod 2 * T_max`` is taken
    exactly and the cosine is evaluated without cancellation near its minimum, so values stay
    accurate where torch's recursive update drifts (long ``T_max``, see ``docs/schedules.md``).

    Args:
        base_lr: the optimizer's initial lr, > 0.
        T_max: half period, an integer >= 1.
        eta_min: the minimum, >= 0.

    >>> s = CosineAnnealingLR(1.0, T_max=4)
    >>> [round(v, 12) for _, v in s.table(9)]
    [1.0, 0.853553390593, 0.5, 0.146446609407, 0.0, 0.146446609407, 0.5, 0.853553390593, 1.0]
    """

    base_lr: float
    T_max: int
    eta_min: float = 0.0

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        period = float(self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * raised_cosine(np.fmod(steps, 2 * period), period)


# -- composition ------------------------------------------------------------------------------------


_SCHEDULERS = ListOf(SCHEDULE, min_len=1)


@family_args({"schedulers": _SCHEDULERS, "milestones": ListOf(STEPS)})
@dataclasses.dataclass(frozen=True, repr=False)
class SequentialLR(Composite):
    """Run ``schedulers`` one after another, switching at ``milestones`` (torch ``SequentialLR``).

    ``lr(k) = schedulers[i](k - milestones[i-1])`` where ``i`` is the number of milestones ``<= k``
    (``milestones[-1]`` read as 0): at a milestone step the next schedule takes over, restarted
    from its own step 0, which is what torch does (it resets the incoming scheduler to epoch 0).

    Args:
        schedulers: tunelab schedules (any family), at least one.
        milestones: ``len(schedulers) - 1`` switch steps, integers >= 0, strictly increasing.

    >>> s = SequentialLR([LinearLR(1.0, 0.5, 1.0, total_iters=2), ExponentialLR(1.0, 0.5)], [2])
    >>> s.table(5)
    [(0, 0.5), (1, 0.75), (2, 1.0), (3, 0.5), (4, 0.25)]
    """

    schedulers: Sequence[Schedule]
    milestones: Sequence[int]

    def __post_init__(self) -> None:
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ScheduleError(
                f"milestones={list(self.milestones)!r} is invalid for {self.family}: must hold "
                f"len(schedulers) - 1 = {len(self.schedulers) - 1} steps, got {len(self.milestones)}"
            )
        check_increasing(self.family, "milestones", self.milestones)

    def build(self) -> Schedule:
        return Join(self.schedulers, self.milestones)


#: Families whose torch update multiplies the current lr by a ratio, so that torch's chaining
#: composes them as a product. Cosine, cyclic, one-cycle and warm-restart schedulers add to or
#: overwrite the lr instead, and torch's result then depends on their order.
CHAINABLE = ("StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
             "ChainedScheduler")


@family_args({"schedulers": _SCHEDULERS})
@dataclasses.dataclass(frozen=True, repr=False)
class ChainedScheduler(Schedule):
    """Apply several multiplicative schedules at once (torch ``ChainedScheduler``).

    ``lr(k) = base_lr * prod_i (schedulers[i](k) / base_lr)``, with ``base_lr`` the one every
    scheduler shares (in torch they share the optimizer). Only families whose torch update is a
    ratio of the current lr are accepted (``StepLR``, ``MultiStepLR``, ``ConstantLR``,
    ``LinearLR``, ``ExponentialLR``, ``PolynomialLR`` and nested ``ChainedScheduler``): for them
    torch's chain is this product, in any order.

    Args:
        schedulers: at least one schedule of the families above, all with the same ``base_lr``.

    >>> s = ChainedScheduler([ConstantLR(1.0, factor=0.5, total_iters=2), ExponentialLR(1.0, 0.5)])
    >>> s.table(4)
    [(0, 0.5), (1, 0.25), (2, 0.25), (3, 0.125)]
    """

    schedulers: Sequence[Schedule]

    def __post_init__(self) -> None:
        family = self.family
        for item in self.schedulers:
            if item.family not in CHAINABLE:
                raise ScheduleError(
                    f"schedulers item {item!r} is invalid for {family}: must be one of {list(CHAINABLE)} "
                    "(torch chains other families order-dependently; use SequentialLR to join them)"
                )
        bases = {item.base_lr for item in self.schedulers}  # type: ignore[attr-defined]
        if len(bases) > 1:
            raise ScheduleError(
                f"schedulers={list(self.schedulers)!r} is invalid for {family}: must share one base_lr "
                f"(torch chains schedulers of one optimizer), got {sorted(bases)}"
            )

    @property
    def base_lr(self) -> float:
        """The ``base_lr`` every chained schedule shares."""
        return self.schedulers[0].base_lr  # type: ignore[attr-defined]

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        out = np.full_like(steps, self.base_lr)
        for item in self.schedulers:
            out = out * (item(steps) / self.base_lr)
        return out
