"""The line ``optimize`` logs for each finished trial, in Optuna's words (see :mod:`tunelab.logging`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tunelab._records import FrozenTrial, StudyDirection, TrialState, is_feasible

if TYPE_CHECKING:
    from tunelab.study._study import Study

_log = logging.getLogger("tunelab")


class TrialLog:
    """Logs each trial one ``optimize`` call finishes; keeps the best feasible COMPLETE trial
    (single objective) as it goes, so a line costs no scan of the study's trials (the first one
    reads the study's best once; trials finished meanwhile by other processes are not seen)."""

    def __init__(self, study: Study) -> None:
        self._study = study
        self._sign = 1.0 if study.directions[0] == StudyDirection.MINIMIZE else -1.0
        self._best: FrozenTrial | None = None
        self._best_read = False
        self._names: list[str] | None = None
        self._names_read = False

    def __call__(self, trial: FrozenTrial) -> None:
        if trial.state == TrialState.COMPLETE:
            if _log.isEnabledFor(logging.INFO):
                _log.info("%s", self._complete(trial))
        elif trial.state == TrialState.PRUNED:
            _log.info("Trial %d pruned.", trial.number)
        elif trial.state == TrialState.FAIL:
            _log.warning("Trial %d failed with parameters: %s because of the following error: %s.",
                         trial.number, trial.params, trial.fail_reason or "no reason recorded")

    def _metric_names(self) -> list[str] | None:
        if not self._names_read:
            self._names, self._names_read = self._study.metric_names, True
        return self._names

    def _complete(self, trial: FrozenTrial) -> str:
        values, names = list(trial.values or ()), self._metric_names()
        if len(values) != 1:
            shown: Any = values if names is None else dict(zip(names, values))
            return f"Trial {trial.number} finished with values: {shown} and parameters: {trial.params}."
        shown = values[0] if names is None else {names[0]: values[0]}
        text = f"Trial {trial.number} finished with value: {shown} and parameters: {trial.params}."
        best = self._update(trial)
        return text if best is None else f"{text} Best is trial {best.number} with value: {best.values[0]}."

    def _update(self, trial: FrozenTrial) -> FrozenTrial | None:
        if not self._best_read:
            self._best_read = True
            feasible = [t for t in self._study.get_trials(states=(TrialState.COMPLETE,)) if is_feasible(t)]
            self._best = min(feasible, key=self._key, default=None)
        elif is_feasible(trial) and (self._best is None or self._key(trial) < self._key(self._best)):
            self._best = trial
        return self._best

    def _key(self, trial: FrozenTrial) -> tuple[float, int]:
        return self._sign * trial.values[0], trial.number
