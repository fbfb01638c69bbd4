"""Shared pieces of the pruners: reported values, ranking and projections.

Single-objective trials report one float per step (``trial.intermediate_values``). Multi-objective
trials report one vector per step (``trial.report([v1, v2, ...], step)``), kept in the system
field ``intermediate_vectors`` as ``{step: (v1, v2, ...)}``.
:func:`reported` gives both as ``{step: tuple}`` so every pruner handles them the same way.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import statistics
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tunelab._records import StudyDirection, TrialState

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study

#: System attribute where a pruned trial keeps the best estimate of the value it was heading to.
PROJECTED_VALUE_ATTR = "projected_value"


def signs(study: Study) -> tuple[float, ...]:
    """+1 for each minimised objective, -1 for each maximised one (smaller signed value is better)."""
    return tuple(1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions)


def reported(trial: FrozenTrial) -> dict[int, tuple[float, ...]]:
    """Every value ``trial`` reported, as ``{step: (v1, ...)}`` (one entry per objective)."""
    if trial.intermediate_vectors:
        return dict(trial.intermediate_vectors)
    return {s: (float(v),) for s, v in trial.intermediate_values.items()}


def as_of(values: Mapping[int, tuple[float, ...]], step: int) -> tuple[float, ...] | None:
    """The value reported at the latest step ``<= step`` (None when nothing was reported by then)."""
    earlier = [s for s in values if s <= step]
    return values[max(earlier)] if earlier else None


def signed(value: tuple[float, ...], sign: tuple[float, ...]) -> tuple[float, ...]:
    """``value`` turned so that smaller is better on every objective (NaN becomes +inf)."""
    return tuple(math.inf if math.isnan(v) else s * v for v, s in zip(value, sign))


def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether signed vector ``a`` is no worse than ``b`` everywhere and better somewhere."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def front_index(points: list[tuple[float, ...]]) -> list[int]:
    """Non-dominated sorting: 0 for the Pareto front of ``points``, 1 for the next front, ...

    For one objective this is the dense rank of the values (ties share a front).

    >>> front_index([(1.0, 2.0), (2.0, 1.0), (2.0, 2.0), (3.0, 3.0)])
    [0, 0, 1, 2]
    """
    fronts = [-1] * len(points)
    left = set(range(len(points)))
    level = 0
    while left:
        current = {i for i in left if not any(dominates(points[j], points[i]) for j in left)}
        for i in current:
            fronts[i] = level
        left -= current
        level += 1
    return fronts


def in_top(mine: tuple[float, ...], others: list[tuple[float, ...]], keep: int) -> bool:
    """Whether ``mine`` is among the best ``keep`` of ``[mine] + others`` (signed vectors).

    The order is non-dominated sorting; a trial is kept when fewer than ``keep`` others lie in a
    strictly better front (so ties at the boundary are kept).
    """
    fronts = front_index([mine, *others])
    return sum(f < fronts[0] for f in fronts[1:]) < keep


def complete_trials(study: Study, trial: FrozenTrial) -> list[FrozenTrial]:
    """The study's COMPLETE trials other than ``trial``."""
    return [t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.number != trial.number]


def first_in_interval(steps: list[int], step: int, *, warmup: int, interval: int) -> bool:
    """Whether ``step`` is the first of ``steps`` inside its window ``[warmup + k*interval, ...)``.

    Reports need not be at consecutive steps (progress steps, sparse evaluations), so a pruner that
    checks every ``interval`` steps checks at the first report in each window.
    """
    if step < warmup:
        return False
    window = (step - warmup) // interval
    return not any(s < step and s >= warmup and (s - warmup) // interval == window for s in steps)


def judged_step(mine: Mapping[int, tuple[float, ...]], *, warmup: int, interval: int) -> int | None:
    """The last step of ``mine`` (a trial's :func:`reported` values) when a warm-up/interval pruner
    should judge it now, else None."""
    if not mine:
        return None
    step = max(mine)
    return step if first_in_interval(list(mine), step, warmup=warmup, interval=interval) else None


_RECORDED: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("pruner_writes", default=None)


@contextlib.contextmanager
def recording() -> Iterator[dict[str, Any]]:
    """Collect the attributes :func:`set_system_attr` stores while the block runs (one pruner call)."""
    written: dict[str, Any] = {}
    token = _RECORDED.set(written)
    try:
        yield written
    finally:
        _RECORDED.reset(token)


def set_system_attr(study: Study, trial: FrozenTrial, key: str, value: Any) -> None:
    """Store a pruner's system attribute of ``trial`` (the record it was handed is read-only).

    ``Trial.should_prune`` collects what its pruner stored (:func:`recording`) into the live trial,
    so the next call's record shows it (a rung value is recorded once, not overwritten), without
    reading the trial back.
    """
    if trial.trial_id >= 0:
        study.storage.set_trial_attr(trial.trial_id, "system", key, value)
    written = _RECORDED.get()
    if written is not None:
        written[key] = value


def mark_pruned(study: Study, trial: FrozenTrial) -> bool:
    """Record ``trial``'s projected value (see :func:`project`) and return True."""
    value = project(study, trial)
    if value is not None:
        set_system_attr(study, trial, PROJECTED_VALUE_ATTR, value)
    return True


#: Complete trials with a value at the step needed before a projection is made.
MIN_PAIRS = 5
#: Correlation between value at the step and final value needed before a projection is made.
MIN_CORRELATION = 0.5


def project(study: Study, trial: FrozenTrial) -> float | list[float] | None:
    """The best estimate of the final value ``trial`` was heading to when it stopped, or None.

    Its last reported value mapped through a least-squares line ``final = a + b * value_at_step``
    fitted on the COMPLETE trials that reported at or before the same step (their value at that
    step against their final value), one line per objective. The line is trusted only where it
    predicts: at least :data:`MIN_PAIRS` such trials whose values at the step correlate with their
    final values (Pearson ``r >= MIN_CORRELATION``) on every objective; otherwise None, and nothing
    is stored (early in training, or early in a study, a value says little about the final one, and
    a line through noise ranks a pruned trial anywhere). When the reported value was already a
    cooled-down probe (see :func:`tunelab.pruners.cooldown_probe`), the line mostly corrects the
    remaining gap. Samplers read it from ``trial.system_attrs["projected_value"]`` (a float, or a
    list for multi-objective studies).
    """
    mine = reported(trial)
    if not mine:
        return None
    step = max(mine)
    pairs = []
    for t in complete_trials(study, trial):
        at = as_of(reported(t), step)
        if at is not None and t.values is not None:
            pairs.append((at, t.values))
    out = []
    for k, v in enumerate(mine[step]):
        finite = [(x[k], y[k]) for x, y in pairs if math.isfinite(x[k]) and math.isfinite(y[k])]
        projected = _line(finite, v)
        if projected is None:
            return None
        out.append(projected)
    return out[0] if len(out) == 1 else out


def _line(pairs: list[tuple[float, float]], x: float) -> float | None:
    """``x`` through the least-squares line of ``pairs``, or None where that line does not predict."""
    if len(pairs) < MIN_PAIRS or not math.isfinite(x):
        return None
    xs, ys = zip(*pairs)
    try:
        if statistics.correlation(xs, ys) < MIN_CORRELATION:
            return None
        slope, intercept = statistics.linear_regression(xs, ys)
    except statistics.StatisticsError:  # every value at the step, or every final value, the same
        return None
    return intercept + slope * x
