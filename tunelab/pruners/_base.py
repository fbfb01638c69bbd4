"""The Pruner plug-in point: decides from reported values whether a running trial stops."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study


class Pruner(abc.ABC):
    """One method: :meth:`prune`.

    Called by ``trial.should_prune()``, i.e. whenever the objective asks, usually right after
    ``trial.report(value, step)``. ``trial`` is a frozen snapshot of the running trial with every
    value it reported (``trial.intermediate_values``, ``trial.last_step``); ``study.get_trials()``
    gives the others. Return True to stop the trial; the objective then raises ``TrialPruned``.

    ``tunelab.pruners.BasePruner`` is this class under Optuna's name: a pruner written for Optuna
    (``prune(self, study, trial)``) subclasses it unchanged.
    """

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should stop now."""


class NopPruner(Pruner):
    """Never prunes.

    >>> NopPruner().prune(None, None)
    False
    """

    def __repr__(self) -> str:
        return "NopPruner()"

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
