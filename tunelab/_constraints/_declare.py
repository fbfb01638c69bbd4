"""Declaring a table: the decorator that checks a callee's arguments, one-off checks, the registry."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from tunelab._constraints._base import Constraint
from tunelab._constraints._composite import as_constraint
from tunelab._errors import InvalidArgumentError


def check(name: str, value: Any, constraint: Any, *, where: str | None = None,
          error: type[InvalidArgumentError] = InvalidArgumentError) -> Any:
    """Apply one constraint to one value outside a declared table: ``value`` converted, or the error.

    >>> from tunelab._constraints import Integral
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
