"""The Sampler plug-in point: a strategy that proposes parameter values from the study's history."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tunelab.space import BaseDistribution

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study, Trial, TrialState


class Sampler(abc.ABC):
    """Decides what to try next; the core owns bookkeeping, parallelism and persistence.

    When each method is called, for every trial of a study:

    1. :meth:`before_trial` once, right after the trial is created (RUNNING, no parameters yet).
    2. :meth:`infer_relative_search_space` then :meth:`sample_relative` once: the sampler may
       propose values for parameters it expects (joint modelling). Parameters it returns are
       used when the objective asks for them with the same distribution.
    3. :meth:`sample_independent` for every other parameter the objective asks for, in the
       order asked (define-by-run: conditional parameters appear only on the branches taken).
    4. :meth:`constraints_of` once, for a trial ending COMPLETE or PRUNED that did not record
       constraint values itself, before its end is written (the values go into the same write).
    5. :meth:`after_trial` once, after the trial's final state is stored.

    ``study.get_trials(...)`` returns frozen snapshots; finished trials never change, so a sampler
    may cache what it derives from them by trial number. ``trial`` is the live trial: read its
    ``number``, ``params``, ``distributions`` and ``system_attrs``; never change it. Calls for one
    study come from one thread at a time unless the sampler says otherwise.

    **Samplers written for Optuna.** ``tunelab.samplers.BaseSampler`` is this class, and the
    methods above have Optuna's names, arguments and order, so a subclass written for Optuna runs
    unchanged (its ``sample_independent(study, trial, param_name, param_distribution)`` is called
    positionally). Two differences: ``after_trial`` comes after the trial's end is stored, not
    right before it (a finished trial cannot change, so a sampler that wants to store something
    with the trial returns it from :meth:`constraints_of`); and ``infer_relative_search_space`` /
    ``sample_relative`` have defaults (no joint proposal), so a purely independent sampler only
    writes :meth:`sample_independent`.

    >>> import random, tunelab
    >>> class Uniform(tunelab.samplers.BaseSampler):
    ...     def sample_independent(self, study, trial, name, distribution):
    ...         return random.Random(trial.number).uniform(distribution.low, distribution.high)
    >>> study = tunelab.create_study(sampler=Uniform())
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> len(study.trials)
    3
    """

    def before_trial(self, study: Study, trial: Trial) -> None:
        """Hook at trial start (default: nothing)."""

    def infer_relative_search_space(self, study: Study, trial: Trial) -> dict[str, BaseDistribution]:
        """The parameters to sample jointly for ``trial`` (default: none)."""
        return {}

    def sample_relative(
        self, study: Study, trial: Trial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Joint proposal for ``search_space``: external values by name (default: none)."""
        return {}

    @abc.abstractmethod
    def sample_independent(self, study: Study, trial: Trial, name: str, distribution: BaseDistribution) -> Any:
        """An external value for one parameter, which must lie in ``distribution``."""

    def constraints_of(self, study: Study, trial: FrozenTrial) -> Sequence[float] | None:
        """The constraint values of a trial that is ending, or None (default: None).

        ``trial`` is its frozen record with the final state (COMPLETE or PRUNED) and values; the
        trial is feasible when every value is ``<= 0``. What is returned is stored as the trial's
        ``constraints``, in the same write as its end, as if the objective had called
        ``trial.set_constraint(values)`` (not called when it did).
        """
        return None

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: tuple[float, ...] | None
    ) -> None:
        """Hook after the trial finished and was stored (default: nothing)."""

    def reseed_rng(self) -> None:
        """Draw a fresh seed (worker processes call it so copies do not repeat each other)."""
