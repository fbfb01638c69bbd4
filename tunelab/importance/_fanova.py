"""Main effects of a regression tree (functional ANOVA over the tree's partition of the unit cube).

A fitted tree cuts the encoded search space ``[0, 1]^d`` into boxes, each with a constant
prediction. Under the uniform measure on the cube, the tree's variance is

    V = sum_b vol(b) (f_b - mu)^2,        mu = sum_b vol(b) f_b,

and the *main effect* of feature ``j`` is the prediction averaged over every other feature,
``m_j(x) = sum_b [x in b_j] f_b vol(b) / |b_j|`` (``b_j`` is the box's interval along ``j``), a step
function of ``x``. Its variance ``V_j = int_0^1 (m_j(x) - mu)^2 dx``, as a share ``V_j / V`` of the
tree's variance, is the fraction explained by ``j`` alone (Hutter, Hoos and Leyton-Brown, "An
Efficient Approach for Assessing Hyperparameter Importance", ICML 2014). Computed here exactly from
the tree's leaves, with no sampling.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def leaf_boxes(tree: Any, n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lo, hi, value)`` of every leaf of a fitted scikit-learn tree (``estimator.tree_``): the box's
    corners in ``[0, 1]^n_features`` and its prediction. Nodes are visited level by level, vectorised."""
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold
    n = tree.node_count
    lo, hi = np.zeros((n, n_features)), np.ones((n, n_features))
    level = np.array([0])
    while level.size:
        inner = level[left[level] != -1]
        if not inner.size:
            break
        f, t = feature[inner], threshold[inner]
        lc, rc = left[inner], right[inner]
        lo[lc], hi[lc] = lo[inner], hi[inner]
        lo[rc], hi[rc] = lo[inner], hi[inner]
        hi[lc, f] = np.minimum(hi[inner, f], t)
        lo[rc, f] = np.maximum(lo[inner, f], t)
        level = np.concatenate([lc, rc])
    leaves = left == -1
    return lo[leaves], hi[leaves], np.asarray(tree.value, dtype=float).reshape(n, -1)[leaves, 0]


def main_effect_shares(lo: np.ndarray, hi: np.ndarray, value: np.ndarray) -> np.ndarray | None:
    """``V_j / V`` for every feature ``j`` of the partition ``(lo, hi, value)``; None when ``V == 0``
    (a tree that predicts one value explains nothing).

    >>> lo = np.array([[0.0, 0.0], [0.5, 0.0]]); hi = np.array([[0.5, 1.0], [1.0, 1.0]])
    >>> main_effect_shares(lo, hi, np.array([0.0, 2.0])).tolist()  # the value depends on x0 alone
    [1.0, 0.0]
    """
    width = np.clip(hi - lo, 0.0, None)
    volume = width.prod(axis=1)
    total = volume.sum()
    if total <= 0:
        return None
    volume = volume / total
    mean = float(volume @ value)
    variance = float(volume @ (value - mean) ** 2)
    if variance <= 1e-300:
        return None
    shares = np.zeros(lo.shape[1])
    for j in range(lo.shape[1]):
        # weight of each box in the average over the other features: vol(b) / |b_j|
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(width[:, j] > 0, volume / width[:, j], 0.0) * value
        points = np.concatenate([lo[:, j], hi[:, j]])
        edges, where = np.unique(points, return_inverse=True)
        steps = np.zeros(len(edges))
        np.add.at(steps, where, np.concatenate([weight, -weight]))
        effect = np.cumsum(steps)[:-1]  # m_j on each interval between consecutive edges
        lengths = np.diff(edges)
        shares[j] = float(lengths @ (effect - mean) ** 2) / variance
    return np.clip(shares, 0.0, 1.0)
