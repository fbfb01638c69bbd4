"""Lightning's fit_rungs: a fresh module and Trainer per rung budget, real fits on a tiny model."""

import os

import pytest

pl = pytest.importorskip("lightning.pytorch", reason="lightning is not installed (extra 'lightning')")
torch = pytest.importorskip("torch")

import tunelab  # noqa: E402
from tunelab import pruners, schedules  # noqa: E402
from tunelab.integrations.lightning import PruningCallback, fit_rungs  # noqa: E402
from tunelab.integrations.torch import scheduler  # noqa: E402

#: Optimizer steps per epoch: 32 rows in batches of 16.
STEPS = 2
SPACE = schedules.space(families=["constant", "cosine", "wsd"], initial=(1e-3, 0.5))

_g = torch.Generator().manual_seed(0)
_X = torch.randn(32, 4, generator=_g)
_Y = _X @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]])
LOADER = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(_X, _Y), batch_size=16)
VAL = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(_X, _Y), batch_size=32)
QUIET = {"accelerator": "cpu", "num_sanity_val_steps": 0}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models train fastest on one thread (several fight over a busy machine's cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Net(pl.LightningModule):
    """A linear model that records, per fit, the epochs it ran, its validation losses and applied rates."""

    def __init__(self, schedule):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.schedule = schedule
        self.epochs_run, self.val_losses, self.rates = 0, [], []

    def training_step(self, batch, _):
        x, y = batch
        self.rates.append(self.optimizers().param_groups[0]["lr"])
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def on_train_epoch_end(self):
        self.epochs_run += 1

    def validation_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.val_losses.append(float(loss))
        self.log("val_loss", loss)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=1.0)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": scheduler(opt, self.schedule), "interval": "step"}}


class Maker:
    """``make_model(trial, epochs)``: the trial's schedule built for ``epochs`` epochs; keeps the models by trial."""

    def __init__(self, space=SPACE):
        self.models, self.space = {}, space

    def __call__(self, trial, epochs):
        torch.manual_seed(trial.number)
        schedule = trial.suggest_schedule("lr", self.space, total_steps=epochs * STEPS)
        model = Net(schedule)
        self.models.setdefault(trial.number, []).append(model)
        return model

    def budgets(self, number):
        return [m.epochs_run for m in self.models[number]]


def _objective(make, **kwargs):
    kwargs.setdefault("trainer_kwargs", QUIET)
    return lambda trial: fit_rungs(trial, make, max_epochs=9, train_dataloaders=LOADER, val_dataloaders=VAL,
                                   **kwargs)


def test_a_named_rescaled_pruner_gives_the_budgets_and_each_value_is_reported_at_its_epochs():
    pruner = pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3)
    study = tunelab.create_study(pruner=pruner, sampler=tunelab.samplers.RandomSampler(seed=0))
    make = Maker()
    study.optimize(_objective(make), n_trials=6)
    assert study.pruner is pruner
    assert make.budgets(0) == [1, 3, 9]  # the first trial at each rung is promoted
    for t in study.trials:
        budgets, models = make.budgets(t.number), make.models[t.number]
        assert budgets == [1, 3, 9][:len(budgets)] and sorted(t.intermediate_values) == budgets
        for epochs, model in zip(budgets, models):  # the value reported is the fit's last validation loss
            assert t.intermediate_values[epochs] == pytest.approx(model.val_losses[-1], rel=1e-6)
            assert len(model.val_losses) == epochs
        assert (t.state == tunelab.TrialState.COMPLETE) == (budgets[-1] == 9)
        if t.state == tunelab.TrialState.COMPLETE:
            assert t.value == t.intermediate_values[9]
    assert any(t.state == tunelab.TrialState.PRUNED for t in study.trials)


def test_each_rung_runs_the_whole_schedule_rebuilt_for_its_budget():
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    make = Maker(schedules.space(["wsd"], initial=0.1, args={"wsd": {"warmup_fraction": 0.2, "decay_fraction": 0.5}}))
    study.optimize(_objective(make), n_trials=1)
    schedule = study.trials[0].schedule("lr")  # the last one: built for 9 epochs
    for model in make.models[0]:
        horizon = model.epochs_run * STEPS
        assert len(model.rates) == horizon
        assert model.schedule.total_steps == horizon  # warmup, plateau and decay within the rung
        assert model.rates == pytest.approx([float(model.schedule(k)) for k in range(horizon)], rel=1e-9)
    assert make.models[0][-1].schedule == schedule


def test_a_study_without_a_pruner_gets_rescaled_hyperband_and_prunes():
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=1))
    make = Maker()
    study.optimize(_objective(make), n_trials=9)
    assert repr(study.pruner) == repr(tunelab.fidelity.default_pruner(9))
    assert isinstance(study.pruner, pruners.RescaledHyperband)
    for t in study.trials:
        assert sorted(t.intermediate_values) == make.budgets(t.number)
    assert tunelab.TrialState.PRUNED in {t.state for t in study.trials}
    assert tunelab.TrialState.COMPLETE in {t.state for t in study.trials}


def test_no_logs_or_checkpoints_are_written_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = tunelab.create_study(pruner=pruners.NopPruner())
    study.optimize(_objective(Maker(), trainer_kwargs=None), n_trials=1)
    assert os.listdir(tmp_path) == []
    study.optimize(_objective(Maker(), trainer_kwargs={**QUIET, "default_root_dir": str(tmp_path / "runs"),
                                                        "enable_checkpointing": True}), n_trials=1)
    assert os.listdir(tmp_path) == ["runs"] and os.listdir(tmp_path / "runs") == ["checkpoints"]
    checkpoint = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "best", monitor="val_loss")
    study.optimize(_objective(Maker(), trainer_kwargs={**QUIET, "callbacks": [checkpoint]}), n_trials=1)
    assert sorted(os.listdir(tmp_path)) == ["best", "runs"]  # a ModelCheckpoint given turns checkpointing on


class Counter(pl.Callback):
    """Counts the epochs it saw; every fit's counts go to ``seen``."""

    seen = []

    def __init__(self):
        self.epochs = 0

    def on_train_epoch_end(self, trainer, pl_module):
        self.epochs += 1

    def on_fit_end(self, trainer, pl_module):
        Counter.seen.append(self.epochs)


def test_each_fit_gets_its_own_copy_of_the_callbacks():
    given = Counter()
    Counter.seen = []
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    study.optimize(_objective(Maker(), trainer_kwargs={**QUIET, "callbacks": [given]}), n_trials=1)
    assert Counter.seen == [1, 3, 9] and given.epochs == 0


def test_a_missing_monitor_names_the_metrics_logged():
    study = tunelab.create_study()
    with pytest.raises(tunelab.InvalidArgumentError, match=r"monitor='val_acc' is invalid: the metrics logged are "
                                                           r"\['val_loss'\]"):
        _objective(Maker(), monitor="val_acc")(study.ask())


class Uncopyable(pl.Callback):
    def __deepcopy__(self, memo):
        raise TypeError("cannot pickle '_thread.lock' object")


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"max_epochs": 0}, tunelab.InvalidArgumentError,
     r"max_epochs=0 is invalid for tunelab.integrations.lightning.fit_rungs: must be an integer >= 1"),
    ({"make_model": "Net"}, tunelab.InvalidTypeError,
     r"make_model='Net' \(type str\) is invalid for tunelab.integrations.lightning.fit_rungs: must be a callable "
     r"make_model\(trial, epochs\) returning a LightningModule"),
    ({"monitor": ""}, tunelab.InvalidArgumentError, r"monitor='' is invalid for .*fit_rungs: must be a non-empty"),
    ({"trainer_kwargs": [("max_epochs", 3)]}, tunelab.InvalidTypeError,
     r"trainer_kwargs=.* \(type list\) is invalid for .*fit_rungs: must be None or a dict of lightning.pytorch.Trainer"),
    ({"trainer_kwargs": {"max_epochs": 3}}, tunelab.InvalidArgumentError,
     r"trainer_kwargs\['max_epochs'\]=3 is invalid for .*fit_rungs: must be left out: each rung's fit lasts its "
     r"budget \(Trainer\(max_epochs=epochs\), epochs up to max_epochs=9\)"),
    ({"trainer_kwargs": {"max_steps": 100}}, tunelab.InvalidArgumentError, r"trainer_kwargs\['max_steps'\]=100"),
    ({"trainer_kwargs": {"callbacks": [PruningCallback(None, "val_loss")]}}, tunelab.InvalidArgumentError,
     r"trainer_kwargs\['callbacks'\]=.* is invalid for .*fit_rungs: must be without a tunelab PruningCallback"),
    ({"trainer_kwargs": {"callbacks": Uncopyable()}}, tunelab.InvalidArgumentError,
     r"trainer_kwargs\['callbacks'\]=.* is invalid for .*fit_rungs: must be callbacks that copy.deepcopy can copy "
     r"\(each fit gets its own: .*\); cannot pickle '_thread.lock' object"),
    ({"datamodule": pl.LightningDataModule()}, tunelab.InvalidArgumentError,
     r"datamodule=.* is invalid for .*fit_rungs: must be None when train_dataloaders or val_dataloaders are given"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    study = tunelab.create_study()
    args = {"make_model": Maker(), "max_epochs": 9, "train_dataloaders": LOADER, "val_dataloaders": VAL, **kwargs}
    make = args.pop("make_model")
    with pytest.raises(error, match=match):
        fit_rungs(study.ask(), make, **args)


def test_make_model_must_return_a_new_lightning_module():
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    with pytest.raises(tunelab.InvalidTypeError, match=r"make_model\(trial, 1\) returned 3 \(type int\) in "
                                                       r".*fit_rungs: it must return a lightning.pytorch.LightningModule"):
        fit_rungs(study.ask(), lambda trial, epochs: 3, max_epochs=9)
    make = Maker()
    model = make(study.ask(), 9)
    with pytest.raises(tunelab.InvalidTypeError, match=r"make_model\(trial, 3\) returned a LightningModule that was "
                                                       r"already fitted .*: each rung trains a new model"):
        fit_rungs(study.ask(), lambda trial, epochs: model, max_epochs=9, train_dataloaders=LOADER,
                  val_dataloaders=VAL, trainer_kwargs=QUIET)

