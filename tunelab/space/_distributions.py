"""Distributions: immutable, validated descriptions of where a parameter's value may lie.

Samplers work in an internal numeric encoding: a float for Float and Int distributions, the
index of the choice for Categorical ones. ``to_internal`` / ``to_external`` convert, and
``to_json`` / :func:`distribution_from_json` round-trip a distribution through JSON text.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import numbers
from typing import Any

from tunelab._errors import InvalidArgumentError, invalid, wrong_type

CategoricalChoice = None | bool | int | float | str

_STEP_TOLERANCE = 1e-8


def _choice_key(value: Any) -> tuple[str, Any]:
    """A key under which True and 1 (or None and anything) never collide, while 1 and 1.0 do."""
    if value is None or isinstance(value, (bool, str)):
        return (type(value).__name__, value)
    if isinstance(value, numbers.Real):
        return ("number", value)
    return (type(value).__name__, id(value))


def _check_real(argument: str, value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise wrong_type(argument, value, "a real number", where=where)
    if not math.isfinite(value):
        raise invalid(argument, value, "finite", where=where)
    return value


def _check_bounds(low: float, high: float, log: Any, where: str) -> None:
    if not isinstance(log, bool):
        raise wrong_type("log", log, "a bool", where=where)
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
        """The sampler-side number that stands for the external ``value``."""
        raise NotImplementedError

    def to_external(self, internal: float) -> Any:
        """The user-side value that the internal number stands for."""
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
        low = float(_check_real("low", low, where))
        high = float(_check_real("high", high, where))
        _check_bounds(low, high, log, where)
        if step is not None:
            step = float(_check_real("step", step, where))
            if step <= 0:
                raise invalid("step", step, "> 0", where=where)
            if log:
                raise invalid("step", step, "None when log=True (a log scale has no fixed step)", where=where)
            _check_step_divides(low, high, step, where)
        _assign(self, low=low, high=high, log=log, step=step)

    def to_internal(self, value: Any) -> float:
        return float(value)

    def to_external(self, internal: float) -> float:
        return float(internal)

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
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


@dataclasses.dataclass(frozen=True)
class IntDistribution(BaseDistribution):
    """An integer in ``[low, high]``, on a log scale or on a grid of ``step`` when asked.

    >>> IntDistribution(16, 256, log=True).contains(64)
    True
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
        for name, value in (("low", low), ("high", high), ("step", step)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                if isinstance(value, float) and value.is_integer():
                    continue
                raise wrong_type(name, value, "an integer", where=where)
        low, high, step = int(low), int(high), int(step)
        _check_bounds(low, high, log, where)
        if step <= 0:
            raise invalid("step", step, "a positive integer", where=where)
        if log and step != 1:
            raise invalid("step", step, "1 when log=True", where=where)
        _check_step_divides(low, high, step, where)
        _assign(self, low=low, high=high, log=log, step=step)

    def to_internal(self, value: Any) -> float:
        return float(value)

    def to_external(self, internal: float) -> int:
        return int(round(internal))

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if isinstance(value, float) and not value.is_integer():
            return False
        v = int(value)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def single(self) -> bool:
        return self.high - self.low < self.step


@dataclasses.dataclass(frozen=True, eq=False)
class CategoricalDistribution(BaseDistribution):
    """One of a fixed tuple of ``choices`` (None, bool, int, float or str: JSON round-trips them).

    >>> d = CategoricalDistribution(["relu", "tanh"])
    >>> d.to_internal("tanh"), d.to_external(0)
    (1.0, 'relu')
    >>> CategoricalDistribution([])
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: choices=[] is invalid for CategoricalDistribution: must be a non-empty sequence
    """

    choices: tuple[CategoricalChoice, ...]

    def __init__(self, choices: Any):
        where = "CategoricalDistribution"
        if isinstance(choices, (str, bytes)) or not hasattr(choices, "__iter__"):
            raise wrong_type("choices", choices, "a sequence of None, bool, int, float or str", where=where)
        items = tuple(choices)
        if not items:
            raise invalid("choices", list(items), "a non-empty sequence", where=where)
        for c in items:
            if c is not None and not isinstance(c, (bool, int, float, str)):
                raise wrong_type(
                    "choices", list(items),
                    f"a sequence of None, bool, int, float or str (got {c!r} of type {type(c).__name__})",
                    where=where,
                )
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
