"""Keras callback: report a monitored metric, prune, record the applied learning rate.

Import needs the ``keras`` extra (Keras 3).
"""

from __future__ import annotations

from typing import Any

from tunelab._constraints import Integral, constrained
from tunelab._errors import TrialPruned, require_extra
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
from tunelab.integrations.keras import BACKEND_HINT

keras = require_extra("keras", "keras", hint=BACKEND_HINT)

__all__ = ["PruningCallback"]

#: Keras' fixes, by cause.
_FIXES = {
    SLOWER: "give the optimizer learning_rate=tunelab.integrations.keras.learning_rate(schedule), evaluated at "
            "every step (optimizer.iterations), instead of a rate set once per epoch "
            "(keras.callbacks.LearningRateScheduler) or a constant",
    FASTER: "give the optimizer learning_rate=tunelab.integrations.keras.learning_rate(schedule) as it is: it is "
            "evaluated at optimizer.iterations, one per applied batch",
}
_OTHER_FIX = ("give the optimizer learning_rate=tunelab.integrations.keras.learning_rate(schedule) and remove the "
              "callback or code that changes its rate (ReduceLROnPlateau, LearningRateScheduler)")


@constrained({"monitor": MONITOR, "interval": Integral(min=1), "max_points": MAX_POINTS})
class PruningCallback(keras.callbacks.Callback):
    """Reports ``logs[monitor]`` to ``trial`` at each epoch end and stops training when pruned.

    Also reached as ``tunelab.integration.KerasPruningCallback(trial, monitor, interval=1)``,
    Optuna's name and arguments.

    - At the start of every training batch it records the optimizer's current learning rate
      (a schedule is evaluated at ``optimizer.iterations``, so this is the rate that batch
      applies) at step ``optimizer.iterations`` into an
      :class:`~tunelab.integrations._lr_trace.LrTrace` of at most ``max_points`` points, and
      compares it with the schedule the trial drew (``trial.suggest_schedule``): the first rate
      that is not ``schedule(iterations)`` warns once, naming the fix (the optimizer's
      ``learning_rate`` should be ``tunelab.integrations.keras.learning_rate(schedule)``).
    - At the end of every ``interval``-th epoch (epochs ``interval - 1``, ``2 * interval - 1``,
      ...; every epoch by default) it calls ``trial.report(logs[monitor], step=epoch)``, stores the
      trace in the trial's user attribute ``"lr_trace"`` (``[[step, lr], ...]``), and when
      ``trial.should_prune()`` sets ``model.stop_training`` and raises
      :class:`~tunelab.TrialPruned` out of ``model.fit``. Between those epochs nothing is reported
      or judged (Optuna's ``interval``: train several epochs between pruning checks).

    A missing ``monitor`` is an error naming the metrics that were logged (Optuna warns and goes on).
    """

    def __init__(self, trial: Any, monitor: str = "val_loss", interval: int = 1, *, max_points: int = 512) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.interval = interval
        self.trace = LrTrace(max_points=max_points)
        self.check = RateCheck(trial, lambda cause: _FIXES.get(cause, _OTHER_FIX))

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        step = int(keras.ops.convert_to_numpy(optimizer.iterations))
        lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        if self.trace.add(step, lr):
            self.check.see(step, lr, optimizer)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % self.interval:
            return
        value = monitored(logs or {}, self.monitor)
        try:
            report_and_prune(self.trial, self.trace, value, epoch)
        except TrialPruned:
            self.model.stop_training = True
            raise
