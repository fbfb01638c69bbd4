"""Declared argument constraints: a public class or function states its arguments' rules once.

A *table* maps argument names to constraints. :func:`constrained` attaches it to a function, or to
a class (around its ``__init__``, the generated one of a dataclass included), and checks every
argument the caller passed before the body runs, with the house's one message template::

    name=value is invalid for Where: must be <what is allowed>

An argument whose *type* is not allowed at all raises :class:`~tunelab.InvalidTypeError`; one of an
allowed type whose *value* is not raises :class:`~tunelab.InvalidArgumentError` (or the subclass
given as ``error=``, e.g. ``ScheduleError``). A bool is never a number, NaN never a number unless
declared (``Real(nan=True)``), infinity only where declared (``Real(finite=False)``). Rules that tie
arguments together (``low <= high``) stay in the body, after the table, raising
:func:`tunelab._errors.invalid`.

>>> @constrained({"n": Integral(min=1), "rate": Real(0, 1), "mode": Options("fast", "slow"),
...               "seed": (None, Integral(min=0))})
... def run(n, *, rate=0.5, mode="fast", seed=None):
...     return n * rate
>>> run(4)
2.0
>>> run(True)
Traceback (most recent call last):
...
tunelab._errors.InvalidTypeError: n=True (type bool) is invalid for run: must be an integer >= 1
>>> run(2, rate=float("nan"))
Traceback (most recent call last):
...
tunelab._errors.InvalidArgumentError: rate=nan is invalid for run: must be a number in [0, 1]
>>> run(2, seed=-1)
Traceback (most recent call last):
...
tunelab._errors.InvalidArgumentError: seed=-1 is invalid for run: must be None or an integer >= 0

A class is decorated the same way; messages name the class of the object being built (a subclass
calling ``super().__init__`` is named itself), or what ``where=`` says: a string, or a function of
the class (schedules use their family name)::

    @constrained({"n_startup_trials": Integral(min=0), "seed": (None, Integral(min=0))})
    class MySampler(Sampler):
        def __init__(self, *, n_startup_trials=10, seed=None): ...

A constraint is an instance of the classes below, ``None`` (the value None) or a tuple of those
(any of them). For one value outside a declared signature, :func:`check` applies a constraint with
the same template. Every table is kept in a registry, :func:`declarations`, which one generic test
(``tests/test_constraints.py``) walks, feeding each declared argument the invalid values its
constraint generates (:meth:`Constraint.invalid_values`): declaring a table is all it takes to be
tested.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from tunelab._errors import InvalidArgumentError, invalid, wrong_type

__all__ = [
    "AnyOf", "Bool", "Constraint", "Declaration", "Function", "InstanceOf", "Integral", "ListOf",
    "Options", "Real", "String", "check", "constrained", "declarations", "is_bool",
]


def is_bool(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy bool (never accepted as a number)."""
    return isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"))


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
        raise invalid(name, value, self.describe(), where=where, error=error)

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


class _NoneValue(Constraint):
    def takes_type(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"

    def plural(self) -> str:
        return "None"


class ListOf(Constraint):
    """A list or tuple (any sized collection but a string or a mapping) of items meeting ``item``;
    passed on as a tuple.

    A bad item is reported under its index, ``name[i]=item``, as that item's own type or value error.

    >>> ListOf(Integral(min=0), min_len=1).describe()
    'a non-empty list of integers >= 0'
    >>> ListOf(Real()).check("values", [1.0, "a"], "F")
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidTypeError: values[1]='a' (type str) is invalid for F: must be a finite number
    """

    def __init__(self, item: Any, *, min_len: int = 0, what: str | None = None) -> None:
        self.item = as_constraint(item)
        self.min_len = min_len
        self.what = what

    def takes_type(self, value: Any) -> bool:
        if not isinstance(value, abc.Collection) or isinstance(value, (str, bytes, bytearray, abc.Mapping)):
            return False
        try:
            len(value)  # a 0-d numpy array is a Collection without a length
        except TypeError:
            return False
        return True

    def takes_value(self, value: Any) -> bool:
        return len(value) >= self.min_len and all(self.item.accepts(v) for v in value)

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
        items = tuple(self.item.check(f"{name}[{i}]", v, where, error) for i, v in enumerate(value))
        if len(items) < self.min_len:
            raise invalid(name, value, self.describe(), where=where, error=error)
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

    >>> AnyOf(None, Real(min=0, min_open=True)).describe()
    'None or a finite number > 0'
    """

    def __init__(self, *alternatives: Any) -> None:
        self.alternatives = tuple(as_constraint(a) for a in alternatives)

    def takes_type(self, value: Any) -> bool:
        return any(a.takes_type(value) for a in self.alternatives)

    def accepts(self, value: Any) -> bool:
        return any(a.accepts(value) for a in self.alternatives)

    def takes_value(self, value: Any) -> bool:
        return self.accepts(value)

    def convert(self, value: Any) -> Any:
        return next(a for a in self.alternatives if a.accepts(value)).convert(value)

    def describe(self) -> str:
        return " or ".join(a.describe() for a in self.alternatives)

    def plural(self) -> str:
        return " or ".join(a.plural() for a in self.alternatives)

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


def check(name: str, value: Any, constraint: Any, *, where: str | None = None,
          error: type[InvalidArgumentError] = InvalidArgumentError) -> Any:
    """Apply one constraint to one value outside a declared table: ``value`` converted, or the error.

    >>> check("total_steps", 10.0, Integral(min=1, integral_floats=True), where="space")
    10
    """
    return as_constraint(constraint).check(name, value, where, error)


@dataclasses.dataclass(frozen=True)
class Declaration:
    """One declared table: ``target`` (the function or class) checks ``table`` and names itself ``where``."""

    target: Any
    where: str
    table: Mapping[str, Constraint]
    error: type[InvalidArgumentError]


_DECLARED: list[Declaration] = []


def declarations() -> list[Declaration]:
    """Every table declared so far (modules register theirs when imported)."""
    return list(_DECLARED)


def constrained(table: Mapping[str, Any], *, where: str | Callable[[type], str] | None = None,
                error: type[InvalidArgumentError] = InvalidArgumentError) -> Callable[[Any], Any]:
    """Decorate a function or a class so that the arguments named in ``table`` are checked on each call.

    Args:
        table: ``{argument name: constraint}``; every name must be a parameter of the function (of
            ``__init__`` for a class), or TypeError is raised at decoration.
        where: how messages name the callee: a string, or a function of the class being built;
            default: the function's name, or the name of the class being built.
        error: the InvalidArgumentError subclass raised for bad values.

    Only the arguments a caller passes are checked (defaults are trusted; the generic test checks
    them against the table), and each reaches the body converted (:meth:`Constraint.convert`).
    """
    spec = {name: as_constraint(c) for name, c in table.items()}

    def decorate(target: Any) -> Any:
        if isinstance(target, type):
            cls = target
            if where is None:
                name_of: Callable[[type], str] = lambda c: c.__name__  # noqa: E731
            elif isinstance(where, str):
                name_of = lambda c: where  # noqa: E731
            else:
                name_of = where
            cls.__init__ = _wrap(cls.__init__, spec, lambda args: name_of(type(args[0])), error)
            _DECLARED.append(Declaration(cls, name_of(cls), spec, error))
            return cls
        fixed = where if isinstance(where, str) else target.__name__
        wrapped = _wrap(target, spec, lambda args: fixed, error)
        _DECLARED.append(Declaration(wrapped, fixed, spec, error))
        return wrapped

    return decorate


def _wrap(fn: Callable[..., Any], spec: Mapping[str, Constraint], where_of: Callable[[Any], str],
          error: type[InvalidArgumentError]) -> Callable[..., Any]:
    params = inspect.signature(fn).parameters.values()
    named = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    unknown = sorted(set(spec) - named)
    if unknown:
        raise TypeError(f"constraints declared for {unknown}, which {fn.__qualname__} does not take")
    positional = [(i, p.name, spec[p.name]) for i, p in enumerate(params)
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name in spec]

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if positional and len(args) > positional[0][0]:
            args = list(args)  # type: ignore[assignment]
            for i, name, c in positional:
                if i < len(args):
                    v = args[i]
                    args[i] = c.convert(v) if c.accepts(v) else c.check(name, v, where_of(args), error)
        for name, v in kwargs.items():
            c = spec.get(name)
            if c is not None:
                kwargs[name] = c.convert(v) if c.accepts(v) else c.check(name, v, where_of(args), error)
        return fn(*args, **kwargs)

    return checked
