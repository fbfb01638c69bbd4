"""Constraints made of others: lists of items, alternatives, and the value None."""

from __future__ import annotations

import collections.abc as abc
from collections.abc import Callable
from typing import Any

from tunelab._constraints._base import MISS, Constraint, shown
from tunelab._constraints._scalars import InstanceOf
from tunelab._errors import InvalidArgumentError, invalid, wrong_type


class _NoneValue(Constraint):
    def takes_type(self, value: Any) -> bool:
        return value is None

    def fast(self) -> Callable[[Any], Any]:
        def quick(value: Any) -> Any:
            return None if value is None else MISS

        return quick

    def describe(self) -> str:
        return "None"

    def plural(self) -> str:
        return "None"


class ListOf(Constraint):
    """A list or tuple (any sized collection but a string or a mapping; only a sequence with
    ``ordered=True``) of items meeting ``item``; passed on as a tuple.

    A bad item is reported under its index, ``name[i]=item``, as that item's own type or value error.

    >>> from tunelab._constraints import Integral, Real
    >>> ListOf(Integral(min=0), min_len=1).describe()
    'a non-empty list of integers >= 0'
    >>> ListOf(Real()).check("values", [1.0, "a"], "F")
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidTypeError: values[1]='a' (type str) is invalid for F: must be a finite number
    """

    def __init__(self, item: Any, *, min_len: int = 0, ordered: bool = False, what: str | None = None) -> None:
        self.item = as_constraint(item)
        self.min_len = min_len
        self.ordered = ordered
        self.what = what

    def takes_type(self, value: Any) -> bool:
        t = type(value)
        if t is list or t is tuple:
            return True
        if not isinstance(value, abc.Sequence if self.ordered else abc.Collection) or isinstance(
                value, (str, bytes, bytearray, abc.Mapping)):
            return False
        try:
            len(value)  # a 0-d numpy array is a Collection without a length
        except TypeError:
            return False
        return True

    def takes_value(self, value: Any) -> bool:
        return len(value) >= self.min_len and all(self.item.accepts(v) for v in value)

    def fast(self) -> Callable[[Any], Any]:
        # a list or tuple whose items each pass the item's quick test unchanged (a tuple is passed
        # on as it is); items that convert, and everything else, take the generic path
        item, min_len = self.item.fast(), self.min_len
        types = self.item.types if type(self.item) is InstanceOf else None

        if types is not None:  # the items' test is one isinstance: spare the calls
            def quick(value: Any) -> Any:
                t = type(value)
                if (t is list or t is tuple) and len(value) >= min_len:
                    for v in value:
                        if not isinstance(v, types):
                            return MISS
                    return value if t is tuple else tuple(value)
                return MISS
        else:
            def quick(value: Any) -> Any:
                t = type(value)
                if (t is list or t is tuple) and len(value) >= min_len:
                    for v in value:
                        if item(v) is not v:
                            return MISS
                    return value if t is tuple else tuple(value)
                return MISS

        return quick

    def kind(self, value: Any) -> str:
        if not self.takes_type(value):
            return "type"
        bad = [v for v in value if not self.item.accepts(v)]
        return self.item.kind(bad[0]) if bad else "value"

    def convert(self, value: Any) -> tuple[Any, ...]:
        return tuple(self.item.convert(v) for v in value)

    def check(self, name: str, value: Any, where: str | None = None,
              error: type[InvalidArgumentError] = InvalidArgumentError) -> Any:
        if not self.takes_type(value):
            raise wrong_type(name, value, self.describe(), where=where)
        item, converted = self.item, []
        for i, v in enumerate(value):
            converted.append(item.convert(v) if item.accepts(v) else item.check(f"{name}[{i}]", v, where, error))
        items = tuple(converted)
        if len(items) < self.min_len:
            raise invalid(name, shown(value), self.describe(), where=where, error=error)
        return items

    def describe(self) -> str:
        if self.what:
            return self.what
        return f"a {'non-empty ' if self.min_len else ''}list of {self.item.plural()}"

    def plural(self) -> str:
        return f"lists of {self.item.plural()}"

    def _candidates(self) -> list[Any]:
        bad_items = [[v] for v in self.item.invalid_values()[:4]]
        return ["ab", 1, *bad_items, *([[]] if self.min_len else [])]


class AnyOf(Constraint):
    """Any of several constraints (``None`` stands for the value None); a tuple in a table means this.

    The first alternative that accepts a value converts it. ``what`` describes them all in the
    caller's words.

    >>> from tunelab._constraints import Real
    >>> AnyOf(None, Real(min=0, min_open=True)).describe()
    'None or a finite number > 0'
    """

    def __init__(self, *alternatives: Any, what: str | None = None) -> None:
        self.alternatives = tuple(as_constraint(a) for a in alternatives)
        self.what = what

    def takes_type(self, value: Any) -> bool:
        return any(a.takes_type(value) for a in self.alternatives)

    def accepts(self, value: Any) -> bool:
        return any(a.accepts(value) for a in self.alternatives)

    def takes_value(self, value: Any) -> bool:
        return self.accepts(value)

    def convert(self, value: Any) -> Any:
        return next(a for a in self.alternatives if a.accepts(value)).convert(value)

    def fast(self) -> Callable[[Any], Any]:
        # None is only ever the value None (every alternative that takes it passes it on as None).
        # Otherwise only the first other alternative is asked: when it does not accept quickly, an
        # alternative after it may not convert as the generic path would, which tries them in order.
        others = [a for a in self.alternatives if not isinstance(a, _NoneValue)]
        if not others:
            return self.alternatives[0].fast()
        first = others[0].fast()
        if len(others) == len(self.alternatives):
            return first

        def quick(value: Any) -> Any:
            return None if value is None else first(value)

        return quick

    def describe(self) -> str:
        return self.what or " or ".join(a.describe() for a in self.alternatives)

    def plural(self) -> str:
        return f"values that are each {self.what}" if self.what else " or ".join(
            a.plural() for a in self.alternatives)

    def _candidates(self) -> list[Any]:
        return [v for a in self.alternatives for v in a.invalid_values()]


def as_constraint(spec: Any) -> Constraint:
    """``spec`` as a Constraint: itself, ``None`` as the value None, a tuple as :class:`AnyOf`."""
    if isinstance(spec, Constraint):
        return spec
    if spec is None:
        return _NoneValue()
    if isinstance(spec, tuple):
        return AnyOf(*spec)
    raise TypeError(f"{spec!r} is not a constraint (a Constraint, None or a tuple of them)")
