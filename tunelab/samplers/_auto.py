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
from tunelab.space import BaseDistribution

logger = logging.getLogger("tunelab")

#: Study system attribute holding the current choice and its reason.
AUTO_CHOICE_ATTR = "auto:choice"
#: Above this many finished trials a single-objective study moves from the GP sampler to TPE.
GP_TRIAL_LIMIT = 200
#: Above this many finished trials a multi-objective study moves from TPE to NSGA-II.
MULTI_TPE_LIMIT = 300


@constrained({"seed": SEED, "constraints_func": (None, Function())})
class AutoSampler(Locked, Sampler):
    """The sampler ``create_study`` uses when none is given.

    Before every trial it looks at the finished trials and picks:

    * several objectives: TPE up to ``MULTI_TPE_LIMIT`` finished trials, then NSGA-II;
    * one objective: the Gaussian-process sampler up to ``GP_TRIAL_LIMIT`` finished trials
      (numeric, categorical and conditional spaces alike: it models conditional parameters and
      categorical choices natively), then TPE (cheap on long runs).

    The rule comes from the tuning half of ``benchmarks/samplers`` (64 trials, 6 seeds): on its
    conditional and mostly categorical problems the GP sampler scored 87 against 74 for TPE (a
    conditional function 100 vs 37, a 7-way categorical table 100 vs 87, a model choice 68 vs 76),
    so those spaces no longer go to TPE; the held-out half is reported in
    ``benchmarks/samplers/RESULTS.md``.

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
    'GPSampler'
    """

    def __init__(self, seed: int | None = None, *,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None) -> None:
        self.seed = seed
        self.constraints_func = constraints_func
        self._feasibility = Feasibility(constraints_func, where="AutoSampler")
        self._delegates: dict[str, Sampler] = {}
        self._by_trial: dict[int, Sampler] = {}
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
        if n >= GP_TRIAL_LIMIT:
            return "TPESampler", f"long run: {n} trials done (>= {GP_TRIAL_LIMIT}), TPE stays cheap"
        return "GPSampler", f"one objective and {n} trials done (< {GP_TRIAL_LIMIT})"

    def _observe(self, study: Any) -> int:
        """The number of finished (COMPLETE or PRUNED) trials."""
        from tunelab.study import TrialState

        return len(study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED)))
