"""The automatic default: picks a sampler per trial from the search space seen so far and the budget."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from tunelab._constraints import Function, constrained
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._feasibility import Feasibility
from tunelab.samplers._locked import Locked
from tunelab.space import BaseDistribution, CategoricalDistribution

logger = logging.getLogger("tunelab")

#: Study system attribute holding the current choice and its reason.
AUTO_CHOICE_ATTR = "auto:choice"
#: Above this many finished trials a single-objective study moves from the GP sampler to TPE.
GP_TRIAL_LIMIT = 200
#: Above this many finished trials a multi-objective study moves from TPE to NSGA-II.
MULTI_TPE_LIMIT = 300
#: A space whose parameters are more than this fraction categorical goes to TPE.
CATEGORICAL_SHARE = 0.5


@constrained({"seed": SEED, "constraints_func": (None, Function())})
class AutoSampler(Locked, Sampler):
    """The sampler ``create_study`` uses when none is given.

    Before every trial it looks at the finished trials' parameters and picks:

    * several objectives: TPE up to ``MULTI_TPE_LIMIT`` finished trials, then NSGA-II;
    * a conditional space (some parameter missing from some trials) or one that is mostly
      categorical: TPE;
    * otherwise the Gaussian-process sampler up to ``GP_TRIAL_LIMIT`` finished trials (small budgets,
      numeric spaces: where it is most sample-efficient), then TPE (cheap on long runs).

    ``constraints_func(frozen_trial) -> sequence of floats`` (Optuna's argument) is handed to the
    delegate samplers, which all accept it: it is called once per trial ending COMPLETE or PRUNED,
    the values are stored as the trial's ``constraints`` (feasible when all are ``<= 0``) and every
    delegate prefers feasible trials.

    Each change of choice is logged on the ``"tunelab"`` logger (INFO) with its reason and stored
    in the study's ``system_attrs["auto:choice"]``. Every trial is sampled by one delegate from
    start to end; the same ``seed`` gives the same sequence.

    >>> import tunelab
    >>> study = tunelab.create_study(sampler=AutoSampler(seed=0))
    >>> def objective(t):
    ...     return t.suggest_float("x", 0, 1) if t.suggest_categorical("kind", ["x", "n"]) == "x" else 0.5
    >>> study.optimize(objective, n_trials=12)
    >>> study.system_attrs["auto:choice"]["sampler"]
    'TPESampler'
    """

    def __init__(self, seed: int | None = None, *,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None) -> None:
        self.seed = seed
        self.constraints_func = constraints_func
        self._feasibility = Feasibility(constraints_func, where="AutoSampler")
        self._delegates: dict[str, Sampler] = {}
        self._by_trial: dict[int, Sampler] = {}
        self._seen: set[int] = set()
        self._names_all: set[str] | None = None
        self._names_any: set[str] = set()
        self._distributions: dict[str, BaseDistribution] = {}
        self._choice: tuple[str, str] | None = None
        Locked.__init__(self)

    def __repr__(self) -> str:
        return f"AutoSampler(seed={self.seed!r})"

    def reseed_rng(self) -> None:
        with self._lock:
            for sampler in self._delegates.values():
                sampler.reseed_rng()

    # -- routing ------------------------------------------------------------------------------------------
    def before_trial(self, study: Any, trial: Any) -> None:
        with self._lock:
            name, reason = self._decide(study)
            if self._choice is None or self._choice[0] != name:
                self._choice = (name, reason)
                logger.info("AutoSampler chose %s for study %r from trial %d: %s",
                            name, study.study_name, trial.number, reason)
                study.set_system_attr(AUTO_CHOICE_ATTR, {"sampler": name, "reason": reason,
                                                         "from_trial": trial.number})
            delegate = self._delegate(name)
            self._by_trial[trial.number] = delegate
        delegate.before_trial(study, trial)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, BaseDistribution]:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        return self._for(trial).sample_independent(study, trial, name, distribution)

    def constraints_of(self, study: Any, trial: Any) -> Sequence[float] | None:
        with self._lock:
            return self._feasibility.of_ending(trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        with self._lock:
            delegate = self._by_trial.pop(trial.number, None)
            self._feasibility.record(trial, state)
        if delegate is not None:
            delegate.after_trial(study, trial, state, values)

    # -- the choice -----------------------------------------------------------------------------------------
    def _for(self, trial: Any) -> Sampler:
        with self._lock:
            delegate = self._by_trial.get(trial.number)
            return delegate if delegate is not None else self._delegate("TPESampler")

    def _delegate(self, name: str) -> Sampler:
        if name not in self._delegates:
            import tunelab.samplers as samplers

            delegate = getattr(samplers, name)(seed=self.seed, constraints_func=self.constraints_func)
            delegate._feasibility.share(self._feasibility)  # one constraints_func call per trial, seen by all
            self._delegates[name] = delegate
        return self._delegates[name]

    def _decide(self, study: Any) -> tuple[str, str]:
        n = self._observe(study)
        if len(study.directions) > 1:
            if n < MULTI_TPE_LIMIT:
                return "TPESampler", f"{len(study.directions)} objectives, {n} trials done (< {MULTI_TPE_LIMIT})"
            return "NSGAIISampler", f"{len(study.directions)} objectives, {n} trials done (>= {MULTI_TPE_LIMIT})"
        names = self._names_any
        conditional = sorted(names - (self._names_all or set()))
        if conditional:
            return "TPESampler", f"conditional search space ({', '.join(conditional[:5])} not in every trial)"
        n_cat = sum(isinstance(self._distributions[p], CategoricalDistribution) for p in names)
        if names and n_cat / len(names) > CATEGORICAL_SHARE:
            return "TPESampler", f"mostly categorical search space ({n_cat} of {len(names)} parameters)"
        if n >= GP_TRIAL_LIMIT:
            return "TPESampler", f"long run: {n} trials done (>= {GP_TRIAL_LIMIT}), TPE stays cheap"
        return "GPSampler", f"numeric, non-conditional search space and {n} trials done (< {GP_TRIAL_LIMIT})"

    def _observe(self, study: Any) -> int:
        """Fold newly finished trials into the parameter sets; return the number of finished trials."""
        from tunelab.study import TrialState

        for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED)):
            if t.number in self._seen:
                continue
            self._seen.add(t.number)
            names = set(t.distributions)
            self._names_any |= names
            self._names_all = names if self._names_all is None else self._names_all & names
            self._distributions.update(t.distributions)
        return len(self._seen)
