"""Threshold pruner: stop a trial whose value leaves a fixed band."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tunelab._constraints import Integral, Real, constrained
from tunelab._errors import InvalidArgumentError, invalid
from tunelab.pruners._base import Pruner
from tunelab.pruners._common import judged_step, mark_pruned, reported

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study


@constrained({"lower": (None, Real(finite=False)), "upper": (None, Real(finite=False)),
              "n_warmup_steps": Integral(min=0), "interval_steps": Integral(min=1)})
class ThresholdPruner(Pruner):
    """Stop a trial whose last reported value is below ``lower``, above ``upper`` or NaN.

    Checked at the trial's last step ``s`` when ``s >= n_warmup_steps`` and ``s`` is the first
    report in its ``interval_steps`` window (as in :class:`PercentilePruner`). Needs no other
    trials. In multi-objective studies the bounds apply to every objective and the trial stops
    when any objective is out of bounds or NaN.

    Args:
        lower: values below it stop the trial (None: no lower bound).
        upper: values above it stop the trial (None: no upper bound); ``lower <= upper``.
        n_warmup_steps: steps below which the trial is never stopped.
        interval_steps: check once per this many steps.

    >>> import tunelab
    >>> study = tunelab.create_study(pruner=ThresholdPruner(upper=10.0))
    >>> t = study.ask(); t.report(3.0, step=0); t.should_prune()
    False
    >>> t.report(float("nan"), step=1); t.should_prune()
    True
    """

    def __init__(self, *, lower: float | None = None, upper: float | None = None,
                 n_warmup_steps: int = 0, interval_steps: int = 1) -> None:
        if lower is None and upper is None:
            raise InvalidArgumentError("ThresholdPruner needs lower or upper: both are None")
        if lower is not None and upper is not None and lower > upper:
            raise invalid("lower", lower, f"a number <= upper={upper!r}", where="ThresholdPruner")
        self._lower = -math.inf if lower is None else float(lower)
        self._upper = math.inf if upper is None else float(upper)
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps

    def __repr__(self) -> str:
        return (f"ThresholdPruner(lower={self._lower!r}, upper={self._upper!r}, "
                f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps})")

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        mine = reported(trial)
        step = judged_step(mine, warmup=self._n_warmup_steps, interval=self._interval_steps)
        if step is None:
            return False
        if any(math.isnan(v) or v < self._lower or v > self._upper for v in mine[step]):
            return mark_pruned(study, trial)
        return False
