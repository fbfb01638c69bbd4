"""PyTorch Lightning callback: report a monitored metric, prune, record the applied learning rate.

Import needs the ``lightning`` extra (``pip install lightning``).
"""

from __future__ import annotations

from typing import Any

from tunelab._constraints import constrained
from tunelab._errors import require_extra
from tunelab.integrations._lr_trace import MAX_POINTS, MONITOR, LrTrace, monitored, report_and_prune

pl = require_extra("lightning.pytorch", "lightning")

__all__ = ["PruningCallback"]


@constrained({"monitor": MONITOR, "max_points": MAX_POINTS})
class PruningCallback(pl.Callback):
    """Reports ``monitor`` to ``trial`` after each validation run and stops the fit when pruned.

    Also reached as ``tunelab.integration.PyTorchLightningPruningCallback(trial, monitor)``,
    Optuna's name and arguments.

    - Before every optimizer step it records the rate of the first optimizer's first parameter
      group at ``trainer.global_step`` (the rate actually applied, after any scheduler) into an
      :class:`~tunelab.integrations._lr_trace.LrTrace` of at most ``max_points`` points.
    - After every validation run (not the sanity check) it calls
      ``trial.report(trainer.callback_metrics[monitor], step=trainer.current_epoch)``, stores the
      trace in the trial's user attribute ``"lr_trace"`` (``[[step, lr], ...]``), and raises
      :class:`~tunelab.TrialPruned` out of ``trainer.fit`` when ``trial.should_prune()``.

    A missing ``monitor`` is an error naming the metrics that were logged.
    """

    def __init__(self, trial: Any, monitor: str, *, max_points: int = 512) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.trace = LrTrace(max_points=max_points)

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self.trace.add(trainer.global_step, optimizer.param_groups[0]["lr"])

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        report_and_prune(self.trial, self.trace, monitored(trainer.callback_metrics, self.monitor),
                         trainer.current_epoch)
