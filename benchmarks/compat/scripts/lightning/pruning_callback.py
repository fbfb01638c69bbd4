"""A Lightning module on digits with PyTorchLightningPruningCallback monitoring validation accuracy.

After optuna-examples pytorch/pytorch_lightning_simple.py (FashionMNIST swapped for digits).

APIs: integration.PyTorchLightningPruningCallback(trial, monitor=), pruners.MedianPruner(n_startup_trials=),
pruners.NopPruner, optuna.trial.Trial (annotation), Trial.suggest_int(log=True), Trial.suggest_float,
create_study(direction="maximize", pruner=), Study.best_trial
"""
# ruff: noqa: I001
import optuna
from optuna.integration import PyTorchLightningPruningCallback
import lightning.pytorch as pl
import sklearn.datasets
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

X, y = sklearn.datasets.load_digits(return_X_y=True)
DATA = TensorDataset(torch.tensor(X / 16.0, dtype=torch.float32), torch.tensor(y))
TRAIN, VALID = torch.utils.data.random_split(DATA, [1400, 397], generator=torch.Generator().manual_seed(0))


class Net(pl.LightningModule):
    def __init__(self, widths, dropout, lr):
        super().__init__()
        layers, width_in = [], 64
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.ReLU(), nn.Dropout(dropout)]
            width_in = width
        self.layers = nn.Sequential(*layers, nn.Linear(width_in, 10))
        self.lr = lr

    def forward(self, x):
        return F.log_softmax(self.layers(x), dim=1)

    def training_step(self, batch, batch_idx):
        x, target = batch
        return F.nll_loss(self(x), target)

    def validation_step(self, batch, batch_idx):
        x, target = batch
        self.log("val_acc", (self(x).argmax(dim=1) == target).float().mean())

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def objective(trial: optuna.trial.Trial) -> float:
    n_layers = trial.suggest_int("n_layers", 1, 2)
    widths = [trial.suggest_int(f"n_units_l{i}", 8, 64, log=True) for i in range(n_layers)]
    model = Net(widths, trial.suggest_float("dropout", 0.0, 0.4), trial.suggest_float("lr", 1e-4, 1e-1, log=True))
    trainer = pl.Trainer(max_epochs=3, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[PyTorchLightningPruningCallback(trial, monitor="val_acc")])
    trainer.fit(model, DataLoader(TRAIN, batch_size=64, shuffle=True), DataLoader(VALID, batch_size=128))
    return trainer.callback_metrics["val_acc"].item()


if __name__ == "__main__":
    assert isinstance(optuna.pruners.NopPruner(), optuna.pruners.BasePruner)
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
    study.optimize(objective, n_trials=5, timeout=300)
    print(f"{len(study.trials)} trials; best {study.best_trial.value:.3f} {study.best_trial.params}")
    assert study.best_value > 0.5
    assert all(len(t.intermediate_values) >= 1 for t in study.trials), "the callback reported nothing"
