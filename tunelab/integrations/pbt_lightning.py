"""PyTorch Lightning inside population-based training: one callback drives a member's interval.

:class:`PBTCallback` sets every optimizer's learning rate before each training batch to the
member's schedule at ``trainer.global_step`` (and, optionally, other param-group values to the
trial's parameters), reports ``monitor`` after each validation run, and saves the trainer's
checkpoint into ``member.save_path`` when the fit ends. Resume with ``ckpt_path=callback.resume_path``
and fit up to ``max_epochs=member.stop``; run the population without ``save`` / ``load`` (the
checkpoint goes by path)::

    def train(member, state):
        member.trial.suggest_float("lr", 1e-3, 1.0, log=True)
        callback = PBTCallback(member, monitor="val_loss")
        trainer = lightning.Trainer(max_epochs=member.stop, callbacks=[callback])
        trainer.fit(Model(), datamodule, ckpt_path=callback.resume_path)
        return callback.value

    PopulationBasedTraining(8, budget=20, interval=2, steps_per_unit=batches_per_epoch).optimize(study, train)

Import needs the ``lightning`` extra (``pip install lightning``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunelab._constraints import InstanceOf, String, constrained
from tunelab._errors import InvalidArgumentError, require_extra

pl = require_extra("lightning.pytorch", "lightning")

__all__ = ["PBTCallback"]

#: The checkpoint file the callback writes into each trial's checkpoint directory.
CHECKPOINT = "model.ckpt"


@constrained({"monitor": String(), "param_groups": (None, InstanceOf(Mapping, "a mapping of param-group key "
                                                                      "to trial parameter name"))})
class PBTCallback(pl.Callback):
    """Drives one PBT interval of a Lightning fit (see the module notes).

    Args:
        member: the :class:`~tunelab.pbt.Member` that ``train`` received.
        monitor: the logged metric that ranks members (``trainer.callback_metrics[monitor]``).
        param_groups: other param-group values to set from the trial's parameters before each
            batch, ``{"weight_decay": "weight_decay"}`` (a checkpoint restores the optimizer with
            the values it was saved with; an exploring member's new values apply from here).

    Attributes:
        value: the last validation value of ``monitor`` (what ``train`` returns).
        resume_path: the checkpoint file to pass as ``trainer.fit(..., ckpt_path=)`` (None in
            generation 0).
    """

    def __init__(self, member: Any, *, monitor: str = "val_loss", param_groups: Mapping[str, str] | None = None) -> None:
        self.member = member
        self.monitor = monitor
        self.param_groups = dict(param_groups or {})
        self.value: float | None = None

    @property
    def resume_path(self) -> str | None:
        checkpoint = self.member.checkpoint
        return None if checkpoint is None else str(Path(checkpoint) / CHECKPOINT)

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        rate = self.member.lr(trainer.global_step)
        params = self.member.trial.params
        for optimizer in trainer.optimizers:
            for group in optimizer.param_groups:
                group["lr"] = rate
                for key, name in self.param_groups.items():
                    group[key] = params[name]

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        metric = trainer.callback_metrics.get(self.monitor)
        if metric is None:
            raise InvalidArgumentError(f"monitor={self.monitor!r} is invalid for PBTCallback: the module logged "
                                       f"{sorted(trainer.callback_metrics)} (log it with self.log({self.monitor!r}, ...))")
        self.value = float(metric)
        self.member.report(self.value, trainer.current_epoch)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        trainer.save_checkpoint(str(Path(self.member.save_path) / CHECKPOINT))
