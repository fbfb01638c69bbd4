"""Rung budgets without a rewrite: train a trial at the budgets its pruner gives it.

Schedule-aware early stopping (:class:`~tunelab.pruners.RescaledHyperband`) judges a trial at a
short budget by a *fresh* training of that many epochs with the whole learning-rate schedule
compressed into it, not by epoch ``r`` of the full run, where a long warmup or a late decay has
not done its work yet. The training function stays "train for ``epochs`` epochs, return the
validation value"; :func:`run` calls it once per rung and reports each value::

    def train(trial, epochs):                    # a fresh model trained for `epochs` epochs
        lr = trial.suggest_schedule("lr", space, total_steps=epochs * steps_per_epoch)
        ...
        return val_loss

    study = tunelab.create_study()               # no pruner named: the schedule-aware default
    study.optimize(lambda trial: tunelab.fidelity.run(trial, train, max_epochs=27), n_trials=81)

Which budgets a trial trains at:

- the study's pruner has budgets (:class:`~tunelab.pruners.RescaledSuccessiveHalving`,
  :class:`~tunelab.pruners.RescaledHyperband`): its budgets for this trial;
- the study names no pruner (``create_study()`` without ``pruner``): :func:`default_pruner`
  (``max_epochs``), the schedule-aware pruner ``benchmarks/pruning`` supports; the study uses it
  from then on and says so once in the log;
- the study names a pruner without budgets (``MedianPruner()``, ``NopPruner()`` ...): one
  training of ``max_epochs`` (``train`` may report per epoch and ask ``should_prune`` itself).

A trial that is a retry of one lost in the middle of a rung (a killed worker: see heartbeats)
does not train again the budgets its predecessor finished: their values are reported again and
judged against the study as it is now, and training resumes at the first budget not finished.
Each budget is a fresh run, so nothing but the values needs to survive the crash.

>>> import tunelab
>>> from tunelab import fidelity
>>> study = tunelab.create_study(study_name="fidelity-doc")
>>> def train(trial, epochs):
...     x = trial.suggest_float("x", 0.0, 1.0)
...     return x + 1.0 / epochs
>>> study.optimize(lambda trial: fidelity.run(trial, train, max_epochs=9), n_trials=12)
>>> study.pruner
RescaledHyperband(min_resource=1, max_resource=9, reduction_factor=3, compress_below=1)
>>> sorted({len(t.intermediate_values) for t in study.trials}) != [1]   # some stopped early
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tunelab._constraints import Function, InstanceOf, Integral, constrained
from tunelab._errors import InvalidArgumentError, invalid
from tunelab.schedules import WarmupStableDecay

if TYPE_CHECKING:
    from tunelab.pruners import Pruner
    from tunelab.study import Trial

__all__ = ["budgets_of", "default_pruner", "run", "run_wsd"]

_log = logging.getLogger("tunelab")


@constrained({"max_epochs": Integral(min=2)}, where="tunelab.fidelity.default_pruner")
def default_pruner(max_epochs: int) -> Pruner:
    """The pruner a study that names none uses when its trials train through :func:`run`.

    ``RescaledHyperband(min_resource=1, max_resource=max_epochs, reduction_factor=3)``: Hyperband
    whose rungs are fresh trainings with the schedule compressed into the rung's budget; the
    brackets hedge against a short budget misjudging a configuration. Of the pruners whose budgets
    are fresh runs, it is the one the tuning half of ``benchmarks/pruning`` supports: successive
    halving without brackets stopped the best configuration of the noisy and narrow CNN problems
    (regret 4x Hyperband's), a later first rung (``min_resource=3``) cost 45 % more epochs. It is
    not cheaper than a per-epoch loop under ``HyperbandPruner``; docs/pruning.md gives the tables
    and when the rungs pay.

    >>> default_pruner(27)
    RescaledHyperband(min_resource=1, max_resource=27, reduction_factor=3, compress_below=1)
    """
    from tunelab.pruners import RescaledHyperband

    return RescaledHyperband(min_resource=1, max_resource=max_epochs, reduction_factor=3)


def budgets_of(trial: Trial, max_epochs: int) -> Pruner | None:
    """The pruner whose ``budgets(trial)`` :func:`run` follows, or None for one full training.

    The study's own pruner when it has budgets (its ``max_resource`` must be ``max_epochs``);
    :func:`default_pruner` when the study named no pruner (the study keeps it and logs the
    choice once); None when the study named a pruner without budgets.
    """
    study = trial.study
    pruner = study.pruner
    if max_epochs > 1 and study._default_pruner is pruner:  # create_study / load_study chose it
        pruner = default_pruner(max_epochs)
        study.pruner, study._default_pruner = pruner, None
        _log.info("Study %r: no pruner given and trials train through tunelab.fidelity.run: %r "
                  "(schedule-aware rungs: each budget a fresh training with the schedule compressed "
                  "into it; docs/pruning.md)", study.study_name, pruner)
    if not hasattr(pruner, "budgets"):
        return None
    # the budgets of the most aggressive bracket (all of them, for successive halving)
    rungs = pruner.rungs if hasattr(pruner, "rungs") else pruner.rungs_of(0) if hasattr(pruner, "rungs_of") else []
    continued = [b for b in rungs[:-1] if hasattr(pruner, "compressed") and not pruner.compressed(b)]
    if continued:
        raise InvalidArgumentError(
            f"the study's pruner {pruner!r} is invalid for tunelab.fidelity.run: its budgets {continued} are points "
            "of one continuing full-length run (compress_below < 1), and fidelity.run trains every budget as a "
            "fresh run; use compress_below=1, or write the loop of RescaledSuccessiveHalving's docstring")
    top = rungs[-1] if rungs else None
    if top is not None and top != max_epochs:
        raise InvalidArgumentError(
            f"max_epochs={max_epochs!r} is invalid for tunelab.fidelity.run: the study's pruner {pruner!r} "
            f"trains trials up to {top} epochs; pass max_epochs={top} or a pruner with max_resource={max_epochs}")
    return pruner


def _carried(trial: Trial) -> dict[int, Any]:
    """The values the trial this one retries reported, by step (empty for a first run)."""
    number = trial.freeze().retry_of
    if number is None:
        return {}
    earlier = next((t for t in trial.study.get_trials(deepcopy=False) if t.number == number), None)
    if earlier is None:
        return {}
    if earlier.intermediate_vectors:
        return {s: list(v) for s, v in earlier.intermediate_vectors.items()}
    return dict(earlier.intermediate_values)


def _checked(value: Any, trial: Trial, epochs: int) -> Any:
    """``value`` as a number (or vector), refusing what cannot be a rung's value."""
    if isinstance(value, (list, tuple)):
        return [_checked(v, trial, epochs) for v in value]
    try:
        return float(value)  # NaN is reported as it is: the pruners stop a NaN trial at its rung
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"train returned {value!r} for trial {trial.number} at {epochs} epochs: it must return the validation "
            "value (a real number) of a model trained for that many epochs") from None


@constrained({"train": Function(), "max_epochs": Integral(min=1)}, where="tunelab.fidelity.run")
def run(trial: Trial, train: Callable[[Trial, int], Any], *, max_epochs: int) -> Any:
    """Train ``trial`` at its budgets (``train(trial, epochs)`` each time); return the last value.

    ``train(trial, epochs)`` trains a fresh model for ``epochs`` epochs and returns its validation
    value; it builds its schedule for that horizon (``trial.suggest_schedule(name, space,
    total_steps=epochs * steps_per_epoch)`` returns the trial's one schedule rebuilt for it) and
    must not report itself. After each budget but the last, the value is reported at
    ``step=epochs`` and the pruner may stop the trial (:class:`~tunelab.TrialPruned` propagates);
    the value at ``max_epochs`` is the trial's result. See the module docstring for where the
    budgets come from.
    """
    pruner = budgets_of(trial, max_epochs)
    if pruner is None:
        return _checked(train(trial, max_epochs), trial, max_epochs)
    carried = _carried(trial)
    value, horizons = None, {}
    for epochs in pruner.budgets(trial):
        if epochs in carried:
            value = carried[epochs]
        else:
            before = set(trial.freeze().intermediate_values)
            value = _checked(train(trial, epochs), trial, epochs)
            frozen = trial.freeze()
            if set(frozen.intermediate_values) != before:
                raise InvalidArgumentError(
                    f"train reported for trial {trial.number} while training {epochs} epochs: under "
                    "tunelab.fidelity.run the rung's value is what train returns, reported at step=epochs; "
                    "remove trial.report (and pruning callbacks) from train")
            _check_horizons(trial, frozen.schedule_configs, epochs, horizons)
        trial.report(value, step=epochs)
    return value


def _check_horizons(trial: Trial, configs: dict[str, Any], epochs: int, horizons: dict[str, Any]) -> None:
    """Warn (once per schedule in a trial's run) when a schedule kept one horizon across two budgets:
    it was built for a fixed length, not for the budget, so the shorter rung ran part of it.
    ``horizons`` holds, per schedule, the first budget and horizon seen (None once warned)."""
    for name, config in configs.items():
        steps = config.get("horizon")
        first = horizons.setdefault(name, (epochs, steps))
        if steps is not None and first is not None and first[0] != epochs and first[1] == steps:
            horizons[name] = None
            _log.warning("trial %d: schedule %r was built for %d steps at both the %d- and the %d-epoch budget: "
                         "build it for the budget, trial.suggest_schedule(%r, space, total_steps=epochs * "
                         "steps_per_epoch), or a rung trains only part of it", trial.number, name, steps,
                         first[0], epochs, name)


#: WarmupStableDecay's decay shapes under the names of :func:`tunelab.pruners.cooldown_rates`.
_COOLDOWN_SHAPE = {"linear": "linear", "cosine": "cosine", "1-sqrt": "sqrt"}


@constrained({"schedule": InstanceOf(WarmupStableDecay, "a WarmupStableDecay"), "steps_per_epoch": Integral(min=1),
              "train_steps": Function(), "evaluate": Function(), "snapshot": Function(), "restore": Function(),
              "max_epochs": Integral(min=1)}, where="tunelab.fidelity.run_wsd")
def run_wsd(trial: Trial, *, schedule: Any, steps_per_epoch: int, train_steps: Callable[[list[float]], Any],
            evaluate: Callable[[], float], snapshot: Callable[[], Any], restore: Callable[[Any], Any],
            max_epochs: int) -> float:
    """Rungs of a warmup-stable-decay trial branched off one shared run: no fresh run per budget.

    A WSD schedule holds its peak rate until the decay, and the decay is a fixed fraction of the
    training, so a rung of ``b`` epochs does not need a fresh ``b``-epoch run: the shared run with
    ``schedule`` (built for ``max_epochs * steps_per_epoch`` steps) trains up to epoch ``b``, then
    a *branch* cools the rate down from its current value as the schedule's own decay would
    (``decay_fraction`` of the ``b`` epochs, its decay shape, down to its ``final_lr``), is
    evaluated, and the run is put back (``restore(snapshot())``) and goes on. A rung costs its
    cooldown (``decay_fraction * b`` epochs) instead of ``b`` epochs; at ``max_epochs`` the run
    ends with the schedule's own decay and ``evaluate()`` is the trial's value.

    ``train_steps(rates)`` trains one optimisation step per rate (set the rate, then step),
    ``evaluate()`` returns the validation value, ``snapshot()`` returns the training state and
    ``restore(state)`` puts it back (for PyTorch, :func:`tunelab.integrations.torch_pruning.snapshot`
    of model and optimizer). The budgets come from the study's pruner as for :func:`run`, and a
    retry of a lost trial reuses the rung values its predecessor reported (it trains the shared run
    through them without branching).

    >>> import tunelab
    >>> from tunelab.schedules import WarmupStableDecay
    >>> state = {"w": 10.0}
    >>> def train_steps(rates):
    ...     for r in rates:
    ...         state["w"] -= r * state["w"]          # a step of gradient descent on w ** 2 / 2
    >>> study = tunelab.create_study(pruner=tunelab.pruners.RescaledSuccessiveHalving(max_resource=9))
    >>> trial = study.ask()
    >>> run_wsd(trial, schedule=WarmupStableDecay(0.1, 90, decay_fraction=0.2), steps_per_epoch=10,
    ...         train_steps=train_steps, evaluate=lambda: state["w"], snapshot=lambda: dict(state),
    ...         restore=state.update, max_epochs=9) < 1.0
    True
    >>> sorted(trial.freeze().intermediate_values)
    [1, 3, 9]
    """
    from tunelab.pruners import cooldown_probe

    if schedule.total_steps != max_epochs * steps_per_epoch:
        raise invalid("schedule", schedule, f"a WarmupStableDecay over max_epochs * steps_per_epoch = "
                      f"{max_epochs * steps_per_epoch} steps (its total_steps is {schedule.total_steps})",
                      where="tunelab.fidelity.run_wsd")
    pruner = budgets_of(trial, max_epochs)
    carried = _carried(trial) if pruner is not None else {}
    decay = (schedule.decay_steps / schedule.total_steps if schedule.decay_fraction is None
             else schedule.decay_fraction)
    done, value = 0, None
    for epochs in (pruner.budgets(trial) if pruner is not None else [max_epochs]):
        target = epochs * steps_per_epoch
        train_steps([float(r) for r in schedule(list(range(done, target)))] if target > done else [])
        done = target
        if epochs in carried:
            value = carried[epochs]
        elif epochs == max_epochs:
            value = _checked(evaluate(), trial, epochs)
        else:
            lr = float(schedule(target - 1))
            final = min(1.0, schedule.final_lr / lr) if lr > 0 else 0.0
            value = _checked(cooldown_probe(snapshot=snapshot, restore=restore, train_steps=train_steps,
                                            evaluate=evaluate, lr=lr, steps_so_far=target, fraction=decay,
                                            final_factor=final, shape=_COOLDOWN_SHAPE[schedule.decay_shape]),
                             trial, epochs)
        if pruner is not None:
            trial.report(value, step=epochs)
    return value
