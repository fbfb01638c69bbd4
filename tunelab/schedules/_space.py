"""Search spaces over learning-rate schedules: a family and its arguments as conditional parameters.

``space(...)`` describes which families to try and the ranges of their arguments; a trial turns it
into one concrete :class:`~tunelab.schedules.Schedule` with ``trial.suggest_schedule(name, space)``.
The family is a categorical parameter ``"{name}.family"`` and each family's arguments are
parameters ``"{name}.{family}.{argument}"`` that exist only when that family is chosen, so every
sampler sees the space as ordinary conditional parameters and learns it.

Lengths are sampled as *fractions of the training length* and turned into steps for the horizon
``total_steps`` given to the space or at suggest time, so one space serves any budget: asking the
same trial again with another ``total_steps`` rebuilds the same schedule compressed or stretched.

The families are tunelab's short keys (``"exponential"``, ``"cosine"``, ``"one_cycle"`` ...; the
first six are the default) and, on request, transformers' schedules under transformers' names
(``"get_linear_schedule_with_warmup"`` ...), whose warmup is transformers' ``warmup_ratio``.
docs/schedules.md lists every family's arguments, default ranges and parameter names.

>>> from tunelab.schedules import space
>>> sp = space(families=["exponential", "cosine"], initial=(1e-3, 1e-1))
>>> cfg = sp.build({"lr.family": "exponential", "lr.exponential.initial": 0.01,
...                 "lr.exponential.decay_rate": 0.5, "lr.exponential.decay_fraction": 0.25,
...                 "lr.exponential.staircase": True}, "lr", total_steps=100)
>>> cfg
ExponentialDecay(initial_learning_rate=0.01, decay_steps=25, decay_rate=0.5, staircase=True)
>>> cfg.table([0, 25, 99])
[(0, 0.01), (25, 0.005), (99, 0.00125)]
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunelab._constraints import InstanceOf, Integral, Real, constrained
from tunelab._errors import InvalidArgumentError, wrong_type
from tunelab.schedules._base import Schedule
from tunelab.schedules._keras import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PolynomialDecay,
)
from tunelab.schedules._kernel import SHAPES
from tunelab.schedules._optax import constant_schedule
from tunelab.schedules._own import WarmupStableDecay
from tunelab.schedules._torch import OneCycleLR, StepLR
from tunelab.schedules._transformers import (
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_cosine_with_hard_restarts_schedule_with_warmup,
    get_linear_schedule_with_warmup,
    get_polynomial_decay_schedule_with_warmup,
    get_wsd_schedule,
)

__all__ = ["ScheduleSpace", "space", "space_from_config"]


@dataclasses.dataclass(frozen=True)
class Range:
    """A float argument's range; ``log=True`` samples it log-uniformly."""

    low: float
    high: float
    log: bool = False


@dataclasses.dataclass(frozen=True)
class Choices:
    """A categorical argument's choices."""

    choices: tuple[Any, ...]


ArgSpec = Range | Choices | bool | int | float | str


def _steps(fraction: float, total: int) -> int:
    return max(1, math.floor(fraction * total + 0.5))


def _cosine(a: Mapping[str, Any], lr: float, total: int) -> Schedule:
    w = math.floor(a["warmup_fraction"] * total + 0.5)
    if w == 0:
        return CosineDecay(lr, total, alpha=a["alpha"])
    w = min(w, total - 1)
    return CosineDecay(0.0, total - w, alpha=a["alpha"], warmup_target=lr, warmup_steps=w)


def _hf_steps(ratio: float, total: int, *, at_most: int) -> int:
    """transformers' Trainer turns ``warmup_ratio`` into ``ceil(num_training_steps * warmup_ratio)``
    steps; kept within ``at_most`` so that tiny horizons still build."""
    return max(0, min(math.ceil(ratio * total), at_most))


def _hf_wsd(a: Mapping[str, Any], lr: float, total: int) -> Schedule:
    warmup = _hf_steps(a["warmup_ratio"], total, at_most=total)
    decay = _hf_steps(a["decay_ratio"], total, at_most=total - warmup)
    return get_wsd_schedule(lr, warmup, decay, num_training_steps=total, warmup_type=a["warmup_type"],
                            decay_type=a["decay_type"], min_lr_ratio=a["min_lr_ratio"], num_cycles=a["num_cycles"])


#: The warmup of every transformers family: a fraction of the horizon, transformers' ``warmup_ratio``.
_HF_WARMUP = {"warmup_ratio": Range(0.0, 0.2)}

#: family key -> (default argument specs, builder(args, initial_lr, total_steps) -> Schedule, what it builds)
FAMILIES: dict[str, tuple[dict[str, ArgSpec], Callable[[Mapping[str, Any], float, int], Schedule], str]] = {
    "constant": ({}, lambda a, lr, t: constant_schedule(lr), "optax constant_schedule"),
    "exponential": (
        {"decay_rate": Range(0.1, 0.95), "decay_fraction": Range(0.05, 0.5), "staircase": Choices((False, True))},
        lambda a, lr, t: ExponentialDecay(lr, _steps(a["decay_fraction"], t), a["decay_rate"],
                                          staircase=a["staircase"]),
        "Keras ExponentialDecay; decay_steps = decay_fraction * total_steps",
    ),
    "step": (
        {"gamma": Range(0.1, 0.5), "step_fraction": Range(0.1, 0.5)},
        lambda a, lr, t: StepLR(lr, _steps(a["step_fraction"], t), gamma=a["gamma"]),
        "PyTorch StepLR; step_size = step_fraction * total_steps",
    ),
    "cosine": (
        {"alpha": Range(0.0, 0.1), "warmup_fraction": Range(0.0, 0.2)},
        _cosine,
        "Keras CosineDecay over total_steps, with a linear warmup of warmup_fraction * total_steps",
    ),
    "one_cycle": (
        {"pct_start": Range(0.1, 0.5), "div_factor": Range(5.0, 100.0, log=True),
         "final_div_factor": Range(10.0, 1e4, log=True)},
        lambda a, lr, t: OneCycleLR(lr, max(t, 2), pct_start=max(a["pct_start"], 1.5 / max(t, 2)),
                                    div_factor=a["div_factor"], final_div_factor=a["final_div_factor"]),
        "PyTorch OneCycleLR with max_lr = initial over total_steps (at least 2); on horizons so short "
        "that the warmup would be empty, pct_start is raised to 1.5 / total_steps",
    ),
    "wsd": (
        {"warmup_fraction": Range(0.0, 0.2), "decay_fraction": Range(0.1, 0.5),
         "decay_shape": Choices(SHAPES), "final_ratio": Range(0.0, 0.1)},
        lambda a, lr, t: WarmupStableDecay(lr, t, warmup_fraction=a["warmup_fraction"],
                                           decay_fraction=a["decay_fraction"], decay_shape=a["decay_shape"],
                                           final_lr=lr * a["final_ratio"]),
        "tunelab WarmupStableDecay with peak_lr = initial",
    ),
    "linear": (
        {"end_ratio": Range(0.0, 0.1)},
        lambda a, lr, t: PolynomialDecay(lr, t, end_learning_rate=lr * a["end_ratio"], power=1.0),
        "Keras PolynomialDecay (power 1) to initial * end_ratio at total_steps",
    ),
    "inverse_time": (
        {"decay_rate": Range(0.1, 10.0, log=True)},
        lambda a, lr, t: InverseTimeDecay(lr, t, a["decay_rate"]),
        "Keras InverseTimeDecay with decay_steps = total_steps",
    ),
    "cosine_restarts": (
        {"first_fraction": Range(0.1, 0.5), "t_mul": Choices((1.0, 2.0)), "m_mul": Range(0.5, 1.0),
         "alpha": Range(0.0, 0.1)},
        lambda a, lr, t: CosineDecayRestarts(lr, _steps(a["first_fraction"], t), t_mul=a["t_mul"],
                                             m_mul=a["m_mul"], alpha=a["alpha"]),
        "Keras CosineDecayRestarts; first_decay_steps = first_fraction * total_steps",
    ),
    # transformers' families under their own names: base_lr = initial, num_training_steps = total_steps,
    # num_warmup_steps = ceil(warmup_ratio * total_steps) as transformers' Trainer computes it
    "get_constant_schedule_with_warmup": (
        dict(_HF_WARMUP),
        lambda a, lr, t: get_constant_schedule_with_warmup(lr, _hf_steps(a["warmup_ratio"], t, at_most=t)),
        "transformers get_constant_schedule_with_warmup: warmup, then initial",
    ),
    "get_linear_schedule_with_warmup": (
        dict(_HF_WARMUP),
        lambda a, lr, t: get_linear_schedule_with_warmup(lr, _hf_steps(a["warmup_ratio"], t, at_most=t), t),
        "transformers get_linear_schedule_with_warmup: warmup, then linear decay to 0 at total_steps",
    ),
    "get_cosine_schedule_with_warmup": (
        {**_HF_WARMUP, "num_cycles": 0.5},
        lambda a, lr, t: get_cosine_schedule_with_warmup(lr, _hf_steps(a["warmup_ratio"], t, at_most=t), t,
                                                         num_cycles=a["num_cycles"]),
        "transformers get_cosine_schedule_with_warmup: warmup, then a half cosine (num_cycles 0.5) to 0 at "
        "total_steps",
    ),
    "get_cosine_with_hard_restarts_schedule_with_warmup": (
        {**_HF_WARMUP, "num_cycles": Choices((1, 2, 3, 4))},
        lambda a, lr, t: get_cosine_with_hard_restarts_schedule_with_warmup(
            lr, _hf_steps(a["warmup_ratio"], t, at_most=t), t, num_cycles=a["num_cycles"]),
        "transformers get_cosine_with_hard_restarts_schedule_with_warmup: warmup, then num_cycles cosines to 0, "
        "each restarting at initial",
    ),
    "get_polynomial_decay_schedule_with_warmup": (
        {**_HF_WARMUP, "lr_end_ratio": Range(0.0, 0.1), "power": Range(0.5, 2.0)},
        lambda a, lr, t: get_polynomial_decay_schedule_with_warmup(
            lr, _hf_steps(a["warmup_ratio"], t, at_most=t - 1), t, lr_end=lr * a["lr_end_ratio"], power=a["power"]),
        "transformers get_polynomial_decay_schedule_with_warmup: warmup, then polynomial decay to lr_end = "
        "initial * lr_end_ratio at total_steps (the warmup ends before total_steps, as the formula needs)",
    ),
    "get_wsd_schedule": (
        {**_HF_WARMUP, "decay_ratio": Range(0.1, 0.5), "warmup_type": "linear", "decay_type": Choices(SHAPES),
         "min_lr_ratio": Range(0.0, 0.1), "num_cycles": 0.5},
        _hf_wsd,
        "transformers get_wsd_schedule: warmup, stable, decay to initial * min_lr_ratio over num_decay_steps "
        "= ceil(decay_ratio * total_steps) (at most what the warmup leaves)",
    ),
}


#: The training length a space builds its schedules for.
_TOTAL_STEPS = Integral(min=1)
#: Any number but a bool (ranges and fixed values are checked further where they are used).
_IS_NUMBER = Real(finite=False, nan=True)

#: What :func:`space` and :func:`space_from_config` try when no families / initial range are given.
#: The transformers families are left out on purpose: a longer default list would change the
#: ``"{name}.family"`` choices, which a study that already searched the default space refuses.
DEFAULT_FAMILIES = ("constant", "exponential", "step", "cosine", "one_cycle", "wsd")
DEFAULT_INITIAL = (1e-4, 1e-1)


def _unknown(kind: str, value: Any, known: Sequence[str]) -> InvalidArgumentError:
    close = difflib.get_close_matches(str(value), list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InvalidArgumentError(f"{kind}={value!r} is invalid: must be one of {sorted(known)}{hint}")


def _as_spec(argument: str, value: Any, default: ArgSpec | None) -> ArgSpec:
    """A user's override: a (low, high) tuple is a range, a list the choices, a scalar a fixed value."""
    if isinstance(value, (Range, Choices)):
        spec = value
    elif isinstance(value, tuple):
        if len(value) != 2 or not all(_IS_NUMBER.takes_type(v) for v in value):
            raise InvalidArgumentError(f"{argument}={value!r} is invalid: a range must be (low, high) numbers")
        spec = Range(float(value[0]), float(value[1]), default.log if isinstance(default, Range) else False)
    elif isinstance(value, list):
        if not value:
            raise InvalidArgumentError(f"{argument}=[] is invalid: must be a non-empty list of choices")
        spec = Choices(tuple(value))
    elif isinstance(value, Mapping):
        try:
            spec = Choices(tuple(value["choices"])) if "choices" in value else Range(
                float(value["low"]), float(value["high"]), bool(value.get("log", False)))
        except (KeyError, TypeError, ValueError):
            raise InvalidArgumentError(
                f"{argument}={value!r} is invalid: must be {{low, high[, log]}} or {{choices}}") from None
    elif isinstance(value, (bool, str)) or _IS_NUMBER.takes_type(value):
        return value
    else:
        raise wrong_type(argument, value, "a (low, high) range, a list of choices or a fixed value")
    if isinstance(spec, Range):
        if not (math.isfinite(spec.low) and math.isfinite(spec.high)) or spec.low > spec.high:
            raise InvalidArgumentError(f"{argument}={value!r} is invalid: must have low <= high, both finite")
        if spec.log and spec.low <= 0:
            raise InvalidArgumentError(f"{argument}={value!r} is invalid: a log range needs low > 0")
    return spec


@dataclasses.dataclass(frozen=True, eq=True)
class ScheduleSpace:
    """Families of schedules and the ranges of their arguments. Build with :func:`space`."""

    families: tuple[str, ...]
    specs: tuple[tuple[str, tuple[tuple[str, ArgSpec], ...]], ...]
    total_steps: int | None = None

    def _family_specs(self, family: str) -> dict[str, ArgSpec]:
        return dict(dict(self.specs)[family])

    @constrained({"total_steps": (None, _TOTAL_STEPS)}, where="ScheduleSpace.suggest")
    def suggest(self, trial: Any, name: str, *, total_steps: int | None = None) -> Schedule:
        """Ask ``trial`` for the family and its arguments and build the schedule for ``total_steps``."""
        horizon = self._horizon(total_steps)
        family = trial.suggest_categorical(f"{name}.family", list(self.families))
        values: dict[str, Any] = {}
        for arg, spec in self._family_specs(family).items():
            key = f"{name}.{family}.{arg}"
            if isinstance(spec, Range):
                values[arg] = trial.suggest_float(key, spec.low, spec.high, log=spec.log)
            elif isinstance(spec, Choices):
                values[arg] = trial.suggest_categorical(key, list(spec.choices))
            else:
                values[arg] = spec
        return _build(family, values, horizon)

    @constrained({"params": InstanceOf(Mapping, "a mapping of parameter values"), "total_steps": (None, _TOTAL_STEPS)},
                 where="ScheduleSpace.build")
    def build(self, params: Mapping[str, Any], name: str, *, total_steps: int | None = None) -> Schedule:
        """Rebuild the schedule a trial with these ``params`` got, for ``total_steps`` (e.g. another budget)."""
        horizon = self._horizon(total_steps)
        key = f"{name}.family"
        if key not in params:
            raise InvalidArgumentError(f"params has no {key!r}: was schedule {name!r} suggested in that trial?")
        family = params[key]
        if family not in self.families:
            raise _unknown(key, family, self.families)
        values = {}
        for arg, spec in self._family_specs(family).items():
            if isinstance(spec, (Range, Choices)):
                values[arg] = params[f"{name}.{family}.{arg}"]
            else:
                values[arg] = spec
        return _build(family, values, horizon)

    def _horizon(self, total_steps: int | None) -> int:
        horizon = self.total_steps if total_steps is None else total_steps
        if horizon is None:
            raise InvalidArgumentError(
                "total_steps=None is invalid: give schedules.space(..., total_steps=N) or "
                "trial.suggest_schedule(name, space, total_steps=N)")
        return horizon  # checked where it was given: space(...), suggest(...) or build(...)

    def to_config(self) -> dict[str, Any]:
        """JSON-ready description; :func:`space_from_config` turns it back into an equal space."""
        def encode(spec: ArgSpec) -> Any:
            if isinstance(spec, Range):
                return {"low": spec.low, "high": spec.high, "log": spec.log}
            if isinstance(spec, Choices):
                return {"choices": list(spec.choices)}
            return spec

        return {"families": list(self.families), "total_steps": self.total_steps,
                "args": {fam: {arg: encode(s) for arg, s in specs} for fam, specs in self.specs}}


def _build(family: str, values: Mapping[str, Any], total_steps: int) -> Schedule:
    initial = values["initial"]
    return FAMILIES[family][1](values, initial, total_steps)


@constrained({"total_steps": (None, _TOTAL_STEPS),
              "args": (None, InstanceOf(Mapping, "a mapping {family: {argument: range, choices or value}}"))})
def space(
    families: Sequence[str] = DEFAULT_FAMILIES,
    *,
    initial: tuple[float, float] | float = DEFAULT_INITIAL,
    total_steps: int | None = None,
    args: Mapping[str, Mapping[str, Any]] | None = None,
) -> ScheduleSpace:
    """A search space over schedule ``families`` (keys of :data:`FAMILIES`).

    Args:
        families: which families to try (default :data:`DEFAULT_FAMILIES`); each becomes a choice
            of ``"{name}.family"``. transformers' families are asked for by name, e.g.
            ``families=["cosine", "get_cosine_schedule_with_warmup"]``.
        initial: the initial (or peak) learning rate: a ``(low, high)`` range sampled
            log-uniformly for every family, or a fixed value.
        total_steps: the default training length in steps (can be given at suggest time).
        args: per-family overrides, ``{"exponential": {"decay_rate": (0.5, 0.99)}}``: a tuple is a
            range, a list the choices, a scalar a fixed value, ``"initial"`` overrides the rate range.
    """
    if isinstance(families, str) or not isinstance(families, Sequence) or not families:
        raise InvalidArgumentError(f"families={families!r} is invalid: must be a non-empty list of {sorted(FAMILIES)}")
    for fam in families:
        if fam not in FAMILIES:
            raise _unknown("family", fam, list(FAMILIES))
    if len(set(families)) != len(families):
        raise InvalidArgumentError(f"families={list(families)!r} is invalid: must not repeat a family")
    overrides = dict(args or {})
    for fam in overrides:
        if fam not in families:
            raise _unknown("args key", fam, list(families))
    rate = _as_spec("initial", initial, Range(*DEFAULT_INITIAL, log=True))
    if isinstance(rate, Range):
        rate = Range(rate.low, rate.high, log=True)
        if rate.low <= 0:
            raise InvalidArgumentError(f"initial={initial!r} is invalid: learning rates must be > 0")
    specs = []
    for fam in families:
        defaults = {"initial": rate, **FAMILIES[fam][0]}
        chosen = dict(defaults)
        for arg, value in dict(overrides.get(fam, {})).items():
            if arg not in defaults:
                raise _unknown(f"args[{fam!r}] argument", arg, list(defaults))
            chosen[arg] = _as_spec(f"args[{fam!r}][{arg!r}]", value, defaults[arg])
        specs.append((fam, tuple(chosen.items())))
    return ScheduleSpace(tuple(families), tuple(specs), total_steps)


@constrained({"config": InstanceOf(Mapping, "a mapping with keys families, initial, total_steps, args")})
def space_from_config(config: Mapping[str, Any]) -> ScheduleSpace:
    """Build a space from :meth:`ScheduleSpace.to_config` output or a config file's table.

    Accepted keys: ``families``, ``initial``, ``total_steps``, ``args``; ``[low, high]`` lists are ranges.
    """
    unknown = set(config) - {"families", "initial", "total_steps", "args"}
    if unknown:
        raise _unknown("schedule space key", sorted(unknown)[0], ["families", "initial", "total_steps", "args"])

    def decode(value: Any) -> Any:
        if isinstance(value, list) and len(value) == 2 and all(_IS_NUMBER.takes_type(v) for v in value):
            return tuple(value)
        return value

    families = list(config.get("families", DEFAULT_FAMILIES))
    args = {fam: {arg: decode(v) for arg, v in dict(a).items()} for fam, a in dict(config.get("args") or {}).items()}
    initial = decode(config.get("initial", DEFAULT_INITIAL))
    # to_config stores "initial" inside each family's args: it comes back as a per-family override
    return space(families, initial=initial, total_steps=config.get("total_steps"), args=args)
