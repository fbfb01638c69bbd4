"""Distributions: immutable, validated descriptions of where a parameter's value may lie.

Samplers and storages work in an internal numeric encoding, a float64 that stands for the value
exactly: the value itself for Float distributions and for Int distributions whose bounds lie within
``±2**53`` (where float64 holds every integer), the offset from ``low`` for Int distributions beyond
that (their range may then span at most ``2**53``), the index of the choice for Categorical ones.
``to_internal`` / ``to_external`` convert; ``to_internal(low)`` and ``to_internal(high)`` bound the
internal range. ``to_json`` / :func:`distribution_from_json` round-trip a distribution through JSON.

Each constructor declares its arguments' constraints (:mod:`tunelab._constraints`); the rules that
tie arguments together (``low <= high``, ``step`` divides the range, exactness) follow in the body.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import numbers
import sys
from typing import Any

from tunelab._constraints import Bool, InstanceOf, Integral, ListOf, Real, constrained
from tunelab._errors import InvalidArgumentError, invalid

CategoricalChoice = None | bool | int | float | str

_STEP_TOLERANCE = 1e-8

#: Integers up to this magnitude are exact float64 values; an internal float holds that many steps.
EXACT_INT = 2**53

_INTEGER = Integral(integral_floats=True)
_NUMBER = Real(finite=False, nan=True)
_CHOICE = InstanceOf((type(None), bool, int, float, str), "None, a bool, an int, a float or a str",
                     plural="None, bools, ints, floats or strs")


def _choice_key(value: Any) -> tuple[str, Any]:
    """A key under which True and 1 (or None and anything) never collide, while 1 and 1.0 do."""
    if value is None or isinstance(value, (bool, str)):
        return (type(value).__name__, value)
    if isinstance(value, numbers.Real):
        return ("number", value)
    return (type(value).__name__, id(value))


def _check_bounds(low: float, high: float, log: bool, where: str) -> None:
    if low > high:
        raise invalid("low", low, f"at most high={high!r}", where=where)
    if log and low <= 0:
        raise invalid("low", low, "> 0 when log=True", where=where)


def _assign(obj: Any, **fields: Any) -> None:
    """Set the validated fields of a frozen dataclass from its own ``__init__``."""
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


def _check_step_divides(low: float, high: float, step: float, where: str) -> None:
    if isinstance(step, int) and isinstance(low, int) and isinstance(high, int):
        divides = (high - low) % step == 0
    else:
        n = (high - low) / step
        if n > EXACT_INT:  # inf included
            raise invalid("step", step, f"at least (high - low) / 2**53 = {(high - low) / EXACT_INT!r} (float64 "
                          "cannot tell apart the points of a finer grid)", where=where)
        divides = abs(n - round(n)) <= _STEP_TOLERANCE * max(1.0, abs(n))
    if not divides:
        raise invalid(
            "step", step, f"a divisor of the range high - low = {high - low!r} (low={low!r}, high={high!r})",
            where=where,
        )


@dataclasses.dataclass(frozen=True)
class BaseDistribution:
    """Common protocol of every distribution."""

    def to_internal(self, value: Any) -> float:
        """The float64 that stands for the external ``value`` exactly (what storages keep and samplers
        may model); not the value itself in general (see the module notes)."""
        raise NotImplementedError

    def to_external(self, internal: float) -> Any:
        """The user-side value that the internal number stands for (``internal`` rounded to the
        nearest value for Int and Categorical distributions)."""
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        """Whether the external ``value`` is a possible outcome of this distribution."""
        raise NotImplementedError

    def single(self) -> bool:
        """Whether the distribution has exactly one possible value."""
        raise NotImplementedError

    def to_json(self) -> str:
        """JSON text that :func:`distribution_from_json` turns back into an equal distribution."""
        return _json_of(self)

    def _json_fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@constrained({"low": Real(), "high": Real(), "log": Bool(), "step": (None, Real(0, None, min_open=True))})
@dataclasses.dataclass(frozen=True)
class FloatDistribution(BaseDistribution):
    """A real number in ``[low, high]``, on a log scale or on a grid of ``step`` when asked.

    >>> d = FloatDistribution(1e-4, 1e-1, log=True)
    >>> d.contains(0.01), d.contains(0.5)
    (True, False)
    >>> FloatDistribution(0.0, 1.0, step=0.3)
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: step=0.3 is invalid for FloatDistribution: must be a divisor of the range high - low = 1.0 (low=0.0, high=1.0)
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __init__(self, low: float, high: float, *, log: bool = False, step: float | None = None):
        where = "FloatDistribution"
        low, high = float(low), float(high)
        _check_bounds(low, high, log, where)
        if not math.isfinite(high - low):
            raise invalid("high", high, f"at most low + {sys.float_info.max!r} (high - low must be a finite "
                          f"float64; with low={low!r} it is {high - low!r})", where=where)
        if step is not None:
            step = float(step)
            if log:
                raise invalid("step", step, "None when log=True (a log scale has no fixed step)", where=where)
            _check_step_divides(low, high, step, where)
        _assign(self, low=low, high=high, log=log, step=step)

    def to_internal(self, value: Any) -> float:
        return float(value)

    def to_external(self, internal: float) -> float:
        return float(internal)

    def contains(self, value: Any) -> bool:
        if not _NUMBER.takes_type(value):
            return False
        v = float(value)
        if not (self.low <= v <= self.high):
            return False
        if self.step is not None:
            k = (v - self.low) / self.step
            return abs(k - round(k)) <= _STEP_TOLERANCE * max(1.0, abs(k))
        return True

    def single(self) -> bool:
        if self.step is not None:
            return self.high - self.low < self.step
        return self.low == self.high


@constrained({"low": _INTEGER, "high": _INTEGER, "log": Bool(), "step": Integral(min=1, integral_floats=True)})
@dataclasses.dataclass(frozen=True)
class IntDistribution(BaseDistribution):
    """An integer in ``[low, high]``, on a log scale or on a grid of ``step`` when asked.

    Every integer of the range is exact in the float64 internal encoding: bounds within ``±2**53``
    are encoded as themselves; beyond that the range is encoded as offsets from ``low`` and may
    span at most ``2**53`` (and ``log=True`` is refused there).

    >>> IntDistribution(16, 256, log=True).contains(64)
    True
    >>> d = IntDistribution(2**60, 2**60 + 10)
    >>> d.to_internal(2**60 + 3), d.to_external(3.0) == 2**60 + 3
    (3.0, True)
    >>> IntDistribution(0, 2**63)
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: high=9223372036854775808 is invalid for IntDistribution: must be at most low + 2**53 = 9007199254740992 when a bound lies beyond ±2**53 (float64 holds 2**53 + 1 consecutive integers exactly)
    >>> IntDistribution(0, 10, step=3)
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: step=3 is invalid for IntDistribution: must be a divisor of the range high - low = 10 (low=0, high=10)
    """

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __init__(self, low: int, high: int, *, log: bool = False, step: int = 1):
        where = "IntDistribution"
        _check_bounds(low, high, log, where)
        if log and step != 1:
            raise invalid("step", step, "1 when log=True", where=where)
        _check_step_divides(low, high, step, where)
        if max(-low, high) > EXACT_INT:
            name, bound = ("high", high) if high > EXACT_INT else ("low", low)
            if log:
                raise invalid(name, bound, "at most 2**53 when log=True (float64 holds every integer exactly only "
                              "up to 2**53)", where=where)
            if high - low > EXACT_INT:
                allowed = (f"at most low + 2**53 = {low + EXACT_INT}" if name == "high"
                           else f"at least high - 2**53 = {high - EXACT_INT}")
                raise invalid(name, bound, f"{allowed} when a bound lies beyond ±2**53 (float64 holds 2**53 + 1 "
                              "consecutive integers exactly)", where=where)
        _assign(self, low=low, high=high, log=log, step=step)

    @property
    def _offset(self) -> int:
        """What the internal encoding subtracts: 0 within ``±2**53``, else ``low``."""
        return self.low if max(-self.low, self.high) > EXACT_INT else 0

    def to_internal(self, value: Any) -> float:
        offset = self._offset
        return float(int(value) - offset) if offset else float(value)

    def to_external(self, internal: float) -> int:
        return int(round(internal)) + self._offset

    def contains(self, value: Any) -> bool:
        if not _NUMBER.takes_type(value):
            return False
        if isinstance(value, float) and not value.is_integer():
            return False
        v = int(value)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def single(self) -> bool:
        return self.high - self.low < self.step


@constrained({"choices": ListOf(_CHOICE, min_len=1, what="a non-empty sequence of None, bool, int, float or str")})
@dataclasses.dataclass(frozen=True, eq=False)
class CategoricalDistribution(BaseDistribution):
    """One of a fixed tuple of ``choices`` (None, bool, int, float or str: JSON round-trips them).

    >>> d = CategoricalDistribution(["relu", "tanh"])
    >>> d.to_internal("tanh"), d.to_external(0)
    (1.0, 'relu')
    >>> CategoricalDistribution([])
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: choices=[] is invalid for CategoricalDistribution: must be a non-empty sequence of None, bool, int, float or str
    """

    choices: tuple[CategoricalChoice, ...]

    def __init__(self, choices: Any):
        where = "CategoricalDistribution"
        items = choices  # a tuple: the table converted it
        for c in items:
            if isinstance(c, float) and math.isnan(c):
                raise invalid("choices", list(items), "free of NaN (NaN never equals itself)", where=where)
        keys = [_choice_key(c) for c in items]
        if len(set(keys)) != len(keys):
            seen: set = set()
            dup = next(c for k, c in zip(keys, items) if k in seen or seen.add(k))
            raise invalid("choices", list(items), f"free of duplicates ({dup!r} appears twice)", where=where)
        _assign(self, choices=items)

    def __eq__(self, other: object) -> bool:
        # tuples would call (1, True) and (True, 1) equal; choices are compared with their types
        if not isinstance(other, CategoricalDistribution):
            return NotImplemented
        return [_choice_key(c) for c in self.choices] == [_choice_key(c) for c in other.choices]

    def __hash__(self) -> int:
        return hash(tuple(_choice_key(c) for c in self.choices))

    def _index(self, value: Any) -> int:
        key = _choice_key(value)
        for i, c in enumerate(self.choices):
            if _choice_key(c) == key:
                return i
        raise InvalidArgumentError(f"value={value!r} is invalid: must be one of {list(self.choices)}")

    def to_internal(self, value: Any) -> float:
        return float(self._index(value))

    def to_external(self, internal: float) -> CategoricalChoice:
        return self.choices[int(internal)]

    def contains(self, value: Any) -> bool:
        try:
            self._index(value)
        except InvalidArgumentError:
            return False
        return True

    def single(self) -> bool:
        return len(self.choices) == 1

    def _json_fields(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


@functools.lru_cache(maxsize=4096)
def _json_of(distribution: BaseDistribution) -> str:
    """Distributions are immutable, and storages write the same few over and over: encode each once."""
    return json.dumps({"name": type(distribution).__name__, "attributes": distribution._json_fields()})


_CLASSES = {c.__name__: c for c in (FloatDistribution, IntDistribution, CategoricalDistribution)}


def distribution_from_json(text: str) -> BaseDistribution:
    """Rebuild a distribution from :meth:`BaseDistribution.to_json` output.

    >>> d = IntDistribution(1, 9, step=2)
    >>> distribution_from_json(d.to_json()) == d
    True
    """
    try:
        data = json.loads(text)
        cls = _CLASSES[data["name"]]
        attrs = dict(data["attributes"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidArgumentError(
            f"text={text!r} is invalid: must be a distribution's JSON ({sorted(_CLASSES)})"
        ) from exc
    if cls is CategoricalDistribution:
        return cls(attrs["choices"])
    low, high = attrs.pop("low"), attrs.pop("high")
    return cls(low, high, **attrs)


def check_compatible(name: str, old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise unless asking ``name`` again with ``new`` is consistent with the earlier ``old``."""
    if old != new:
        raise InvalidArgumentError(
            f"parameter {name!r} was already suggested in this trial with {old!r}; "
            f"asking it again with {new!r} is not allowed (one name, one distribution)"
        )
