"""Which trials a surface draws of a large study: every figure stays a few thousand points.

The report and the dashboard draw a 50,000-trial study through the same figure builders as a
small one, given a sample: the history keeps every improvement of the best value and an even
sample of the rest, parallel coordinates an even sample over the ranks, the intermediate values
and the timeline a chosen few trials. The functions work on plain numbers (trial numbers, states,
values) so both surfaces use them on what they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_HISTORY_POINTS = 2000
MAX_PARALLEL_LINES = 500
MAX_TIMELINE_BARS = 500
MAX_CURVES = 60
MAX_IMPORTANCE_TRIALS = 1000
IMPORTANCE_TREES = 32


def thin(n: int, limit: int) -> np.ndarray:
    """Indices of an even sample of at most ``limit`` out of ``n`` items (first and last kept).

    >>> thin(10, 4).tolist()
    [0, 3, 6, 9]
    """
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def history_keep(values: Sequence[float], minimize: bool | None, limit: int = MAX_HISTORY_POINTS) -> np.ndarray:
    """Indices of the values to draw in a history (values in trial order): an even sample of at most
    ``limit``, plus every point where the best so far improves, so the best line is exact.

    >>> history_keep([5.0, 4.0, 6.0, 3.0, 7.0, 8.0], True, limit=2).tolist()
    [0, 1, 3, 5]
    """
    arr = np.asarray(values, dtype=float)
    keep = thin(len(arr), limit)
    if minimize is None or not len(arr):
        return keep
    best = np.minimum.accumulate(arr) if minimize else np.maximum.accumulate(arr)
    improved = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])
    return np.union1d(keep, improved)


def pick_curves(numbers: Sequence[int], states: Sequence[str], best_first: Sequence[int],
                limit: int = MAX_CURVES) -> list[int]:
    """The trial numbers whose curves are drawn: the 20 best, the 10 latest running, the 20 latest
    pruned, then an even spread of the rest, at most ``limit``, in number order.

    ``numbers`` and ``states`` list the trials in number order; ``best_first`` the COMPLETE ones by value.
    """
    picked: dict[int, None] = {}
    running = [n for n, s in zip(numbers, states) if s == "RUNNING"]
    pruned = [n for n, s in zip(numbers, states) if s == "PRUNED"]
    for group, n in ((list(best_first), 20), (running[-10:], 10), (pruned[-20:], 20)):
        for number in group[:n]:
            picked.setdefault(number, None)
    for i in thin(len(numbers), max(0, limit - len(picked))):
        picked.setdefault(numbers[i], None)
    return sorted(picked)[:limit]


def importance_evaluator() -> Any:
    """The surfaces' importance evaluator: seeded (a study always draws the same bars), fitted on an
    even sample of at most :data:`MAX_IMPORTANCE_TRIALS` complete trials with :data:`IMPORTANCE_TREES`
    trees (half the default: a page opens in half the time, the spread is still measured)."""
    from tunelab.importance import FanovaImportanceEvaluator

    return FanovaImportanceEvaluator(n_trees=IMPORTANCE_TREES, seed=0, max_trials=MAX_IMPORTANCE_TRIALS)
