"""Convert live framework schedulers into tunelab values: :func:`from_torch` and :func:`from_keras`.

Both read the framework object's settings (never its code), return the equivalent tunelab value,
and refuse, naming the class, what has no portable equivalent (a user-supplied Python function).
The frameworks themselves are never imported here: the objects passed in carry everything needed.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from tunelab._constraints import Integral, constrained
from tunelab.schedules._base import Schedule, ScheduleError

__all__ = ["from_torch", "from_keras"]


def from_keras(obj: Any) -> Schedule:
    """The tunelab schedule equal to a Keras ``LearningRateSchedule`` (read through ``get_config()``).

    Supported: ``ExponentialDecay``, ``PiecewiseConstantDecay``, ``PolynomialDecay``,
    ``InverseTimeDecay``, ``CosineDecay``, ``CosineDecayRestarts``; the result has the same
    arguments (Keras' ``name`` is dropped). Other classes raise ScheduleError.

    >>> class ExponentialDecay:  # stands in for keras.optimizers.schedules.ExponentialDecay
    ...     def get_config(self):
    ...         return {"initial_learning_rate": 0.1, "decay_steps": 1000, "decay_rate": 0.96,
    ...                 "staircase": True, "name": "ExponentialDecay"}
    >>> from_keras(ExponentialDecay())
    ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
    """
    from tunelab.schedules import _keras

    name = type(obj).__name__
    if name not in _keras.__all__ or not hasattr(obj, "get_config"):
        raise ScheduleError(f"schedule={obj!r} is invalid for from_keras: must be one of {sorted(_keras.__all__)}")
    cls = getattr(_keras, name)
    config = {k: v for k, v in obj.get_config().items() if k != "name"}
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(config) - fields)
    if unknown:
        raise ScheduleError(f"config keys {unknown} of {name} are invalid for from_keras: must be among {sorted(fields)}")
    return cls(**{k: _plain(v) for k, v in config.items()})


def _plain(value: Any) -> Any:
    """Python numbers/lists from framework scalars, tensors and lists."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (int, float, bool)):
        return value.item()
    if hasattr(value, "numpy"):
        return value.numpy().item()
    return value


@constrained({"group": (None, Integral(min=0))}, error=ScheduleError)
def from_torch(scheduler: Any, *, group: int | None = None) -> Any:
    """The tunelab value equal to a live ``torch.optim.lr_scheduler`` scheduler.

    The schedule starts where the scheduler started: its base lrs (the optimizer's
    ``initial_lr``) are used, not the lr it has reached, so ``from_torch(s)(k)`` is the lr after
    ``k`` calls of ``s.step()`` counted from construction. Supported: ``StepLR``, ``MultiStepLR``,
    ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR``,
    ``CosineAnnealingWarmRestarts``, ``CyclicLR`` (built-in modes), ``OneCycleLR``,
    ``SequentialLR`` and ``ChainedScheduler`` of those; ``ReduceLROnPlateau`` gives the
    :class:`~tunelab.schedules.ReduceLROnPlateau` controller (its settings, not its state).
    ``LambdaLR``, ``MultiplicativeLR`` and custom ``scale_fn`` hold Python functions and raise
    ScheduleError.

    Args:
        scheduler: the torch scheduler.
        group: which param group to convert. ``None`` (the default) needs every group to give
            the same schedule and raises ScheduleError otherwise; pass an index to take one
            group (``[from_torch(s, group=i) for i in range(n)]`` gives one schedule per group,
            which :func:`tunelab.integrations.torch.scheduler` accepts as a list).
    """
    n = len(scheduler.optimizer.param_groups)
    if group is not None:
        if group >= n:
            raise ScheduleError(f"group={group!r} is invalid for from_torch: must be an index in [0, {n})")
        return _torch_group(scheduler, group)
    converted = [_torch_group(scheduler, g) for g in range(n)]
    if any(c != converted[0] for c in converted[1:]):
        raise ScheduleError(
            f"scheduler={type(scheduler).__name__} is invalid for from_torch without group=: its {n} param "
            f"groups follow different schedules {converted!r}; pass group=<index> to convert one"
        )
    return converted[0]


def _torch_group(s: Any, g: int) -> Any:
    from tunelab.schedules import _torch as t

    name = type(s).__name__
    base = float(s.base_lrs[g]) if hasattr(s, "base_lrs") else None
    simple = {
        "StepLR": lambda: t.StepLR(base, s.step_size, s.gamma),
        "MultiStepLR": lambda: t.MultiStepLR(base, sorted(s.milestones.elements()), s.gamma),
        "ConstantLR": lambda: t.ConstantLR(base, s.factor, s.total_iters),
        "LinearLR": lambda: t.LinearLR(base, s.start_factor, s.end_factor, s.total_iters),
        "ExponentialLR": lambda: t.ExponentialLR(base, s.gamma),
        "PolynomialLR": lambda: t.PolynomialLR(base, s.total_iters, s.power),
        "CosineAnnealingLR": lambda: t.CosineAnnealingLR(base, s.T_max, s.eta_min),
        "CosineAnnealingWarmRestarts": lambda: t.CosineAnnealingWarmRestarts(base, s.T_0, s.T_mult, s.eta_min),
        "SequentialLR": lambda: t.SequentialLR([_torch_group(c, g) for c in s._schedulers], list(s._milestones)),
        "ChainedScheduler": lambda: t.ChainedScheduler([_torch_group(c, g) for c in s._schedulers]),
        "CyclicLR": lambda: _cyclic(s, g),
        "OneCycleLR": lambda: _one_cycle(s, g),
        "ReduceLROnPlateau": lambda: _plateau(s, g),
    }
    if name not in simple:
        raise ScheduleError(
            f"scheduler={name} is invalid for from_torch: must be one of {sorted(simple)} "
            "(schedulers built on Python functions have no portable equivalent)"
        )
    return simple[name]()


def _cyclic(s: Any, g: int) -> Schedule:
    from tunelab.schedules._torch import CyclicLR

    if s._scale_fn_custom is not None:
        raise ScheduleError("scheduler=CyclicLR with a custom scale_fn is invalid for from_torch: "
                            "must use mode='triangular', 'triangular2' or 'exp_range'")
    total = s.total_size
    up = round(total * s.step_ratio)
    if not float(total).is_integer() or up / total != s.step_ratio:
        raise ScheduleError(f"CyclicLR step sizes (total {total}) are invalid for from_torch: must be integers")
    down = int(total) - up
    return CyclicLR(float(s.base_lrs[g]), float(s.max_lrs[g]), up, None if down == up else down, s.mode, s.gamma)


def _nice(numerator: float, result: float) -> float:
    """A divisor ``d`` with ``numerator / d == result``, preferring a short decimal one."""
    d = numerator / result
    short = float(f"{d:.12g}")
    return short if numerator / short == result else d


def _one_cycle(s: Any, g: int) -> Schedule:
    from tunelab.schedules._torch import OneCycleLR

    group = s.optimizer.param_groups[g]
    total = s.total_steps
    first = s._schedule_phases[0]["end_step"] + 1  # == float(pct_start * total_steps), exactly
    pct = first / total
    for candidate in (float(f"{pct:.12g}"), pct, math.nextafter(pct, 0), math.nextafter(pct, 1)):
        if float(candidate * total) == first:
            pct = candidate
            break
    max_lr, initial, low = group["max_lr"], group["initial_lr"], group["min_lr"]
    return OneCycleLR(float(max_lr), total, pct, s._anneal_func_type, _nice(max_lr, initial),
                      _nice(initial, low), len(s._schedule_phases) == 3)


def _plateau(s: Any, g: int) -> Any:
    from tunelab.schedules._torch import ReduceLROnPlateau

    group = s.optimizer.param_groups[g]
    return ReduceLROnPlateau(float(group.get("initial_lr", group["lr"])), mode=s.mode, factor=s.factor,
                             patience=s.patience, threshold=s.threshold, threshold_mode=s.threshold_mode,
                             cooldown=s.cooldown, min_lr=float(s.min_lrs[g]), eps=s.eps)
