"""optax's composite schedules: one-cycle, warmup then decay, joins and SGDR restarts.

Built from the primitives in ``_optax`` (same conventions: optax's names and arguments, a
frozen Schedule per call, values checked against optax 0.2.8 with jax x64).

>>> s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=110)
>>> s(0), s(10), round(s(110), 12)
(0.0, 1.0, 0.0)
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import InstanceOf, ListOf
from tunelab._errors import invalid
from tunelab.schedules import _kernel as k
from tunelab.schedules._base import (
    FRACTION,
    NUMBER,
    POSITIVE,
    POSITIVE_STEPS,
    STEPS,
    Schedule,
    ScheduleError,
    family_args,
)
from tunelab.schedules._optax import (
    EXPONENTIAL,
    _CosineDecay,
    _ExponentialDecay,
    _frozen,
    _Linear,
    _PiecewiseInterpolate,
)

__all__ = [
    "cosine_onecycle_schedule",
    "join_schedules",
    "linear_onecycle_schedule",
    "sgdr_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


_ONECYCLE = {"transition_steps": POSITIVE_STEPS, "peak_value": NUMBER, "pct_start": FRACTION,
             "div_factor": POSITIVE, "final_div_factor": POSITIVE}


@family_args({**_ONECYCLE, "pct_final": FRACTION})
@_frozen
class _LinearOnecycle(k.Composite):
    family = "linear_onecycle_schedule"
    transition_steps: int
    peak_value: float
    pct_start: float = 0.3
    pct_final: float = 0.85
    div_factor: float = 25.0
    final_div_factor: float = 1e4

    def __post_init__(self) -> None:
        _check_onecycle(self, pct_final=self.pct_final)

    def build(self) -> Schedule:
        scales = {_pct_step(self, self.pct_start): self.div_factor,
                  _pct_step(self, self.pct_final): 1.0 / self.div_factor,
                  self.transition_steps: 1.0 / self.final_div_factor}
        return _PiecewiseInterpolate("linear", self.peak_value / self.div_factor, scales)


@family_args(_ONECYCLE)
@_frozen
class _CosineOnecycle(k.Composite):
    family = "cosine_onecycle_schedule"
    transition_steps: int
    peak_value: float
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4

    def __post_init__(self) -> None:
        _check_onecycle(self, pct_final=None)

    def build(self) -> Schedule:
        scales = {_pct_step(self, self.pct_start): self.div_factor,
                  self.transition_steps: 1.0 / (self.div_factor * self.final_div_factor)}
        return _PiecewiseInterpolate("cosine", self.peak_value / self.div_factor, scales)


def _pct_step(s: Any, pct: float) -> int:
    return int(pct * s.transition_steps)  # optax truncates the float product (0.29 * 100 -> 28)


def _check_onecycle(s: Any, *, pct_final: float | None) -> None:
    steps = [_pct_step(s, s.pct_start), *([] if pct_final is None else [_pct_step(s, pct_final)]),
             s.transition_steps]
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise ScheduleError(
            f"pct_start={s.pct_start!r} is invalid for {s.family}: the phase boundaries int(pct * "
            f"transition_steps) = {steps} must be strictly increasing (optax would silently merge them)"
        )


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """Three linear phases: up to ``peak_value``, back down, then to the final value.

    :func:`piecewise_interpolate_schedule` ``("linear", peak_value / div_factor, {int(pct_start * T):
    div_factor, int(pct_final * T): 1 / div_factor, T: 1 / final_div_factor})`` with
    ``T = transition_steps > 0``. Boundaries truncate the float product, as optax does.

    >>> s = linear_onecycle_schedule(100, peak_value=1.0)
    >>> [round(s(t), 12) for t in (0, 30, 85, 100)]
    [0.04, 1.0, 0.04, 4e-06]
    """
    return _LinearOnecycle(transition_steps, peak_value, pct_start, pct_final, div_factor, final_div_factor)


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """Cosine up to ``peak_value`` at ``int(pct_start * T)``, then cosine down to the final value.

    :func:`piecewise_interpolate_schedule` ``("cosine", peak_value / div_factor, {int(pct_start * T):
    div_factor, T: 1 / (div_factor * final_div_factor)})`` with ``T = transition_steps > 0``.

    >>> s = cosine_onecycle_schedule(100, peak_value=1.0)
    >>> [round(s(t), 12) for t in (0, 30, 100)]
    [0.04, 1.0, 4e-06]
    """
    return _CosineOnecycle(transition_steps, peak_value, pct_start, div_factor, final_div_factor)


@family_args({"init_value": NUMBER, "peak_value": NUMBER, "warmup_steps": STEPS, "decay_steps": POSITIVE_STEPS,
              "end_value": NUMBER, "exponent": POSITIVE})
@_frozen
class _WarmupCosineDecay(k.Composite):
    family = "warmup_cosine_decay_schedule"
    init_value: float
    peak_value: float
    warmup_steps: int
    decay_steps: int
    end_value: float = 0.0
    exponent: float = 1.0

    def __post_init__(self) -> None:
        if self.decay_steps <= self.warmup_steps:
            raise invalid("decay_steps", self.decay_steps, f"an integer > warmup_steps={self.warmup_steps}",
                          where=self.family, error=ScheduleError)

    def build(self) -> Schedule:
        alpha = 0.0 if self.peak_value == 0.0 else self.end_value / self.peak_value
        return k.Join([
            _Linear(self.init_value, self.peak_value, self.warmup_steps),
            _CosineDecay(self.peak_value, self.decay_steps - self.warmup_steps, alpha, self.exponent),
        ], [self.warmup_steps])


def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """Linear warmup to ``peak_value``, then cosine decay to ``end_value``.

    ``decay_steps`` is the *total* length, warmup included (Keras ``CosineDecay`` counts its
    ``decay_steps`` after the warmup): :func:`join_schedules` of ``linear_schedule(init_value,
    peak_value, warmup_steps)`` and ``cosine_decay_schedule(peak_value, decay_steps - warmup_steps,
    alpha=end_value / peak_value, exponent)`` at ``[warmup_steps]``. ``0 <= warmup_steps < decay_steps``.

    >>> s = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=110, end_value=0.1)
    >>> s(5), s(10), round(s(60), 12), round(s(999), 12)
    (0.5, 1.0, 0.55, 0.1)
    """
    return _WarmupCosineDecay(init_value, peak_value, warmup_steps, decay_steps, end_value, exponent)


@family_args({"init_value": NUMBER, "peak_value": NUMBER, "warmup_steps": STEPS, **EXPONENTIAL})
@_frozen
class _WarmupExponentialDecay(k.Composite):
    family = "warmup_exponential_decay_schedule"
    init_value: float
    peak_value: float
    warmup_steps: int
    transition_steps: int
    decay_rate: float
    transition_begin: int = 0
    staircase: bool = False
    end_value: float | None = None

    def build(self) -> Schedule:
        return k.Join([
            _Linear(self.init_value, self.peak_value, self.warmup_steps),
            _ExponentialDecay(self.peak_value, self.transition_steps, self.decay_rate,
                              self.transition_begin, self.staircase, self.end_value),
        ], [self.warmup_steps])


def warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """Linear warmup to ``peak_value``, then :func:`exponential_decay` from ``peak_value``.

    :func:`join_schedules` of ``linear_schedule(init_value, peak_value, warmup_steps)`` and
    ``exponential_decay(peak_value, transition_steps, decay_rate, transition_begin, staircase,
    end_value)`` at ``[warmup_steps]``: the decay's step count restarts at the warmup's end.

    >>> s = warmup_exponential_decay_schedule(0.0, 1.0, 10, transition_steps=10, decay_rate=0.5)
    >>> s(5), s(10), s(20)
    (0.5, 1.0, 0.5)
    """
    return _WarmupExponentialDecay(init_value, peak_value, warmup_steps, transition_steps, decay_rate,
                                   transition_begin, staircase, end_value)


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[i]`` from ``boundaries[i-1]`` on, each restarted at its own step 0.

    ``value(t) = schedules[i](t - boundaries[i-1])`` for ``boundaries[i-1] <= t < boundaries[i]``.
    Unlike optax, checks ``len(schedules) == len(boundaries) + 1`` and strictly increasing
    boundaries.

    >>> from tunelab.schedules import constant_schedule, linear_schedule
    >>> s = join_schedules([constant_schedule(1.0), linear_schedule(1.0, 0.0, 10)], [5])
    >>> s(4), s(5), s(10)
    (1.0, 1.0, 0.5)
    """
    return k.Join(schedules, boundaries)


_COSINE_KEYS = tuple(inspect.signature(warmup_cosine_decay_schedule).parameters)


_CYCLE = f"a dict of warmup_cosine_decay_schedule arguments {list(_COSINE_KEYS)}"


@family_args({"cosine_kwargs": ListOf(InstanceOf((Mapping, tuple), _CYCLE, plural="dicts of "
                                                 "warmup_cosine_decay_schedule arguments"), min_len=1)})
@_frozen
class _SGDR(k.Composite):
    family = "sgdr_schedule"
    cosine_kwargs: Any

    def __post_init__(self) -> None:
        cycles = []
        for i, given in enumerate(self.cosine_kwargs):
            try:
                kwargs = dict(given)  # a tuple holds the normalised pairs
                if set(kwargs) - set(_COSINE_KEYS):
                    raise TypeError(f"unknown keys {sorted(set(kwargs) - set(_COSINE_KEYS))}")
                piece = _WarmupCosineDecay(**kwargs)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ScheduleError):
                    raise
                raise invalid(f"cosine_kwargs[{i}]", given, f"{_CYCLE} ({exc})", where=self.family,
                              error=ScheduleError) from None
            cycles.append(tuple((key, getattr(piece, key)) for key in _COSINE_KEYS))
        object.__setattr__(self, "cosine_kwargs", tuple(cycles))

    def _arguments(self) -> dict[str, Any]:
        return {"cosine_kwargs": [dict(pairs) for pairs in self.cosine_kwargs]}

    def build(self) -> Schedule:
        pieces = [_WarmupCosineDecay(**dict(pairs)) for pairs in self.cosine_kwargs]
        ends = np.cumsum([p.decay_steps for p in pieces]).tolist()
        return k.Join(pieces, ends[:-1])


def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> Schedule:
    """SGD with warm restarts: :func:`warmup_cosine_decay_schedule` cycles joined end to end.

    Cycle ``i`` is ``warmup_cosine_decay_schedule(**cosine_kwargs[i])`` and lasts its
    ``decay_steps`` (warmup included); the next cycle starts at the cumulative sum. The last cycle
    holds its ``end_value`` after it ends. Each dict is stored with every argument filled in.

    >>> s = sgdr_schedule([dict(init_value=0.0, peak_value=1.0, warmup_steps=0, decay_steps=10)] * 2)
    >>> s(0), s(10), s(20)
    (1.0, 1.0, 0.0)
    """
    return _SGDR(list(cosine_kwargs) if isinstance(cosine_kwargs, Iterator) else cosine_kwargs)
