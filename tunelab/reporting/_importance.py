"""Parameter importance as the share of the objective's variance each parameter explains on its own.

For each parameter, over the COMPLETE trials where it is set, the trials are grouped by its value
(categories as they are; numbers into up to ``bins`` equal-count bins, on a log scale for log
parameters, where only the order matters) and the importance is the correlation ratio

    eta^2 = sum_g n_g (mean_g - mean)^2 / sum_i (y_i - mean)^2

(one-way ANOVA's effect size: 0 when the groups have equal means, 1 when the parameter alone
determines the value). It measures each parameter alone, without interactions (unlike fANOVA),
and a parameter set in few trials is noisy: parameters seen in fewer than ``min_trials`` trials
are left out. The report shows the eta^2 values normalised to sum to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


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


def _groups(values: list[Any], bins: int) -> list[Any]:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) and len(set(values)) > bins:
        ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable")
        return [int(r * bins // len(values)) for r in ranks]
    return values


def importances(trials: Sequence[Any], *, bins: int = 4, min_trials: int = 4) -> dict[str, float]:
    """Parameter name -> normalised eta^2, largest first (COMPLETE single-objective trials)."""
    done = [t for t in trials if t.values is not None and t.state.name == "COMPLETE" and np.isfinite(t.values[0])]
    names = sorted({k for t in done for k in t.params})
    raw = {}
    for name in names:
        having = [t for t in done if name in t.params]
        if len(having) < min_trials:
            continue
        raw[name] = correlation_ratio(_groups([t.params[name] for t in having], bins),
                                      [t.values[0] for t in having])
    total = sum(raw.values())
    if total <= 0:
        return {k: 0.0 for k in raw}
    return dict(sorted(((k, v / total) for k, v in raw.items()), key=lambda kv: -kv[1]))
