"""The Lightning callback: members resume from Lightning checkpoints at the schedule's rates."""

import pytest

import tunelab
from tunelab.pbt import PopulationBasedTraining
from tunelab.samplers import RandomSampler

pytest.importorskip("lightning")
torch = pytest.importorskip("torch")

BATCHES = 4


def _train(member, state):
    import lightning

    from tunelab.integrations.pbt_lightning import PBTCallback

    member.trial.suggest_float("lr", 1e-3, 0.5, log=True)
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    data = torch.utils.data.TensorDataset(x, 3 * x + 1)
    loader = torch.utils.data.DataLoader(data, batch_size=64 // BATCHES)

    class Line(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(1, 1)
            self.rates = []

        def training_step(self, batch, _):
            self.rates.append((self.trainer.global_step, self.trainer.optimizers[0].param_groups[0]["lr"]))
            return torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])

        def validation_step(self, batch, _):
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(batch[0]), batch[1]))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    callback = PBTCallback(member, monitor="val_loss")
    module = Line()
    trainer = lightning.Trainer(max_epochs=member.stop, callbacks=[callback], logger=False, enable_progress_bar=False,
                                enable_model_summary=False, enable_checkpointing=False, num_sanity_val_steps=0)
    trainer.fit(module, loader, loader, ckpt_path=callback.resume_path)
    member.trial.set_user_attr("rates", module.rates)
    return callback.value


def test_members_fit_their_intervals_with_lightning(tmp_path):
    study = tunelab.create_study(sampler=RandomSampler(seed=0))
    found = PopulationBasedTraining(2, budget=4, interval=2, steps_per_unit=BATCHES, seed=0).optimize(
        study, _train, checkpoint_dir=tmp_path)
    for iv in found.lineage:
        rates = study.trials[iv.number].user_attrs["rates"]
        assert [s for s, _ in rates] == list(range(iv.start * BATCHES, iv.stop * BATCHES))  # resumed, not restarted
        assert all(found.schedule(s) == r for s, r in rates)
    assert (tmp_path / f"trial_{found.best_trial}" / "model.ckpt").is_file()
    assert found.best_value < study.trials[found.lineage[0].number].value
