"""The learning rate actually applied, kept with the trial; pieces shared by the pruning callbacks."""

from __future__ import annotations

import copy
import math
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from tunelab._constraints import Integral, String, constrained
from tunelab._errors import InvalidArgumentError, TrialPruned, invalid

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
    ...     _ = trace.add(step, 0.1 * (step + 1))
    >>> [s for s, _ in trace.points]
    [0, 4, 8]
    """

    def __init__(self, *, max_points: int = 512) -> None:
        self._max = max_points
        self._stride = 1
        self.points: list[list[float]] = []

    def add(self, step: int, lr: float) -> bool:
        """Record the rate ``lr`` applied at ``step``; whether it was kept (``step`` is on the stride)."""
        if step % self._stride:
            return False
        self.points.append([int(step), float(lr)])
        while len(self.points) > self._max:
            self._stride *= 2
            self.points = [p for p in self.points if p[0] % self._stride == 0]
        return True

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


#: How a rate that is not the schedule's came about (the keys of the integrations' fixes).
SLOWER, FASTER, OTHER = "slower", "faster", "other"

#: How far an applied rate may be from the schedule's (float32 rounding is ~6e-8).
_RTOL, _ATOL = 1e-5, 1e-12

#: The most earlier steps looked at when a rate is tested against the schedule's past values.
_MAX_EARLIER = 100_000


#: The optimizers whose rates have been warned about: one warning per optimizer, whoever finds it.
_WARNED: weakref.WeakSet = weakref.WeakSet()


def warn_once(about: Any, message: str, *, stacklevel: int) -> None:
    """Warn ``message`` (a ``UserWarning``) unless optimizer ``about`` was warned about already."""
    if about is not None:
        try:
            if about in _WARNED:
                return
            _WARNED.add(about)
        except TypeError:  # not weakly referable: no memory of it
            pass
    warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)


def drawn_schedule(trial: Any) -> Any:
    """``(name, schedule)``: what ``trial`` drew with ``suggest_schedule``, its only one or ``"lr"``.

    None when it drew none, several without an ``"lr"``, or ``trial`` keeps no schedules (a stand-in).
    Reads the trial record's ``schedule_configs`` (a running trial's through ``freeze()``).
    """
    configs = getattr(trial, "schedule_configs", None)
    if configs is None and callable(getattr(trial, "freeze", None)):
        configs = trial.freeze().schedule_configs
    if not isinstance(configs, dict) or not configs:
        return None
    name = next(iter(configs)) if len(configs) == 1 else "lr" if "lr" in configs else None
    if name is None:
        return None
    from tunelab.schedules import Schedule

    return name, Schedule.from_config(configs[name])


def _close(a: Any, b: Any) -> Any:
    return np.isclose(a, b, rtol=_RTOL, atol=_ATOL)


def diagnose(schedule: Any, step: int, lr: float) -> tuple[str, int | None]:
    """Why ``lr`` was applied at ``step`` where ``schedule(step)`` was due: ``(cause, matched step)``.

    ``(FASTER, m)`` when ``lr`` is ``schedule(m)`` for a later step ``m`` up to ``4 * step + 4``
    (the scheduler runs ahead: stepped more than once per optimizer step); ``(SLOWER, m)`` when
    it is the schedule's rate at an earlier step (stepped less often: once per epoch); ``(OTHER,
    None)`` otherwise (something else set it). ``m`` is the nearest such step.

    >>> from tunelab.schedules import StepLR
    >>> s = StepLR(1.0, step_size=1, gamma=0.5)
    >>> diagnose(s, 3, 0.5 ** 6), diagnose(s, 3, 0.5), diagnose(s, 3, 0.3)
    (('faster', 6), ('slower', 1), ('other', None))
    """
    later = np.arange(step + 1, 4 * step + 5)
    hits = later[_close(lr, np.asarray(schedule(later), dtype=np.float64))]
    if hits.size:
        return FASTER, int(hits[0])
    if step > 0:
        earlier = np.unique(np.linspace(0, step - 1, min(step, _MAX_EARLIER)).astype(np.int64))
        hits = earlier[_close(lr, np.asarray(schedule(earlier), dtype=np.float64))]
        if hits.size:
            return SLOWER, int(hits[-1])
    return OTHER, None


class RateCheck:
    """Compares the rates a trial's training applied with the schedule the trial drew; warns once.

    :meth:`see` is called with each applied ``(step, lr)`` worth checking (the points an
    :class:`LrTrace` keeps: every step at first, then an even subsample). The first rate that is
    not ``schedule(step)`` (relative tolerance 1e-5) raises one ``UserWarning`` that says what
    happened (:func:`diagnose`) and how to fix it (``fix(cause)``, in the integration's words);
    after that nothing is checked. A trial without a schedule (:func:`drawn_schedule`)
    is never checked. An optimizer already warned about (by another check, or by
    :class:`~tunelab.integrations.torch.ScheduleLR`) is not warned about again.
    """

    def __init__(self, trial: Any, fix: Callable[[str], str]) -> None:
        self._trial = trial
        self._fix = fix
        self._drawn: Any = None
        self.done = False

    def see(self, step: int, lr: float, optimizer: Any = None) -> None:
        """Check the rate ``lr`` that ``optimizer`` applied at step ``step`` (the first is step 0)."""
        if self.done:
            return
        if self._drawn is None:
            self._drawn = drawn_schedule(self._trial) or ()
        if not self._drawn:
            self.done = True
            return
        name, schedule = self._drawn
        due = float(schedule(step))
        if _close(lr, due) or not math.isfinite(lr):
            return
        self.done = True
        cause, m = diagnose(schedule, step, lr)
        what = {FASTER: f"that is the schedule's rate at step {m}, ahead: the scheduler is stepped more than once "
                        "per optimizer step",
                SLOWER: f"that is the schedule's rate at step {m}, behind: the scheduler is stepped less often "
                        "than the optimizer (once per epoch?), or not at all",
                OTHER: "that is not the schedule's rate at any earlier step: something else sets this "
                       "optimizer's rate (another scheduler on the same optimizer, a callback, or code)"}[cause]
        warn_once(optimizer, f"tunelab: the learning rate applied at step {step} is {lr:.6g}, but the trial's "
                  f"schedule {name!r} ({schedule!r}) is {due:.6g} there; {what}. Fix: {self._fix(cause)}",
                  stacklevel=3)


#: Plain PyTorch loops' fixes, by cause.
TORCH_FIXES = {
    SLOWER: "drive the optimizer with tunelab.integrations.torch.scheduler(optimizer, schedule) and call its "
            "step() once after every optimizer.step(), not once per epoch (tunelab schedules count optimizer steps)",
    FASTER: "call scheduler.step() exactly once per optimizer.step()",
    OTHER: "drive the optimizer with one scheduler, tunelab.integrations.torch.scheduler(optimizer, schedule) "
           "(it holds the whole schedule, warmup included), and remove the other",
}


def torch_fix(cause: str) -> str:
    """The fix for a plain PyTorch loop."""
    return TORCH_FIXES[cause]


def rung_callbacks(callbacks: list[Any], pruning: type, argument: str, where: str) -> list[Any]:
    """A copy of the callbacks every rung's fit of ``fit_rungs`` starts from (each fit copies it
    again: framework callbacks such as EarlyStopping and ModelCheckpoint keep state from one fit to
    the next, and the caller's stay untouched); refused when one is tunelab's ``pruning`` callback
    (the rungs report) or cannot be copied."""
    if any(isinstance(c, pruning) for c in callbacks):
        raise invalid(argument, callbacks, "without a tunelab PruningCallback: fit_rungs reports each rung's value "
                      "itself, at step=epochs", where=where)
    try:
        return copy.deepcopy(callbacks)
    except Exception as exc:  # noqa: BLE001 - whatever stops the copy, the fix is the same
        raise invalid(argument, callbacks, "callbacks that copy.deepcopy can copy (each fit gets its own: callbacks "
                      f"such as EarlyStopping and ModelCheckpoint keep state from one fit to the next); {exc}",
                      where=where) from exc
