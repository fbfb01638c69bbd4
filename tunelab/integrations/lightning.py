"""PyTorch Lightning callback: report a monitored metric, prune, record the applied learning rate.

Import needs the ``lightning`` extra (``pip install lightning``).
"""

from __future__ import annotations

from typing import Any

from tunelab._constraints import constrained
from tunelab._errors import require_extra
from tunelab.integrations._lr_trace import (
    FASTER,
    MAX_POINTS,
    MONITOR,
    SLOWER,
    LrTrace,
    RateCheck,
    monitored,
    report_and_prune,
    torch_fix,
)

pl = require_extra("lightning.pytorch", "lightning")

__all__ = ["PruningCallback"]


@constrained({"monitor": MONITOR, "max_points": MAX_POINTS})
class PruningCallback(pl.Callback):
    """Reports ``monitor`` to ``trial`` after each validation run and stops the fit when pruned.

    Also reached as ``tunelab.integration.PyTorchLightningPruningCallback(trial, monitor)``,
    Optuna's name and arguments.

    - Before every optimizer step it records the rate of the first optimizer's first parameter
      group at ``trainer.global_step`` (the rate actually applied, after any scheduler) into an
      :class:`~tunelab.integrations._lr_trace.LrTrace` of at most ``max_points`` points, and
      compares it with the schedule the trial drew (``trial.suggest_schedule``): the first rate
      that is not ``schedule(global_step)`` warns once, naming the fix. The usual cause is
      Lightning's default ``"interval": "epoch"``: return
      ``{"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}`` from
      ``configure_optimizers`` for a schedule counted in optimizer steps.
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
        self.check = RateCheck(trial, self._fix)
        self._configs: list[Any] = []

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        step, lr = trainer.global_step, float(optimizer.param_groups[0]["lr"])
        if self.trace.add(step, lr):
            self._configs = [c for c in trainer.lr_scheduler_configs
                             if getattr(c.scheduler, "optimizer", None) is optimizer]
            self.check.see(step, lr, optimizer)

    def _fix(self, cause: str) -> str:
        """The fix in Lightning's terms, from the optimizer's scheduler configs."""
        if cause == SLOWER and not self._configs:
            return ('return {"optimizer": optimizer, "lr_scheduler": {"scheduler": '
                    'tunelab.integrations.torch.scheduler(optimizer, schedule), "interval": "step"}} from '
                    "configure_optimizers (no scheduler steps this optimizer)")
        if cause == SLOWER:
            how = sorted({f'"interval": "{c.interval}"' for c in self._configs}
                         | {f'"frequency": {c.frequency}' for c in self._configs if c.frequency != 1})
            return ('return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}} '
                    f"from configure_optimizers (its scheduler is stepped with {', '.join(how)}; Lightning's "
                    'default is "interval": "epoch")')
        if cause == FASTER and self._configs:
            return ("let Lightning step the scheduler (\"interval\": \"step\") and do not also call "
                    "scheduler.step() in the LightningModule")
        if cause not in (SLOWER, FASTER) and len(self._configs) > 1:
            return (f"return one scheduler for this optimizer from configure_optimizers ({len(self._configs)} "
                    "step it): tunelab.integrations.torch.scheduler(optimizer, schedule) holds the whole schedule")
        return torch_fix(cause)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        report_and_prune(self.trial, self.trace, monitored(trainer.callback_metrics, self.monitor),
                         trainer.current_epoch)
