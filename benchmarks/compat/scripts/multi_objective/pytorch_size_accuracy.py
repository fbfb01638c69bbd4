"""Accuracy against model size for a PyTorch MLP on digits, then the Pareto front sorted by its values.

After optuna-examples multi_objective/pytorch_simple.py (FLOPs counted as parameters; digits data).

APIs: create_study(directions=["minimize", "maximize"]), Study.optimize(n_trials=), objective returning a tuple,
Study.best_trials, sorted(..., key=lambda t: t.values), FrozenTrial.values, FrozenTrial.params
"""
# ruff: noqa: I001
import optuna
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


def objective(trial):
    layers, width_in = [], 64
    for i in range(trial.suggest_int("n_layers", 1, 2)):
        width = trial.suggest_int(f"n_units_l{i}", 4, 64)
        layers += [nn.Linear(width_in, width), nn.ReLU()]
        width_in = width
    model = nn.Sequential(*layers, nn.Linear(width_in, 10), nn.LogSoftmax(dim=1))
    optimizer = torch.optim.Adam(model.parameters(), lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True))
    for _ in range(2):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            F.nll_loss(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    with torch.no_grad():
        accuracy = (model(X_valid).argmax(dim=1) == y_valid).float().mean().item()
    return sum(p.numel() for p in model.parameters()), accuracy


if __name__ == "__main__":
    study = optuna.create_study(directions=["minimize", "maximize"])
    study.optimize(objective, n_trials=6)
    front = sorted(study.best_trials, key=lambda t: t.values)
    for t in front:
        print(f"trial #{t.number}: parameters={t.values[0]:.0f} accuracy={t.values[1]:.3f} {t.params}")
    assert front
    assert [t.values[1] for t in front] == sorted(t.values[1] for t in front), "front not monotone"
