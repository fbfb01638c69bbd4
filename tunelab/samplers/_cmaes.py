"""CMA-ES through the ``cmaes`` package, with warm start, IPOP restarts and a resumable state."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from tunelab._constraints import Bool, InstanceOf, Integral, ListOf, Options, Real, constrained
from tunelab._errors import InvalidArgumentError, require_extra
from tunelab._records import FrozenTrial, TrialState
from tunelab.samplers import _cmaes_state
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._random import RandomSampler
from tunelab.samplers._ranking import minimised, violation
from tunelab.samplers._unit import consistent_space, encode, from_unit
from tunelab.space import BaseDistribution, CategoricalDistribution

#: Study system attribute holding the search state as JSON (see ``_state_json``).
STATE_ATTR = "cmaes:state"
#: Trial system attribute: the unit-cube point asked for the trial and its (restart, generation).
SOLUTION_ATTR = "cmaes:solution"
#: Version of the stored state; the first (a base64 pickle, tunelab 0.1.0) is never read.
STATE_FORMAT = 2


#: The restart strategies built (Optuna also names "bipop").
RESTARTS = ("ipop",)


@constrained({"seed": SEED, "n_startup_trials": Integral(min=1), "sigma0": (None, Real(0, None, min_open=True)),
              "popsize": (None, Integral(min=2)), "inc_popsize": Integral(min=1), "warm_start": Bool(),
              "independent_sampler": (None, InstanceOf(Sampler, "a Sampler")),
              "source_trials": (None, ListOf(InstanceOf(FrozenTrial, "a FrozenTrial"))),
              "x0": (None, InstanceOf(dict, "a dict of parameter values")), "restart_strategy": (None, Options(*RESTARTS, what="'ipop' (Optuna's 'bipop' is not built)")),
              "consider_pruned_trials": Bool(), "use_separable_cma": Bool(), "with_margin": Bool(), "lr_adapt": Bool(),
              "warn_independent_sampling": Bool()})
class CmaEsSampler(Sampler):
    """Covariance matrix adaptation evolution strategy for long runs on numeric spaces.

    The search runs in the unit cube of the numeric parameters present in every complete trial
    (log scale for ``log=True``; int and ``step`` values rounded from the continuous point). The
    first ``n_startup_trials`` complete trials come from ``independent_sampler``; with
    ``warm_start=True`` the initial mean, step size and covariance are then estimated from the
    best of them (``cmaes.get_warm_start_mgd``). When the strategy converges it restarts from a
    random mean with a population ``inc_popsize`` times larger (IPOP-CMA-ES, Auger & Hansen
    2005). Each generation is told once ``popsize`` of its trials completed; pruned and failed
    trials are replaced by new asks. The optimizer is kept in the study's system attributes
    (``"cmaes:state"``) after every ask and tell, as JSON numbers (mean, step size, covariance,
    evolution paths, generation, ...), so a study loaded again, in any process, continues the
    same search with the same proposals. A stored state is read as numbers only, never unpickled:
    one that does not fit (the pickled state of earlier tunelab versions, another ``cmaes``
    version's, a damaged one) is ignored with a warning and the search starts afresh from the
    complete trials.

    ``sigma0`` is the initial step size in units of each parameter's range (of its logarithm for
    ``log=True``): the search runs in the unit cube, so 0.25 is a quarter of every range. That is
    what Optuna's ``CmaEsSampler(sigma0=)`` means too (Optuna 5 hands CMA-ES the search space
    scaled to the unit cube, and ``sigma0`` unchanged), values above 1 included (the cube's
    bounds keep the proposals inside). Default 1/6; with ``warm_start=True`` the estimate from the start-up trials
    replaces it once there are two of them.

    ``source_trials`` (the trials of a finished study of a similar task, as Optuna's argument of that
    name): the search starts at once, over the numeric parameters of the complete source trials,
    from the distribution the best of them suggest (WS-CMA-ES, Nomura et al. 2021, through
    ``cmaes.get_warm_start_mgd``), their values read in this study's direction; ``sigma0`` is then
    refused (the estimate replaces it, as in Optuna), and so are sources with fewer than two complete
    trials.

    Optuna's arguments: ``x0`` (the initial mean, by parameter name; unnamed parameters start at the
    middle of their range), ``restart_strategy`` (``"ipop"``, the default here, or None: no restart;
    Optuna's default is None), ``consider_pruned_trials`` (PRUNED trials count with their last
    reported value), ``warn_independent_sampling`` (a warning, once per parameter, when one is
    sampled by ``independent_sampler`` after the start-up trials). Not built, refused when asked
    for: ``restart_strategy="bipop"``, ``use_separable_cma``, ``with_margin``, ``lr_adapt``.

    Categorical parameters, parameters outside that space and the startup trials are sampled by
    ``independent_sampler`` (default: :class:`RandomSampler` with the same seed). Constrained
    trials that violate their constraints count as the worst value seen. Single objective only.

    >>> import tunelab
    >>> study = tunelab.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=4))
    >>> study.optimize(lambda t: t.suggest_float("x", -3, 3) ** 2 + t.suggest_float("y", -3, 3) ** 2, n_trials=60)
    >>> study.best_value < 0.1
    True
    """

    def __init__(self, *, seed: int | None = None, n_startup_trials: int = 10, sigma0: float | None = None,
                 popsize: int | None = None, inc_popsize: int = 2, warm_start: bool = True,
                 independent_sampler: Sampler | None = None, source_trials: list[FrozenTrial] | None = None,
                 x0: dict[str, Any] | None = None, restart_strategy: str | None = "ipop",
                 consider_pruned_trials: bool = False, use_separable_cma: bool = False, with_margin: bool = False,
                 lr_adapt: bool = False, warn_independent_sampling: bool = True) -> None:
        for name, asked in (("use_separable_cma", use_separable_cma), ("with_margin", with_margin),
                            ("lr_adapt", lr_adapt)):
            if asked:
                raise InvalidArgumentError(f"CmaEsSampler({name}=True) is not built in tunelab (its optimizer "
                                           "state could not be stored and resumed as the plain one is); leave it out")
        if x0 is not None and source_trials is not None:
            raise InvalidArgumentError("CmaEsSampler(x0=..., source_trials=...) is invalid: the source trials set "
                                       "the initial mean; give one of them")
        self.x0 = x0
        self.restart_strategy = restart_strategy
        self.consider_pruned_trials = consider_pruned_trials
        self.warn_independent_sampling = warn_independent_sampling
        self._warned: set[str] = set()
        if source_trials is not None:
            if sigma0 is not None:
                raise InvalidArgumentError(
                    f"CmaEsSampler(source_trials=..., sigma0={sigma0!r}) is invalid: with source_trials the initial "
                    "step size is estimated from them; leave sigma0 out")
            done = [t for t in source_trials if t.state == TrialState.COMPLETE and t.values is not None]
            if len(done) < 2:
                raise InvalidArgumentError(
                    f"source_trials holds {len(done)} complete trial(s) of {len(source_trials)}: the warm start needs "
                    "at least two")
            source_trials = done
        self.source_trials = source_trials
        self.seed = seed
        self.n_startup_trials = n_startup_trials
        self.sigma0 = sigma0
        self.popsize = popsize
        self.inc_popsize = inc_popsize
        self.warm_start = warm_start
        self.independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"CmaEsSampler(seed={self.seed!r}, n_startup_trials={self.n_startup_trials!r})"

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self.independent_sampler.reseed_rng()

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, BaseDistribution]:

        if len(study.directions) > 1:
            raise InvalidArgumentError(
                f"CmaEsSampler optimises one objective; this study has {len(study.directions)} "
                "(use NSGAIISampler or TPESampler)")
        complete = self._finished(study)
        if self.source_trials is not None:  # the source trials define the space from the first trial
            complete = [*self.source_trials, *complete]
        elif len(complete) < self.n_startup_trials:
            return {}
        space = consistent_space(complete, intersection=True)
        return {n: d for n, d in space.items() if not isinstance(d, CategoricalDistribution)}

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}

        cmaes = require_extra("cmaes", "samplers")
        complete = self._finished(study)
        key = [[n, d.to_json()] for n, d in search_space.items()]
        state = _load(study, cmaes, key)
        if state is None:
            state = self._start(cmaes, search_space, complete, key, study)
        self._tell_ready(state, complete, study.directions)
        opt = state["optimizer"]
        if opt.should_stop() and self.restart_strategy == "ipop":
            state["restart"] += 1
            rng = np.random.default_rng([state["seed"], state["restart"]])
            state["optimizer"] = _fresh(cmaes, rng, rng.uniform(0.0, 1.0, len(search_space)),
                                        self.sigma0 or 1.0 / 6.0, None, opt.population_size * self.inc_popsize)
            opt = state["optimizer"]
        opt.reseed_rng((state["seed"] + 7919 * trial.number) % 2**31)  # a loaded optimizer has no RNG state
        x = opt.ask()
        trial.set_system_attr(SOLUTION_ATTR, {"restart": state["restart"], "generation": opt.generation,
                                              "x": [float(v) for v in x]})
        study.set_system_attr(STATE_ATTR, _state_json(state))
        return {name: from_unit(d, u) for (name, d), u in zip(search_space.items(), x)}

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        if self.warn_independent_sampling and name not in self._warned and (
                self.source_trials is not None or len(self._finished(study)) >= self.n_startup_trials):
            self._warned.add(name)
            warnings.warn(f"CmaEsSampler samples parameter {name!r} with {type(self.independent_sampler).__name__} "
                          f"from trial {trial.number} on (CMA-ES searches the numeric parameters every trial sets); "
                          "warn_independent_sampling=False silences this", UserWarning, stacklevel=2)
        return self.independent_sampler.sample_independent(study, trial, name, distribution)

    def _finished(self, study: Any) -> list[Any]:
        """The COMPLETE trials, and with ``consider_pruned_trials`` the PRUNED ones that reported, valued
        by their last report, in number order."""
        if not self.consider_pruned_trials:
            return study.get_trials(states=(TrialState.COMPLETE,))
        out = []
        for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED)):
            if t.state == TrialState.PRUNED:
                if t.last_step is None:
                    continue
                t = dataclasses.replace(t, state=TrialState.COMPLETE, values=(t.intermediate_values[t.last_step],))
            out.append(t)
        return out

    def before_trial(self, study: Any, trial: Any) -> None:
        self.independent_sampler.before_trial(study, trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self.independent_sampler.after_trial(study, trial, state, values)

    # -- pieces -------------------------------------------------------------------------------------------
    def _start(self, cmaes: Any, space: dict[str, BaseDistribution], complete: list[Any], key: list,
               study: Any) -> dict:
        dim = len(space)
        mean = cov = None
        sigma = self.sigma0 or 1.0 / 6.0
        if self.x0 is not None:  # the given mean, the middle of the range where a parameter is not named
            _check_x0(self.x0, space, complete)
            mean = np.nan_to_num(encode(space, self.x0), nan=0.5)
        elif self.source_trials is not None or self.warm_start:
            start = complete if self.source_trials is None else self.source_trials
            rows = [(encode(space, t.params), minimised(t.values, study.directions)[0]) for t in start]
            rows = [(x, y) for x, y in rows if not np.isnan(x).any() and np.isfinite(y)]
            if len(rows) >= 2:
                gamma = max(0.1, 2.0 / len(rows))  # the best tenth, at least two points
                mean, sigma, cov = cmaes.get_warm_start_mgd(rows, gamma=gamma, alpha=0.1)
                sigma = float(min(max(sigma, 1e-3), 1.0))
                cov = cov + 1e-8 * np.eye(dim)
        if mean is None:
            mean = np.full(dim, 0.5)
        # numbered past every earlier search of this study, so none of its trials is told to this one
        tags = [_tag(t) for t in study.get_trials(deepcopy=False)]
        restart = 1 + max((tag[0] for tag in tags if tag is not None), default=-1)
        seed = int(self._rng.integers(2**31))
        return {"space": key, "restart": restart, "seed": seed,
                "optimizer": _fresh(cmaes, np.random.default_rng(seed), mean, sigma, cov, self.popsize)}

    def _tell_ready(self, state: dict, complete: list[Any], directions: list[Any]) -> None:
        opt = state["optimizer"]
        tag = (state["restart"], opt.generation)
        mine = [(t, x) for t in complete if _tag(t) == tag and (x := _solution(t, opt.dim)) is not None]
        if len(mine) < opt.population_size:
            return
        finite = [minimised(t.values, directions)[0] for t in complete if np.isfinite(t.values[0])]
        worst = max(finite) if finite else 0.0
        told = []
        for t, x in mine[: opt.population_size]:
            value = minimised(t.values, directions)[0]
            value = worst if not np.isfinite(value) or violation(t) > 0 else value
            told.append((x, value))
        opt.tell(told)


def _check_x0(x0: dict[str, Any], space: dict[str, BaseDistribution], trials: list[Any]) -> None:
    """Refuse an ``x0`` entry that names no parameter of the study's trials, or a value outside its
    parameter's range (either would be dropped from the initial mean without a word)."""
    known = {name for t in trials for name in t.distributions}
    for name, value in x0.items():
        if name not in known:
            raise InvalidArgumentError(f"x0[{name!r}]={value!r} is invalid for CmaEsSampler: no trial has a parameter "
                                       f"{name!r}; the parameters are {sorted(known)}")
        if name in space and not space[name].contains(value):
            raise InvalidArgumentError(f"x0[{name!r}]={value!r} is invalid for CmaEsSampler: must lie in {name!r}'s "
                                       f"range, {space[name]!r}")


def _fresh(cmaes: Any, rng: np.random.Generator, mean: np.ndarray, sigma: float, cov: np.ndarray | None,
           popsize: int | None) -> Any:
    """A new optimizer in the unit cube."""
    dim = len(mean)
    return cmaes.CMA(mean=np.clip(mean, 0.0, 1.0), sigma=sigma, bounds=np.tile([0.0, 1.0], (dim, 1)), cov=cov,
                     seed=int(rng.integers(2**31)), population_size=popsize)


def _tag(trial: Any) -> tuple[int, int] | None:
    info = trial.system_attrs.get(SOLUTION_ATTR)
    if not isinstance(info, dict) or not isinstance(info.get("x"), list):
        return None
    tag = (info.get("restart"), info.get("generation"))
    return tag if all(isinstance(v, int) and not isinstance(v, bool) for v in tag) else None


def _solution(trial: Any, dim: int) -> np.ndarray | None:
    """The unit-cube point asked for ``trial``; None unless it is ``dim`` numbers in [0, 1]."""
    try:
        x = np.asarray(trial.system_attrs[SOLUTION_ATTR]["x"], dtype=float)
    except (TypeError, ValueError):
        return None
    return x if x.shape == (dim,) and bool(np.all((x >= 0.0) & (x <= 1.0))) else None


def _state_json(state: dict) -> dict:
    """The stored form: plain JSON (the optimizer as numbers, see ``_cmaes_state``)."""
    opt = state["optimizer"]
    return {"format": STATE_FORMAT, "space": state["space"], "restart": state["restart"], "seed": state["seed"],
            "popsize": opt.population_size, "optimizer": _cmaes_state.dump(opt)}


def _load(study: Any, cmaes: Any, key: list) -> dict | None:
    """The stored state for search space ``key``; None if there is none, or it is for another space.

    A state that cannot be read as this format's numbers is ignored with a warning.
    """
    stored = study.system_attrs.get(STATE_ATTR)
    if stored is None:
        return None
    try:
        return _parse(cmaes, stored, key)
    except ValueError as exc:
        warnings.warn(f"CmaEsSampler ignores the study's stored CMA-ES state ({exc}); the search starts "
                      "afresh from the complete trials", UserWarning, stacklevel=4)
        return None


def _parse(cmaes: Any, stored: Any, key: list) -> dict | None:
    if isinstance(stored, str):
        raise ValueError("it is in the pickle format of earlier tunelab versions, which is never unpickled: "
                         "unpickling stored data can run any code")
    if not isinstance(stored, dict) or stored.get("format") != STATE_FORMAT:
        raise ValueError(f"it is not a JSON object of format {STATE_FORMAT}")
    if stored.get("space") != key:
        return None  # the search space changed: a new search
    numbers = {name: stored.get(name) for name in ("restart", "seed", "popsize")}
    for name, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"its {name} is {value!r}, not a non-negative integer")
    optimizer = _cmaes_state.load(cmaes, stored.get("optimizer"), dim=len(key), popsize=numbers["popsize"])
    return {"space": key, "restart": numbers["restart"], "seed": numbers["seed"], "optimizer": optimizer}
