"""Parameter importance: how much of the trials' ranking each parameter explains on its own.

For each parameter, over the COMPLETE trials where it is set, the trials' values are replaced by
their ranks (so a long tail of bad values does not decide the answer) and grouped by the
parameter's value (categories as they are; numbers into equal-count bins, where only the order
matters, so a log scale changes nothing). The score is the correlation ratio of the ranks

    eta^2 = sum_g n_g (mean_g - mean)^2 / sum_i (y_i - mean)^2

(one-way ANOVA's effect size) adjusted for chance as an adjusted R^2 is,
``1 - (1 - eta^2) (n - 1) / (n - k)`` for ``n`` trials in ``k`` groups, and clipped to [0, 1]:
0 when the parameter tells nothing beyond what ``k`` random groups would, 1 when it decides the
ranking alone. It measures each parameter alone, without interactions (unlike fANOVA). The HTML
report and the dashboard both show this score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from tunelab.space import CategoricalDistribution

#: Most groups a numeric parameter is cut into; fewer where there are fewer than 5 trials per group.
MAX_BINS = 10
TRIALS_PER_BIN = 5


def correlation_ratio(groups: Sequence[Any], y: Sequence[float]) -> float:
    """eta^2 of ``y`` grouped by ``groups``.

    >>> correlation_ratio(["a", "a", "b", "b"], [1.0, 1.0, 3.0, 3.0])
    1.0
    >>> correlation_ratio(["a", "b", "a", "b"], [1.0, 1.0, 3.0, 3.0])
    0.0
    """
    y = np.asarray(y, dtype=float)
    total = float(((y - y.mean()) ** 2).sum())
    if total == 0.0:
        return 0.0
    between = 0.0
    keys = [repr(g) for g in groups]
    for key in set(keys):
        members = y[[k == key for k in keys]]
        between += len(members) * (members.mean() - y.mean()) ** 2
    return float(between / total)


def importance_scores(values: Sequence[float], columns: Mapping[str, Sequence[Any]], categorical: Mapping[str, bool],
                      *, min_trials: int = 4) -> dict[str, float]:
    """Parameter name -> adjusted eta^2 of the value ranks, largest first.

    ``columns[name][i]`` is the parameter's value in the trial whose objective value is
    ``values[i]`` (``None`` where the parameter is not set); ``categorical[name]`` says whether
    its values are choices rather than numbers. Parameters set in fewer than ``min_trials``
    trials are left out.

    >>> imp = importance_scores([1, 2, 3, 4, 5, 6, 7, 8], {"x": [1, 2, 3, 4, 5, 6, 7, 8],
    ...                          "c": ["a", "b", "a", "b", "a", "b", "a", "b"]}, {"x": False, "c": True})
    >>> list(imp), round(imp["x"], 2), imp["c"]
    (['x', 'c'], 0.72, 0.0)
    """
    values = np.asarray(values, dtype=float)
    scores = {}
    for name, column in columns.items():
        mask = np.array([v is not None for v in column], dtype=bool)
        n = int(mask.sum())
        if n < min_trials:
            continue
        y = rankdata(values[mask])  # ranks among the trials holding the parameter, ties averaged
        present = [v for v in column if v is not None]
        if categorical[name]:
            groups = [repr(v) for v in present]
        else:
            x = np.asarray(present, dtype=float)
            bins = max(2, min(MAX_BINS, n // TRIALS_PER_BIN))
            edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
            groups = np.searchsorted(edges, x, side="right").tolist()  # equal values share a group
        k = len(set(groups))
        eta2 = correlation_ratio(groups, y)
        score = 1 - (1 - eta2) * (n - 1) / (n - k) if n > k else 0.0
        scores[name] = float(min(max(score, 0.0), 1.0))
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))


def importances(trials: Sequence[Any], *, min_trials: int = 4) -> dict[str, float]:
    """Parameter name -> adjusted eta^2 of the value ranks, largest first (COMPLETE single-objective trials)."""
    done = [t for t in trials if t.values is not None and t.state.name == "COMPLETE" and np.isfinite(t.values[0])]
    categorical = {name: isinstance(dist, CategoricalDistribution) for t in done for name, dist in t.distributions.items()}
    names = sorted(categorical)
    columns = {name: [t.params.get(name) for t in done] for name in names}
    return importance_scores([t.values[0] for t in done], columns, categorical, min_trials=min_trials)
