"""A PyTorch MLP on digits in a plain training loop: depth, widths, dropout, optimiser and lr; pruning per epoch.

After optuna-examples pytorch/pytorch_simple.py (FashionMNIST swapped for scikit-learn's digits).

APIs: create_study(direction="maximize"), Study.optimize(n_trials=, timeout=), Trial.suggest_int,
Trial.suggest_float(log=True), Trial.suggest_categorical, Trial.report, Trial.should_prune,
optuna.exceptions.TrialPruned, from optuna.trial import TrialState, Study.get_trials(deepcopy=False, states=),
Study.best_trial
"""
# ruff: noqa: I001
import optuna
from optuna.trial import TrialState
import sklearn.datasets
import sklearn.model_selection
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
X, y = sklearn.datasets.load_digits(return_X_y=True)
X_train, X_valid, y_train, y_valid = (torch.tensor(a) for a in sklearn.model_selection.train_test_split(
    X / 16.0, y, test_size=0.25, random_state=0))
X_train, X_valid = X_train.float(), X_valid.float()


def define_model(trial):
    layers, width_in = [], 64
    for i in range(trial.suggest_int("n_layers", 1, 2)):
        width = trial.suggest_int(f"n_units_l{i}", 8, 64)
        layers += [nn.Linear(width_in, width), nn.ReLU(), nn.Dropout(trial.suggest_float(f"dropout_l{i}", 0.0, 0.4))]
        width_in = width
    return nn.Sequential(*layers, nn.Linear(width_in, 10), nn.LogSoftmax(dim=1))


def objective(trial):
    model = define_model(trial)
    name = trial.suggest_categorical("optimizer", ["Adam", "RMSprop", "SGD"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    optimizer = getattr(torch.optim, name)(model.parameters(), lr=lr)
    for epoch in range(3):
        model.train()
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            F.nll_loss(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(X_valid).argmax(dim=1) == y_valid).float().mean().item()
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise optuna.exceptions.TrialPruned()
    return accuracy


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=6, timeout=120)
    pruned = study.get_trials(deepcopy=False, states=[TrialState.PRUNED])
    complete = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
    print(f"{len(study.trials)} trials: {len(pruned)} pruned, {len(complete)} complete")
    print(f"best {study.best_trial.value:.3f} {study.best_trial.params}")
    assert len(pruned) + len(complete) == 6
    assert study.best_value > 0.5
