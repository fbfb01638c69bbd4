"""Optuna databases made by the installed Optuna, holding every kind of trial an import must carry over."""

from __future__ import annotations

import math
import uuid
import warnings

import pytest

from tests.storage.postgres import PG_HOST, _admin_connect


def make_optuna_history(url: str) -> dict[str, list]:
    """Write two studies with Optuna into ``url``; return each study's trials as Optuna reads them back.

    ``single`` (minimize): COMPLETE trials with float / log / stepped int / categorical parameters,
    reports with NaN and infinities, user attributes and constraints (TPE's ``constraints_func``);
    a PRUNED, a FAIL, a RUNNING and a WAITING (enqueued) trial, and a retry series of
    ``RetryFailedTrialCallback`` (trial 0 retried, its retry retried again). ``multi``
    (minimize, maximize): two values per trial, one of them infinite, metric names set.
    """
    optuna = pytest.importorskip("optuna")
    with warnings.catch_warnings():  # Optuna's experimental / deprecated notes on the APIs old files hold
        warnings.simplefilter("ignore")
        return _write(optuna, url)


def _write(optuna, url: str) -> dict[str, list]:
    from optuna.storages import RetryFailedTrialCallback

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = optuna.samplers.TPESampler(seed=0, constraints_func=lambda t: (t.params["x"] - 0.5,))
    study = optuna.create_study(storage=url, study_name="single", sampler=sampler)
    study.set_user_attr("dataset", {"name": "digits", "rows": 1797})

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        n = trial.suggest_int("n", 1, 9, step=2)
        act = trial.suggest_categorical("act", ["relu", None, 3])
        trial.set_user_attr("note", [n, act])
        for step, value in enumerate([math.nan, math.inf, x + lr]):
            trial.report(value, step)
        if trial.number == 3:
            raise optuna.TrialPruned()
        if trial.number == 4:
            raise ValueError("boom")
        return x * n

    study.optimize(objective, n_trials=5, catch=(ValueError,))
    retry = RetryFailedTrialCallback(max_retry=3)
    retry(study, study.trials[0])  # as after trial 0's worker died: a WAITING copy, number 5
    claimed = study.ask()  # claims 5
    study.tell(claimed, state=optuna.trial.TrialState.FAIL)
    retry(study, study.trials[5])  # 6: retry of 5, itself a retry of 0
    study.tell(study.ask(), 0.25)  # 6 completes
    study.enqueue_trial({"x": 0.75, "n": 3})  # 7 WAITING
    study.ask()  # claims 7: RUNNING, as a worker left it
    study.enqueue_trial({"x": 0.5})  # 8 WAITING

    multi = optuna.create_study(storage=url, study_name="multi", directions=["minimize", "maximize"])
    multi.set_metric_names(["loss", "accuracy"])
    multi.optimize(lambda t: (t.suggest_float("a", -1, 1) ** 2, math.inf if t.number == 1 else t.number),
                   n_trials=3)
    return {"single": study.trials, "multi": multi.trials}


@pytest.fixture
def optuna_pg_url():
    """A fresh PostgreSQL database for Optuna's tables, dropped afterwards (tunelab's test database
    must not hold Optuna's tables: RDBStorage refuses those)."""
    pytest.importorskip("optuna")
    try:
        admin = _admin_connect()
    except Exception as exc:  # noqa: BLE001 - no server: skip
        pytest.skip(f"no PostgreSQL server reachable at {PG_HOST} ({type(exc).__name__}: {exc})")
    name = f"optuna_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_HOST}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
