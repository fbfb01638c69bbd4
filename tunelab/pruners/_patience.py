"""Patience wrapper: let a pruner act only once a trial has stopped improving."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tunelab._constraints import InstanceOf, Integral, Real, constrained
from tunelab.pruners._base import Pruner
from tunelab.pruners._common import mark_pruned, reported, signed, signs

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study


@constrained({"wrapped_pruner": (None, InstanceOf(Pruner, "a tunelab Pruner")), "patience": Integral(min=0),
              "min_delta": Real(min=0)})
class PatientPruner(Pruner):
    """Stop a trial only after ``patience`` reports without improvement (then ask ``wrapped_pruner``).

    Let the trial's reports be ordered by step, with the last ``patience`` of them the *recent*
    window and the ones before it the *history*. The trial has stalled when the history is not
    empty and no objective's best value in the recent window beats its best in the history by
    more than ``min_delta``. A stalled trial stops when ``wrapped_pruner`` (if given) says so, or
    immediately when ``wrapped_pruner`` is None; a trial that is still improving never stops.

    Args:
        wrapped_pruner: the pruner consulted once the trial stalled, or None (Optuna's name).
        patience: reports without improvement tolerated (``>= 0``).
        min_delta: improvement smaller than this does not count (``>= 0``).

    >>> import tunelab
    >>> study = tunelab.create_study(pruner=PatientPruner(None, patience=2))
    >>> t = study.ask()
    >>> for step, v in enumerate([5.0, 4.0, 4.5, 4.2]):
    ...     t.report(v, step)
    >>> t.should_prune()
    True
    """

    def __init__(self, wrapped_pruner: Pruner | None, *, patience: int, min_delta: float = 0.0) -> None:
        self._wrapped = wrapped_pruner
        self._patience = patience
        self._min_delta = float(min_delta)

    def __repr__(self) -> str:
        return f"PatientPruner({self._wrapped!r}, patience={self._patience}, min_delta={self._min_delta!r})"

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        mine = reported(trial)
        steps = sorted(mine)
        if len(steps) <= self._patience:
            return False
        sign = signs(study)
        turned = [signed(mine[s], sign) for s in steps]
        history, recent = turned[: len(turned) - self._patience], turned[len(turned) - self._patience:]
        for k in range(len(sign)):
            before = min(v[k] for v in history)
            after = min((v[k] for v in recent), default=math.inf)
            if after < before - self._min_delta:
                return False
        if self._wrapped is None:
            return mark_pruned(study, trial)
        return self._wrapped.prune(study, trial)
