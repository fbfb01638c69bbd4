"""Asynchronous successive halving (ASHA): promote the best ``1/reduction_factor`` at each rung."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tunelab._constraints import Integral, String, constrained
from tunelab.pruners._base import Pruner
from tunelab.pruners._common import in_top, mark_pruned, reported, set_system_attr, signed, signs

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study


@constrained({"min_resource": Integral(min=1), "reduction_factor": Integral(min=2),
              "min_early_stopping_rate": Integral(min=0), "key": String(non_empty=True)})
class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (Li et al., 2018, "A System for Massively Parallel
    Hyperparameter Tuning").

    Rung ``k = 0, 1, ...`` sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
    When a trial's last reported step ``s`` reaches a rung it has not passed yet, its value at ``s``
    is recorded in its system attribute ``"{key}:rung_{k}"`` (``key`` is ``"sh"`` unless set), and
    it is compared with every trial of the study, in any state, that recorded a value at rung
    ``k``: with ``n`` values at the rung (its own included), the trial continues exactly when it is
    among the best ``max(1, n // reduction_factor)`` of them (ties at the boundary continue) and
    its value is not NaN; otherwise it stops. Between rungs it is never stopped, and a trial that
    skips several rungs in one report is judged at each of them in turn. Early trials are
    promoted more easily, as in ASHA: the first trial at a rung is always promoted.

    A rung is judged once: a stop is recorded with the step of the report it judged (system
    attribute ``"{key}:stopped_at"``), and asking again without a new report gets the same answer,
    however the other trials moved meanwhile (a promotion is likewise never taken back).

    Multi-objective studies: the order at a rung is non-dominated sorting of the reported vectors;
    the trial continues when fewer than ``max(1, n // reduction_factor)`` trials lie in a strictly
    better front.

    Args:
        min_resource: step of the first rung before the early-stopping rate (``>= 1``).
        reduction_factor: ``eta >= 2``; one in ``eta`` trials goes on at each rung.
        min_early_stopping_rate: ``s >= 0``; skips the first ``s`` rungs.
        key: prefix of the rung attributes (distinct pruners sharing a study use distinct keys).

    >>> import tunelab
    >>> study = tunelab.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    >>> a = study.ask(); a.report(0.5, step=1); a.should_prune()     # first at rung 0: promoted
    False
    >>> b = study.ask(); b.report(0.9, step=1); b.should_prune()     # best 1 of 2 goes on
    True
    >>> c = study.ask(); c.report(0.1, step=1); c.should_prune()
    False
    >>> b.should_prune()                                             # asked again: the same answer
    True
    """

    def __init__(self, *, min_resource: int = 1, reduction_factor: int = 4,
                 min_early_stopping_rate: int = 0, key: str = "sh") -> None:
        self._min_resource = min_resource
        self._eta = reduction_factor
        self._rate = min_early_stopping_rate
        self._key = key

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(min_resource={self._min_resource}, reduction_factor={self._eta}, "
                f"min_early_stopping_rate={self._rate})")

    def rung_step(self, k: int) -> int:
        """The step of rung ``k``."""
        return self._min_resource * self._eta ** (self._rate + k)

    def rung_attr(self, k: int) -> str:
        """The system attribute holding a trial's value at rung ``k``."""
        return f"{self._key}:rung_{k}"

    @property
    def stop_attr(self) -> str:
        """The system attribute holding the step of the report at which a rung stopped the trial."""
        return f"{self._key}:stopped_at"

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        mine = reported(trial)
        if not mine:
            return False
        step = max(mine)
        if trial.system_attrs.get(self.stop_attr) == step:
            return True  # asked again about the report a rung stopped it at: the same answer
        value = mine[step]
        sign = signs(study)
        k = 0
        while self.rung_step(k) <= step:
            key = self.rung_attr(k)
            if key not in trial.system_attrs:
                set_system_attr(study, trial, key, list(value))
                if not self._promoted(study, trial, k, value, sign):
                    set_system_attr(study, trial, self.stop_attr, step)
                    return mark_pruned(study, trial)
            k += 1
        return False

    def _promoted(self, study: Study, trial: FrozenTrial, k: int, value: tuple[float, ...],
                  sign: tuple[float, ...]) -> bool:
        if any(math.isnan(v) for v in value):
            return False
        key = self.rung_attr(k)
        others = [signed(tuple(t.system_attrs[key]), sign) for t in study.get_trials()
                  if t.number != trial.number and key in t.system_attrs]
        keep = max(1, (len(others) + 1) // self._eta)
        return in_top(signed(value, sign), others, keep)
