"""Percentile and median pruners: stop a trial that is worse than most finished trials were."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tunelab._constraints import Integral, Real, constrained
from tunelab.pruners._base import Pruner
from tunelab.pruners._common import (
    as_of,
    complete_trials,
    judged_step,
    mark_pruned,
    reported,
    signed,
    signs,
)

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study


_COUNTS = {"n_startup_trials": Integral(min=0), "n_warmup_steps": Integral(min=0),
           "interval_steps": Integral(min=1), "n_min_trials": Integral(min=1)}


@constrained({"percentile": Real(0, 100), **_COUNTS})
class PercentilePruner(Pruner):
    """Stop a trial whose best value so far is worse than the ``percentile`` of finished trials.

    When ``trial.should_prune()`` is called after a report at step ``s`` (the trial's last step),
    the trial stops exactly when all of these hold:

    1. at least ``n_startup_trials`` trials are COMPLETE;
    2. ``s >= n_warmup_steps`` and ``s`` is the first report inside its window
       ``[n_warmup_steps + k * interval_steps, n_warmup_steps + (k + 1) * interval_steps)``;
    3. at least ``n_min_trials`` COMPLETE trials reported at some step ``<= s``; each one's
       *value as of* ``s`` is what it reported at its latest step ``<= s`` (so trials reporting at
       sparse steps, or at progress steps of different horizons, are still compared);
    4. the trial's best value over its steps ``<= s`` is worse than the ``percentile``-th best of
       those values (for "minimize": above the ``percentile``-th percentile; for "maximize":
       below the ``100 - percentile``-th), or it is NaN.

    Multi-objective studies (vector reports, see :meth:`tunelab.Trial.report`): the trial stops
    when rule 4 holds for *every* objective (it is not promising on any of them).

    Args:
        percentile: in ``[0, 100]``; 25 keeps roughly the best quarter.
        n_startup_trials: COMPLETE trials needed before any pruning (``>= 0``).
        n_warmup_steps: steps below which a trial is never stopped (``>= 0``).
        interval_steps: check once per this many steps (``>= 1``).
        n_min_trials: COMPLETE trials with a value at the step needed to compare (``>= 1``).

    >>> import tunelab
    >>> study = tunelab.create_study(pruner=PercentilePruner(50.0, n_startup_trials=2))
    >>> for final in (1.0, 2.0):
    ...     t = study.ask(); t.report(final, step=0); _ = study.tell(t, final)
    >>> t = study.ask(); t.report(5.0, step=0); t.should_prune()
    True
    >>> t2 = study.ask(); t2.report(1.2, step=0); t2.should_prune()
    False
    """

    def __init__(self, percentile: float, *, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, n_min_trials: int = 1) -> None:
        self._percentile = float(percentile)
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self._percentile!r}, n_startup_trials={self._n_startup_trials}, "
                f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps}, "
                f"n_min_trials={self._n_min_trials})")

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        mine = reported(trial)
        step = judged_step(mine, warmup=self._n_warmup_steps, interval=self._interval_steps)
        if step is None:
            return False
        done = complete_trials(study, trial)
        if len(done) < self._n_startup_trials:
            return False
        peers = [v for v in (as_of(reported(t), step) for t in done) if v is not None]
        if len(peers) < self._n_min_trials:
            return False
        if all(math.isnan(x) for x in mine[step]):
            return mark_pruned(study, trial)
        sign = signs(study)
        turned = [signed(v, sign) for s, v in mine.items() if s <= step]
        best = [min(v[k] for v in turned) for k in range(len(sign))]
        table = np.array([signed(v, sign) for v in peers], dtype=float)
        for k in range(len(sign)):
            column = table[:, k]
            column = column[np.isfinite(column)]
            if column.size == 0 or best[k] <= float(np.percentile(column, self._percentile)):
                return False
        return mark_pruned(study, trial)


@constrained(_COUNTS)
class MedianPruner(PercentilePruner):
    """:class:`PercentilePruner` at the 50th percentile: stop a trial worse than the median.

    >>> MedianPruner(n_warmup_steps=3)
    MedianPruner(50.0, n_startup_trials=5, n_warmup_steps=3, interval_steps=1, n_min_trials=1)
    """

    def __init__(self, *, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1,
                 n_min_trials: int = 1) -> None:
        super().__init__(50.0, n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps,
                         interval_steps=interval_steps, n_min_trials=n_min_trials)
