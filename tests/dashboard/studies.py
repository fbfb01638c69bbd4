"""Real studies in an SQLite file for the dashboard tests: schedules, pruning, failures, workers."""

from __future__ import annotations

import math

import tunelab
from tunelab import schedules

XSS_NAME = '<img src=x onerror="document.body.dataset.pwned=1">'


def objective(trial):
    lr = trial.suggest_schedule("lr", schedules.space(families=["exponential", "cosine"], initial=(1e-4, 1e-1), total_steps=80))
    width = trial.suggest_int("width", 16, 256, log=True)
    act = trial.suggest_categorical("activation", ["relu", "tanh"])
    trial.set_user_attr("worker", f"w{trial.number % 3}")
    loss = 1.0
    for step in range(8):
        loss = abs(math.log10(max(lr(step * 10), 1e-9) / 1e-2)) + 16 / width + (0.1 if act == "tanh" else 0) + 1 / (step + 1)
        trial.report(loss, step)
        if trial.number % 5 == 4 and step == 3:
            raise tunelab.TrialPruned()
    if trial.number == 7:
        raise RuntimeError("diverged")
    if trial.number % 4 == 0:
        trial.set_user_attr("lr_trace", [[s, float(lr(s))] for s in range(0, 100, 5)])
    return loss


def trade_off(trial):
    """Two objectives in tension whose values span decades; a constraint (x <= 4) some trials break."""
    x = trial.suggest_float("x", 0.01, 5, log=True)
    y = trial.suggest_float("y", 0, 3)
    trial.set_constraint([x - 4.0])
    return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2


def decades(trial):
    """Losses reported from about 1 down to 1e-4."""
    y = trial.suggest_float("y", 0, 3)
    for step in range(5):
        trial.report(10.0 ** -step * (1 + y), step)
    return 10.0 ** -4 * (1 + y)


def make_demo(path, *, n_trials: int = 20) -> str:
    """An SQLite file with a study "demo" of ``n_trials``, a study with three trials named like an XSS
    attack, a two-objective study "trade-off" with a constraint and a study "decades" whose reports
    span four decades (study ids 1 to 4)."""
    url = f"sqlite:///{path}"
    study = tunelab.create_study(storage=url, study_name="demo", sampler=tunelab.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=n_trials, catch=(RuntimeError,))
    xss = tunelab.create_study(storage=url, study_name=XSS_NAME, direction="maximize")
    xss.optimize(lambda t: t.suggest_float(XSS_NAME, 0, 1), n_trials=3)
    multi = tunelab.create_study(storage=url, study_name="trade-off", directions=["minimize", "minimize"],
                                 sampler=tunelab.samplers.RandomSampler(seed=2))
    multi.set_user_attr("metrics", ["size", "error"])
    multi.optimize(trade_off, n_trials=30)
    tunelab.create_study(storage=url, study_name="decades", sampler=tunelab.samplers.RandomSampler(seed=3)).optimize(
        decades, n_trials=3)
    return url
