"""Keras inside population-based training: one callback drives a member's interval.

:class:`PBTCallback` sets the optimizer's learning rate before each batch to the member's schedule
at ``optimizer.iterations`` (restored with the model, so a resumed member goes on counting),
optionally other optimizer attributes to the trial's parameters, reports ``monitor`` after each
epoch and saves the model (with its optimizer) into ``member.save_path`` when training ends.
Resume with :func:`resume`, fit from ``initial_epoch=member.start`` to ``epochs=member.stop``, and
run the population without ``save`` / ``load`` (the checkpoint goes by path)::

    def train(member, state):
        member.trial.suggest_float("lr", 1e-3, 1.0, log=True)
        model = resume(member, build)           # build() compiles a fresh model (a float learning rate)
        callback = PBTCallback(member)
        model.fit(x, y, validation_data=(xv, yv), initial_epoch=member.start, epochs=member.stop,
                  callbacks=[callback])
        return callback.value

Import needs the ``keras`` extra and a Keras backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tunelab._constraints import InstanceOf, String, constrained
from tunelab._errors import InvalidArgumentError, require_extra
from tunelab.integrations.keras import BACKEND_HINT

keras = require_extra("keras", "keras", hint=BACKEND_HINT)

__all__ = ["PBTCallback", "resume"]

#: The model file the callback writes into each trial's checkpoint directory.
CHECKPOINT = "model.keras"


def resume(member: Any, build: Callable[[], Any]) -> Any:
    """The model to train this interval: ``build()`` (compiled, with a float learning rate) in
    generation 0, else the model saved in ``member.checkpoint`` with its optimizer state."""
    if member.checkpoint is None:
        return build()
    return keras.saving.load_model(Path(member.checkpoint) / CHECKPOINT)


@constrained({"monitor": String(), "optimizer_params": (None, InstanceOf(Mapping, "a mapping of optimizer "
                                                                          "attribute to trial parameter name"))})
class PBTCallback(keras.callbacks.Callback):
    """Drives one PBT interval of ``model.fit`` (see the module notes).

    Args:
        member: the :class:`~tunelab.pbt.Member` that ``train`` received.
        monitor: the log entry that ranks members (``logs[monitor]`` at each epoch's end).
        optimizer_params: other optimizer attributes to set from the trial's parameters before
            each batch, ``{"weight_decay": "weight_decay"}``.

    Attributes:
        value: the last epoch's ``logs[monitor]`` (what ``train`` returns).
    """

    def __init__(self, member: Any, *, monitor: str = "val_loss",
                 optimizer_params: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.member = member
        self.monitor = monitor
        self.optimizer_params = dict(optimizer_params or {})
        self.value: float | None = None

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        optimizer = self.model.optimizer
        step = int(keras.ops.convert_to_numpy(optimizer.iterations))
        optimizer.learning_rate.assign(self.member.lr(step))
        params = self.member.trial.params
        for attr, name in self.optimizer_params.items():
            setattr(optimizer, attr, params[name])

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise InvalidArgumentError(f"monitor={self.monitor!r} is invalid for PBTCallback: the epoch's logs hold "
                                       f"{sorted(logs)}")
        self.value = float(logs[self.monitor])
        self.member.report(self.value, epoch)

    def on_train_end(self, logs: Any = None) -> None:
        self.model.save(Path(self.member.save_path) / CHECKPOINT)
