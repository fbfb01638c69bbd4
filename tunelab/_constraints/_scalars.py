"""Constraints on one value: numbers, integers, bools, options, strings, callables, instances."""

from __future__ import annotations

import dataclasses
import math
import numbers
import sys
from collections.abc import Callable
from typing import Any

from tunelab._constraints._base import MISS, Constraint, _bounds, _in_bounds, _outside, is_bool

_FLOAT_MAX = sys.float_info.max


@dataclasses.dataclass(frozen=True, repr=False)
class Real(Constraint):
    """A real number (int, float or numpy number; never a bool) within optional bounds.

    ``finite=True`` (the default) refuses infinities, ``nan=False`` (the default) refuses NaN;
    ``what`` describes the allowed values in the caller's words instead of the generated text.

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
    what: str | None = None

    def takes_type(self, value: Any) -> bool:
        t = type(value)
        return t is float or t is int or (isinstance(value, numbers.Real) and not is_bool(value))

    def accepts(self, value: Any) -> bool:
        t = type(value)
        if t is float or t is int:  # the common case, without the calls of the general one
            return self.takes_value(value)
        return self.takes_type(value) and self.takes_value(value)

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

    def fast(self) -> Callable[[Any], Any]:
        # an int or a float within the bounds, which a finite constraint narrows to float64's range
        # (so 10**400, infinities and NaN go to the generic path, as do numpy numbers)
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        lo_open, hi_open = self.min is not None and self.min_open, self.max is not None and self.max_open
        if self.finite and lo < -_FLOAT_MAX:
            lo, lo_open = -_FLOAT_MAX, False
        if self.finite and hi > _FLOAT_MAX:
            hi, hi_open = _FLOAT_MAX, False
        if not (lo_open or hi_open):
            def quick(value: Any) -> Any:
                t = type(value)
                return value if (t is float or t is int) and lo <= value <= hi else MISS
        else:
            def quick(value: Any) -> Any:
                t = type(value)
                if (t is float or t is int) and (lo < value if lo_open else lo <= value) and (
                        value < hi if hi_open else value <= hi):
                    return value
                return MISS
        return quick

    def _noun(self, plural: bool) -> str:
        if self.what:
            return f"values that are each {self.what}" if plural else self.what
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
    then value errors rather than type errors. ``what`` describes the allowed values in the caller's
    words.

    >>> Integral(min=1).describe(), Integral(0, 10).describe()
    ('an integer >= 1', 'an integer in [0, 10]')
    >>> Integral(integral_floats=True).check("n", 3.0)
    3
    """

    min: int | None = None
    max: int | None = None
    _: dataclasses.KW_ONLY
    integral_floats: bool = False
    what: str | None = None
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

    def fast(self) -> Callable[[Any], Any]:
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max

        def quick(value: Any) -> Any:
            return value if type(value) is int and lo <= value <= hi else MISS

        return quick

    def describe(self) -> str:
        return self.what or "an integer" + _bounds(self)

    def plural(self) -> str:
        return f"values that are each {self.what}" if self.what else "integers" + _bounds(self)

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

    def fast(self) -> Callable[[Any], Any]:
        def quick(value: Any) -> Any:
            return value if value is True or value is False else MISS

        return quick

    def describe(self) -> str:
        return "a bool"

    def plural(self) -> str:
        return "bools"

    def _candidates(self) -> list[Any]:
        return [1, 0, "True", 1.0]


class Options(Constraint):
    """One of the given values (compared with their types: ``1`` is not ``True``).

    A value of an option's type that is not an option is a value error; any other type a type error.
    With ``ignore_case=True`` string options match whatever their case (``"MINIMIZE"``); ``what``
    describes the options in the caller's words.

    >>> Options("min", "max").describe()
    "one of ['min', 'max']"
    >>> Options("minimize", "maximize", ignore_case=True).accepts("Maximize")
    True
    """

    _PLAIN = (str, int, float, bool, type(None))

    def __init__(self, *options: Any, ignore_case: bool = False, what: str | None = None) -> None:
        if not options:
            raise ValueError("Options needs at least one option")
        self.options = tuple(options)
        self.ignore_case = ignore_case
        self.what = what

    def _folded(self, value: Any) -> Any:
        return value.casefold() if self.ignore_case and isinstance(value, str) else value

    def takes_type(self, value: Any) -> bool:
        return any(type(value) is type(o) for o in self.options)

    def takes_value(self, value: Any) -> bool:
        folded = self._folded(value)
        return any(type(value) is type(o) and folded == self._folded(o) for o in self.options)

    def fast(self) -> Callable[[Any], Any]:
        plain = all(type(o) in self._PLAIN and o == o for o in self.options)  # hashable, no NaN
        if not plain or self.ignore_case:
            return super().fast()
        keys = frozenset((type(o), o) for o in self.options)
        types = frozenset(type(o) for o in self.options)

        def quick(value: Any) -> Any:
            t = type(value)
            return value if t in types and (t, value) in keys else MISS

        return quick

    def describe(self) -> str:
        return self.what or f"one of {list(self.options)}"

    def plural(self) -> str:
        return f"values that are each {self.what}" if self.what else f"values among {list(self.options)}"

    def _candidates(self) -> list[Any]:
        out: list[Any] = [1.5]
        for o in self.options[:1]:
            if isinstance(o, str):
                out += ([] if self.ignore_case else [o.upper()]) + [o + "x", ""]
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

    def fast(self) -> Callable[[Any], Any]:
        types = self.types

        def quick(value: Any) -> Any:
            return value if isinstance(value, types) else MISS

        return quick

    def describe(self) -> str:
        return self.what

    def plural(self) -> str:
        return self._plural

    def _candidates(self) -> list[Any]:
        return [1, "x", 1.5]


class SubclassOf(Constraint):
    """A class derived from ``base`` (``base`` included), described as ``what``.

    Anything but a class is a type error; a class of another family a value error.

    >>> SubclassOf(Exception, "an Exception class").accepts(ValueError), SubclassOf(Exception).describe()
    (True, 'a subclass of Exception')
    """

    def __init__(self, base: type, what: str | None = None) -> None:
        self.base = base
        self.what = what or f"a subclass of {base.__name__}"

    def takes_type(self, value: Any) -> bool:
        return isinstance(value, type)

    def takes_value(self, value: Any) -> bool:
        return issubclass(value, self.base)

    def describe(self) -> str:
        return self.what

    def plural(self) -> str:
        return f"subclasses of {self.base.__name__}"

    def _candidates(self) -> list[Any]:
        return [int, "ValueError", 1]


@dataclasses.dataclass(frozen=True, repr=False)
class String(Constraint):
    """A ``str``: non-empty with ``non_empty=True``, at most ``max_len`` characters, without NUL with
    ``no_nul=True`` (names every storage backend keeps as given); ``what`` describes it in the
    caller's words.

    >>> String(non_empty=True, max_len=512, no_nul=True).describe()
    'a string of 1 to 512 characters without NUL'
    >>> String(max_len=10).check("name", "x" * 600, "f")
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: name='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (600 characters) is invalid for f: must be a string of 0 to 10 characters
    """

    _: dataclasses.KW_ONLY
    non_empty: bool = False
    max_len: int | None = None
    no_nul: bool = False
    what: str | None = None

    def takes_type(self, value: Any) -> bool:
        return isinstance(value, str)

    def takes_value(self, value: Any) -> bool:
        if self.non_empty and not value:
            return False
        if self.max_len is not None and len(value) > self.max_len:
            return False
        return not (self.no_nul and "\x00" in value)

    def fast(self) -> Callable[[Any], Any]:
        shortest = 1 if self.non_empty else 0
        longest = sys.maxsize if self.max_len is None else self.max_len
        no_nul = self.no_nul

        def quick(value: Any) -> Any:
            if type(value) is str and shortest <= len(value) <= longest and not (no_nul and "\x00" in value):
                return value
            return MISS

        return quick

    def describe(self) -> str:
        if self.what:
            return self.what
        if self.max_len is not None:
            text = f"a string of {1 if self.non_empty else 0} to {self.max_len} characters"
        else:
            text = "a non-empty string" if self.non_empty else "a string"
        return text + (" without NUL" if self.no_nul else "")

    def plural(self) -> str:
        if self.what or self.max_len is not None or self.no_nul:
            return f"values that are each {self.describe()}"
        return "non-empty strings" if self.non_empty else "strings"

    def _candidates(self) -> list[Any]:
        too_long = ["x" * (self.max_len + 1)] if self.max_len is not None else []
        return ["", 1, b"x", *too_long, *(["a\x00b"] if self.no_nul else [])]


@dataclasses.dataclass(frozen=True, repr=False)
class Function(Constraint):
    """Anything callable (``what`` describes it in the caller's words: "a callable taking a Trial")."""

    _: dataclasses.KW_ONLY
    what: str | None = None

    def takes_type(self, value: Any) -> bool:
        return callable(value)

    def fast(self) -> Callable[[Any], Any]:
        def quick(value: Any) -> Any:
            return value if callable(value) else MISS

        return quick

    def describe(self) -> str:
        return self.what or "a callable"

    def plural(self) -> str:
        return "callables"

    def _candidates(self) -> list[Any]:
        return [1, "f"]
