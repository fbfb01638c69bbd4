"""Ordering finished trials from best to worst: constraints, Pareto ranks, crowding, pruned trials.

Shared by the TPE and NSGA-II samplers. Objectives are first turned into "smaller is better"
vectors (maximised objectives are negated). The constraint values a trial stored with
``trial.set_constraint(...)`` are feasible when every one is ``<= 0``; a trial without them
counts as feasible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def violation_of(values: Sequence[float] | None) -> float:
    """Total constraint violation: the sum of the positive values (0 when feasible or unconstrained).

    >>> violation_of((-1.0, 0.5, 2.0)), violation_of(None), violation_of(())
    (2.5, 0.0, 0.0)
    """
    if not values:
        return 0.0
    total = sum(max(float(c), 0.0) for c in values)
    return math.inf if math.isnan(total) else total


def violation(trial: Any) -> float:
    """Total constraint violation of a frozen trial, from the values it stored.

    >>> from types import SimpleNamespace as T
    >>> violation(T(constraints=(-1.0, 0.5, 2.0))), violation(T(constraints=None))
    (2.5, 0.0)
    """
    return violation_of(trial.constraints)


def nondominated_ranks(points: np.ndarray) -> np.ndarray:
    """Pareto rank of each row of ``points`` (minimised): 0 for the front, 1 for the next, ...

    >>> nondominated_ranks(np.array([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])).tolist()
    [0, 0, 1, 2]
    """
    n = len(points)
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    le = np.all(points[:, None, :] <= points[None, :, :], axis=2)
    lt = np.any(points[:, None, :] < points[None, :, :], axis=2)
    dominates = le & lt  # dominates[i, j]: i dominates j
    count = dominates.sum(axis=0)
    rank = 0
    current = np.flatnonzero(count == 0)
    while current.size:
        ranks[current] = rank
        count = count - dominates[current].sum(axis=0)
        count[ranks >= 0] = -1
        current = np.flatnonzero(count == 0)
        rank += 1
    return ranks


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each row (larger: a less crowded part of the front).

    >>> crowding_distance(np.array([[0.0, 2.0], [1.0, 1.0], [2.0, 0.0]])).tolist()
    [inf, 2.0, inf]
    """
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, math.inf)
    for j in range(m):
        order = np.argsort(points[:, j], kind="stable")
        col = points[order, j]
        span = col[-1] - col[0]
        distance[order[0]] = distance[order[-1]] = math.inf
        if span > 0 and np.isfinite(span):
            distance[order[1:-1]] += (col[2:] - col[:-2]) / span
    return distance


def order_best_first(vectors: Sequence[Sequence[float]], violations: Sequence[float]) -> np.ndarray:
    """Indices from best to worst: feasible first; then by Pareto rank and crowding (one objective:
    by value); infeasible ones by increasing violation.

    >>> order_best_first([[3.0], [1.0], [2.0], [0.0]], [0.0, 0.0, 0.0, 1.0]).tolist()
    [1, 2, 0, 3]
    """
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=int)
    points = np.asarray(vectors, dtype=float).reshape(n, -1)
    viol = np.asarray(violations, dtype=float)
    feasible = np.flatnonzero(viol <= 0)
    infeasible = np.flatnonzero(viol > 0)
    infeasible = infeasible[np.argsort(viol[infeasible], kind="stable")]
    if points.shape[1] == 1:
        best = feasible[np.argsort(points[feasible, 0], kind="stable")]
    else:
        sub = points[feasible]
        ranks = nondominated_ranks(sub)
        crowd = np.zeros(len(sub))
        for r in np.unique(ranks):
            members = np.flatnonzero(ranks == r)
            crowd[members] = crowding_distance(sub[members])
        best = feasible[np.lexsort((-crowd, ranks))]
    return np.concatenate([best, infeasible]).astype(int)


def minimised(values: Sequence[float], directions: Sequence[Any]) -> list[float]:
    """``values`` with maximised objectives negated (``directions`` holds StudyDirection members)."""
    return [v if d.name == "MINIMIZE" else -v for v, d in zip(values, directions)]
