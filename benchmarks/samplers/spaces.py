"""A small search-space description that runs on tunelab, Optuna (same define-by-run calls) and Hyperopt."""

from __future__ import annotations

import dataclasses
import math
from typing import Any


@dataclasses.dataclass(frozen=True)
class F:
    """A float parameter."""

    name: str
    low: float
    high: float
    log: bool = False


@dataclasses.dataclass(frozen=True)
class I:  # noqa: E742 - short on purpose, next to F and C
    """An integer parameter."""

    name: str
    low: int
    high: int
    log: bool = False


@dataclasses.dataclass(frozen=True)
class C:
    """A categorical parameter; ``branches`` maps a choice to the parameters only that choice asks for."""

    name: str
    choices: tuple
    branches: dict = dataclasses.field(default_factory=dict)


def suggest(trial: Any, space: list) -> dict[str, Any]:
    """Ask every parameter of ``space`` (and the branches taken) through ``trial.suggest_*``."""
    out: dict[str, Any] = {}
    for p in space:
        if isinstance(p, F):
            out[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        elif isinstance(p, I):
            out[p.name] = trial.suggest_int(p.name, p.low, p.high, log=p.log)
        else:
            out[p.name] = trial.suggest_categorical(p.name, list(p.choices))
            out.update(suggest(trial, p.branches.get(out[p.name], [])))
    return out


def hyperopt_space(space: list) -> dict[str, Any]:
    """The same space in Hyperopt's terms (conditional branches as nested ``hp.choice``)."""
    from hyperopt import hp

    out: dict[str, Any] = {}
    for p in space:
        if isinstance(p, F):
            out[p.name] = (hp.loguniform(p.name, math.log(p.low), math.log(p.high)) if p.log
                           else hp.uniform(p.name, p.low, p.high))
        elif isinstance(p, I):
            out[p.name] = (hp.qloguniform(p.name, math.log(p.low), math.log(p.high + 1) - 1e-9, 1) if p.log
                           else hp.quniform(p.name, p.low - 0.4999, p.high + 0.4999, 1))
        elif p.branches:
            out[p.name] = hp.choice(p.name, [{"__choice": c, **hyperopt_space(p.branches.get(c, []))}
                                             for c in p.choices])
        else:
            out[p.name] = hp.choice(p.name, list(p.choices))
    return out


def flatten(space: list, sample: dict[str, Any]) -> dict[str, Any]:
    """Hyperopt's nested sample as the flat dict ``suggest`` returns (ints as ints)."""
    out: dict[str, Any] = {}
    for p in space:
        v = sample[p.name]
        if isinstance(p, I):
            out[p.name] = int(min(max(round(v), p.low), p.high))
        elif isinstance(p, C) and p.branches:
            out[p.name] = v["__choice"]
            out.update(flatten(p.branches.get(v["__choice"], []), v))
        else:
            out[p.name] = v
    return out
