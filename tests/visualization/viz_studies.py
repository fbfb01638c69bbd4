"""Studies the figure tests draw: every kind of parameter, every state, schedules, constraints."""

from __future__ import annotations

import logging

import tunelab
from tunelab import schedules

logging.getLogger("tunelab").setLevel(logging.WARNING)


def mixed(n_trials: int = 30, *, storage: str | None = None, name: str | None = None) -> tunelab.Study:
    """One objective spanning decades: a log float, an int, a categorical, a conditional parameter
    (momentum, with sgd only), a schedule (OneCycleLR among them, with short horizons), pruned and
    failed trials, recorded lr traces on some."""
    study = tunelab.create_study(storage=storage, study_name=name, sampler=tunelab.samplers.RandomSampler(seed=0))
    space = schedules.space(families=["constant", "cosine", "one_cycle"], initial=(1e-3, 1e-1))

    def objective(trial):
        x = trial.suggest_float("x", 1e-4, 1.0, log=True)
        trial.suggest_int("layers", 1, 4)
        opt = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        momentum = trial.suggest_float("momentum", 0.0, 0.99) if opt == "sgd" else 0.0
        lr = trial.suggest_schedule("lr", space, total_steps=60)
        trial.set_user_attr("worker", f"w{trial.number % 2}")
        for step in range(4):
            trial.report(x * 10.0 ** -step + 1e-5, step)
        if trial.number % 7 == 6:
            raise tunelab.TrialPruned()
        if trial.number == 5:
            raise RuntimeError("diverged")
        if trial.number % 3 == 0:
            trial.set_user_attr("lr_trace", [[s, float(lr(s))] for s in range(0, 60, 6)])
        return x + momentum / 10 + lr(0)

    study.optimize(objective, n_trials=n_trials, catch=(RuntimeError,))
    return study


def two_objectives(n_trials: int = 40, *, storage: str | None = None, name: str | None = None) -> tunelab.Study:
    """Two objectives in tension, a constraint (x <= 4) that some trials break."""
    study = tunelab.create_study(storage=storage, study_name=name, directions=["minimize", "minimize"],
                                 sampler=tunelab.samplers.RandomSampler(seed=1))

    def objective(trial):
        x = trial.suggest_float("x", 0, 5)
        y = trial.suggest_float("y", 0, 3)
        trial.set_constraint([x - 4.0])
        return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2

    study.optimize(objective, n_trials=n_trials)
    return study
