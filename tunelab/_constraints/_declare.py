"""Declaring a table: the decorator that checks a callee's arguments, one-off checks, the registry."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from tunelab._constraints._base import MISS, Constraint
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


class _Placeholder:
    def __repr__(self) -> str:
        return "PLACEHOLDER"


#: Stands for a required argument that a call does not mean to give (the generic test's calls):
#: a declared callee checks the other arguments, then raises TypeError naming the placeholders.
PLACEHOLDER: Any = _Placeholder()


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
            cls.__init__ = _wrap(cls.__init__, spec, lambda self: name_of(type(self)), error)
            _DECLARED.append(Declaration(cls, name_of(cls), spec, error))
            return cls
        fixed = where if isinstance(where, str) else target.__name__
        wrapped = _wrap(target, spec, lambda self: fixed, error)
        _DECLARED.append(Declaration(wrapped, fixed, spec, error))
        return wrapped

    return decorate


def _wrap(fn: Callable[..., Any], spec: Mapping[str, Constraint], where_of: Callable[[Any], str],
          error: type[InvalidArgumentError]) -> Callable[..., Any]:
    """``fn`` behind a function with its very signature that checks the declared arguments first.

    The checking function is written once per table, like the ``__init__`` of a dataclass: one line
    per declared argument, which skips an argument left at its default (defaults are trusted, and
    the generic test checks them) or given as :data:`PLACEHOLDER`, and otherwise runs the
    argument's quick test (:meth:`Constraint.fast`); only a value that test does not accept takes
    the generic path (:meth:`Constraint.check`), which converts it or raises. Arguments are bound by
    Python itself (its own errors for missing or extra ones), so a call costs little more than the
    call of ``fn``.
    """
    params = list(inspect.signature(fn).parameters.values())
    named = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    unknown = sorted(set(spec) - named)
    if unknown:
        raise TypeError(f"constraints declared for {unknown}, which {fn.__qualname__} does not take")
    first = params[0].name if params and params[0].kind is not params[0].VAR_POSITIONAL else None

    def slow(name: str, value: Any, self: Any) -> Any:
        return spec[name].check(name, value, where_of(self), error)

    def missing(*names: str) -> None:
        raise TypeError(f"{fn.__qualname__}() missing required argument(s): {', '.join(map(repr, names))}")

    # A required argument given as PLACEHOLDER is not checked; once the others were, the call stops
    # with a TypeError naming it (the generic test calls each callee with one argument so).
    scope: dict[str, Any] = {"_c_fn": fn, "_c_slow": slow, "_c_miss": MISS, "_c_missing": missing,
                             "_c_required": PLACEHOLDER}
    head: list[str] = []
    call: list[str] = []
    checks: list[str] = []
    required: list[str] = []
    for i, p in enumerate(params):
        text = p.name
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            text = passed = ("*" if p.kind is p.VAR_POSITIONAL else "**") + p.name
        else:
            if p.default is p.empty:
                required.append(p.name)
                scope[f"_c_default_{p.name}"] = PLACEHOLDER
            else:
                scope[f"_c_default_{p.name}"] = p.default
                text += f"=_c_default_{p.name}"
            passed = f"{p.name}={p.name}" if p.kind is p.KEYWORD_ONLY else p.name
        if p.kind is p.KEYWORD_ONLY and not any(h.startswith("*") for h in head):
            head.append("*")
        head.append(text)
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind is not p.kind):
            head.append("/")
        call.append(passed)
        if p.name in spec:
            scope[f"_c_quick_{p.name}"] = spec[p.name].fast()
            checks.append(f"    if {p.name} is not _c_default_{p.name} and (_c_v := _c_quick_{p.name}({p.name})) "
                          f"is not {p.name}:\n"
                          f"        {p.name} = _c_slow({p.name!r}, {p.name}, {first}) if _c_v is _c_miss else _c_v\n")
    if required:
        checks.append(f"    if {' or '.join(f'{n} is _c_required' for n in required)}:\n"
                      f"        _c_missing(*[n for n, v in {{{', '.join(f'{n!r}: {n}' for n in required)}}}.items() "
                      "if v is _c_required])\n")
    source = (f"def {fn.__name__}({', '.join(head)}):\n" + "".join(checks)
              + f"    return _c_fn({', '.join(call)})\n")
    # named in tracebacks as the table's checking function of its callee
    code = compile(source, f"<constrained {fn.__module__}.{fn.__qualname__}>", "exec")
    exec(code, scope)  # noqa: S102 - source built above from the signature's own parameter names
    return functools.wraps(fn)(scope[fn.__name__])
