"""The learning rate actually applied, kept with the trial; pieces shared by the pruning callbacks."""

from __future__ import annotations

import math
from typing import Any

from tunelab._constraints import Integral, String, constrained
from tunelab._errors import InvalidArgumentError, TrialPruned

#: User attribute holding a trial's applied learning rates as ``[[step, lr], ...]``.
LR_TRACE_ATTR = "lr_trace"


#: The constraints of the pruning callbacks' shared arguments.
MONITOR = String(non_empty=True)
MAX_POINTS = Integral(min=2)


@constrained({"max_points": MAX_POINTS})
class LrTrace:
    """Collects ``(step, lr)`` points, at most ``max_points`` of them, evenly thinned.

    Every point is kept until there are ``max_points``; then every other point is dropped and
    only steps that are multiples of the doubled stride are taken from then on, so a long run
    keeps an even subsample that still starts at its first step. :meth:`save` stores the points
    in the trial's user attribute ``"lr_trace"`` as ``[[step, lr], ...]``.

    >>> trace = LrTrace(max_points=4)
    >>> for step in range(10):
    ...     trace.add(step, 0.1 * (step + 1))
    >>> [s for s, _ in trace.points]
    [0, 4, 8]
    """

    def __init__(self, *, max_points: int = 512) -> None:
        self._max = max_points
        self._stride = 1
        self.points: list[list[float]] = []

    def add(self, step: int, lr: float) -> None:
        """Record the rate ``lr`` applied at ``step`` (kept when ``step`` is on the current stride)."""
        if step % self._stride:
            return
        self.points.append([int(step), float(lr)])
        while len(self.points) > self._max:
            self._stride *= 2
            self.points = [p for p in self.points if p[0] % self._stride == 0]

    def save(self, trial: Any) -> None:
        """Store the points in ``trial``'s user attribute ``"lr_trace"`` (non-finite rates as None)."""
        trial.set_user_attr(LR_TRACE_ATTR, [[s, lr if math.isfinite(lr) else None] for s, lr in self.points])


def report_and_prune(trial: Any, trace: LrTrace, value: float, step: int) -> None:
    """``trial.report(value, step)``, save ``trace``, raise ``TrialPruned`` when the pruner says so."""
    trial.report(value, step)
    trace.save(trial)
    if trial.should_prune():
        raise TrialPruned(f"pruned at step {step}")


def monitored(metrics: Any, monitor: str) -> float:
    """``metrics[monitor]`` as a float, or an error naming the metrics that were logged."""
    if monitor not in metrics:
        raise InvalidArgumentError(f"monitor={monitor!r} is invalid: the metrics logged are {sorted(metrics)}")
    return float(metrics[monitor])
