"""Track a study in Weights & Biases (offline by default): one run per trial, or one per study.

    python examples/tracking_wandb.py [--trials 8] [--one-run] [--online]

An SGD classifier is trained on the bundled digits data (no download) for a few epochs, its
learning rate following a schedule the trial draws (cosine or exponential decay); each epoch's
validation accuracy is reported, and the rate applied at each epoch is stored as the trial's
``lr_trace``. WeightsAndBiasesCallback logs each trial as a W&B run of the group "digits-sgd"
(config: parameters and schedule; summary: accuracy and state; history: the curves
``intermediate_value`` and ``lr`` by epoch), or with ``--one-run`` one run with a row per trial.
Offline runs land in ./wandb; ``wandb sync wandb/offline-run-*`` uploads them later.
"""

import argparse

import numpy as np
import wandb
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

import tunelab
from tunelab import schedules
from tunelab.integrations.wandb import WeightsAndBiasesCallback

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
    parser.add_argument("--one-run", action="store_true", help="one W&B run for the study, a row per trial")
    parser.add_argument("--online", action="store_true", help="send the runs to W&B (needs `wandb login`)")
    args = parser.parse_args()

    tracker = WeightsAndBiasesCallback(
        metric_name="val_accuracy", as_multirun=not args.one_run,
        wandb_kwargs={"project": "tunelab-examples", "mode": "online" if args.online else "offline"})
    study = tunelab.create_study(direction="maximize", study_name="digits-sgd",
                                 sampler=tunelab.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=args.trials, callbacks=[tracker])
    if wandb.run is not None:  # the study's run (--one-run) stays open for more studies: end it
        wandb.finish()
    print(f"best trial {study.best_trial.number}: accuracy {study.best_value:.4f}, "
          f"schedule {study.best_trial.schedule('lr')!r}")


if __name__ == "__main__":
    main()
