"""Budget-rescaled successive halving: each rung runs the whole schedule compressed into its budget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tunelab._constraints import Integral, Real, String, constrained
from tunelab._errors import InvalidArgumentError, TrialPruned, invalid
from tunelab.pruners._asha import SuccessiveHalvingPruner
from tunelab.pruners._common import reported
from tunelab.pruners._hyperband import HyperbandPruner

if TYPE_CHECKING:
    from tunelab.study import Trial


#: The fraction of ``max_resource`` below which budgets are compressed runs.
_COMPRESS_BELOW = Real(0, 1, min_open=True)


@constrained({"min_resource": Integral(min=1), "max_resource": Integral(min=1), "reduction_factor": Integral(min=2),
              "min_early_stopping_rate": Integral(min=0), "compress_below": _COMPRESS_BELOW,
              "key": String(non_empty=True)})
class RescaledSuccessiveHalving(SuccessiveHalvingPruner):
    """Successive halving whose rungs are separate, shorter trainings with the schedule rescaled.

    Same-step comparison judges a trial at epoch ``r`` of its full run, where a schedule that warms
    up slowly or decays late has not done its work yet. Here a trial is instead trained at rung
    budget ``r`` *from scratch* with its schedule rebuilt for a horizon of ``r`` epochs (schedule
    arguments are fractions of the training length, so ``trial.suggest_schedule("lr", space,
    total_steps=r * steps_per_epoch)`` compresses warmup, peak and decay into the rung), and it
    reports the result at ``step=r``. The decision at each rung is that of
    :class:`SuccessiveHalvingPruner` (keep the best ``max(1, n // reduction_factor)`` of the ``n``
    trials that reached the rung); a promoted trial restarts at the next budget (or resumes from a
    checkpoint where the schedule allows, e.g. the stable phase of warmup-stable-decay).

    The budgets are ``min_resource * reduction_factor ** (min_early_stopping_rate + k)`` below
    ``max_resource``, then ``max_resource``. The objective stays a plain loop::

        pruner = RescaledSuccessiveHalving(min_resource=1, max_resource=27, reduction_factor=3)
        study = tunelab.create_study(pruner=pruner)

        def objective(trial):
            for epochs in pruner.budgets(trial):        # 1, 3, 9, 27 while promoted
                lr = trial.suggest_schedule("lr", space, total_steps=epochs * steps_per_epoch)
                value = train(trial.params, lr, epochs)  # a fresh model for each budget
                trial.report(value, step=epochs)
            return value

    :meth:`budgets` raises :class:`~tunelab.TrialPruned` when the trial stops at a rung; the loop
    ends after the ``max_resource`` budget, whose report is the trial's final value.

    Compressed runs rank best at the rungs that are a small part of training; at the later rungs a
    cooldown probe of the full-length run ranks better (``benchmarks/pruning``). With
    ``compress_below=f`` only budgets below ``f * max_resource`` are compressed runs
    (:meth:`compressed`); from the first budget that is not, the objective trains one full-length
    run and reports, at each rung, the value after a :func:`~tunelab.pruners.cooldown_probe`::

        pruner = RescaledSuccessiveHalving(min_resource=1, max_resource=27, compress_below=1 / 3)

        def objective(trial):
            run = None
            for epochs in pruner.budgets(trial):        # 1 and 3 compressed; 9 and 27 one run
                if pruner.compressed(epochs):
                    lr = trial.suggest_schedule("lr", space, total_steps=epochs * steps_per_epoch)
                    value = train(trial.params, lr, epochs)
                else:
                    if run is None:
                        lr = trial.suggest_schedule("lr", space, total_steps=27 * steps_per_epoch)
                        run = start(trial.params, lr)
                    run.train_until(epochs)
                    value = run.validate() if epochs == 27 else run.cooldown_probe()
                trial.report(value, step=epochs)
            return value

    >>> pruner = RescaledSuccessiveHalving(min_resource=1, max_resource=20, reduction_factor=3)
    >>> pruner.rungs
    [1, 3, 9, 20]
    >>> import tunelab
    >>> study = tunelab.create_study(pruner=pruner)
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", 0.0, 1.0)
    ...     for epochs in pruner.budgets(trial):
    ...         value = x / epochs
    ...         trial.report(value, step=epochs)
    ...     return value
    >>> study.optimize(objective, n_trials=6)
    >>> sum(t.state.name == "PRUNED" for t in study.trials) > 0
    True
    """

    def __init__(self, *, min_resource: int = 1, max_resource: int, reduction_factor: int = 3,
                 min_early_stopping_rate: int = 0, compress_below: float = 1.0, key: str = "rsh") -> None:
        super().__init__(min_resource=min_resource, reduction_factor=reduction_factor,
                         min_early_stopping_rate=min_early_stopping_rate, key=key)
        if max_resource < self.rung_step(0):
            raise invalid("max_resource", max_resource, f"an integer >= the first rung {self.rung_step(0)}",
                          where=type(self).__name__)
        self._max_resource = max_resource
        self._compress_below = float(compress_below)

    def __repr__(self) -> str:
        return (f"RescaledSuccessiveHalving(min_resource={self._min_resource}, max_resource="
                f"{self._max_resource}, reduction_factor={self._eta}, min_early_stopping_rate={self._rate}, "
                f"compress_below={self._compress_below:g})")

    def compressed(self, budget: int) -> bool:
        """Whether ``budget`` is trained as a fresh run with the schedule compressed into it.

        True for the budgets below ``compress_below * max_resource`` (all but ``max_resource``
        by default); the others are points of one full-length run.
        """
        return budget < self._compress_below * self._max_resource  # compress_below <= 1

    @property
    def rungs(self) -> list[int]:
        """The training budgets, in steps of the resource (e.g. epochs), smallest first."""
        out, k = [], 0
        while self.rung_step(k) < self._max_resource:
            out.append(self.rung_step(k))
            k += 1
        return [*out, self._max_resource]

    def budget(self, trial: Trial | Any) -> int:
        """The budget ``trial`` should train for next: the first rung it has not reported at."""
        done = set(reported(trial.freeze() if hasattr(trial, "freeze") else trial))
        return next((b for b in self.rungs if b not in done), self._max_resource)

    def budgets(self, trial: Trial) -> Iterator[int]:
        """Yield the budgets for ``trial``; stop it (``TrialPruned``) where a rung says so.

        After each budget but the last, the objective must have reported at ``step=budget``.
        """
        for b in self.rungs:
            yield b
            if b == self._max_resource:
                return
            if b not in reported(trial.freeze()):
                raise InvalidArgumentError(
                    f"trial {trial.number} did not report at step={b}: report the value of the "
                    f"{b}-step budget with trial.report(value, step={b}) before the next budget")
            if trial.should_prune():
                raise TrialPruned(f"stopped at the {b}-step rung")


@constrained({"min_resource": Integral(min=1), "max_resource": Integral(min=1), "reduction_factor": Integral(min=2),
              "compress_below": _COMPRESS_BELOW})
class RescaledHyperband(HyperbandPruner):
    """Hyperband whose brackets are :class:`RescaledSuccessiveHalving`: schedule-aware rungs, hedged.

    Successive halving from a small first rung stops good trials that a short budget misjudges;
    Hyperband hedges by giving each trial a bracket (a first rung of ``min_resource * eta**e``;
    the last bracket never stops a trial), chosen as in :class:`HyperbandPruner` from the study
    name and the trial number. Here each bracket ``e`` is ``RescaledSuccessiveHalving(...,
    min_early_stopping_rate=e, compress_below=compress_below)``, so its rungs below
    ``compress_below * max_resource`` are fresh runs with the schedule compressed into the budget
    and the later ones points of one full-length run (report a cooldown-probed value there). The
    objective loop is that of :class:`RescaledSuccessiveHalving`, with the trial's own budgets::

        pruner = RescaledHyperband(min_resource=1, max_resource=27, compress_below=1 / 3)

        def objective(trial):
            for epochs in pruner.budgets(trial):   # bracket 0: 1, 3, 9, 27; bracket 2: 9, 27
                ...                                # as for RescaledSuccessiveHalving
                trial.report(value, step=epochs)
            return value

    >>> pruner = RescaledHyperband(min_resource=1, max_resource=27, reduction_factor=3)
    >>> [pruner.rungs_of(e) for e in range(pruner.n_brackets)]
    [[1, 3, 9, 27], [3, 9, 27], [9, 27], [27]]
    """

    def __init__(self, *, min_resource: int = 1, max_resource: int, reduction_factor: int = 3,
                 compress_below: float = 1.0) -> None:
        self._compress_below = float(compress_below)
        super().__init__(min_resource=min_resource, max_resource=max_resource, reduction_factor=reduction_factor)

    def __repr__(self) -> str:
        return (f"RescaledHyperband(min_resource={self._min_resource}, max_resource={self._max_resource}, "
                f"reduction_factor={self._eta}, compress_below={self._compress_below:g})")

    def _bracket_pruner(self, e: int) -> RescaledSuccessiveHalving:
        return RescaledSuccessiveHalving(min_resource=self._min_resource, max_resource=self._max_resource,
                                         reduction_factor=self._eta, min_early_stopping_rate=e,
                                         compress_below=self._compress_below, key=f"rhb{e}")

    def rungs_of(self, bracket: int) -> list[int]:
        """The training budgets of ``bracket``, smallest first."""
        return self._brackets[bracket].rungs

    def compressed(self, budget: int) -> bool:
        """Whether ``budget`` is a fresh run with the schedule compressed into it (any bracket)."""
        return self._brackets[0].compressed(budget)

    def budgets(self, trial: Trial) -> Iterator[int]:
        """Yield the budgets of ``trial``'s bracket; stop it (``TrialPruned``) where a rung says so."""
        bracket = self._brackets[self.bracket(trial.study.study_name, trial.number)]
        yield from bracket.budgets(trial)
