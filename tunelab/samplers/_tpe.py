"""Tree-structured Parzen Estimator (TPE): sample where good trials are dense and bad ones sparse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tunelab._constraints import Bool, Function, Integral, constrained
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._locked import Locked
from tunelab.samplers._random import draw
from tunelab.samplers._tpe_history import History, Key, default_gamma
from tunelab.samplers._tpe_parzen import ParzenEstimator
from tunelab.space import BaseDistribution


@constrained({"seed": SEED, "n_startup_trials": Integral(min=0), "n_ei_candidates": Integral(min=1),
              "gamma": Function(), "use_projections": Bool()})
class TPESampler(Locked, Sampler):
    """Tree-structured Parzen Estimator with joint modelling and native conditional spaces.

    The finished trials are ranked (COMPLETE by value, or by Pareto rank and crowding for several
    objectives, feasible before infeasible when trials call ``trial.set_constraint``; PRUNED ones
    after them, by how far they got and then their last reported value; FAIL ones are ignored).
    With ``use_projections=True`` PRUNED trials are ranked instead by the final value their pruner
    projected where it stored one (``system_attrs["projected_value"]``, see
    :func:`tunelab.pruners.project`), so trials stopped at different steps compare on one scale.
    It is off by default: in ``benchmarks/pruning/feedback.py`` (20 seeds, digits MLP and CNN,
    median and successive-halving pruners) it never found better configurations.

    The best ``gamma(n)`` are *good*, the rest *bad*. For each group of parameters that always
    occur together, a Parzen estimator ``l`` is fit on the good trials holding that group and ``g``
    on the bad ones; ``n_ei_candidates`` points are drawn from ``l`` and the one with the highest
    ``l(x) / g(x)`` is proposed. A parameter is therefore only ever learned from the trials where
    it was active. Running trials (in this process, and those of other processes whose parameters
    are stored) count as bad, so parallel workers do not all propose the same point (constant liar).

    The first ``n_startup_trials`` trials are random. Each finished trial is encoded once, so a
    suggestion costs O(n) in the number of trials. The same ``seed`` and history give the same
    proposals.

    >>> import tunelab
    >>> study = tunelab.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=30)
    >>> abs(study.best_params["x"] - 1) < 0.5
    True
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        gamma: Callable[[int], int] = default_gamma,
        use_projections: bool = False,
    ) -> None:
        self.seed = seed
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.gamma = gamma
        self._rng = np.random.default_rng(seed)
        self.use_projections = use_projections
        self._history = History(use_projections)
        self._pending: dict[int, dict[Key, float]] = {}
        Locked.__init__(self)

    def __repr__(self) -> str:
        return f"TPESampler(seed={self.seed!r}, n_startup_trials={self.n_startup_trials})"

    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()

    # -- joint proposal ---------------------------------------------------------------------------------
    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, BaseDistribution]:
        with self._lock:
            self._history.update(study, self._pending, self.gamma)
            if self._history.n_finished < self.n_startup_trials:
                return {}
            return {name: key[1] for name, key in self._history.current_keys().items()}

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            wanted = {(name, dist) for name, dist in search_space.items()}
            proposal: dict[str, Any] = {}
            for keys in self._history.groups(wanted):
                proposal.update(self._propose(trial.number, keys))
            return proposal

    # -- one parameter at a time (new parameters, and the random start) ---------------------------------
    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        with self._lock:
            key = (name, distribution)
            self._history.update(study, self._pending, self.gamma)
            if self._history.n_finished < self.n_startup_trials:
                value = draw(self._rng, distribution)
                self._remember(trial.number, key, value)
                return value
            return self._propose(trial.number, [key])[name]

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        with self._lock:
            self._pending.pop(trial.number, None)

    # -- internals ------------------------------------------------------------------------------------------
    def _propose(self, number: int, keys: list[Key]) -> dict[str, Any]:
        axes = [self._history.axis(k) for k in keys]
        good, bad = self._history.observations(keys)
        if len(good) + len(bad) == 0:
            values = {k[0]: draw(self._rng, k[1]) for k in keys}
        else:
            below, above = ParzenEstimator(axes, good), ParzenEstimator(axes, bad)
            candidates = below.sample(self._rng, self.n_ei_candidates)
            score = below.log_pdf(candidates) - above.log_pdf(candidates)
            best = candidates[int(np.argmax(score))]
            values = {k[0]: axis.decode(x) for k, axis, x in zip(keys, axes, best)}
        for k in keys:
            self._remember(number, k, values[k[0]])
        return values

    def _remember(self, number: int, key: Key, value: Any) -> None:
        if not key[1].single():
            self._pending.setdefault(number, {})[key] = self._history.axis(key).encode(key[1].to_internal(value))
