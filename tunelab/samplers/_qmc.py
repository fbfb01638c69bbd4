"""Quasi-random search: a scrambled Sobol sequence indexed by trial number (``scipy.stats.qmc``)."""

from __future__ import annotations

import secrets
import warnings
from typing import Any

import numpy as np
from scipy.stats import qmc

from tunelab._constraints import Bool, InstanceOf, Options, constrained
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._independent import Independent
from tunelab.samplers._unit import consistent_space, from_unit
from tunelab.space import BaseDistribution, CategoricalDistribution

SEED_ATTR = "qmc:scramble_seed"


@constrained({"seed": SEED, "qmc_type": Options("sobol", "halton"), "scramble": Bool(),
              "independent_sampler": (None, InstanceOf(Sampler, "a tunelab Sampler")),
              "warn_independent_sampling": Bool()})
class QMCSampler(Sampler):
    """Sobol (or Halton) points, spread more evenly than random draws, for space-filling exploration.

    Trial ``n`` takes point ``n`` of one scrambled Sobol sequence (``qmc_type="halton"``: Halton;
    Optuna's argument and names), so parallel workers (threads, processes or machines sharing a
    storage) never repeat each other's points. The sequence covers the parameters of the study's
    first complete trial; a parameter outside it (and every parameter of the first trials, before
    one completed) is drawn at random, or by ``independent_sampler`` when given
    (``warn_independent_sampling=True`` logs each such draw once the sequence has started;
    Optuna's arguments). With ``seed=None`` the scrambling seed is drawn once and kept in the
    study's system attributes, so every worker uses the same sequence. ``scramble=False`` gives
    the plain sequence (its first point, all lows, is skipped).

    >>> import tunelab
    >>> study = tunelab.create_study(sampler=QMCSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 1, 4), n_trials=8)
    >>> len({t.params["x"] for t in study.trials})
    8
    """

    def __init__(self, *, seed: int | None = None, qmc_type: str = "sobol", scramble: bool = True,
                 independent_sampler: Sampler | None = None, warn_independent_sampling: bool = False) -> None:
        self.seed = seed
        self.independent_sampler = independent_sampler
        self.warn_independent_sampling = warn_independent_sampling
        self._independent = Independent(independent_sampler, warn=warn_independent_sampling, owner="QMCSampler")
        self.qmc_type = qmc_type
        self.scramble = scramble
        self._rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"QMCSampler(seed={self.seed!r}, qmc_type={self.qmc_type!r}, scramble={self.scramble!r})"

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, BaseDistribution]:
        from tunelab.study import TrialState

        for t in study.get_trials(states=(TrialState.COMPLETE,)):
            return consistent_space([t], intersection=True)
        return {}

    def _scramble_seed(self, study: Any) -> int:
        if self.seed is not None:
            return self.seed
        stored = study.system_attrs.get(SEED_ATTR)
        if stored is None:
            stored = secrets.randbits(32)
            study.set_system_attr(SEED_ATTR, stored)
        return int(stored)

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}
        kind = qmc.Sobol if self.qmc_type == "sobol" else qmc.Halton
        engine = kind(len(search_space), scramble=self.scramble, seed=self._scramble_seed(study))
        index = trial.number + (0 if self.scramble else 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # single points break the power-of-two balance on purpose
            if index:  # scipy's scrambled fast_forward(0) underflows instead of doing nothing
                engine.fast_forward(index)
            u = engine.random(1)[0]
        out = {}
        for (name, d), x in zip(search_space.items(), u):
            if isinstance(d, CategoricalDistribution):
                out[name] = d.choices[min(int(x * len(d.choices)), len(d.choices) - 1)]
            else:
                out[name] = from_unit(d, x)
        return out

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        from tunelab.study import TrialState

        return self._independent.sample(study, trial, name, distribution, self._rng,
                                        past_startup=lambda: bool(study.get_trials(states=(TrialState.COMPLETE,))))

    def before_trial(self, study: Any, trial: Any) -> None:
        self._independent.before_trial(study, trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self._independent.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._independent.reseed_rng()
