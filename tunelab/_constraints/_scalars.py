"""Constraints on one value: numbers, integers, bools, options, strings, callables, instances."""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

from tunelab._constraints._base import Constraint, _bounds, _in_bounds, _outside, is_bool


@dataclasses.dataclass(frozen=True, repr=False)
class Real(Constraint):
    """A real number (int, float or numpy number; never a bool) within optional bounds.

    ``finite=True`` (the default) refuses infinities, ``nan=False`` (the default) refuses NaN.

    >>> Real(0, 1, min_open=True).describe(), Real(min=0).describe(), Real().describe()
    ('a number in (0, 1]', 'a finite number >= 0', 'a finite number')
    >>> Real().accepts(10**400), Real(finite=False).accepts(float("inf")), Real().accepts(True)
    (False, True, False)
    """

    min: float | None = None
    max: float | None = None
    _: dataclasses.KW_ONLY
    min_open: bool = False
    max_open: bool = False
    finite: bool = True
    nan: bool = False

    def takes_type(self, value: Any) -> bool:
        t = type(value)
        return t is float or t is int or (isinstance(value, numbers.Real) and not is_bool(value))

    def takes_value(self, value: Any) -> bool:
        try:
            f = float(value)
        except OverflowError:  # an int beyond float64
            return not self.finite and _in_bounds(self, value)
        if f != f:
            return self.nan
        if self.finite and math.isinf(f):
            return False
        return _in_bounds(self, value)

    def _noun(self, plural: bool) -> str:
        noun = "numbers" if plural else "a number"
        if self.finite and (self.min is None or self.max is None):
            noun = "finite " + noun if plural else "a finite number"
        return noun + _bounds(self) + (" or NaN" if self.nan else "")

    def describe(self) -> str:
        return self._noun(False)

    def plural(self) -> str:
        return self._noun(True)

    def _candidates(self) -> list[Any]:
        return [math.nan, math.inf, -math.inf, 10**400, -(10**400), [1.0], *_outside(self)]


@dataclasses.dataclass(frozen=True, repr=False)
class Integral(Constraint):
    """An integer (int or numpy integer; never a bool) within optional bounds; passed on as an ``int``.

    ``integral_floats=True`` also takes floats with an integral value (``10.0``); other floats are
    then value errors rather than type errors.

    >>> Integral(min=1).describe(), Integral(0, 10).describe()
    ('an integer >= 1', 'an integer in [0, 10]')
    >>> Integral(integral_floats=True).check("n", 3.0)
    3
    """

    min: int | None = None
    max: int | None = None
    _: dataclasses.KW_ONLY
    integral_floats: bool = False
    min_open: bool = dataclasses.field(default=False, init=False)
    max_open: bool = dataclasses.field(default=False, init=False)

    def takes_type(self, value: Any) -> bool:
        if type(value) is int:
            return True
        if is_bool(value):
            return False
        return isinstance(value, numbers.Integral) or (self.integral_floats and isinstance(value, float))

    def takes_value(self, value: Any) -> bool:
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            return False
        return _in_bounds(self, value)

    def convert(self, value: Any) -> int:
        return int(value)

    def describe(self) -> str:
        return "an integer" + _bounds(self)

    def plural(self) -> str:
        return "integers" + _bounds(self)

    def _candidates(self) -> list[Any]:
        low = self.min if self.min is not None else 0
        return [1.5, math.nan, math.inf, float(low), [1], *_outside(self)]


@dataclasses.dataclass(frozen=True, repr=False)
class Bool(Constraint):
    """``True`` or ``False`` (a numpy bool too); never 0, 1 or a string.

    >>> Bool().accepts(1), Bool().accepts(False)
    (False, True)
    """

    def takes_type(self, value: Any) -> bool:
        return is_bool(value)

    def convert(self, value: Any) -> bool:
        return bool(value)

    def describe(self) -> str:
        return "a bool"

    def plural(self) -> str:
        return "bools"

    def _candidates(self) -> list[Any]:
        return [1, 0, "True", 1.0]


class Options(Constraint):
    """One of the given values (compared with their types: ``1`` is not ``True``).

    A value of an option's type that is not an option is a value error; any other type a type error.

    >>> Options("min", "max").describe()
    "one of ['min', 'max']"
    """

    def __init__(self, *options: Any) -> None:
        if not options:
            raise ValueError("Options needs at least one option")
        self.options = tuple(options)

    def takes_type(self, value: Any) -> bool:
        return any(type(value) is type(o) for o in self.options)

    def takes_value(self, value: Any) -> bool:
        return any(type(value) is type(o) and value == o for o in self.options)

    def describe(self) -> str:
        return f"one of {list(self.options)}"

    def plural(self) -> str:
        return f"values among {list(self.options)}"

    def _candidates(self) -> list[Any]:
        out: list[Any] = [1.5]
        for o in self.options[:1]:
            if isinstance(o, str):
                out += [o.upper(), o + "x", ""]
        return out


class InstanceOf(Constraint):
    """An instance of ``types`` (a class or a tuple of classes), described as ``what``.

    >>> InstanceOf(str).describe(), InstanceOf(dict, "a mapping", plural="mappings").plural()
    ('a str', 'mappings')
    """

    def __init__(self, types: type | tuple[type, ...], what: str | None = None, *, plural: str | None = None):
        self.types = types
        names = [t.__name__ for t in (types if isinstance(types, tuple) else (types,))]
        self.what = what or " or ".join(f"{'an' if n[0].lower() in 'aeiou' else 'a'} {n}" for n in names)
        self._plural = plural or " or ".join(f"{n} values" for n in names)

    def takes_type(self, value: Any) -> bool:
        return isinstance(value, self.types)

    def describe(self) -> str:
        return self.what

    def plural(self) -> str:
        return self._plural

    def _candidates(self) -> list[Any]:
        return [1, "x", 1.5]


@dataclasses.dataclass(frozen=True, repr=False)
class String(Constraint):
    """A ``str`` (non-empty with ``non_empty=True``)."""

    _: dataclasses.KW_ONLY
    non_empty: bool = False

    def takes_type(self, value: Any) -> bool:
        return isinstance(value, str)

    def takes_value(self, value: Any) -> bool:
        return bool(value) or not self.non_empty

    def describe(self) -> str:
        return "a non-empty string" if self.non_empty else "a string"

    def plural(self) -> str:
        return "non-empty strings" if self.non_empty else "strings"

    def _candidates(self) -> list[Any]:
        return ["", 1, b"x"]


@dataclasses.dataclass(frozen=True, repr=False)
class Function(Constraint):
    """Anything callable."""

    def takes_type(self, value: Any) -> bool:
        return callable(value)

    def describe(self) -> str:
        return "a callable"

    def plural(self) -> str:
        return "callables"

    def _candidates(self) -> list[Any]:
        return [1, "f"]
