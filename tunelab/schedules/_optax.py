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

import dataclasses
import inspect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from tunelab.schedules import _kernel as k
from tunelab.schedules._base import Schedule, ScheduleError, check_choice, check_number

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]

_frozen = dataclasses.dataclass(frozen=True, repr=False)


def _check_steps(family: str, name: str, value: Any, *, positive: bool = False) -> None:
    check_number(family, name, value, integer=True, positive=positive, non_negative=not positive)


def _ramp(t: np.ndarray, init: float, end: float, power: float, steps: int, begin: int) -> np.ndarray:
    """optax's polynomial ramp: init until ``begin``, then to ``end`` over ``steps`` (0: constant)."""
    if steps == 0:
        return np.full_like(t, init)
    return k.polynomial(np.maximum(t - begin, 0.0), init, end, steps, power)


@_frozen
class _Constant(Schedule):
    family = "constant_schedule"
    value: float

    def __post_init__(self) -> None:
        check_number(self.family, "value", self.value)

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        return np.full_like(steps, self.value)


def constant_schedule(value: float) -> Schedule:
    """``value`` at every step.

    >>> constant_schedule(0.1)(10**9)
    0.1
    """
    return _Constant(value)


@_frozen
class _Polynomial(Schedule):
    family = "polynomial_schedule"
    init_value: float
    end_value: float
    power: float
    transition_steps: int
    transition_begin: int = 0

    def __post_init__(self) -> None:
        for name in ("init_value", "end_value"):
            check_number(self.family, name, getattr(self, name))
        check_number(self.family, "power", self.power, positive=True)
        _check_steps(self.family, "transition_steps", self.transition_steps)
        _check_steps(self.family, "transition_begin", self.transition_begin)

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


@_frozen
class _Linear(Schedule):
    family = "linear_schedule"
    init_value: float
    end_value: float
    transition_steps: int
    transition_begin: int = 0

    def __post_init__(self) -> None:
        _Polynomial(self.init_value, self.end_value, 1.0, self.transition_steps, self.transition_begin)

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


@_frozen
class _ExponentialDecay(Schedule):
    family = "exponential_decay"
    init_value: float
    transition_steps: int
    decay_rate: float
    transition_begin: int = 0
    staircase: bool = False
    end_value: float | None = None

    def __post_init__(self) -> None:
        check_number(self.family, "init_value", self.init_value)
        _check_steps(self.family, "transition_steps", self.transition_steps, positive=True)
        check_number(self.family, "decay_rate", self.decay_rate, positive=True)
        _check_steps(self.family, "transition_begin", self.transition_begin)
        check_choice(self.family, "staircase", self.staircase, (False, True))
        if self.end_value is not None:
            check_number(self.family, "end_value", self.end_value)

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


@_frozen
class _CosineDecay(Schedule):
    family = "cosine_decay_schedule"
    init_value: float
    decay_steps: int
    alpha: float = 0.0
    exponent: float = 1.0

    def __post_init__(self) -> None:
        check_number(self.family, "init_value", self.init_value)
        _check_steps(self.family, "decay_steps", self.decay_steps, positive=True)
        check_number(self.family, "alpha", self.alpha)
        check_number(self.family, "exponent", self.exponent, positive=True)

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
    if not isinstance(value, Mapping):
        raise ScheduleError(
            f"boundaries_and_scales={value!r} is invalid for {family}: must be a dict {{step: scale}}"
        )
    pairs = []
    for step, scale in value.items():
        if isinstance(step, str):
            try:
                step = int(step)
            except ValueError:
                raise ScheduleError(
                    f"boundaries_and_scales key {step!r} is invalid for {family}: must be an integer step"
                ) from None
        _check_steps(family, "boundaries_and_scales key", step)
        check_number(family, f"boundaries_and_scales[{step!r}]", scale, non_negative=True)
        pairs.append((int(step), scale))
    pairs.sort()
    if len({b for b, _ in pairs}) != len(pairs):
        raise ScheduleError(f"boundaries_and_scales={value!r} is invalid for {family}: repeats a step")
    return tuple(pairs)


@_frozen
class _PiecewiseConstant(Schedule):
    family = "piecewise_constant_schedule"
    init_value: float
    boundaries_and_scales: Any = None

    def __post_init__(self) -> None:
        check_number(self.family, "init_value", self.init_value)
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


@_frozen
class _PiecewiseInterpolate(Schedule):
    family = "piecewise_interpolate_schedule"
    interpolate_type: str
    init_value: float
    boundaries_and_scales: Any = None

    def __post_init__(self) -> None:
        check_choice(self.family, "interpolate_type", self.interpolate_type, ("linear", "cosine"))
        check_number(self.family, "init_value", self.init_value)
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
    f = s.family
    _check_steps(f, "transition_steps", s.transition_steps, positive=True)
    check_number(f, "peak_value", s.peak_value)
    check_number(f, "div_factor", s.div_factor, positive=True)
    check_number(f, "final_div_factor", s.final_div_factor, positive=True)
    check_number(f, "pct_start", s.pct_start, low=0.0, high=1.0)
    steps = [_pct_step(s, s.pct_start)]
    if pct_final is not None:
        check_number(f, "pct_final", pct_final, low=0.0, high=1.0)
        steps.append(_pct_step(s, pct_final))
    steps.append(int(s.transition_steps))
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise ScheduleError(
            f"pct_start={s.pct_start!r} is invalid for {f}: the phase boundaries int(pct * "
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
        for name in ("init_value", "peak_value", "end_value"):
            check_number(self.family, name, getattr(self, name))
        _check_steps(self.family, "warmup_steps", self.warmup_steps)
        check_number(self.family, "decay_steps", self.decay_steps, integer=True, low=self.warmup_steps,
                     low_open=True)
        check_number(self.family, "exponent", self.exponent, positive=True)

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

    def __post_init__(self) -> None:
        check_number(self.family, "init_value", self.init_value)
        _check_steps(self.family, "warmup_steps", self.warmup_steps)
        self.build()

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

    >>> s = join_schedules([constant_schedule(1.0), linear_schedule(1.0, 0.0, 10)], [5])
    >>> s(4), s(5), s(10)
    (1.0, 1.0, 0.5)
    """
    return k.Join(schedules, boundaries)


_COSINE_KEYS = tuple(inspect.signature(warmup_cosine_decay_schedule).parameters)


@_frozen
class _SGDR(k.Composite):
    family = "sgdr_schedule"
    cosine_kwargs: Any

    def __post_init__(self) -> None:
        given = self.cosine_kwargs
        if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable):
            raise ScheduleError(
                f"cosine_kwargs={self.cosine_kwargs!r} is invalid for {self.family}: must be a list of dicts"
            )
        cycles = []
        for kwargs in self.cosine_kwargs:
            if isinstance(kwargs, tuple):  # already normalised pairs
                kwargs = dict(kwargs)
            if not isinstance(kwargs, Mapping) or set(kwargs) - set(_COSINE_KEYS):
                raise ScheduleError(
                    f"cosine_kwargs item {kwargs!r} is invalid for {self.family}: must be a dict of "
                    f"warmup_cosine_decay_schedule arguments {list(_COSINE_KEYS)}"
                )
            try:
                piece = _WarmupCosineDecay(**kwargs)
            except TypeError as exc:
                raise ScheduleError(f"cosine_kwargs item {dict(kwargs)!r} is invalid for {self.family}: "
                                    f"{exc}") from None
            cycles.append(tuple((key, getattr(piece, key)) for key in _COSINE_KEYS))
        if not cycles:
            raise ScheduleError(f"cosine_kwargs=[] is invalid for {self.family}: must hold at least one dict")
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
    return _SGDR(cosine_kwargs)
