"""The Lightning pruning callback, with a real Trainer on a tiny model."""

import pytest

pl = pytest.importorskip("lightning.pytorch", reason="lightning is not installed (extra 'lightning')")
torch = pytest.importorskip("torch")

import tunelab  # noqa: E402
from tunelab import pruners  # noqa: E402
from tunelab.integrations.lightning import PruningCallback  # noqa: E402


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, _):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def _fit(trial, monitor="val_loss", epochs=3):
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(32, 4), torch.zeros(32, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    trainer = pl.Trainer(max_epochs=epochs, callbacks=[PruningCallback(trial, monitor)], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         accelerator="cpu", num_sanity_val_steps=0)
    trainer.fit(Tiny(), loader, loader)


def test_reports_each_epoch_and_records_the_applied_rates():
    trial = tunelab.create_study().ask()
    _fit(trial)
    assert sorted(trial.intermediate_values) == [0, 1, 2]
    assert trial.user_attrs["lr_trace"] == [[0, 0.1], [1, 0.1], [2, 0.05], [3, 0.05], [4, 0.025], [5, 0.025]]


def test_pruning_stops_fit():
    trial = tunelab.create_study(pruner=pruners.ThresholdPruner(upper=-1.0)).ask()
    with pytest.raises(tunelab.TrialPruned):
        _fit(trial)
    assert sorted(trial.intermediate_values) == [0]


def test_a_missing_metric_is_named():
    trial = tunelab.create_study().ask()
    with pytest.raises(tunelab.InvalidArgumentError, match=r"monitor='val_acc' .*metrics logged"):
        _fit(trial, monitor="val_acc")
