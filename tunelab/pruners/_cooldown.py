"""Cooldown probes: judge a trial by what it reaches after a short learning-rate decay."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tunelab._constraints import Function, Integral, Options, Real, constrained

State = TypeVar("State")

_SHAPES = ("linear", "sqrt", "cosine")

#: The cooldown's own arguments, shared by every function that runs one.
COOLDOWN = {"lr": Real(min=0), "steps_so_far": Integral(min=0), "fraction": Real(0, 1),
            "final_factor": Real(0, 1), "shape": Options(*_SHAPES), "min_steps": Integral(min=1)}


@constrained(COOLDOWN)
def cooldown_rates(lr: float, steps_so_far: int, *, fraction: float = 0.2, final_factor: float = 0.0,
                   shape: str = "sqrt", min_steps: int = 1) -> list[float]:
    """The learning rates of a cooldown from ``lr`` after ``steps_so_far`` training steps.

    ``n = max(min_steps, round(fraction * steps_so_far))`` rates going from ``lr`` towards
    ``lr * final_factor``; with progress ``p = (i + 1) / n`` for step ``i``, the rate is
    ``lr * (final_factor + (1 - final_factor) * d(p))`` with ``d(p) = 1 - p`` ("linear"),
    ``1 - sqrt(p)`` ("sqrt", the 1-sqrt shape of warmup-stable-decay training) or
    ``(1 + cos(pi p)) / 2`` ("cosine"). The last rate is ``lr * final_factor``.

    >>> [round(r, 3) for r in cooldown_rates(0.1, 20, fraction=0.2, shape="linear")]
    [0.075, 0.05, 0.025, 0.0]
    """
    n = max(min_steps, round(fraction * steps_so_far))
    decay = {"linear": lambda p: 1.0 - p, "sqrt": lambda p: 1.0 - math.sqrt(p),
             "cosine": lambda p: (1.0 + math.cos(math.pi * p)) / 2.0}[shape]
    return [lr * (final_factor + (1.0 - final_factor) * decay((i + 1) / n)) for i in range(n)]


@constrained({"snapshot": Function(), "restore": Function(), "train_steps": Function(), "evaluate": Function(),
              **COOLDOWN})
def cooldown_probe(*, snapshot: Callable[[], State], restore: Callable[[State], Any],
                   train_steps: Callable[[Sequence[float]], Any], evaluate: Callable[[], float],
                   lr: float, steps_so_far: int, fraction: float = 0.2, final_factor: float = 0.0,
                   shape: str = "sqrt", min_steps: int = 1) -> float:
    """Run a learning-rate cooldown from a snapshot, evaluate, restore; return the cooled value.

    The framework-agnostic hook: ``snapshot()`` returns the training state (model, optimizer,
    data position...), ``train_steps(rates)`` trains one step per rate of
    :func:`cooldown_rates` (``lr``: the rate in use now), ``evaluate()`` returns the metric, and
    ``restore(state)`` puts the snapshot back -- also when training or evaluation raises -- so the
    run continues exactly as if the probe had not happened. Report the returned value at the rung
    step in place of the raw one: a trial whose rate is still high (warmup, a late or long decay)
    is then judged by what it would reach if it decayed now, as warmup-stable-decay training
    does. For PyTorch, :func:`tunelab.integrations.torch_pruning.cooldown_probe` does the
    snapshot and the rates.

    >>> state = {"w": 0.0}
    >>> value = cooldown_probe(
    ...     snapshot=lambda: dict(state), restore=lambda s: state.update(s),
    ...     train_steps=lambda rates: state.update(w=state["w"] + sum(rates)),
    ...     evaluate=lambda: state["w"], lr=1.0, steps_so_far=10, fraction=0.2, shape="linear")
    >>> value, state["w"]
    (0.5, 0.0)
    """
    rates = cooldown_rates(lr, steps_so_far, fraction=fraction, final_factor=final_factor, shape=shape,
                           min_steps=min_steps)
    saved = snapshot()
    try:
        train_steps(rates)
        return float(evaluate())
    finally:
        restore(saved)
