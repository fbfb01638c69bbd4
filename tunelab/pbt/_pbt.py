"""PopulationBasedTraining: the population's generations on a study, its executors and storage."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tunelab._constraints import (
    Bool,
    Function,
    Integral,
    ListOf,
    Options,
    Real,
    String,
    SubclassOf,
    constrained,
)
from tunelab._errors import InvalidArgumentError, invalid
from tunelab._records import TrialState
from tunelab.pbt import _checkpoints
from tunelab.pbt._drive import drive
from tunelab.pbt._explore import explore
from tunelab.pbt._lineage import (
    ATTR,
    CONFIG_KEY,
    EVENTS_PREFIX,
    PBTResult,
    bounds,
    chain,
    intervals,
    n_generations,
    result,
)
from tunelab.pbt._member import IntervalObjective, PBTError
from tunelab.space import FloatDistribution

__all__ = ["PopulationBasedTraining"]

#: The first word of the fail reason of every interrupted trial (Ctrl-C; tunelab.execution._ending).
INTERRUPTED_PREFIX = "interrupted"
#: Settings a resumed run must share with the run stored in the study.
_SHARED = ("population_size", "budget", "interval", "steps_per_unit", "lr_param", "lr_segment")


#: The constraint of each setting, declared once: ``PopulationBasedTraining`` checks its arguments
#: with it, and ``tunelab run`` checks a config's ``[pbt]`` table with it.
CONSTRAINTS = {
    "population_size": Integral(min=2),
    "budget": Integral(min=1),
    "interval": Integral(min=1),
    "quantile": Real(0, 0.5, min_open=True),
    "perturbation_factors": ListOf(Real(0, None, min_open=True), min_len=1),
    "resample_probability": Real(0, 1),
    "hyperparams": (None, ListOf(String(), min_len=1)),
    "lr_param": (None, String()),
    "lr_segment": Options("constant", "linear"),
    "steps_per_unit": Integral(min=1),
    "max_retries": Integral(min=0),
    "keep_checkpoints": Bool(),
    "seed": (None, Integral(min=0)),
}


@constrained(CONSTRAINTS)
class PopulationBasedTraining:
    """Population-based training (Jaderberg et al. 2017) on a tunelab study.

    A population of ``population_size`` members trains ``budget`` units (epochs or steps, as your
    ``train`` counts them) in intervals of ``interval`` units. Every interval of every member is one
    trial; after each interval (a *generation*), the members in the bottom ``quantile`` by value
    *exploit* a member drawn from the top ``quantile``: they start the next interval from its
    checkpoint with its hyperparameters, which they then *explore*: each name in ``hyperparams``
    is resampled from its distribution with probability ``resample_probability``, else multiplied
    by one of ``perturbation_factors`` (a categorical moves to a neighbouring choice). The other
    members go on from their own checkpoint with their own values. Generations are synchronous: a
    generation starts when every member finished the one before (the deterministic, reproducible
    variant; Ray Tune's ``synch=True``).

    The learning rate (``lr_param``) each member used becomes one exact
    :class:`~tunelab.schedules.Schedule` over optimizer steps (``steps_per_unit`` per unit):
    constant per interval, or with ``lr_segment="linear"`` ramping from the previous interval's rate
    to the new one across the interval (train with ``member.lr(step)`` then). The winner's schedule
    is :attr:`PBTResult.schedule`.

    Args:
        population_size: members, >= 2.
        budget: units each member trains in all, >= 1.
        interval: units between two exploit/explore steps, in ``[1, budget]``.
        quantile: fraction of the population that exploits (bottom) and is exploited (top), in
            ``(0, 0.5]``; at least one member, at most half the population.
        perturbation_factors: factors a number is multiplied by (one drawn per parameter), > 0.
        resample_probability: chance of drawing a parameter anew instead, in ``[0, 1]``.
        hyperparams: names explored; default: every float parameter (ints and categoricals often
            shape the model, so a checkpoint could not carry over: name them to explore them).
        lr_param: the parameter that is the learning rate (None: no schedule is recorded).
        lr_segment: ``"constant"`` or ``"linear"``.
        steps_per_unit: optimizer steps per budget unit, >= 1 (1: the schedule counts units).
        max_retries: how often a member's interval that failed (its worker killed, an error caught)
            runs again from the same checkpoint before the run stops, >= 0.
        keep_checkpoints: keep every trial's checkpoint (default: only those a member can still
            start from, and the last generation's).
        seed: seeds exploit and explore and ``member.seed`` (None: drawn once and stored with the study,
            so a resumed run goes on the same way).

    Example (a toy ``train``: the state is a number the learning rate moves towards 1)::

        def train(member, state):
            lr = member.trial.suggest_float("lr", 1e-3, 1.0, log=True)
            x = 0.0 if state is None else state
            for _ in member.units:
                x += lr * (1 - x)
            return (1 - x) ** 2, x

        pbt = PopulationBasedTraining(4, budget=10, interval=2, seed=0)
        study = tunelab.create_study()
        found = pbt.optimize(study, train, save=save, load=load, checkpoint_dir="ckpt")
        found.schedule            # the winner's learning rate, one Schedule
    """

    def __init__(self, population_size: int = 8, *, budget: int, interval: int = 1, quantile: float = 0.25,
                 perturbation_factors: Sequence[float] = (1.2, 0.8), resample_probability: float = 0.25,
                 hyperparams: Sequence[str] | None = None, lr_param: str | None = "lr",
                 lr_segment: str = "constant", steps_per_unit: int = 1, max_retries: int = 2,
                 keep_checkpoints: bool = False, seed: int | None = None) -> None:
        if interval > budget:
            raise invalid("interval", interval, f"at most budget={budget} (one interval is the whole budget: "
                          "no member could ever exploit another)", where="PopulationBasedTraining")
        self.population_size = population_size
        self.budget = budget
        self.interval = interval
        self.quantile = quantile
        self.perturbation_factors = tuple(perturbation_factors)
        self.resample_probability = resample_probability
        self.hyperparams = None if hyperparams is None else tuple(hyperparams)
        self.lr_param = lr_param
        self.lr_segment = lr_segment
        self.steps_per_unit = steps_per_unit
        self.max_retries = max_retries
        self.keep_checkpoints = keep_checkpoints
        self.seed = seed

    def __repr__(self) -> str:
        return (f"PopulationBasedTraining(population_size={self.population_size}, budget={self.budget}, "
                f"interval={self.interval}, quantile={self.quantile})")

    @property
    def n_generations(self) -> int:
        return n_generations(self.budget, self.interval)

    @property
    def n_exploit(self) -> int:
        """How many members exploit (and are exploited) after each generation."""
        return max(1, min(math.ceil(self.quantile * self.population_size), self.population_size // 2))

    # -- running --------------------------------------------------------------------------------------
    @constrained({"train": Function(what="a callable train(member, state)"),
                  "save": (None, Function(what="a callable save(state, path)")),
                  "load": (None, Function(what="a callable load(path) -> state")),
                  "n_jobs": Integral(min=1),
                  "catch": ListOf(SubclassOf(Exception), what="a tuple of exception classes")},
                 where="PopulationBasedTraining.optimize")
    def optimize(self, study: Any, train: Callable[..., Any], *, save: Callable[[Any, Path], None] | None = None,
                 load: Callable[[Path], Any] | None = None, n_jobs: int = 1, executor: Any = None,
                 checkpoint_dir: Any = None, catch: Sequence[type[Exception]] = ()) -> PBTResult:
        """Train the population on ``study`` to the end of the budget and return the :class:`PBTResult`.

        ``train(member, state)`` trains one interval (``member.units``) from ``state`` (None in
        generation 0, else what ``load(path)`` read from the checkpoint the member starts from) and
        returns ``(value, state)``; ``save(state, path)`` writes that state into the directory
        ``path``. Without ``save`` / ``load``, ``train`` returns the value only, resumes from
        ``member.checkpoint`` and writes into ``member.save_path`` itself.

        Intervals run as the study's trials, ``n_jobs`` at once on ``executor`` (as
        :meth:`Study.optimize`: worker processes by default, ``"thread"``, Dask, Ray). An error of a
        class in ``catch`` fails only its interval, which runs again from the same checkpoint (up to
        ``max_retries`` times); any other error stops the run. Calling
        ``optimize`` again on the same study resumes the run where it stopped (a killed driver
        included); an interval whose worker died runs again from the same checkpoint. Checkpoints
        are kept under ``checkpoint_dir`` (default: beside the study's SQLite or journal file; for a
        storage without a file, such as PostgreSQL, the first call names it and a resuming call may
        leave it out: the study remembers it).
        """
        if (save is None) != (load is None):
            given, missing = ("save", "load") if load is None else ("load", "save")
            raise InvalidArgumentError(f"{missing}=None is invalid for PopulationBasedTraining.optimize with "
                                       f"{given}= given: pass both (a save / load pair) or neither")
        if len(study.directions) > 1:
            raise InvalidArgumentError("study is invalid for PopulationBasedTraining.optimize: it has "
                                       f"{len(study.directions)} objectives; members are ranked by one value")
        stored = study.system_attrs.get(CONFIG_KEY)
        root = _checkpoints.resolve_root(study, checkpoint_dir, (stored or {}).get("checkpoint_dir"))
        root.mkdir(parents=True, exist_ok=True)
        settings = self._settings(study, root, stored)
        objective = IntervalObjective(train, save, load, root, settings)
        self._abandon_running(study)
        drive(study, objective, _Tickets(self, study, settings, root), n_jobs=n_jobs, executor=executor,
              catch=tuple(catch))
        return result(study)

    def _settings(self, study: Any, root: Path, stored: dict[str, Any] | None) -> dict[str, Any]:
        mine = {"population_size": self.population_size, "budget": self.budget, "interval": self.interval,
                "steps_per_unit": self.steps_per_unit, "lr_param": self.lr_param, "lr_segment": self.lr_segment}
        if stored is not None:
            for key in _SHARED:
                if stored.get(key) != mine[key]:
                    raise PBTError(f"{key}={mine[key]!r} is invalid for study {study.study_name!r}: it holds a "
                                   f"population-based training run with {key}={stored.get(key)!r}; resume it "
                                   "with the same settings, or use a new study")
            seed = stored["seed"] if self.seed is None else self.seed
        else:
            seed = self.seed if self.seed is not None else int(np.random.SeedSequence().generate_state(1)[0])
        settings = {**mine, "seed": seed, "checkpoint_dir": str(root), "n_generations": self.n_generations}
        if stored != settings:
            study.set_system_attr(CONFIG_KEY, settings)
        return settings

    def _abandon_running(self, study: Any) -> None:
        """Fail population trials left RUNNING by a driver that died (one driver runs a population)."""
        for t in study.get_trials(states=(TrialState.RUNNING,)):
            if isinstance(t.user_attrs.get(ATTR), dict):
                study.storage.fail_trial(t.trial_id, "abandoned: the population-based training driver that "
                                         "ran it stopped; the member's interval runs again", max_retries=0)

    def _plan(self, study: Any, generation: int, settings: dict[str, Any]) -> list[dict[str, Any]]:
        """Each member's next interval: where it starts from, with which parameters, and why."""
        if generation == 0:
            return [{"member": m, "parent": None, "parent_member": None, "exploited": False, "params": {},
                     "lrs": [], "perturbation": {}} for m in range(self.population_size)]
        trials = study.get_trials(states=(TrialState.COMPLETE,))
        done = intervals(trials)
        frozen = {t.number: t for t in trials}
        prev = [done[(generation - 1, m)] for m in range(self.population_size)]
        sign = -1.0 if study.direction.name == "MAXIMIZE" else 1.0
        ranked = sorted(prev, key=lambda iv: (sign * iv.value, iv.member))
        k = self.n_exploit
        top, bottom = ranked[:k], {iv.member for iv in ranked[-k:]}
        rng = np.random.default_rng([settings["seed"], generation])
        plan = []
        for iv in prev:
            source, how = iv, {}
            params = dict(iv.params)
            if iv.member in bottom:
                source = top[int(rng.integers(len(top)))]
                dists = frozen[source.number].distributions
                names = self.hyperparams or [n for n, d in dists.items() if isinstance(d, FloatDistribution)]
                params, how = explore(source.params, dists, rng, names=names, factors=self.perturbation_factors,
                                      resample_probability=self.resample_probability)
            lrs = [x.params.get(self.lr_param) for x in chain(done, source)] if self.lr_param else []
            plan.append({"member": iv.member, "parent": source.number, "parent_member": source.member,
                         "exploited": source is not iv, "value": iv.value, "parent_value": source.value,
                         "params": params, "lrs": lrs, "perturbation": how})
        return plan



class _Tickets:
    """The budget :func:`~tunelab.pbt._drive.drive` runs under: each ticket is one queued population
    trial, granted just before ``ask`` takes it. When none is left, :meth:`take` reads the current
    generation back from the study: complete, it plans and queues the next one; a member whose
    interval failed (its worker killed, its objective raised) and that is not queued again is
    queued again, up to ``max_retries`` times; members still running mean "not now"."""

    def __init__(self, pbt: PopulationBasedTraining, study: Any, settings: dict[str, Any], root: Path) -> None:
        self.pbt = pbt
        self.study = study
        self.settings = settings
        self.root = root
        # population trials a previous run queued and never ran are granted first
        self.tickets = sum(1 for t in study.get_trials(states=(TrialState.WAITING,))
                           if isinstance(t.user_attrs.get(ATTR), dict))
        self.generation = 0

    def give_back(self) -> None:
        """The storage queued a lost trial's retry itself (its retry policy): ask may take it."""
        self.tickets += 1

    def take(self) -> bool:
        if self.tickets > 0:
            self.tickets -= 1
            return True
        pbt, study = self.pbt, self.study
        while True:
            g = self.generation
            trials = [t for t in study.get_trials() if isinstance(t.user_attrs.get(ATTR), dict)
                      and t.user_attrs[ATTR].get("generation") == g]
            done = {t.user_attrs[ATTR]["member"] for t in trials if t.state == TrialState.COMPLETE}
            if len(done) == pbt.population_size:
                if not pbt.keep_checkpoints:  # no member starts from generation g - 1 any more
                    _checkpoints.remove(self.root, _numbers_before(study, g))
                if g + 1 == pbt.n_generations:
                    return False
                self.generation += 1
                continue
            queued = self._queue(g, trials, done)
            if queued:
                self.tickets += queued - 1
                return True
            return False  # members still running

    def _queue(self, g: int, trials: list[Any], done: set[int]) -> int:
        pbt, study = self.pbt, self.study
        key = f"{EVENTS_PREFIX}{g}"
        plan = study.system_attrs.get(key)
        if plan is None:
            started = time.perf_counter()
            plan = pbt._plan(study, g, self.settings)
            study.set_system_attr(key, plan)
            _log_overhead(study, g, time.perf_counter() - started)
        pending = {t.user_attrs[ATTR]["member"] for t in trials if t.state in (TrialState.WAITING, TrialState.RUNNING)}
        queued = 0
        for step in plan:
            member = step["member"]
            if member in done or member in pending:
                continue
            failed = [t for t in trials if t.user_attrs[ATTR]["member"] == member and t.state.is_finished()]
            # an interrupted interval (Ctrl-C) is no failure of the member: it does not spend a retry
            spent = [t for t in failed if not str(t.fail_reason or "").startswith(INTERRUPTED_PREFIX)]
            if len(spent) > pbt.max_retries:
                last = spent[-1]
                raise PBTError(f"member {member}'s interval {g} failed {len(spent)} times (max_retries="
                               f"{pbt.max_retries}); the last, trial {last.number}: {last.fail_reason or last.state.name}")
            params = dict(step["params"])
            if failed and not params:  # generation 0: run again with what the lost trial drew
                params = dict(failed[-1].params)
            start, stop = bounds(g, interval=pbt.interval, budget=pbt.budget)
            info = {"member": member, "generation": g, "start": start, "stop": stop, "parent": step["parent"],
                    "lrs": step["lrs"], "attempt": len(spent)}
            study.enqueue_trial(params, user_attrs={ATTR: info})
            queued += 1
        return queued


def _numbers_before(study: Any, generation: int) -> list[int]:
    return [t.number for t in study.get_trials() if isinstance(t.user_attrs.get(ATTR), dict)
            and t.user_attrs[ATTR].get("generation", generation) < generation]


def _log_overhead(study: Any, generation: int, seconds: float) -> None:
    import logging

    logging.getLogger("tunelab").debug("pbt: planned generation %d of study %r in %.3f s", generation,
                                       study.study_name, seconds)
