"""Parameter importance that says how many trials it rests on: fANOVA on random forests, per coverage.

Each parameter is encoded into ``[0, 1]`` (log parameters in log space, a categorical choice ``i``
of ``k`` at ``(i + 0.5) / k``, so each choice covers an equal share of the axis). Parameters are
grouped by the set of COMPLETE trials that set them: the parameters of every trial form one group,
each conditional branch (``lr.cosine.*`` when ``lr.family == "cosine"``, ``width_2`` when
``n_layers >= 3``) another. For each group with at least ``min_trials`` trials, a random forest
(scikit-learn) is fitted on those trials, over every parameter they all set, and each tree's main
effects are read exactly (:mod:`tunelab.importance._fanova`). A parameter's importance is its share
of the value's variance in its trials, averaged over the trees, times the share of the study's
variance that those trials hold:

    importance_j = mean_trees(V_j / V) * (n_g / n) * var(y_g) / var(y)

so a parameter set in 15 % of the trials counts for what it explains there, not as if it had been
set everywhere; ``std`` is the spread over the trees on the same scale. A group with fewer than
``min_trials`` trials is not estimated at all: its parameters are reported with their trial count
and no number, rather than a number that noise decides.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import Integral, constrained
from tunelab._errors import invalid, require_extra
from tunelab._records import FrozenTrial, TrialState
from tunelab.importance._fanova import leaf_boxes, main_effect_shares
from tunelab.space import CategoricalDistribution


@dataclasses.dataclass(frozen=True)
class ParamImportance:
    """One parameter's importance with what it rests on.

    ``importance`` is None when the parameter was not estimated (``note`` says why); ``n_trials`` is
    how many of the ``n_total`` COMPLETE trials used set the parameter.
    """

    name: str
    importance: float | None
    std: float | None
    n_trials: int
    n_total: int
    note: str = ""

    @property
    def coverage(self) -> float:
        """The share of the trials used that set the parameter."""
        return self.n_trials / self.n_total if self.n_total else 0.0


def _encode(trials: Sequence[FrozenTrial], name: str) -> np.ndarray:
    """The parameter's values in ``[0, 1]`` (NaN where a trial does not set it)."""
    dists = [t.distributions[name] for t in trials if name in t.distributions]
    out = np.full(len(trials), np.nan)
    if isinstance(dists[-1], CategoricalDistribution):
        choices = list(dists[-1].choices)
        labels = [repr(c) for c in choices]
        for t in trials:
            if name in t.params and repr(t.params[name]) not in labels:
                labels.append(repr(t.params[name]))
        index = {label: i for i, label in enumerate(labels)}
        for i, t in enumerate(trials):
            if name in t.params:
                out[i] = (index[repr(t.params[name])] + 0.5) / len(labels)
        return out
    log = any(getattr(d, "log", False) for d in dists)
    low, high = min(d.low for d in dists), max(d.high for d in dists)
    if log:
        low, high = math.log(low), math.log(high)
    for i, t in enumerate(trials):
        v = t.params.get(name)
        if v is not None:
            x = math.log(v) if log and v > 0 else float(v)
            out[i] = 0.5 if high <= low else min(1.0, max(0.0, (x - low) / (high - low)))
    return out


@constrained({"n_trees": Integral(min=1, max=10_000), "max_depth": Integral(min=1, max=1_000),
              "seed": (None, Integral(min=0, max=2**32 - 1)), "min_trials": Integral(min=2),
              "max_trials": (None, Integral(min=2))})
class FanovaImportanceEvaluator:
    """fANOVA main effects on random forests, per group of trials that set the same parameters.

    Args:
        n_trees: trees per forest (their spread gives each importance's ``std``).
        max_depth: the trees' depth limit.
        seed: the forests' random seed (None: a fresh one each time).
        min_trials: fewest trials a parameter must be set in to be estimated.
        max_trials: fit on an even sample of at most this many COMPLETE trials (None: all).
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None, min_trials: int = 10,
                 max_trials: int | None = None) -> None:
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = seed
        self.min_trials = min_trials
        self.max_trials = max_trials

    def evaluate(self, study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None) -> dict[str, float]:
        """``{name: importance}`` of the estimated parameters, largest first (not normalised)."""
        return {e.name: e.importance for e in self.estimate(study, params, target=target) if e.importance is not None}

    def estimate(self, study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None) -> list[ParamImportance]:
        """Every parameter's :class:`ParamImportance`, estimated ones largest first, then the others."""
        trials, y = _trials(study, target)
        if self.max_trials is not None and len(trials) > self.max_trials:
            pick = np.unique(np.linspace(0, len(trials) - 1, self.max_trials).round().astype(int))
            trials, y = [trials[i] for i in pick], y[pick]
        known = sorted({n for t in trials for n in t.params})
        if params is not None:
            missing = [p for p in params if p not in known]
            if missing:
                raise invalid("params", list(params), f"names of parameters set in the study's complete trials "
                              f"({known})", where="get_param_importances")
            names = list(dict.fromkeys(params))
        else:
            names = known
        return estimate(trials, y, names, self)


def _trials(study: Any, target: Callable[[FrozenTrial], float] | None) -> tuple[list[FrozenTrial], np.ndarray]:
    if target is None:
        n = len(study.directions)
        if n != 1:
            raise invalid("target", None, f"a callable choosing the value: the study has {n} objectives "
                          "(e.g. target=lambda t: t.values[0])", where="get_param_importances")
        target = lambda t: t.values[0]  # noqa: E731
    trials, values = [], []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        v = target(t)
        if isinstance(v, (int, float)) and math.isfinite(v):
            trials.append(t)
            values.append(float(v))
    return trials, np.asarray(values, dtype=float)


def estimate(trials: Sequence[FrozenTrial], y: np.ndarray, names: Sequence[str],
             evaluator: FanovaImportanceEvaluator) -> list[ParamImportance]:
    """The importances of ``names`` over ``trials`` whose values are ``y`` (see the module's text)."""
    n = len(trials)
    columns = {name: _encode(trials, name) for name in names}
    present = {name: ~np.isnan(col) for name, col in columns.items()}
    counts = {name: int(mask.sum()) for name, mask in present.items()}
    total_var = float(np.var(y)) if n else 0.0
    out: dict[str, ParamImportance] = {}
    groups: dict[bytes, list[str]] = {}
    for name in names:
        groups.setdefault(np.packbits(present[name]).tobytes(), []).append(name)
    for members in groups.values():
        mask = present[members[0]]
        n_g = int(mask.sum())
        if n_g < evaluator.min_trials:
            note = (f"set in {n_g} of {n} trials: too few to estimate (at least {evaluator.min_trials})"
                    if n_g < n else f"only {n} complete trials: too few to estimate (at least {evaluator.min_trials})")
            for name in members:
                out[name] = ParamImportance(name, None, None, counts[name], n, note)
            continue
        y_g = y[mask]
        scale = (n_g / n) * float(np.var(y_g)) / total_var if total_var > 0 else 0.0
        if scale <= 0:
            for name in members:
                out[name] = ParamImportance(name, 0.0, 0.0, counts[name], n, "the value does not vary in its trials")
            continue
        features = [name for name in names if present[name][mask].all()]
        x = np.column_stack([columns[name][mask] for name in features])
        shares = _forest_shares(x, y_g, evaluator)
        for name in members:
            j = features.index(name)
            col = shares[:, j] if len(shares) else np.zeros(1)
            out[name] = ParamImportance(name, float(col.mean() * scale), float(col.std() * scale), counts[name], n)
    done = sorted((e for e in out.values() if e.importance is not None), key=lambda e: (-e.importance, e.name))
    rest = sorted((e for e in out.values() if e.importance is None), key=lambda e: (-e.n_trials, e.name))
    return done + rest


def _forest_shares(x: np.ndarray, y: np.ndarray, evaluator: FanovaImportanceEvaluator) -> np.ndarray:
    """Per tree (rows) the main-effect share of each feature (columns); trees that explain nothing are left out."""
    ensemble = require_extra("sklearn.ensemble", "plot")
    forest = ensemble.RandomForestRegressor(n_estimators=evaluator.n_trees, max_depth=evaluator.max_depth,
                                            min_samples_split=2, min_samples_leaf=1, random_state=evaluator.seed)
    forest.fit(x, y)
    rows = []
    for tree in forest.estimators_:
        shares = main_effect_shares(*leaf_boxes(tree.tree_, x.shape[1]))
        if shares is not None:
            rows.append(shares)
    return np.array(rows) if rows else np.zeros((0, x.shape[1]))
