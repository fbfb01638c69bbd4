"""Pareto fronts for multi-objective studies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tunelab._records import FrozenTrial, StudyDirection


def pareto_front(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    """The trials no other trial dominates (at least as good in every objective, better in one).

    >>> from tunelab._records import TrialState
    >>> mk = lambda n, v: FrozenTrial(n, TrialState.COMPLETE, v, {}, {})
    >>> front = pareto_front([mk(0, (1, 5)), mk(1, (2, 2)), mk(2, (3, 3))], [StudyDirection.MINIMIZE] * 2)
    >>> [t.number for t in front]
    [0, 1]
    """
    trials = [t for t in trials if t.values is not None]
    if not trials:
        return []
    signs = np.array([1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in directions])
    points = np.array([t.values for t in trials], dtype=float) * signs
    order = np.lexsort(points.T[::-1])  # sort by first objective, ties by the next
    keep: list[int] = []
    front = np.empty((0, points.shape[1]))
    for i in order:
        p = points[i]
        dominated = bool(np.any(np.all(front <= p, axis=1) & np.any(front < p, axis=1))) if len(front) else False
        if not dominated:
            keep.append(int(i))
            front = np.vstack([front, p])
    return sorted((trials[i] for i in keep), key=lambda t: t.number)
