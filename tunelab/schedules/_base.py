"""The Schedule value: a pure function of the step, with repr, equality, pickling and JSON configs.

Every family is a frozen dataclass that subclasses :class:`Schedule`, declares its arguments'
constraints with :func:`family_args` (rules tying arguments together follow in ``__post_init__``)
and implements ``_evaluate(steps)`` on a float64 numpy array of validated, non-negative steps. The
step counter lives with the caller, so any step can be evaluated directly and resuming is exact.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from tunelab._constraints import Bool, InstanceOf, Integral, Real, constrained
from tunelab._errors import InvalidArgumentError, invalid, wrong_type

#: Largest step whose integer value float64 still represents exactly.
MAX_EXACT_STEP = 2**53

_REGISTRY: dict[str, type[Schedule]] = {}


class ScheduleError(InvalidArgumentError):
    """A schedule argument, step or config is not allowed."""


@dataclasses.dataclass(frozen=True, repr=False)
class Schedule:
    """A learning-rate schedule: ``schedule(step)`` is the learning rate at ``step``.

    Subclasses are frozen dataclasses. ``family`` is the name users know (``"ExponentialDecay"``,
    ``"StepLR"``, ``"exponential_decay"``) and is used in the repr and in configs.
    ``integer_steps`` says whether non-integral steps are an error (True for PyTorch, optax and
    transformers families, whose step counters are integers; False for Keras, whose schedules
    accept any non-negative float step).
    """

    family: ClassVar[str] = ""
    integer_steps: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("family") or cls.__name__
        if not name.startswith("_"):
            cls.family = name
            if name in _REGISTRY and _REGISTRY[name].__qualname__ != cls.__qualname__:
                raise TypeError(f"schedule family {name!r} is registered twice")
            _REGISTRY[name] = cls

    # -- evaluation -------------------------------------------------------------------------
    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step``: a float for a scalar step, an array for an array of steps."""
        steps, scalar = as_steps(step, integer=self.integer_steps, where=self.family)
        values = np.asarray(self._evaluate(steps), dtype=np.float64)
        if values.shape != steps.shape:
            values = np.broadcast_to(values, steps.shape).copy()
        return float(values) if scalar else values

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        """Return the learning rates at ``steps`` (float64 array, validated, non-negative)."""
        raise NotImplementedError

    # -- value semantics ----------------------------------------------------------------------
    def _arguments(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_format(v)}" for k, v in self._arguments().items())
        return f"{self.family}({args})"

    def to_config(self) -> dict[str, Any]:
        """A JSON-serialisable description: ``{"family": name, "args": {...}}``."""
        return {"family": self.family, "args": {k: _encode(v) for k, v in self._arguments().items()}}

    @staticmethod
    def from_config(config: Any) -> Schedule:
        """Rebuild a schedule from :meth:`to_config`'s output (also accepts the JSON text)."""
        if isinstance(config, str):
            import json

            config = json.loads(config)
        if not isinstance(config, dict) or "family" not in config:
            raise ScheduleError(
                f"config={config!r} is invalid: must be a mapping with keys 'family' and 'args'"
            )
        family = config["family"]
        cls = _REGISTRY.get(family)
        if cls is None:
            raise ScheduleError(
                f"family={family!r} is invalid: must be one of {sorted(_REGISTRY)}"
            )
        args = config.get("args", {})
        if not isinstance(args, dict):
            raise ScheduleError(f"args={args!r} is invalid for {family}: must be a mapping")
        return cls(**{k: _decode(v) for k, v in args.items()})

    # -- inspection -------------------------------------------------------------------------
    def table(self, steps: Any) -> list[tuple[int | float, float]]:
        """``[(step, learning_rate), ...]`` for the given steps (an int n means ``range(n)``)."""
        if isinstance(steps, numbers.Integral):
            steps = np.arange(int(steps))
        arr = np.asarray(steps)
        values = self(arr)
        return [(s.item(), float(v)) for s, v in zip(arr, values)]

    def plot(self, steps: Any, *, ax: Any = None, label: str | None = None) -> Any:
        """Draw the schedule with matplotlib (extra ``plot``) and return the axes."""
        from tunelab._errors import require_extra

        plt = require_extra("matplotlib.pyplot", "plot")
        if isinstance(steps, numbers.Integral):
            steps = np.arange(int(steps))
        arr = np.asarray(steps)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(arr, self(arr), label=label or repr(self))
        ax.set_xlabel("step")
        ax.set_ylabel("learning rate")
        return ax


def schedule_families() -> dict[str, type[Schedule]]:
    """Every registered family name and its class."""
    return dict(_REGISTRY)


def as_steps(step: Any, *, integer: bool = True, where: str | None = None) -> tuple[np.ndarray, bool]:
    """Validate ``step`` and return ``(float64 array, is_scalar)``.

    Steps must be non-negative, finite, at most 2**53 and, when ``integer``, integral.
    """
    if isinstance(step, bool) or (isinstance(step, np.ndarray) and step.dtype == bool):
        raise wrong_type("step", step, "an int, a float or a numeric array", where=where)
    scalar = np.ndim(step) == 0
    try:
        arr = np.asarray(step, dtype=np.float64)
    except (TypeError, ValueError):
        raise wrong_type("step", step, "an int, a float or a numeric array", where=where) from None
    if arr.size:
        if not np.all(np.isfinite(arr)):
            raise invalid("step", step, "finite", where=where)
        lowest = float(arr.min())
        if lowest < 0:
            raise invalid("step", step if scalar else lowest, "non-negative", where=where)
        if float(arr.max()) > MAX_EXACT_STEP:
            raise invalid("step", step if scalar else float(arr.max()), "at most 2**53", where=where)
        if integer and not np.all(arr == np.floor(arr)):
            bad = step if scalar else float(arr[arr != np.floor(arr)][0])
            raise invalid("step", bad, "an integer (this family counts whole steps)", where=where)
    return arr, scalar


# -- config encoding -------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "inf" / "nan": JSON has no literal for them
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "family" in value and "args" in value:
        return Schedule.from_config(value)
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def _format(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return repr(value)


# -- argument constraints shared by the families ----------------------------------------------------

#: Constraints the families' tables are made of.
NUMBER = Real()
POSITIVE = Real(0, None, min_open=True)
NON_NEGATIVE = Real(min=0)
FRACTION = Real(0, 1)
STEPS = Integral(min=0, integral_floats=True)
POSITIVE_STEPS = Integral(min=1, integral_floats=True)
FLAG = Bool()
SCHEDULE = InstanceOf(Schedule, "a Schedule", plural="Schedule values")


def family_args(table: Mapping[str, Any]) -> Callable[[type], type]:
    """Declare a family's argument constraints (:func:`tunelab._constraints.constrained`): messages
    name the family, bad values raise ScheduleError. Apply it above ``@dataclass``."""
    return constrained(table, where=lambda cls: cls.family, error=ScheduleError)


def check_increasing(family: str, name: str, values: Any, *, strict: bool = True) -> None:
    """Raise ScheduleError unless ``values`` is (strictly) increasing."""
    seq = list(values)
    for a, b in zip(seq, seq[1:]):
        if (b <= a) if strict else (b < a):
            kind = "strictly increasing" if strict else "sorted in increasing order"
            raise invalid(name, seq, kind, where=family, error=ScheduleError)
