"""PyTorch Lightning: report a monitored metric and prune per epoch, or train a trial at its rung budgets.

- :class:`PruningCallback`: reports ``monitor`` after each validation run, stops the fit when the
  trial is pruned, records the learning rate each optimizer step applied.
- :func:`fit_rungs`: schedule-aware rungs (:mod:`tunelab.fidelity`) without touching the training
  code: one fresh ``LightningModule`` and ``Trainer(max_epochs=epochs)`` per budget.

Import needs the ``lightning`` extra (``pip install lightning``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from tunelab._constraints import Function, InstanceOf, Integral, constrained
from tunelab._errors import InvalidTypeError, invalid, require_extra
from tunelab.integrations._lr_trace import (
    FASTER,
    MAX_POINTS,
    MONITOR,
    SLOWER,
    LrTrace,
    RateCheck,
    monitored,
    report_and_prune,
    rung_callbacks,
    torch_fix,
)

pl = require_extra("lightning.pytorch", "lightning")

__all__ = ["PruningCallback", "fit_rungs"]


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


#: Trainer arguments that would change a rung's length, which is its budget.
_LENGTHS = ("max_epochs", "min_epochs", "max_steps", "min_steps")

#: What ``fit_rungs`` gives the Trainer unless ``trainer_kwargs`` says otherwise (no directories, no
#: output), with the callback that asks for the feature instead (Lightning refuses it when disabled).
_QUIET = {"logger": (False, None), "enable_checkpointing": (False, pl.callbacks.ModelCheckpoint),
          "enable_progress_bar": (False, pl.callbacks.ProgressBar),
          "enable_model_summary": (False, pl.callbacks.ModelSummary)}

_FIT_RUNGS = "tunelab.integrations.lightning.fit_rungs"


@constrained({"make_model": Function(what="a callable make_model(trial, epochs) returning a LightningModule"),
              "max_epochs": Integral(min=1), "monitor": MONITOR,
              "trainer_kwargs": (None, InstanceOf(Mapping, "a dict of lightning.pytorch.Trainer arguments",
                                                  plural="dicts of Trainer arguments"))},
             where=_FIT_RUNGS)
def fit_rungs(trial: Any, make_model: Callable[[Any, int], Any], *, max_epochs: int,
              train_dataloaders: Any = None, val_dataloaders: Any = None, datamodule: Any = None,
              monitor: str = "val_loss", trainer_kwargs: Mapping[str, Any] | None = None) -> float:
    """Train ``trial`` at its rung budgets, a fresh Lightning fit per budget; the value at ``max_epochs``.

    :func:`tunelab.fidelity.run` with, as the training of ``epochs`` epochs::

        model = make_model(trial, epochs)      # a new LightningModule, its schedule built for `epochs`
        trainer = Trainer(max_epochs=epochs, **trainer_kwargs)
        trainer.fit(model, train_dataloaders, val_dataloaders, datamodule=datamodule)
        value = trainer.callback_metrics[monitor]

    so the budgets come from the study's pruner (a study that names none gets the schedule-aware
    :func:`tunelab.fidelity.default_pruner`), each value is reported at ``step=epochs``, and a
    pruned trial raises :class:`~tunelab.TrialPruned`. The objective is one line::

        study.optimize(lambda trial: fit_rungs(trial, make_model, max_epochs=27,
                                               train_dataloaders=train, val_dataloaders=val), n_trials=81)

    ``make_model(trial, epochs)`` draws the trial's parameters and returns a module that has not
    been fitted; the module's ``configure_optimizers`` drives its optimizer over the whole
    ``epochs``-epoch horizon, e.g. with ``trial.suggest_schedule("lr", space, total_steps=epochs *
    steps_per_epoch)`` (the trial's one schedule, rebuilt for that horizon) and
    ``{"scheduler": tunelab.integrations.torch.scheduler(optimizer, schedule), "interval": "step"}``
    (``self.trainer.estimated_stepping_batches`` is that step count inside ``configure_optimizers``).

    The rung's value is ``monitor`` as the fit left it in ``trainer.callback_metrics``: its last
    logged value, for the model at the end of the rung (validate at the last epoch of every budget;
    the default ``check_val_every_n_epoch=1`` does). Keras' :func:`~tunelab.integrations.keras_callbacks.fit_rungs`
    takes the last epoch's value too. A monitor the fit did not log is an error naming those it did.

    Args:
        trial: the running trial (the objective's argument).
        make_model: ``make_model(trial, epochs)``, a new ``LightningModule`` for an ``epochs``-epoch fit.
        max_epochs: the largest budget, an integer >= 1 (the study's budgeted pruner must end there).
        train_dataloaders, val_dataloaders, datamodule: ``Trainer.fit``'s data arguments, passed to every
            fit (loaders are iterated again, a datamodule is set up again); leave them out when the
            module defines its own ``train_dataloader``/``val_dataloader``. A datamodule excludes loaders.
        monitor: the metric whose last value is the rung's value (``self.log(monitor, ...)``).
        trainer_kwargs: more ``lightning.pytorch.Trainer`` arguments, for every fit. Unless given here,
            ``logger=False, enable_checkpointing=False, enable_progress_bar=False,
            enable_model_summary=False``: no ``lightning_logs/`` or checkpoint directories and no
            output per rung (a ``ModelCheckpoint``, ``ProgressBar`` or ``ModelSummary`` among the
            callbacks turns its feature back on). Each fit gets its own copy of ``callbacks``
            (Lightning callbacks such as ``EarlyStopping`` and ``ModelCheckpoint`` keep state from
            one fit to the next; yours stay untouched); the rung's length (``max_epochs``,
            ``min_epochs``, ``max_steps``, ``min_steps``) is not yours to set, nor a
            :class:`PruningCallback` (the rungs report).

    Returns:
        The value at ``max_epochs`` (what :func:`tunelab.fidelity.run` returns).
    """
    from tunelab import fidelity

    if datamodule is not None and (train_dataloaders is not None or val_dataloaders is not None):
        raise invalid("datamodule", datamodule, "None when train_dataloaders or val_dataloaders are given "
                      "(Trainer.fit takes its data from one or the other)", where=_FIT_RUNGS)
    kwargs = dict(trainer_kwargs or {})
    for key in _LENGTHS:
        if key in kwargs:
            raise invalid(f"trainer_kwargs[{key!r}]", kwargs[key], "left out: each rung's fit lasts its "
                          f"budget (Trainer(max_epochs=epochs), epochs up to max_epochs={max_epochs})",
                          where=_FIT_RUNGS)
    callbacks = kwargs.get("callbacks")
    callbacks = [] if callbacks is None else list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    callbacks = rung_callbacks(callbacks, PruningCallback, "trainer_kwargs['callbacks']", _FIT_RUNGS)
    kwargs = {**{key: off for key, (off, asks) in _QUIET.items()
                 if not (asks and any(isinstance(c, asks) for c in callbacks))}, **kwargs}

    def train(trial: Any, epochs: int) -> float:
        model = make_model(trial, epochs)
        if not isinstance(model, pl.LightningModule):
            raise InvalidTypeError(f"make_model(trial, {epochs}) returned {model!r} (type {type(model).__name__}) "
                                   f"in {_FIT_RUNGS}: it must return a lightning.pytorch.LightningModule")
        if getattr(model, "_trainer", None) is not None:
            raise InvalidTypeError(f"make_model(trial, {epochs}) returned a LightningModule that was already fitted "
                                   f"in {_FIT_RUNGS}: each rung trains a new model (build it in make_model)")
        trainer = pl.Trainer(**{**kwargs, "max_epochs": epochs, "callbacks": copy.deepcopy(callbacks)})
        trainer.fit(model, train_dataloaders, val_dataloaders, datamodule=datamodule)
        return monitored(trainer.callback_metrics, monitor)

    return fidelity.run(trial, train, max_epochs=max_epochs)
