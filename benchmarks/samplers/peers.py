"""Run one sampler (tunelab's or a peer's) on one problem; return the objective value of every trial."""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.samplers.spaces import flatten, hyperopt_space, suggest

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

        optuna.logging.set_verbosity(optuna.logging.WARNING)
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


def overhead(label: str, n_trials: int, seed: int = 0) -> list[float]:
    """Seconds of ask + suggest + tell (or Hyperopt's time between evaluations) for each trial."""
    if label == "hyperopt TPE":
        return _hyperopt_overhead(n_trials, seed)
    if label.startswith("optuna"):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
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
        value = _overhead_space(trial)
        study.tell(trial, value)
        times.append(time.perf_counter() - t0)
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
