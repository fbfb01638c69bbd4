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


# --- the applied rate, checked against the trial's schedule -----------------------------------

import warnings  # noqa: E402

from tunelab.integrations.torch import scheduler as tunelab_scheduler  # noqa: E402


class Scheduled(Tiny):
    """Tiny, driven by the trial's schedule: right (interval "step"), or with one mistake."""

    def __init__(self, schedule, mistake=None):
        super().__init__()
        self.schedule, self.mistake = schedule, mistake

    def training_step(self, batch, i):
        if self.mistake == "twice":
            self.lr_schedulers().step()
        return super().training_step(batch, i)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        interval = "epoch" if self.mistake == "epoch" else "step"
        configs = [{"scheduler": tunelab_scheduler(opt, self.schedule), "interval": interval}]
        if self.mistake == "none":
            return opt
        if self.mistake == "other":
            configs.append({"scheduler": torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.9), "interval": "step"})
        return [opt], configs


def _fit_scheduled(trial, schedule, mistake):
    data = torch.utils.data.TensorDataset(torch.randn(32, 4), torch.zeros(32, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    trainer = pl.Trainer(max_epochs=3, callbacks=[PruningCallback(trial, "val_loss")], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         accelerator="cpu", num_sanity_val_steps=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(Scheduled(schedule, mistake), loader, loader)
    return [str(w.message) for w in caught if str(w.message).startswith("tunelab:")]


def test_interval_step_follows_the_schedule_and_warns_nothing(drawn):
    trial, schedule = drawn
    assert _fit_scheduled(trial, schedule, None) == []
    trace = trial.user_attrs["lr_trace"]
    assert [s for s, _ in trace] == list(range(6))
    assert [lr for _, lr in trace] == pytest.approx([float(schedule(k)) for k in range(6)], rel=1e-12)


@pytest.mark.parametrize(("mistake", "fix"), [
    ("epoch", r'"interval": "step"\}\} from configure_optimizers \(its scheduler is stepped with "interval": "epoch"'),
    ("none", r'"scheduler": tunelab.integrations.torch.scheduler\(optimizer, schedule\), "interval": "step"\}\}'),
    ("twice", r"do not also call scheduler.step\(\) in the LightningModule"),
    ("other", r"return one scheduler for this optimizer from configure_optimizers \(2 step it\)"),
])
def test_a_mistake_warns_once_naming_the_fix(drawn, mistake, fix):
    import re

    warned = _fit_scheduled(*drawn, mistake)
    assert len(warned) == 1 and re.search(fix, warned[0]), warned
