"""Early stopping helpers for plain PyTorch loops: reporting, learning-rate traces, cooldown probes.

Import needs the ``torch`` extra. Typical loop::

    reporter = TrialReporter(trial, optimizer)
    for epoch in range(n_epochs):
        for batch in loader:
            train_step(batch)                       # ... optimizer.step()
            scheduler.step()
            reporter.record_lr()                    # the rate that optimizer.step() used
        value = validate()
        if epoch + 1 in rung_epochs:                # judge the rung after a short cooldown
            value = cooldown_probe(model, optimizer, train_step=probe_step, evaluate=validate,
                                   steps_so_far=reporter.step)
        reporter.report(value, epoch)               # raises TrialPruned when the pruner says so
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tunelab._constraints import Function, InstanceOf, constrained
from tunelab._errors import require_extra
from tunelab.integrations._lr_trace import MAX_POINTS, LrTrace, RateCheck, report_and_prune, torch_fix
from tunelab.pruners import cooldown_probe as probe
from tunelab.pruners._cooldown import COOLDOWN

torch = require_extra("torch", "torch")

_MODEL = InstanceOf(torch.nn.Module, "a torch.nn.Module")
_OPTIMIZER = InstanceOf(torch.optim.Optimizer, "a torch.optim.Optimizer")

__all__ = ["TrialReporter", "cooldown_probe", "restore", "snapshot"]

#: ``id`` of each optimizer a :func:`cooldown_probe` is running on: their steps are not training steps.
_PROBING: set[int] = set()


@constrained({"model": _MODEL, "optimizer": _OPTIMIZER})
def snapshot(model: Any, optimizer: Any, scheduler: Any = None) -> dict[str, Any]:
    """Deep copies of the model's, optimizer's (and scheduler's) state and of torch's RNG state."""
    return {
        "model": copy.deepcopy(model.state_dict()),
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "scheduler": None if scheduler is None else copy.deepcopy(scheduler.state_dict()),
        "rng": torch.get_rng_state(),
    }


def restore(state: dict[str, Any], model: Any, optimizer: Any, scheduler: Any = None) -> None:
    """Put back a :func:`snapshot`: weights, optimizer moments and rates, scheduler, RNG."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])


@constrained({"model": _MODEL, "optimizer": _OPTIMIZER, "train_step": Function(), "evaluate": Function(),
              **{k: v for k, v in COOLDOWN.items() if k != "lr"}})
def cooldown_probe(model: Any, optimizer: Any, *, train_step: Callable[[], Any], evaluate: Callable[[], float],
                   steps_so_far: int, scheduler: Any = None, fraction: float = 0.2,
                   final_factor: float = 0.0, shape: str = "sqrt", min_steps: int = 1) -> float:
    """The metric after a short learning-rate cooldown from the current state; the state is restored.

    :func:`tunelab.pruners.cooldown_probe` with a :func:`snapshot`: for each factor ``f`` of
    :func:`tunelab.pruners.cooldown_rates` ``(1.0, steps_so_far, ...)`` it sets every parameter
    group's rate to ``f`` times its current rate and calls ``train_step()`` (one optimisation
    step on a training batch: forward, backward, ``optimizer.step()``; no ``scheduler.step()``),
    then calls ``evaluate()`` and restores the snapshot (also on error), so training continues
    exactly as before. ``train_step`` should draw its batches from its own iterator so the main
    loop's data order is unchanged.

    >>> import torch
    >>> w = torch.nn.Linear(1, 1, bias=False); _ = torch.nn.init.constant_(w.weight, 1.0)
    >>> opt = torch.optim.SGD(w.parameters(), lr=0.5)
    >>> def step():
    ...     opt.zero_grad(); (w(torch.ones(1, 1)) ** 2).sum().backward(); opt.step()
    >>> value = cooldown_probe(w, opt, train_step=step, evaluate=lambda: w.weight.item(),
    ...                        steps_so_far=10, shape="linear")
    >>> round(value, 4), w.weight.item(), opt.param_groups[0]["lr"]
    (0.5, 1.0, 0.5)
    """
    def train_steps(factors: Any) -> None:
        base = [group["lr"] for group in optimizer.param_groups]
        for f in factors:
            for group, lr in zip(optimizer.param_groups, base):
                group["lr"] = lr * f
            train_step()

    _PROBING.add(id(optimizer))
    try:
        return probe(snapshot=lambda: snapshot(model, optimizer, scheduler),
                     restore=lambda state: restore(state, model, optimizer, scheduler),
                     train_steps=train_steps, evaluate=evaluate, lr=1.0, steps_so_far=steps_so_far,
                     fraction=fraction, final_factor=final_factor, shape=shape, min_steps=min_steps)
    finally:
        _PROBING.discard(id(optimizer))


@constrained({"optimizer": _OPTIMIZER, "max_points": MAX_POINTS})
class TrialReporter:
    """Reports to a trial from a plain PyTorch loop, prunes, and records the applied rate.

    The reporter hooks ``optimizer.step()`` (a step pre-hook): each step's first parameter group
    rate is read as that step runs, so the rate recorded for step ``k`` is the one step ``k`` used,
    whether :meth:`record_lr` comes before or after ``scheduler.step()``. The steps of
    :func:`cooldown_probe` are not counted.

    - :attr:`step`: how many optimizer steps training has taken.
    - :meth:`record_lr` (once per optimisation step, after ``optimizer.step()``) appends the last
      step's rate to an :class:`~tunelab.integrations._lr_trace.LrTrace` at that step's index, and
      compares it with the schedule the trial drew (``trial.suggest_schedule``): the first rate
      that is not ``schedule(step)`` warns once, naming the fix (``scheduler.step()`` once per
      epoch, twice per step, another scheduler on the same optimizer).
    - :meth:`report` records the last step too, reports a value, saves the trace in the trial's
      user attribute ``"lr_trace"`` and raises :class:`~tunelab.TrialPruned` when
      ``trial.should_prune()``.

    >>> import torch, tunelab
    >>> w = torch.nn.Parameter(torch.zeros(1))
    >>> opt = torch.optim.SGD([w], lr=0.1)
    >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    >>> reporter = TrialReporter(tunelab.create_study().ask(), opt)
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); reporter.record_lr()
    >>> reporter.trace.points
    [[0, 0.1], [1, 0.05], [2, 0.025]]
    """

    def __init__(self, trial: Any, optimizer: Any, *, max_points: int = 512) -> None:
        self.trial = trial
        self.optimizer = optimizer
        self.trace = LrTrace(max_points=max_points)
        self.check = RateCheck(trial, torch_fix)
        self.step = 0
        self._used: tuple[int, float] | None = None  # (index, rate) of the last step, not yet recorded
        self._hook = optimizer.register_step_pre_hook(self._before_step)

    def _before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if id(optimizer) in _PROBING:
            return
        self._used = (self.step, float(optimizer.param_groups[0]["lr"]))
        self.step += 1

    def record_lr(self) -> None:
        """Record the rate the last ``optimizer.step()`` used (nothing when it is recorded already)."""
        if self._used is None:
            return
        step, lr = self._used
        self._used = None
        if self.trace.add(step, lr):
            self.check.see(step, lr, self.optimizer)

    def report(self, value: Any, step: int) -> None:
        """Record the last step's rate, ``trial.report(value, step)``, save the trace, stop if it should."""
        self.record_lr()
        report_and_prune(self.trial, self.trace, value, step)
