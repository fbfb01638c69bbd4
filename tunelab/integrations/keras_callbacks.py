"""Keras: report a monitored metric and prune per epoch, or train a trial at its rung budgets.

- :class:`PruningCallback`: reports ``logs[monitor]`` at each epoch end, stops training when the
  trial is pruned, records the learning rate each batch applied.
- :func:`fit_rungs`: schedule-aware rungs (:mod:`tunelab.fidelity`) without touching the training
  code: one fresh compiled model and ``model.fit(epochs=epochs)`` per budget.

Import needs the ``keras`` extra (Keras 3).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from tunelab._constraints import Function, InstanceOf, Integral, constrained
from tunelab._errors import InvalidTypeError, TrialPruned, invalid, require_extra
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
)
from tunelab.integrations.keras import BACKEND_HINT

keras = require_extra("keras", "keras", hint=BACKEND_HINT)

__all__ = ["PruningCallback", "fit_rungs"]

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


#: ``model.fit`` arguments that ``fit_rungs`` sets itself (the data are its own arguments).
_SET_HERE = ("x", "y", "validation_data", "epochs", "initial_epoch")

_FIT_RUNGS = "tunelab.integrations.keras_callbacks.fit_rungs"


@constrained({"make_model": Function(what="a callable make_model(trial, epochs) returning a compiled keras.Model"),
              "max_epochs": Integral(min=1), "monitor": MONITOR,
              "fit_kwargs": (None, InstanceOf(Mapping, "a dict of keras.Model.fit arguments",
                                              plural="dicts of fit arguments"))},
             where=_FIT_RUNGS)
def fit_rungs(trial: Any, make_model: Callable[[Any, int], Any], x: Any = None, y: Any = None, *,
              max_epochs: int, validation_data: Any = None, monitor: str = "val_loss",
              fit_kwargs: Mapping[str, Any] | None = None) -> float:
    """Train ``trial`` at its rung budgets, a fresh Keras fit per budget; the value at ``max_epochs``.

    :func:`tunelab.fidelity.run` with, as the training of ``epochs`` epochs::

        model = make_model(trial, epochs)      # a new compiled model, its schedule built for `epochs`
        history = model.fit(x, y, epochs=epochs, validation_data=validation_data, verbose=0, **fit_kwargs)
        value = history.history[monitor][-1]

    so the budgets come from the study's pruner (a study that names none gets the schedule-aware
    :func:`tunelab.fidelity.default_pruner`), each value is reported at ``step=epochs``, and a
    pruned trial raises :class:`~tunelab.TrialPruned`. The objective is one line::

        study.optimize(lambda trial: fit_rungs(trial, make_model, x, y, max_epochs=27,
                                               validation_data=(x_val, y_val)), n_trials=81)

    ``make_model(trial, epochs)`` draws the trial's parameters and returns a new model compiled
    with an optimizer whose rate covers the whole ``epochs``-epoch horizon, e.g.
    ``learning_rate=tunelab.integrations.keras.learning_rate(trial.suggest_schedule("lr", space,
    total_steps=epochs * steps_per_epoch))`` (the trial's one schedule, rebuilt for that horizon).

    The rung's value is ``monitor`` after the last epoch of the fit, for the model at the end of
    the rung (not the best epoch's: a short rung's middle epochs are the middle of its schedule),
    as Lightning's :func:`~tunelab.integrations.lightning.fit_rungs` takes it. A monitor the fit
    did not log is an error naming those it did.

    Args:
        trial: the running trial (the objective's argument).
        make_model: ``make_model(trial, epochs)``, a new compiled ``keras.Model`` for an ``epochs``-epoch fit.
        x, y: ``model.fit``'s training data, passed to every fit (a ``PyDataset`` or generator is
            iterated again).
        max_epochs: the largest budget, an integer >= 1 (the study's budgeted pruner must end there).
        validation_data: ``model.fit``'s validation data (or give ``validation_split`` in ``fit_kwargs``).
        monitor: the logged metric whose last value is the rung's value (``"val_loss"``, ``"val_accuracy"``...).
        fit_kwargs: more ``model.fit`` arguments (``batch_size``, ``callbacks``, ``verbose`` (0 unless
            given) ...), for every fit; ``epochs`` and ``initial_epoch`` are each rung's own, the data
            are this function's arguments, and a :class:`PruningCallback` is refused (the rungs
            report). Each fit gets its own copy of ``callbacks``, as in Lightning's ``fit_rungs``
            (``ModelCheckpoint`` keeps its best value from one fit to the next; yours stay untouched).

    Returns:
        The value at ``max_epochs`` (what :func:`tunelab.fidelity.run` returns).
    """
    from tunelab import fidelity

    kwargs = dict(fit_kwargs or {})
    for key in _SET_HERE:
        if key in kwargs:
            raise invalid(f"fit_kwargs[{key!r}]", kwargs[key], "left out: each rung's fit lasts its budget "
                          f"(epochs up to max_epochs={max_epochs}) and the data are fit_rungs' own arguments "
                          "(x, y, validation_data)", where=_FIT_RUNGS)
    callbacks = list(kwargs.pop("callbacks", None) or ())
    callbacks = rung_callbacks(callbacks, PruningCallback, "fit_kwargs['callbacks']", _FIT_RUNGS)
    kwargs.setdefault("verbose", 0)

    def train(trial: Any, epochs: int) -> float:
        model = make_model(trial, epochs)
        if not isinstance(model, keras.Model):
            raise InvalidTypeError(f"make_model(trial, {epochs}) returned {model!r} (type {type(model).__name__}) "
                                   f"in {_FIT_RUNGS}: it must return a compiled keras.Model")
        if getattr(model, "optimizer", None) is None:
            raise InvalidTypeError(f"make_model(trial, {epochs}) returned a model that is not compiled in "
                                   f"{_FIT_RUNGS}: compile it in make_model, with the optimizer for {epochs} epochs")
        if int(keras.ops.convert_to_numpy(model.optimizer.iterations)):
            raise InvalidTypeError(f"make_model(trial, {epochs}) returned a model whose optimizer has already "
                                   f"taken steps in {_FIT_RUNGS}: each rung trains a new model (build it in make_model)")
        history = model.fit(x, y, epochs=epochs, validation_data=validation_data,
                            callbacks=copy.deepcopy(callbacks), **kwargs)
        return monitored({k: v[-1] for k, v in history.history.items() if len(v)}, monitor)

    return fidelity.run(trial, train, max_epochs=max_epochs)
