"""Track a study in MLflow: one run per trial, with its learning-rate schedule and applied rates.

    python examples/tracking_mlflow.py [--trials 8] [--tracking-uri file:./mlruns]

An SGD classifier is trained on the bundled digits data (no download) for a few epochs, its
learning rate following a schedule the trial draws (cosine or exponential decay); each epoch's
validation accuracy is reported, and the rate applied at each epoch is stored as the trial's
``lr_trace``. MLflowCallback logs every finished trial as a run of the experiment "digits-sgd":
the parameters and the schedule (param ``lr``, artifact ``schedules/lr.json``), the accuracy,
the curves ``intermediate_value`` and ``lr`` by epoch, the trial's state as a tag.
Browse them with ``mlflow ui --backend-store-uri file:./mlruns``.
"""

import argparse
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

import tunelab
from tunelab import schedules
from tunelab.integrations.mlflow import MLflowCallback

EPOCHS = 10
X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)


def objective(trial):
    lr = trial.suggest_schedule("lr", schedules.space(["cosine", "exponential"], initial=(1e-3, 1e-1),
                                                      total_steps=EPOCHS))
    alpha = trial.suggest_float("alpha", 1e-6, 1e-2, log=True)
    model = SGDClassifier(learning_rate="constant", eta0=float(lr(0)), alpha=alpha, random_state=0)
    trace = []
    for epoch in range(EPOCHS):
        model.eta0 = float(lr(epoch))  # the schedule's rate for this epoch
        model.partial_fit(X_train, y_train, classes=np.unique(y))
        trace.append([epoch, model.eta0])
        accuracy = model.score(X_val, y_val)
        trial.report(accuracy, epoch)
        trial.set_user_attr("lr_trace", trace)  # the applied rates, [[step, lr], ...]
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--tracking-uri", default="file:./mlruns",
                        help="where MLflow keeps the runs (a server URL, sqlite:///mlflow.db, file:...)")
    args = parser.parse_args()
    # MLflow 3 keeps its file store behind a switch (it prefers a database, which mlflow-skinny lacks)
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

    tracker = MLflowCallback(tracking_uri=args.tracking_uri, metric_name="val_accuracy")
    study = tunelab.create_study(direction="maximize", study_name="digits-sgd",
                                 sampler=tunelab.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=args.trials, callbacks=[tracker])
    print(f"best trial {study.best_trial.number}: accuracy {study.best_value:.4f}, "
          f"schedule {study.best_trial.schedule('lr')!r}")

    import mlflow

    runs = mlflow.search_runs(experiment_names=["digits-sgd"], order_by=["metrics.val_accuracy DESC"])
    print(f"{len(runs)} MLflow runs in {args.tracking_uri}; the best:")
    print(runs[["tags.mlflow.runName", "tags.state", "metrics.val_accuracy", "params.lr"]].head(3).to_string())


if __name__ == "__main__":
    main()
