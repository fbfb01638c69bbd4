"""Callbacks for ``Study.optimize(callbacks=[...])``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tunelab._constraints import InstanceOf, Integral, ListOf, constrained
from tunelab._records import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunelab.study._study import Study


@constrained({"n_trials": Integral(min=1),
              "states": (None, ListOf(InstanceOf(TrialState, "a TrialState")))})
class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states`` (default: COMPLETE), counted
    over every process working on it: a cap on a study that several runs share.

    ``states=None`` counts trials in every state. Pass it in ``optimize(callbacks=[...])``; the
    running trials finish (``study.stop()``).

    >>> import tunelab
    >>> study = tunelab.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=50, callbacks=[MaxTrialsCallback(3)])
    >>> len(study.trials)
    3
    """

    def __init__(self, n_trials: int, states: Iterable[TrialState] | None = (TrialState.COMPLETE,)) -> None:
        self._n_trials = n_trials
        self._states = None if states is None else tuple(states)

    def __repr__(self) -> str:
        return f"MaxTrialsCallback({self._n_trials}, states={self._states!r})"

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if len(study.get_trials(states=self._states)) >= self._n_trials:
            study.stop()
