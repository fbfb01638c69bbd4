"""Wilcoxon pruner: stop a trial whose per-instance results are significantly worse than the best trial's."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tunelab._constraints import Integral, Real, constrained
from tunelab._errors import InvalidArgumentError
from tunelab._records import TrialState
from tunelab.pruners._base import Pruner
from tunelab.pruners._common import mark_pruned, set_system_attr, signed, signs

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study

#: System attribute: how many values the trial had reported when the pruner stopped it.
STOPPED_AT_ATTR = "wilcoxon:stopped_at"


@constrained({"p_threshold": Real(0, 1), "n_startup_steps": Integral(min=0)})
class WilcoxonPruner(Pruner):
    """Stop a trial when a Wilcoxon signed-rank test says it is worse than the best trial (Optuna's class).

    For objectives that average a score over problem instances (cross-validation folds, a
    heuristic's benchmark instances, a model's test questions): the objective reports each
    instance's result with the instance's id as the step, ``trial.report(value, step=instance_id)``,
    in any order (shuffle it, so that no trial sees only the easy instances first). The trial is
    paired with the study's best trial (``study.best_trial``) on the instances both reported; with
    at least ``max(2, n_startup_steps)`` pairs, a one-sided Wilcoxon signed-rank test
    (``scipy.stats.wilcoxon``, zero differences split between the signs) gives the probability of
    differences at least this unfavourable if the trial were as good as the best. The trial stops when
    that p-value is below ``p_threshold``, unless the mean of all its reported values is no worse
    than the mean of all the best trial's (a safeguard when the pairs are few). The larger
    ``p_threshold``, the more aggressive: the test is repeated after every report, so its
    false-stop rate is above ``p_threshold``.

    A stopped trial may return the mean of the values it has instead of raising ``TrialPruned``,
    so the study learns from it (Optuna's recommended pattern). A NaN value counts as worse than
    any number (Optuna's pruner never stops a trial with NaN or infinite values; here they rank
    like the other pruners' NaN, and infinities as the extremes they are). Asked again without a
    new report, the pruner repeats a stop. Single-objective studies only.

    Args:
        p_threshold: in ``[0, 1]``; default 0.1.
        n_startup_steps: instances both trials must have reported before a stop (``>= 0``;
            fewer than 2 pairs never stop a trial); default 2.

    >>> import tunelab
    >>> study = tunelab.create_study(pruner=WilcoxonPruner(p_threshold=0.1))
    >>> best = study.ask()
    >>> for i in range(6):
    ...     best.report(1.0 + 0.1 * i, step=i)
    >>> _ = study.tell(best, 1.25)
    >>> worse, said = study.ask(), []
    >>> for i in (4, 1, 5, 0):   # any order of instances
    ...     worse.report(2.0 + 0.1 * i, step=i)
    ...     said.append(worse.should_prune())
    >>> said
    [False, False, False, True]
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        self._p_threshold = float(p_threshold)
        self._n_startup_steps = n_startup_steps

    def __repr__(self) -> str:
        return f"WilcoxonPruner(p_threshold={self._p_threshold!r}, n_startup_steps={self._n_startup_steps})"

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if len(study.directions) != 1:
            raise InvalidArgumentError(f"WilcoxonPruner compares one objective's values; study {study.study_name!r} "
                                       f"has {len(study.directions)} objectives")
        mine = trial.intermediate_values
        if not mine:
            return False
        if trial.system_attrs.get(STOPPED_AT_ATTR) == len(mine):
            return True  # asked again without a new report: the same answer
        best = _best(study)
        if best is None or not best.intermediate_values:
            return False
        sign = signs(study)
        ours = {s: signed((float(v),), sign)[0] for s, v in mine.items()}
        theirs = {s: signed((float(v),), sign)[0] for s, v in best.intermediate_values.items()}
        paired = sorted(set(ours) & set(theirs))
        if len(paired) < max(2, self._n_startup_steps):
            return False
        if _mean(ours.values()) <= _mean(theirs.values()):
            return False  # on average no worse than the best so far
        if _p_value([ours[s] - theirs[s] if ours[s] != theirs[s] else 0.0 for s in paired]) < self._p_threshold:
            set_system_attr(study, trial, STOPPED_AT_ATTR, len(mine))
            return mark_pruned(study, trial)
        return False


def _best(study: Study) -> FrozenTrial | None:
    """The study's best trial, or None while it has none."""
    if not study.get_trials(states=(TrialState.COMPLETE,)):
        return None
    try:
        return study.best_trial
    except InvalidArgumentError:  # no trial qualifies as best yet (e.g. none feasible)
        return None


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values)  # NaN (+inf and -inf both present) compares as not better


def _p_value(differences: list[float]) -> float:
    """One-sided p-value that the differences (signed: positive when the trial is worse) are centred on 0.

    The test only uses the differences' signs and the ranks of their sizes, so an infinite one
    (a NaN or infinite value against a finite one) stands as a value larger than every finite one.
    """
    import scipy.stats

    finite = [abs(d) for d in differences if math.isfinite(d)]
    big = (max(finite) if finite else 0.0) * 2.0 + 1.0
    ranked = [math.copysign(big, d) if math.isinf(d) else (0.0 if math.isnan(d) else d) for d in differences]
    if not any(ranked):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that zeros make the exact distribution approximate
        p = scipy.stats.wilcoxon(ranked, alternative="greater", zero_method="zsplit").pvalue
    return 1.0 if math.isnan(p) else float(p)
