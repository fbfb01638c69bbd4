"""Drive a PyTorch optimizer's learning rate with a tunelab schedule (extra ``torch``).

:class:`ScheduleLR` is a ``torch.optim.lr_scheduler.LRScheduler``: use it like any torch scheduler
(``optimizer.step()`` then ``scheduler.step()``). It is evaluated in closed form: after ``k`` calls
of ``step()`` the lr is ``schedule(k)``, whatever happened before, so resuming from a checkpoint is
exact and ``state_dict()`` holds only plain data (JSON-safe, loadable with
``torch.load(weights_only=True)``).

Param groups: pass one schedule per group (a list; each gives that group's lr exactly), or one
schedule for all. With one schedule, param group 0 follows it exactly and every other group keeps
the ratio its lr had to group 0's when the scheduler was created (``lr_g(k) = schedule(k) *
lr_g / lr_0``), which is how a backbone at a tenth of the head's lr stays a tenth.

Stepping is checked (one ``UserWarning`` per optimizer, naming the fix): ``step()`` called again
with no ``optimizer.step()`` between, repeatedly (the schedule runs ahead of training), or param
group 0's rate changed by something else since the last ``step()`` (another scheduler on the same
optimizer, or code). A scheduler stepped once per epoch is not this class's to judge (a schedule
may count epochs); :mod:`tunelab.integrations.torch_pruning` and the Lightning and Keras callbacks
compare the applied rates with the trial's schedule and catch that too.

>>> import torch
>>> from tunelab.schedules import StepLR
>>> model = torch.nn.Linear(2, 1)
>>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
>>> sched = scheduler(opt, StepLR(0.1, step_size=2, gamma=0.5))
>>> for _ in range(3):
...     opt.step()
...     sched.step()
>>> sched.get_last_lr()
[0.05]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunelab._constraints import InstanceOf, Integral, ListOf, constrained
from tunelab._errors import require_extra
from tunelab.integrations._lr_trace import FASTER, OTHER, TORCH_FIXES, warn_once
from tunelab.schedules import Schedule, ScheduleError
from tunelab.schedules._base import SCHEDULE

torch = require_extra("torch", "torch")

__all__ = ["ScheduleLR", "scheduler"]


@constrained({"optimizer": InstanceOf(torch.optim.Optimizer, "a torch.optim.Optimizer"),
              "schedule": (SCHEDULE, ListOf(SCHEDULE, min_len=1)), "last_epoch": Integral(min=-1)},
             error=ScheduleError)
class ScheduleLR(torch.optim.lr_scheduler.LRScheduler):
    """A torch ``LRScheduler`` whose lr after ``k`` steps is ``schedule(k)`` (closed form).

    Args:
        optimizer: the torch optimizer.
        schedule: a :class:`~tunelab.schedules.Schedule` for every param group (group 0 follows it,
            the others keep their lr ratio to group 0), or a list with one schedule per group.
        last_epoch: torch's resume index; leave at -1 and use :meth:`load_state_dict` to resume.
    """

    def __init__(self, optimizer: Any, schedule: Schedule | Sequence[Schedule], last_epoch: int = -1) -> None:
        groups = optimizer.param_groups
        if isinstance(schedule, Schedule):
            self.schedules = [schedule] * len(groups)
            starts = [float(g.get("initial_lr", g["lr"])) for g in groups]
            if len(groups) > 1 and starts[0] <= 0:
                raise ScheduleError(
                    f"param group 0 lr={starts[0]!r} is invalid for one schedule over {len(groups)} groups: "
                    "must be > 0 (it sets the other groups' ratios); pass one schedule per group instead"
                )
            self.ratios = [1.0] + [s / starts[0] for s in starts[1:]]
        else:
            if len(schedule) != len(groups):
                raise ScheduleError(
                    f"schedule list of length {len(schedule)} is invalid: must hold one schedule per param "
                    f"group ({len(groups)})"
                )
            self.schedules = list(schedule)
            self.ratios = [1.0] * len(groups)
        self._taken = self._since = self._extra = 0  # optimizer steps; since our last step; our steps without one
        super().__init__(optimizer, last_epoch)
        self._hook = optimizer.register_step_pre_hook(self._count_step)

    def _count_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self._taken += 1
        self._since += 1

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (torch's ``step``), after checking how the optimizer was stepped."""
        if self._step_count >= 1:  # not the first step, which torch takes in __init__
            self._check_stepping()
        super().step(epoch)
        self._since = 0

    def _check_stepping(self) -> None:
        """Warn (once per optimizer) when the rate was changed by another, or steps outrun the optimizer's."""
        applied, ours = float(self.optimizer.param_groups[0]["lr"]), float(self._last_lr[0])
        if abs(applied - ours) > 1e-9 * abs(ours) + 1e-15:
            warn_once(self.optimizer, f"tunelab: param group 0's learning rate is {applied:.6g}, but this ScheduleLR "
                      f"set it to {ours:.6g} at its last step: something else sets this optimizer's rate (another "
                      f"scheduler on the same optimizer, or code). Fix: {TORCH_FIXES[OTHER]}", stacklevel=3)
        if self._since == 0 and self._taken:
            self._extra += 1
            if self._extra >= 2 and 2 * self._extra >= self._taken:
                warn_once(self.optimizer, f"tunelab: ScheduleLR.step() was called {self._extra} times with no "
                          "optimizer.step() since its last call: the schedule runs ahead of training, the scheduler "
                          f"is stepped more than once per optimizer step. Fix: {TORCH_FIXES[FASTER]}", stacklevel=3)

    def _values(self, step: int) -> list[float]:
        return [float(s(step)) * r for s, r in zip(self.schedules, self.ratios)]

    def get_lr(self) -> list[float]:
        """The lrs at ``last_epoch`` (closed form; no warning when called outside ``step``)."""
        return self._values(self.last_epoch)

    def _get_closed_form_lr(self) -> list[float]:
        return self._values(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """Plain data only: the step, the schedules' configs and the group ratios."""
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "schedules": [s.to_config() for s in self.schedules],
            "ratios": list(self.ratios),
            "base_lrs": [float(b) for b in self.base_lrs],
            "_last_lr": [float(v) for v in self._last_lr],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step and schedules, and set each group's lr to its value at that step."""
        self.schedules = [Schedule.from_config(c) for c in state_dict["schedules"]]
        self.ratios = list(state_dict["ratios"])
        self.base_lrs = list(state_dict["base_lrs"])
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict["_step_count"])
        values = self._values(self.last_epoch)
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = values


def scheduler(optimizer: Any, schedule: Schedule | Sequence[Schedule]) -> ScheduleLR:
    """A :class:`ScheduleLR` driving ``optimizer`` with ``schedule`` (one, or one per param group)."""
    return ScheduleLR(optimizer, schedule)
