"""Trials spread over a local Dask cluster, the study kept in DaskStorage on the scheduler.

After optuna-examples dask/dask_simple.py (a local Client, study.optimize submitted to the workers).

APIs: integration.dask.DaskStorage(), create_study(storage=DaskStorage, direction="maximize"),
dask.distributed.Client.submit(study.optimize, objective, n_trials=, pure=False), Study.best_params,
Study.trials
"""
# ruff: noqa: I001
import optuna
from dask.distributed import Client, wait
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split


def objective(trial):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=2)
    model = RandomForestClassifier(max_depth=trial.suggest_int("max_depth", 2, 10),
                                   n_estimators=trial.suggest_int("n_estimators", 2, 20), random_state=0)
    return model.fit(X_train, y_train).score(X_test, y_test)


if __name__ == "__main__":
    with Client(n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        storage = optuna.integration.dask.DaskStorage()
        study = optuna.create_study(storage=storage, direction="maximize")
        futures = [client.submit(study.optimize, objective, n_trials=3, pure=False) for _ in range(2)]
        wait(futures)
        for future in futures:
            future.result()
        print(f"{len(study.trials)} trials; best {study.best_value:.3f} {study.best_params}")
        assert len(study.trials) == 6, len(study.trials)
