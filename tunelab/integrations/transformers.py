"""Hugging Face ``transformers`` Trainer: report and prune, and train with a trial's schedule.

Import needs the ``transformers`` extra (``pip install 'tunelab[transformers]'``). Two pieces:

- :class:`PruningCallback` (a ``TrainerCallback``) reports an evaluation metric to the trial at
  every evaluation, stops a pruned trial's training and makes ``trainer.train()`` raise
  :class:`~tunelab.TrialPruned`; it records the learning rate each optimizer step applied.
- :func:`optimizers` builds the ``(optimizer, scheduler)`` pair for ``Trainer(optimizers=...)``
  from a tunelab :class:`~tunelab.schedules.Schedule`, so the Trainer trains with the schedule
  the trial drew (``trial.suggest_schedule``): the rate of optimizer step ``k`` is ``schedule(k)``.

A typical objective (``model``, ``train_set`` and ``eval_set`` are the user's)::

    def objective(trial):
        lr = trial.suggest_schedule("lr", schedules.space(["cosine", "wsd"], initial=(1e-5, 1e-3)),
                                    total_steps=1000)
        args = TrainingArguments(output_dir="out", max_steps=1000, eval_strategy="steps",
                                 eval_steps=100, report_to="none")
        trainer = Trainer(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
                          optimizers=optimizers(model, lr, optimizer="adamw", weight_decay=0.01),
                          callbacks=[PruningCallback(trial, "eval_loss")])
        trainer.train()                     # raises TrialPruned when the pruner stops the trial
        return trainer.evaluate()["eval_loss"]
"""

from __future__ import annotations

from typing import Any

from tunelab._constraints import InstanceOf, Options, Real, SubclassOf, constrained
from tunelab._errors import TrialPruned, invalid, require_extra
from tunelab.integrations._lr_trace import (
    FASTER,
    MAX_POINTS,
    MONITOR,
    SLOWER,
    LrTrace,
    RateCheck,
    monitored,
    report_and_prune,
)
from tunelab.schedules import Schedule
from tunelab.schedules._base import SCHEDULE

transformers = require_extra("transformers", "transformers")
torch = require_extra("torch", "transformers")

from tunelab.integrations.torch import ScheduleLR  # noqa: E402 - after torch is known to be there

__all__ = ["PruningCallback", "optimizers"]

#: The torch optimizers :func:`optimizers` builds by name, keyed by their lower-case class names.
OPTIMIZERS = {name.lower(): cls for name, cls in sorted(vars(torch.optim).items())
              if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer) and cls is not torch.optim.Optimizer}

_HAND_OFF = "optimizers=tunelab.integrations.transformers.optimizers(model, schedule) in Trainer(...)"

#: The Trainer's fixes, by cause.
_FIXES = {
    SLOWER: f"pass {_HAND_OFF}: the Trainer steps that scheduler once per optimizer step (a scheduler it "
            "steps once per evaluation, such as ReduceLROnPlateau, or none at all, lags behind)",
    FASTER: f"pass {_HAND_OFF} and let the Trainer step it: do not also call lr_scheduler.step() in a callback "
            "or in training_step",
}
_OTHER_FIX = (f"pass {_HAND_OFF} (the Trainer's own learning_rate, lr_scheduler_type and warmup then play no "
              "part) and remove any callback or code that changes the optimizer's rate")


def _fix(cause: str) -> str:
    return _FIXES.get(cause, _OTHER_FIX)


@constrained({"monitor": MONITOR, "max_points": MAX_POINTS})
class PruningCallback(transformers.TrainerCallback):
    """Reports ``metrics[monitor]`` to ``trial`` at each evaluation during training; stops it when pruned.

    Add it to ``Trainer(callbacks=[...])``, last (see below).

    - At each evaluation inside ``trainer.train()`` (``eval_strategy`` ``"steps"`` or ``"epoch"``,
      ``eval_on_start`` too) it calls ``trial.report(metrics[monitor], step=state.global_step)``:
      the step is the number of optimizer steps taken, the unit of the schedule and of the
      learning-rate trace, whatever the evaluation strategy (pruners compare trials at equal
      steps, so trials should agree on batch size and gradient accumulation). It stores the trace
      in the trial's user attribute ``"lr_trace"`` (``[[step, lr], ...]``). When
      ``trial.should_prune()``, it sets ``control.should_training_stop``: the Trainer ends the
      loop as after its last step (saving, logging, ``on_train_end``), and this callback's
      ``on_train_end`` then raises :class:`~tunelab.TrialPruned` out of ``trainer.train()``, so the
      trial ends PRUNED without a line of user code. Callbacks listed after this one get no
      ``on_train_end`` from a pruned run: list it last.
    - ``monitor`` is a key of the evaluation's metrics (``"eval_loss"``, ``"eval_accuracy"`` from
      ``compute_metrics``); as in ``TrainingArguments(metric_for_best_model=...)``, the ``"eval_"``
      prefix may be left out. With several evaluation datasets (a dict), name one of them
      (``"eval_<name>_loss"``). An evaluation round in which no evaluation has ``monitor`` is an
      error naming the metrics that were logged, raised out of ``trainer.train()`` before the next
      training step.
    - At the start of every optimizer step it records the first parameter group's rate (the rate
      that step applies) at the step's index into an
      :class:`~tunelab.integrations._lr_trace.LrTrace` of at most ``max_points`` points, and
      compares it with the schedule the trial drew (``trial.suggest_schedule``): the first rate
      that is not ``schedule(step)`` warns once, naming the fix (usually: the schedule was not
      handed to the Trainer with :func:`optimizers`, so the Trainer's own linear schedule ran).
      The index counts the optimizer steps applied: one that mixed precision's loss scaler skipped
      (the scheduler is not stepped for it either) is not counted.

    ``trainer.evaluate()`` called outside ``trainer.train()`` reports nothing.
    """

    def __init__(self, trial: Any, monitor: str = "eval_loss", *, max_points: int = 512) -> None:
        self.trial = trial
        self.monitor = monitor
        self.trace = LrTrace(max_points=max_points)
        self.check = RateCheck(trial, _fix)
        #: Why the trial was pruned (``TrialPruned``'s message); None while it is not.
        self.pruned: str | None = None
        self._training = False
        self._skipped = 0                # optimizer steps skipped by the loss scaler in this run
        self._last = -1                  # the last step whose rate was recorded
        self._missed: set[str] = set()   # metric names of this round's evaluations without the monitor
        self._hit = False                # whether one of this round's evaluations had it

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._training, self.pruned = True, None
        self._skipped, self._last = 0, state.global_step - 1
        self._missed, self._hit = set(), False

    def on_step_begin(self, args: Any, state: Any, control: Any, optimizer: Any = None, **kwargs: Any) -> None:
        self._settle()
        step = state.global_step - self._skipped
        if optimizer is None or step <= self._last:
            return
        self._last = step
        lr = float(optimizer.param_groups[0]["lr"])
        if self.trace.add(step, lr):
            self.check.see(step, lr, getattr(optimizer, "optimizer", optimizer))  # accelerate's wrapper

    def on_optimizer_step(self, args: Any, state: Any, control: Any, optimizer: Any = None, **kwargs: Any) -> None:
        if getattr(optimizer, "step_was_skipped", False):
            self._skipped += 1

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._settle()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._settle()

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any) -> Any:
        if not self._training or self.pruned is not None:
            return None
        metrics = metrics or {}
        key = self.monitor if self.monitor in metrics else f"eval_{self.monitor}"
        if key not in metrics:
            self._missed.update(metrics)
            return None
        self._hit = True
        try:
            report_and_prune(self.trial, self.trace, float(metrics[key]), state.global_step)
        except TrialPruned as exc:
            self.pruned = str(exc)
            control.should_training_stop = True
        return control

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._training = False
        self._settle()
        self.trace.save(self.trial)
        if self.pruned is not None:
            raise TrialPruned(self.pruned)

    def _settle(self) -> None:
        """After an evaluation round: an error when none of its evaluations had the monitor."""
        missed, hit = self._missed, self._hit
        self._missed, self._hit = set(), False
        if missed and not hit:
            monitored(dict.fromkeys(missed), self.monitor)


@constrained({"model": InstanceOf(torch.nn.Module, "a torch.nn.Module"), "schedule": SCHEDULE,
              "optimizer": (Options(*OPTIMIZERS, ignore_case=True,
                                    what="the name of a torch.optim optimizer ('adamw', 'adam', 'sgd', ...)"),
                            SubclassOf(torch.optim.Optimizer)),
              "weight_decay": Real(min=0)})
def optimizers(model: Any, schedule: Schedule, *, optimizer: str | type = "adamw", weight_decay: float = 0.0,
               **kwargs: Any) -> tuple[Any, ScheduleLR]:
    """``(optimizer, scheduler)`` for ``Trainer(optimizers=...)``: the rate of optimizer step ``k`` is ``schedule(k)``.

    The Trainer calls ``lr_scheduler.step()`` once after every optimizer step it applies (with
    gradient accumulation: once per accumulated batch), so the scheduler, a
    :class:`~tunelab.integrations.torch.ScheduleLR`, gives step ``k`` the rate ``schedule(k)``; the
    Trainer's ``learning_rate``, ``lr_scheduler_type`` and ``warmup_*`` arguments play no part.
    Resuming from a Trainer checkpoint restores the scheduler's step, exactly.

    Args:
        model: the model the Trainer trains (build it first; the Trainer moves it in place).
        schedule: the learning-rate schedule, counted in optimizer steps.
        optimizer: a ``torch.optim`` optimizer class, or its name in any case (``"adamw"``, the
            Trainer's default, ``"adam"``, ``"sgd"``, ...).
        weight_decay: as in the Trainer, decays every trainable parameter except biases and
            normalisation weights (those with fewer than two dimensions; a second param group).
        **kwargs: the optimizer's other arguments (``betas``, ``eps``, ``momentum``); not ``lr``.

    >>> import torch
    >>> from tunelab.schedules import StepLR
    >>> opt, sched = optimizers(torch.nn.Linear(2, 1), StepLR(0.1, step_size=2, gamma=0.5), optimizer="sgd")
    >>> for _ in range(3):
    ...     opt.step(); sched.step()
    >>> type(opt).__name__, sched.get_last_lr()
    ('SGD', [0.05])
    """
    if "lr" in kwargs:
        raise invalid("lr", kwargs["lr"], "left out: the schedule sets the rate of every step",
                      where="optimizers")
    cls = OPTIMIZERS[optimizer.lower()] if isinstance(optimizer, str) else optimizer
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise invalid("model", type(model).__name__, "a model with trainable parameters", where="optimizers")
    groups = [{"params": params, "weight_decay": 0.0}]
    if weight_decay:
        groups = [g for g in ({"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
                              {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}) if g["params"]]
    opt = cls(groups, lr=float(schedule(0)), **kwargs)
    return opt, ScheduleLR(opt, [schedule] * len(opt.param_groups))
