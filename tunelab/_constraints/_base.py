"""The Constraint protocol and the pieces the kinds of constraint share.

Two paths check a value. The generic one (:meth:`Constraint.accepts`, :meth:`~Constraint.convert`,
:meth:`~Constraint.check`) handles every allowed type and builds the error. The hot path,
:meth:`Constraint.fast`, is a closure built once per declared argument: it accepts values of exact
builtin types with a few comparisons and answers :data:`MISS` for anything else, which only means
"ask the generic path" (which accepts, converts or raises). A value the fast path accepts is one the
generic path accepts, converted the same way: the closures add speed, never a rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tunelab._errors import InvalidArgumentError, invalid, wrong_type


def is_bool(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy bool (never accepted as a number)."""
    return isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"))


class _Miss:
    def __repr__(self) -> str:
        return "MISS"


#: What a :meth:`Constraint.fast` closure returns when its quick test does not accept the value.
MISS: Any = _Miss()

#: Value errors show a string longer than this cut, with its length (the message stays one line).
_SHOWN_CHARS = 40


class _Cut:
    """A long string as a value error shows it: ``'abc...' (600 characters)``."""

    def __init__(self, text: str) -> None:
        self._repr = f"{str.__repr__(text[:_SHOWN_CHARS])[:-1]}...' ({len(text)} characters)"

    def __repr__(self) -> str:
        return self._repr


def shown(value: Any) -> Any:
    """``value`` as an error message shows it: itself, or a long string cut to its start and length."""
    return _Cut(value) if isinstance(value, str) and len(value) > _SHOWN_CHARS else value


def _num(x: Any) -> str:
    return repr(x) if isinstance(x, (int, float)) else str(x)


class Constraint:
    """What one argument may be. Subclasses say which types are allowed (:meth:`takes_type`), which
    values of those (:meth:`takes_value`), how to describe them and which values to refuse."""

    def takes_type(self, value: Any) -> bool:
        """Whether the type of ``value`` is allowed (else: InvalidTypeError)."""
        raise NotImplementedError

    def takes_value(self, value: Any) -> bool:
        """Whether ``value``, of an allowed type, is allowed (else: InvalidArgumentError)."""
        return True

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` satisfies the constraint."""
        return self.takes_type(value) and self.takes_value(value)

    def convert(self, value: Any) -> Any:
        """The accepted ``value`` as the callee receives it (an int for an integral float ...)."""
        return value

    def describe(self) -> str:
        """What is allowed, after "must be": ``"an integer >= 0"``."""
        raise NotImplementedError

    def plural(self) -> str:
        """The items a list of these holds: ``"integers >= 0"``."""
        return f"values that are each {self.describe()}"

    def kind(self, value: Any) -> str:
        """``"type"`` when refusing ``value`` is a type error, ``"value"`` when it is a value error."""
        return "value" if self.takes_type(value) else "type"

    def check(self, name: str, value: Any, where: str | None = None,
              error: type[InvalidArgumentError] = InvalidArgumentError) -> Any:
        """``value`` converted, or the house error naming ``name`` (and ``where``)."""
        if self.accepts(value):
            return self.convert(value)
        if self.kind(value) == "type":
            raise wrong_type(name, value, self.describe(), where=where)
        raise invalid(name, shown(value), self.describe(), where=where, error=error)

    def fast(self) -> Callable[[Any], Any]:
        """The hot path: a function of a value returning it converted if a quick test accepts it, else
        :data:`MISS` (then :meth:`check` decides). Built once per declared argument, not per call.

        >>> from tunelab._constraints import Integral
        >>> quick = Integral(min=0).fast()
        >>> quick(3), quick(-1), quick(True)
        (3, MISS, MISS)
        """
        accepts, convert = self.accepts, self.convert

        def quick(value: Any) -> Any:
            return convert(value) if accepts(value) else MISS

        return quick

    def _candidates(self) -> list[Any]:
        return []

    def invalid_values(self) -> list[Any]:
        """Values this constraint refuses, for tests: wrong types, bools, NaN, infinities, values
        just outside the range, wrong options."""
        out = []
        for v in [*self._candidates(), "1", None, True, object()]:
            if not self.accepts(v) and not any(v is w for w in out):
                out.append(v)
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


def _bounds(c: Any) -> str:
    """`` in [a, b]``, `` >= a``, `` < b`` ... for a constraint with min/max/min_open/max_open."""
    lo, hi = c.min, c.max
    if lo is not None and hi is not None:
        return f" in {'(' if c.min_open else '['}{_num(lo)}, {_num(hi)}{')' if c.max_open else ']'}"
    if lo is not None:
        return f" {'>' if c.min_open else '>='} {_num(lo)}"
    if hi is not None:
        return f" {'<' if c.max_open else '<='} {_num(hi)}"
    return ""


def _in_bounds(c: Any, v: Any) -> bool:
    lo, hi = c.min, c.max
    if lo is not None and (v <= lo if c.min_open else v < lo):
        return False
    return hi is None or (v < hi if c.max_open else v <= hi)


def _outside(c: Any) -> list[Any]:
    """Values just outside ``c``'s bounds (and the open bounds themselves)."""
    out = []
    if c.min is not None:
        out += [c.min - 1, math.nextafter(float(c.min), -math.inf)] + ([c.min] if c.min_open else [])
    if c.max is not None:
        out += [c.max + 1, math.nextafter(float(c.max), math.inf)] + ([c.max] if c.max_open else [])
    return out
