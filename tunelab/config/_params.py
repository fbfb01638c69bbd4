"""The ``[parameters]`` table: one search-space entry per parameter, conditional ones included.

Each parameter is an inline table with a ``type``::

    [parameters]
    n_layers  = {type = "int", low = 1, high = 3}
    width     = {type = "int", low = 16, high = 256, log = true}
    optimizer = {type = "categorical", choices = ["sgd", "rmsprop", "adam"]}
    momentum  = {type = "float", low = 0.5, high = 0.99, when = {optimizer = "sgd"}}
    lr        = {type = "schedule", families = ["constant", "cosine"], initial = [1e-4, 1e-1],
                 total_steps = 1000}

``when = {other = value}`` (or ``{other = [v1, v2]}``) makes a parameter conditional: it is
suggested only when every named parameter, defined earlier in the table, took one of the listed
values; otherwise it is absent from the trial (and from what a script receives). A ``schedule``
parameter takes the arguments of :func:`tunelab.schedules.space` and becomes a
:class:`~tunelab.schedules.Schedule` through ``trial.suggest_schedule``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tunelab._constraints import Integral
from tunelab._errors import TunelabError
from tunelab.config._source import ConfigError, ConfigTypeError, Source, check_keys

_COMMON = ("type", "when")
_TOTAL_STEPS = Integral(min=1, what="a positive integer (the nominal horizon in steps)")
_KEYS = {
    "float": ("low", "high", "log", "step"),
    "int": ("low", "high", "log", "step"),
    "categorical": ("choices",),
    "schedule": ("families", "initial", "total_steps", "args"),
}


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """One parameter: its ``name``, ``kind`` (float/int/categorical/schedule), the distribution or
    schedule space, and the ``when`` conditions (parameter name -> allowed values)."""

    name: str
    kind: str
    space: Any
    when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    total_steps: int | None = None

    def active(self, values: Mapping[str, Any]) -> bool:
        """Whether every condition holds for the values suggested so far."""
        return all(name in values and values[name] in allowed for name, allowed in self.when)

    def suggest(self, trial: Any) -> Any:
        """Suggest this parameter in ``trial`` (a Schedule for a schedule parameter)."""
        if self.kind == "schedule":
            return trial.suggest_schedule(self.name, self.space, total_steps=self.total_steps)
        return trial.suggest(self.name, self.space)


def suggest_all(trial: Any, specs: tuple[ParamSpec, ...]) -> dict[str, Any]:
    """Suggest every active parameter in file order; returns name -> value for the active ones."""
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.active(values):
            values[spec.name] = spec.suggest(trial)
    return values


def parse_parameters(table: Any, src: Source) -> tuple[ParamSpec, ...]:
    """Validate the ``[parameters]`` table and build the specs."""
    key = ("parameters",)
    if not isinstance(table, dict):
        raise src.error(key, f"parameters={table!r} is invalid: must be a table of parameters", kind=ConfigTypeError)
    specs: list[ParamSpec] = []
    for name, entry in table.items():
        specs.append(_parse_one(name, entry, {s.name: s for s in specs}, src))
    return tuple(specs)


def _parse_one(name: str, entry: Any, earlier: dict[str, ParamSpec], src: Source) -> ParamSpec:
    key = ("parameters", name)
    if not isinstance(entry, dict):
        raise src.error(key, f"parameters.{name}={entry!r} is invalid: must be a table such as "
                             '{type = "float", low = 0.0, high = 1.0}', kind=ConfigTypeError)
    kind = entry.get("type")
    if kind not in _KEYS:
        raise src.error((*key, "type"), f"parameters.{name}.type={kind!r} is invalid: must be one of "
                                        f"{', '.join(repr(k) for k in _KEYS)}")
    check_keys(entry, _COMMON + _KEYS[kind], key, src)
    when = _parse_when(name, entry.get("when", {}), earlier, src)
    args = {k: v for k, v in entry.items() if k not in _COMMON}
    try:
        if kind == "schedule":
            return _schedule_spec(name, args, when, src)
        from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution

        if kind == "categorical":
            if "choices" not in args:
                raise src.error(key, f"parameters.{name}: 'choices' is missing: a categorical parameter needs "
                                     "choices = [...]")
            space: Any = CategoricalDistribution(args["choices"])
        else:
            for bound in ("low", "high"):
                if bound not in args:
                    raise src.error(key, f"parameters.{name}: {bound!r} is missing: a {kind} parameter needs "
                                         "low and high")
            cls = FloatDistribution if kind == "float" else IntDistribution
            step = args.get("step", None if kind == "float" else 1)
            space = cls(args["low"], args["high"], log=args.get("log", False), step=step)
    except ConfigError:
        raise
    except TunelabError as exc:
        bad = _first_named(str(exc), args) or "type"
        kind_cls = ConfigTypeError if isinstance(exc, TypeError) else ConfigError
        raise src.error((*key, bad), f"parameters.{name}: {exc}", kind=kind_cls) from None
    return ParamSpec(name, kind, space, when)


def _first_named(message: str, args: dict[str, Any]) -> str | None:
    for k in args:
        if message.startswith(f"{k}="):
            return k
    return None


def _schedule_spec(name: str, args: dict[str, Any], when: Any, src: Source) -> ParamSpec:
    from tunelab import schedules

    key = ("parameters", name)
    total = args.get("total_steps")
    if total is not None:
        total = src.check((*key, "total_steps"), total, _TOTAL_STEPS)
    kwargs = {k: (tuple(v) if k == "initial" and isinstance(v, list) else v)
              for k, v in args.items() if k != "total_steps"}
    space = schedules.space(**kwargs)
    return ParamSpec(name, "schedule", space, when, total)


def _parse_when(name: str, when: Any, earlier: dict[str, ParamSpec], src: Source) -> tuple:
    key = ("parameters", name, "when")
    if not isinstance(when, dict):
        raise src.error(key, f"parameters.{name}.when={when!r} is invalid: must be a table such as "
                             '{optimizer = "sgd"}', kind=ConfigTypeError)
    out = []
    for other, allowed in when.items():
        if other not in earlier or earlier[other].kind == "schedule":
            known = [n for n, s in earlier.items() if s.kind != "schedule"]
            raise src.error(key, f"parameters.{name}.when names {other!r}: must name a parameter defined "
                                 f"above it (one of {known})")
        values = tuple(allowed) if isinstance(allowed, list) else (allowed,)
        dist = earlier[other].space
        for v in values:
            if not dist.contains(v):
                raise src.error(key, f"parameters.{name}.when: {other}={v!r} is invalid: must be a value "
                                     f"parameters.{other} can take ({dist!r})")
        out.append((other, values))
    return tuple(out)
