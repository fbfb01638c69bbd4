"""Parameters a joint proposal does not cover: Optuna's ``independent_sampler`` and
``warn_independent_sampling`` arguments of the GP and QMC samplers."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from tunelab.samplers._base import Sampler
from tunelab.samplers._random import draw
from tunelab.space import BaseDistribution

logger = logging.getLogger("tunelab")


class Independent:
    """Draws a parameter on its own: with ``sampler`` when one is given (its hooks follow the
    trial too), else at random; logs a warning for each such draw past the start-up when ``warn``.

    >>> import tunelab
    >>> from tunelab.samplers import QMCSampler, TPESampler
    >>> QMCSampler(seed=0, independent_sampler=TPESampler(seed=0)).independent_sampler
    TPESampler(seed=0, n_startup_trials=10)
    """

    def __init__(self, sampler: Sampler | None, *, warn: bool, owner: str) -> None:
        self.sampler = sampler
        self.warn = warn
        self.owner = owner

    def sample(self, study: Any, trial: Any, name: str, distribution: BaseDistribution, rng: np.random.Generator,
               *, past_startup: Any) -> Any:
        """A value for ``name``; ``past_startup()`` tells whether a warning is due (asked only when ``warn``)."""
        if self.warn and past_startup():
            logger.warning("%s sampled %r of trial %d independently (%s), not from its joint model: it is outside "
                           "the search space of the complete trials", self.owner, name, trial.number,
                           type(self.sampler).__name__ if self.sampler is not None else "at random")
        if self.sampler is not None:
            return self.sampler.sample_independent(study, trial, name, distribution)
        return draw(rng, distribution)

    def before_trial(self, study: Any, trial: Any) -> None:
        if self.sampler is not None:
            self.sampler.before_trial(study, trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        if self.sampler is not None:
            self.sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        if self.sampler is not None:
            self.sampler.reseed_rng()
