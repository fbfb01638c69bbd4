"""Schedule-aware pruning for an ordinary LightningModule: sklearn's digits, nothing downloaded.

    python examples/lightning_rungs.py [--trials 12] [--max-epochs 9] [--storage sqlite:///lightning_rungs.db]

The LightningModule below is what one writes without tunelab: it takes a learning-rate schedule as
it would take a learning rate, and its ``configure_optimizers`` steps the optimizer along it once per
batch. ``make_model(trial, epochs)`` draws a trial's parameters, among them a schedule (family, peak
rate, warmup and decay) with ``trial.suggest_schedule`` built for ``epochs * steps_per_epoch``
optimizer steps, and returns a new module. ``tunelab.integrations.lightning.fit_rungs`` does the
rest: the study names no pruner, so it gets the schedule-aware ``RescaledHyperband``, and each
trial is trained at its rung budgets (1, 3, 9 epochs), each budget a fresh fit with the whole
schedule compressed into it; a trial whose short fit falls behind is stopped there. Needs
``pip install 'tunelab[lightning]' scikit-learn``; about 15 s on two CPU cores.
"""

import argparse
import logging
import time
import warnings

import lightning.pytorch as pl
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tunelab
from tunelab import schedules
from tunelab.integrations.lightning import fit_rungs
from tunelab.integrations.torch import scheduler


class DigitsNet(pl.LightningModule):
    """A one-hidden-layer classifier of 8x8 digit images, trained with AdamW along ``schedule``."""

    def __init__(self, hidden: int, dropout: float, weight_decay: float, schedule: schedules.Schedule) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Dropout(dropout),
                                       torch.nn.Linear(hidden, 10))
        self.weight_decay, self.schedule = weight_decay, schedule

    def training_step(self, batch, _):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch, _):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=1.0, weight_decay=self.weight_decay)
        # the schedule counts optimizer steps: Lightning must step it after every batch, not every epoch
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler(optimizer, self.schedule), "interval": "step"}}


def digits_loaders(batch_size: int = 64) -> tuple[torch.utils.data.DataLoader, torch.utils.data.DataLoader]:
    """sklearn's bundled digits (1797 images), scaled to [0, 1], split 75 / 25 into train and validation loaders."""
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x / 16.0, y, test_size=0.25, random_state=0, stratify=y)

    def tensors(x, y):
        return torch.utils.data.TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y))

    train = torch.utils.data.DataLoader(tensors(x_train, y_train), batch_size=batch_size, shuffle=True,
                                        generator=torch.Generator().manual_seed(0))
    return train, torch.utils.data.DataLoader(tensors(x_val, y_val), batch_size=512)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--max-epochs", type=int, default=9)
    parser.add_argument("--storage", default=None, help="a storage URL to keep the trials (default: in memory)")
    args = parser.parse_args()
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)  # no "GPU available: ..." per fit
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    torch.set_num_threads(1)  # a model this small trains fastest on one thread (several fight over the cores)

    train, val = digits_loaders()
    space = schedules.space(["constant", "cosine", "one_cycle", "wsd"], initial=(1e-4, 3e-2))

    def make_model(trial: tunelab.Trial, epochs: int) -> DigitsNet:
        torch.manual_seed(trial.number)
        return DigitsNet(hidden=trial.suggest_int("hidden", 16, 128, log=True),
                         dropout=trial.suggest_float("dropout", 0.0, 0.5),
                         weight_decay=trial.suggest_float("weight_decay", 1e-5, 1e-1, log=True),
                         schedule=trial.suggest_schedule("lr", space, total_steps=epochs * len(train)))

    study = tunelab.create_study(direction="minimize", storage=args.storage, study_name="lightning-rungs",
                                 load_if_exists=True, sampler=tunelab.samplers.TPESampler(seed=0, n_startup_trials=6))
    start = time.perf_counter()
    study.optimize(lambda trial: fit_rungs(trial, make_model, max_epochs=args.max_epochs, train_dataloaders=train,
                                           val_dataloaders=val, trainer_kwargs={"accelerator": "cpu"}),
                   n_trials=args.trials)
    elapsed = time.perf_counter() - start

    trials = study.trials
    pruned = [t for t in trials if t.state == tunelab.TrialState.PRUNED]
    epochs = sum(sum(t.intermediate_values) for t in trials)  # each rung is a fresh fit of that many epochs
    print(f"{len(trials)} trials in {elapsed:.0f} s with {study.pruner!r}: {len(pruned)} stopped early, "
          f"{epochs} epochs trained in all ({len(trials) * args.max_epochs} without pruning)")
    best = study.best_trial
    params = ", ".join(f"{k}={v:.3g}" for k, v in best.params.items() if not k.startswith("lr."))
    print(f"best: trial {best.number}, val_loss {best.value:.4f}, {params}")
    print(f"its schedule over {args.max_epochs} epochs: {best.schedule('lr')!r}")


if __name__ == "__main__":
    main()
