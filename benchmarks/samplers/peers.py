"""Run one sampler (tunelab's or a peer's) on one problem; return the objective value of every trial."""

from __future__ import annotations

import logging
import math
import pathlib
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.samplers.spaces import C, F, I, flatten, hyperopt_space, suggest

warnings.filterwarnings("ignore")
logging.getLogger("tunelab").setLevel(logging.WARNING)


def _tunelab(make: Callable[[int], Any]) -> Callable[..., list[float]]:
    def run(problem: Any, seed: int, n_trials: int) -> list[float]:
        import tunelab

        study = tunelab.create_study(sampler=make(seed))
        study.optimize(lambda t: problem.evaluate(suggest(t, problem.space)), n_trials=n_trials)
        return [t.values[0] if t.values else math.inf for t in study.trials]
    return run


def _optuna(kind: str) -> Callable[..., list[float]]:
    def run(problem: Any, seed: int, n_trials: int) -> list[float]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        sampler = optuna.samplers.TPESampler(seed=seed) if kind == "tpe" else optuna.samplers.GPSampler(seed=seed)
        study = optuna.create_study(sampler=sampler)
        study.optimize(lambda t: problem.evaluate(suggest(t, problem.space)), n_trials=n_trials)
        return [t.value if t.value is not None else math.inf for t in study.trials]
    return run


def _hyperopt(problem: Any, seed: int, n_trials: int) -> list[float]:
    from hyperopt import fmin, tpe

    values: list[float] = []

    def fn(sample: dict[str, Any]) -> float:
        values.append(problem.evaluate(flatten(problem.space, sample)))
        return values[-1]

    fmin(fn, hyperopt_space(problem.space), algo=tpe.suggest, max_evals=n_trials,
         rstate=np.random.default_rng(seed), show_progressbar=False)
    return values


def _flat(space: list) -> list:
    """Every parameter of ``space``, branches included, once (for peers without conditional spaces)."""
    out = []
    for p in space:
        out.append(p)
        if isinstance(p, C):
            for branch in p.branches.values():
                out += [q for q in _flat(branch) if q.name not in {r.name for r in out}]
    return out


def _active(space: list, flat: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a flat sample that the branches taken ask for: ``suggest`` on a trial
    fixed to the sample."""
    import tunelab

    return suggest(tunelab.FixedTrial(flat), space)


def _skopt_dims(space: list) -> list:
    from skopt.space import Categorical, Integer, Real

    dims = []
    for p in _flat(space):
        prior = "log-uniform" if getattr(p, "log", False) else "uniform"
        if isinstance(p, F):
            dims.append(Real(p.low, p.high, prior=prior, name=p.name))
        elif isinstance(p, I):
            dims.append(Integer(p.low, p.high, prior=prior, name=p.name))
        else:
            dims.append(Categorical(list(p.choices), name=p.name))
    return dims


def _skopt(batch: int) -> Callable[..., list[float]]:
    """scikit-optimize's GP (``gp_minimize``'s defaults: Matérn GP, 10 random initial points,
    gp_hedge); a batch asks ``n_points`` at once with the constant liar ``cl_min``."""
    def run(problem: Any, seed: int, n_trials: int) -> list[float]:
        from skopt import Optimizer

        dims = _skopt_dims(problem.space)
        opt = Optimizer(dims, base_estimator="GP", n_initial_points=10, acq_func="gp_hedge",
                        random_state=seed)
        values: list[float] = []
        while len(values) < n_trials:
            k = min(batch, n_trials - len(values))
            xs = [opt.ask()] if batch == 1 else opt.ask(n_points=k, strategy="cl_min")
            ys = [float(problem.evaluate(_active(problem.space, {d.name: _plain(v) for d, v in zip(dims, x)})))
                  for x in xs]
            opt.tell(xs, ys)  # a list of points: one refit, as telling one point does
            values += ys
        return values
    return run


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _configspace(space: list, seed: int) -> Any:
    from ConfigSpace import Categorical, ConfigurationSpace, EqualsCondition, Float, Integer

    cs = ConfigurationSpace(seed=seed)

    def add(params: list, parent: Any = None, value: Any = None) -> None:
        for p in params:
            if isinstance(p, F):
                hp = Float(p.name, (p.low, p.high), log=p.log)
            elif isinstance(p, I):
                hp = Integer(p.name, (p.low, p.high), log=p.log)
            else:
                hp = Categorical(p.name, list(p.choices))
            cs.add(hp)
            if parent is not None:
                cs.add(EqualsCondition(hp, parent, value))
            if isinstance(p, C):
                for choice, branch in p.branches.items():
                    add(branch, hp, choice)
    add(space)
    return cs


def _smac(problem: Any, seed: int, n_trials: int) -> list[float]:
    """SMAC3's ``HyperparameterOptimizationFacade`` (random forest, its own initial design) by ask / tell."""
    import tempfile

    from smac import HyperparameterOptimizationFacade, Scenario
    from smac.runhistory.dataclasses import TrialValue

    values: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario(_configspace(problem.space, seed), deterministic=True, n_trials=n_trials, seed=seed,
                            output_directory=pathlib.Path(tmp))
        smac = HyperparameterOptimizationFacade(scenario, lambda config, seed=0: 0.0, overwrite=True,
                                                logging_level=40)
        while len(values) < n_trials:
            info = smac.ask()
            values.append(float(problem.evaluate(dict(info.config))))
            smac.tell(info, TrialValue(cost=values[-1]))
    return values


def _in_batches(study: Any, problem: Any, n_trials: int, batch: int) -> list[float]:
    """``batch`` trials asked before any is told (parallel workers), then told together."""
    values: list[float] = []
    while len(values) < n_trials:
        trials = [study.ask() for _ in range(min(batch, n_trials - len(values)))]
        ys = [float(problem.evaluate(suggest(t, problem.space))) for t in trials]
        for t, y in zip(trials, ys):
            study.tell(t, y)
        values += ys
    return values


def _tunelab_batch(make: Callable[[int], Any], batch: int) -> Callable[..., list[float]]:
    def run(problem: Any, seed: int, n_trials: int) -> list[float]:
        import tunelab

        return _in_batches(tunelab.create_study(sampler=make(seed)), problem, n_trials, batch)
    return run


def _optuna_batch(batch: int) -> Callable[..., list[float]]:
    """Optuna's TPE with ``constant_liar=True`` (its advice for parallel workers)."""
    def run(problem: Any, seed: int, n_trials: int) -> list[float]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=True))
        return _in_batches(study, problem, n_trials, batch)
    return run


#: Samplers run in batches of 4 and the sequential sampler each is scored against (batch runs stay
#: out of the main tables).
BATCH = {"tunelab default (Auto), batch 4": "tunelab default (Auto)",
         "optuna TPE (constant liar), batch 4": "optuna TPE (default)",
         "skopt GP (cl_min), batch 4": "skopt GP"}

#: Trials per run for the peers too slow for the largest budget on this machine (scikit-optimize's
#: GP refits and optimises from scratch every trial: about 40 s per 64-trial run, growing with the
#: square of the trials), and for the batch runs (compared at 64): their runs stop here and they are
#: left out of larger budgets' tables.
BUDGET_CAP = {"skopt GP": 64, "optuna GPSampler": 64, "SMAC3 HPO": 64, **{label: 64 for label in BATCH}}


def runners() -> dict[str, Callable[..., list[float]]]:
    """Every sampler in the comparison, by label (tunelab's GP sampler runs inside the default)."""
    import tunelab.samplers as ts

    out = {
        "tunelab default (Auto)": _tunelab(lambda s: ts.AutoSampler(seed=s)),
        "tunelab TPE": _tunelab(lambda s: ts.TPESampler(seed=s)),
    }
    out.update({
        "random": _tunelab(lambda s: ts.RandomSampler(seed=s)),
        "optuna TPE (default)": _optuna("tpe"),
        "optuna GPSampler": _optuna("gp"),
        "hyperopt TPE": _hyperopt,
        "skopt GP": _skopt(1),
        "SMAC3 HPO": _smac,
        "tunelab default (Auto), batch 4": _tunelab_batch(lambda s: ts.AutoSampler(seed=s), 4),
        "optuna TPE (constant liar), batch 4": _optuna_batch(4),
        "skopt GP (cl_min), batch 4": _skopt(4),
    })
    return out


# -- suggestion overhead -------------------------------------------------------------------------------

def _overhead_space(trial: Any) -> float:
    x = [trial.suggest_float("f0", -5, 5), trial.suggest_float("f1", 0, 1), trial.suggest_float("f2", -1, 1),
         trial.suggest_float("f3", 1e-5, 1, log=True), trial.suggest_int("i0", 0, 100),
         trial.suggest_int("i1", 1, 1024, log=True), trial.suggest_int("i2", -10, 10)]
    c = [trial.suggest_categorical("c0", ["a", "b", "c"]), trial.suggest_categorical("c1", ["x", "y"]),
         trial.suggest_categorical("c2", ["p", "q", "r", "s", "t"])]
    return float(sum(v * v for v in x[:3]) + math.log(x[3]) ** 2 + x[4] / 100 + math.log(x[5]) + abs(x[6])
                 + len("".join(c)))


def overhead(label: str, n_trials: int, seed: int = 0, problem: str | None = None) -> list[float]:
    """Seconds of ask + suggest + tell (or Hyperopt's time between evaluations) for each trial.

    The space is the 10-parameter mixed one, or that of benchmark ``problem`` (its objective is
    evaluated between the timings, not timed)."""
    if problem is not None:
        from benchmarks.samplers.problems import all_problems

        bench = next(p for p in all_problems() if p.name == problem)
        space = lambda t: (suggest(t, bench.space), 0.0)[1]  # noqa: E731 - the timed part only
        objective = lambda t: bench.evaluate(suggest(t, bench.space))  # noqa: E731
    else:
        space = objective = _overhead_space
    if label == "hyperopt TPE":
        return _hyperopt_overhead(n_trials, seed)
    if label.startswith("optuna"):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        sampler = (optuna.samplers.TPESampler(seed=seed) if "TPE" in label
                   else optuna.samplers.GPSampler(seed=seed))
        study = optuna.create_study(sampler=sampler)
    else:
        import tunelab
        import tunelab.samplers as ts

        make = {"tunelab default (Auto)": ts.AutoSampler, "tunelab TPE": ts.TPESampler,
                "tunelab GP": getattr(ts, "GPSampler", None), "random": ts.RandomSampler}[label]
        study = tunelab.create_study(sampler=make(seed=seed))
    times = []
    for _ in range(n_trials):
        t0 = time.perf_counter()
        trial = study.ask()
        space(trial)
        t1 = time.perf_counter()
        value = objective(trial)  # the same parameters again (a trial keeps its suggestions)
        t2 = time.perf_counter()
        study.tell(trial, value)
        times.append(time.perf_counter() - t2 + t1 - t0)
    return times


def _hyperopt_overhead(n_trials: int, seed: int) -> list[float]:
    from hyperopt import fmin, hp, tpe

    space = {"f0": hp.uniform("f0", -5, 5), "f1": hp.uniform("f1", 0, 1), "f2": hp.uniform("f2", -1, 1),
             "f3": hp.loguniform("f3", math.log(1e-5), 0), "i0": hp.quniform("i0", 0, 100, 1),
             "i1": hp.qloguniform("i1", 0, math.log(1024), 1), "i2": hp.quniform("i2", -10, 10, 1),
             "c0": hp.choice("c0", ["a", "b", "c"]), "c1": hp.choice("c1", ["x", "y"]),
             "c2": hp.choice("c2", ["p", "q", "r", "s", "t"])}
    stamps: list[float] = [time.perf_counter()]

    def fn(s: dict[str, Any]) -> float:
        stamps.append(time.perf_counter())
        return float(s["f0"] ** 2 + s["f1"] ** 2)

    fmin(fn, space, algo=tpe.suggest, max_evals=n_trials, rstate=np.random.default_rng(seed),
         show_progressbar=False)
    return list(np.diff(stamps))
