"""Tune a linear classifier on scikit-learn's bundled digits data with ``hydra/sweeper=tunelab``.

Each job of ``python train.py --multirun`` is one trial of the tunelab study set in config.yaml
(``hydra.sweeper``): the sweeper picks ``loss``, ``alpha``, ``penalty``, ``l1_ratio`` (only with
elasticnet) and a learning-rate schedule, the task trains epoch by epoch with the schedule's rate,
reports the validation accuracy (the pruner stops poor trials) and returns the last one.

Run it once on its own with ``python train.py`` (the config's defaults; no trial, no pruning).
Afterwards: ``tunelab best --storage sqlite:///tunelab.db --study digits-sgd``, or
``tunelab report --storage sqlite:///tunelab.db --study digits-sgd`` (an HTML page with each
trial's learning rate).
"""

import hydra
import numpy as np
from omegaconf import DictConfig
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tunelab
from tunelab.integrations import hydra as tunelab_hydra


@hydra.main(version_base=None, config_path=".", config_name="config")
def train(cfg: DictConfig) -> float:
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)

    lr = tunelab_hydra.schedule(cfg.lr)  # the trial's schedule (or the config's default in a single run)
    model = SGDClassifier(loss=cfg.loss, alpha=cfg.alpha, penalty=cfg.penalty, l1_ratio=cfg.l1_ratio,
                          learning_rate="constant", eta0=float(lr(0)), random_state=cfg.seed)
    accuracy = 0.0
    for epoch in range(cfg.epochs):
        model.set_params(eta0=max(float(lr(epoch)), 1e-6))  # one schedule step per epoch; SGD needs > 0
        model.partial_fit(x_train, y_train, classes=np.unique(y))
        accuracy = model.score(x_val, y_val)
        tunelab_hydra.report(accuracy, epoch)
        if tunelab_hydra.should_prune():
            raise tunelab.TrialPruned()
    return accuracy


if __name__ == "__main__":
    train()
