"""Tree-structured Parzen Estimator (TPE): sample where good trials are dense and bad ones sparse."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import Bool, Function, Integral, constrained
from tunelab._errors import invalid
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._feasibility import Feasibility
from tunelab.samplers._locked import Locked
from tunelab.samplers._random import draw
from tunelab.samplers._tpe_history import History, Key, default_gamma, key_order
from tunelab.samplers._tpe_parzen import ParzenEstimator
from tunelab.space import BaseDistribution

logger = logging.getLogger("tunelab")


@constrained({"seed": SEED, "n_startup_trials": Integral(min=0), "n_ei_candidates": Integral(min=1),
              "gamma": Function(), "multivariate": Bool(), "group": (None, Bool()), "constant_liar": Bool(),
              "warn_independent_sampling": Bool(), "constraints_func": (None, Function()),
              "use_projections": Bool()})
class TPESampler(Locked, Sampler):
    """Tree-structured Parzen Estimator with joint modelling and native conditional spaces.

    The finished trials are ranked (COMPLETE by value, or by Pareto rank and crowding for several
    objectives, feasible before infeasible when they have constraint values; PRUNED ones after
    them, by how far they got and then their last reported value; FAIL ones are ignored).
    With ``use_projections=True`` PRUNED trials are ranked instead by the final value their pruner
    projected where it stored one (``system_attrs["projected_value"]``, see
    :func:`tunelab.pruners.project`), so trials stopped at different steps compare on one scale.
    It is off by default: in ``benchmarks/pruning/feedback.py`` (20 seeds, digits MLP and CNN,
    median and successive-halving pruners) it never found better configurations.

    The best ``gamma(n)`` are *good*, the rest *bad*. For each set of parameters modelled jointly,
    a Parzen estimator ``l`` is fit on the good trials holding that set and ``g`` on the bad ones;
    ``n_ei_candidates`` points are drawn from ``l`` and the one with the highest ``l(x) / g(x)`` is
    proposed. The first ``n_startup_trials`` trials are random. Each finished trial is encoded once,
    so a suggestion costs O(n) in the number of trials. The same ``seed`` and history give the same
    proposals. Which parameters are modelled jointly (Optuna's arguments and meanings):

    * ``multivariate=True, group=True`` (the default): parameters that always occur together form
      a group, each modelled jointly, so a conditional branch's parameters are learned together and
      only from the trials that took that branch;
    * ``multivariate=True, group=False``: the parameters every finished trial holds (the
      intersection search space) are modelled jointly, each other one on its own;
    * ``multivariate=False``: every parameter on its own (independent TPE; ``group`` must then be
      False or None). ``group=None`` means "as ``multivariate``".

    ``constant_liar=True`` (the default): running trials (in this process, and those of other
    processes whose parameters are stored) count as bad, so parallel workers do not all propose
    the same point. ``warn_independent_sampling=True`` logs a warning (``"tunelab"`` logger) when a
    parameter seen in finished trials is sampled on its own although ``multivariate=True``.

    ``constraints_func(frozen_trial) -> sequence of floats`` (Optuna's argument): called once for
    each trial ending COMPLETE or PRUNED that recorded no constraint values itself; the trial is
    feasible when every value is ``<= 0``, and the values are stored as its ``constraints`` (see
    :meth:`~tunelab.samplers.Sampler.constraints_of`). Feasible trials rank before infeasible ones.

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
        multivariate: bool = True,
        group: bool | None = None,
        constant_liar: bool = True,
        warn_independent_sampling: bool = False,
        constraints_func: Callable[[Any], Sequence[float]] | None = None,
        use_projections: bool = False,
    ) -> None:
        if group and not multivariate:
            raise invalid("group", group, "False or None with multivariate=False (groups are modelled jointly)",
                          where="TPESampler")
        self.seed = seed
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.gamma = gamma
        self.multivariate = multivariate
        self.group = multivariate if group is None else group
        self.constant_liar = constant_liar
        self.warn_independent_sampling = warn_independent_sampling
        self.constraints_func = constraints_func
        self._feasibility = Feasibility(constraints_func, where="TPESampler")
        self._rng = np.random.default_rng(seed)
        self.use_projections = use_projections
        self._history = History(use_projections, violation=self._feasibility.violation, running=constant_liar)
        self._pending: dict[int, dict[Key, float]] = {}
        Locked.__init__(self)

    def __repr__(self) -> str:
        return f"TPESampler(seed={self.seed!r}, n_startup_trials={self.n_startup_trials})"

    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()

    def before_trial(self, study: Any, trial: Any) -> None:
        with self._lock:
            self._feasibility.begin(trial.number)

    # -- joint proposal ---------------------------------------------------------------------------------
    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, BaseDistribution]:
        if not self.multivariate:
            return {}
        with self._lock:
            self._history.update(study, self._pending, self.gamma)
            if self._history.n_finished < self.n_startup_trials:
                return {}
            if not self.group:
                return {name: dist for name, dist in self._history.common_keys()}
            return {name: key[1] for name, key in self._history.current_keys().items()}

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            wanted = {(name, dist) for name, dist in search_space.items()}
            if not self.group:
                return self._propose(trial.number, sorted(wanted, key=key_order))
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
            if self.warn_independent_sampling and self.multivariate and self._history.seen(key):
                logger.warning("TPESampler sampled %r of trial %d on its own, not jointly with the other "
                               "parameters: %s", name, trial.number,
                               "it is not in every finished trial (group=True models conditional parameters "
                               "jointly too)" if not self.group else "it was not in the joint proposal")
            return self._propose(trial.number, [key])[name]

    def constraints_of(self, study: Any, trial: Any) -> Sequence[float] | None:
        with self._lock:
            return self._feasibility.of_ending(trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        with self._lock:
            self._pending.pop(trial.number, None)
            self._feasibility.record(trial, state)

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
        if self.constant_liar:
            for k in keys:
                self._remember(number, k, values[k[0]])
        return values

    def _remember(self, number: int, key: Key, value: Any) -> None:
        if self.constant_liar and not key[1].single():
            self._pending.setdefault(number, {})[key] = self._history.axis(key).encode(key[1].to_internal(value))
