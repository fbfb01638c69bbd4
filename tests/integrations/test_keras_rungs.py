"""Keras' fit_rungs: a fresh compiled model and fit per rung budget (skipped where keras is not installed)."""

import types

import pytest

keras = pytest.importorskip("keras", reason="keras is not installed (extra 'keras')")

import numpy as np  # noqa: E402

import tunelab  # noqa: E402
from tunelab import pruners, schedules  # noqa: E402
from tunelab.integrations.keras import learning_rate  # noqa: E402
from tunelab.integrations.keras_callbacks import PruningCallback, fit_rungs  # noqa: E402

#: Optimizer steps per epoch: 32 rows in batches of 16.
STEPS = 2
SPACE = schedules.space(families=["constant", "cosine", "wsd"], initial=(1e-3, 0.5))

_X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
_Y = _X @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")
FIT = {"batch_size": 16}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models train fastest on one thread (several fight over a busy machine's cores)."""
    if keras.backend.backend() != "torch":
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Maker:
    """``make_model(trial, epochs)``: a linear model whose rate is the trial's schedule built for ``epochs`` epochs."""

    def __init__(self, space=SPACE):
        self.models, self.space = {}, space

    def __call__(self, trial, epochs):
        keras.utils.set_random_seed(trial.number)
        schedule = trial.suggest_schedule("lr", self.space, total_steps=epochs * STEPS)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate(schedule)), loss="mse")
        model.schedule, model.log = schedule, types.SimpleNamespace(rates=[], epochs=0)
        self.models.setdefault(trial.number, []).append(model)
        return model


class Recording(keras.callbacks.Callback):
    """Passed to every fit: records in the model's ``log`` the rate each batch applies and the epochs run."""

    def on_train_batch_begin(self, batch, logs=None):
        self.model.log.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    def on_epoch_end(self, epoch, logs=None):
        self.model.log.epochs += 1


def _objective(make, **kwargs):
    return lambda trial: fit_rungs(trial, make, _X, _Y, max_epochs=9, validation_data=(_X, _Y),
                                   fit_kwargs={**FIT, "callbacks": [Recording()]}, **kwargs)


def _budgets(make, number):
    return [m.log.epochs for m in make.models[number]]


def test_a_named_rescaled_pruner_gives_the_budgets_and_each_value_is_reported_at_its_epochs():
    pruner = pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3)
    study = tunelab.create_study(pruner=pruner, sampler=tunelab.samplers.RandomSampler(seed=0))
    make = Maker()
    study.optimize(_objective(make), n_trials=6)
    assert study.pruner is pruner
    assert _budgets(make, 0) == [1, 3, 9]  # the first trial at each rung is promoted
    for t in study.trials:
        budgets = _budgets(make, t.number)
        assert budgets == [1, 3, 9][:len(budgets)] and sorted(t.intermediate_values) == budgets
        for epochs, model in zip(budgets, make.models[t.number]):  # the value: val_loss after the last epoch
            assert t.intermediate_values[epochs] == pytest.approx(model.evaluate(_X, _Y, verbose=0), rel=1e-4)
        assert (t.state == tunelab.TrialState.COMPLETE) == (budgets[-1] == 9)
        if t.state == tunelab.TrialState.COMPLETE:
            assert t.value == t.intermediate_values[9]
    assert any(t.state == tunelab.TrialState.PRUNED for t in study.trials)


def test_each_rung_runs_the_whole_schedule_rebuilt_for_its_budget():
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    make = Maker(schedules.space(["wsd"], initial=0.1, args={"wsd": {"warmup_fraction": 0.2, "decay_fraction": 0.5}}))
    study.optimize(_objective(make), n_trials=1)
    for model in make.models[0]:
        horizon = model.log.epochs * STEPS
        assert model.schedule.total_steps == horizon  # warmup, plateau and decay within the rung
        assert model.log.rates == pytest.approx([float(model.schedule(k)) for k in range(horizon)], rel=1e-6)
    assert make.models[0][-1].schedule == study.trials[0].schedule("lr")


def test_a_study_without_a_pruner_gets_rescaled_hyperband_and_prunes():
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=1))
    make = Maker()
    study.optimize(_objective(make), n_trials=9)
    assert repr(study.pruner) == repr(tunelab.fidelity.default_pruner(9))
    assert isinstance(study.pruner, pruners.RescaledHyperband)
    for t in study.trials:
        assert sorted(t.intermediate_values) == _budgets(make, t.number)
    assert tunelab.TrialState.PRUNED in {t.state for t in study.trials}
    assert tunelab.TrialState.COMPLETE in {t.state for t in study.trials}


class Counter(keras.callbacks.Callback):
    """Counts the epochs it saw; every fit's counts go to ``seen``."""

    seen = []

    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1

    def on_train_end(self, logs=None):
        Counter.seen.append(self.epochs)


def test_each_fit_gets_its_own_copy_of_the_callbacks():
    given = Counter()
    Counter.seen = []
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    study.optimize(lambda trial: fit_rungs(trial, Maker(), _X, _Y, max_epochs=9, validation_data=(_X, _Y),
                                           fit_kwargs={**FIT, "callbacks": [given]}), n_trials=1)
    assert Counter.seen == [1, 3, 9] and given.epochs == 0


def test_a_missing_monitor_names_the_metrics_logged():
    study = tunelab.create_study()
    with pytest.raises(tunelab.InvalidArgumentError, match=r"monitor='val_acc' is invalid: the metrics logged are "
                                                           r"\['loss', 'val_loss'\]"):
        _objective(Maker(), monitor="val_acc")(study.ask())


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"max_epochs": 0}, tunelab.InvalidArgumentError,
     r"max_epochs=0 is invalid for tunelab.integrations.keras_callbacks.fit_rungs: must be an integer >= 1"),
    ({"make_model": None}, tunelab.InvalidTypeError,
     r"make_model=None \(type NoneType\) is invalid for .*fit_rungs: must be a callable make_model\(trial, epochs\) "
     r"returning a compiled keras.Model"),
    ({"monitor": 3}, tunelab.InvalidTypeError, r"monitor=3 \(type int\) is invalid for .*fit_rungs: must be a non-empty"),
    ({"fit_kwargs": "batch_size=16"}, tunelab.InvalidTypeError,
     r"fit_kwargs='batch_size=16' \(type str\) is invalid for .*fit_rungs: must be None or a dict of keras.Model.fit"),
    ({"fit_kwargs": {"epochs": 3}}, tunelab.InvalidArgumentError,
     r"fit_kwargs\['epochs'\]=3 is invalid for .*fit_rungs: must be left out: each rung's fit lasts its budget "
     r"\(epochs up to max_epochs=9\)"),
    ({"fit_kwargs": {"validation_data": None}}, tunelab.InvalidArgumentError, r"fit_kwargs\['validation_data'\]"),
    ({"fit_kwargs": {"callbacks": [PruningCallback(None)]}}, tunelab.InvalidArgumentError,
     r"fit_kwargs\['callbacks'\]=.* is invalid for .*fit_rungs: must be without a tunelab PruningCallback"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    study = tunelab.create_study()
    args = {"make_model": Maker(), "max_epochs": 9, "validation_data": (_X, _Y), **kwargs}
    make = args.pop("make_model")
    with pytest.raises(error, match=match):
        fit_rungs(study.ask(), make, _X, _Y, **args)


def test_make_model_must_return_a_new_compiled_model():
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    for returned, match in [
        ("model", r"make_model\(trial, 1\) returned 'model' \(type str\) in .*fit_rungs: it must return a compiled "
                  r"keras.Model"),
        (plain, r"make_model\(trial, 1\) returned a model that is not compiled in .*fit_rungs: compile it in "
                r"make_model, with the optimizer for 1 epochs"),
    ]:
        with pytest.raises(tunelab.InvalidTypeError, match=match):
            fit_rungs(study.ask(), lambda trial, epochs, returned=returned: returned, _X, _Y, max_epochs=9)
    model = Maker()(study.ask(), 9)
    with pytest.raises(tunelab.InvalidTypeError, match=r"make_model\(trial, 3\) returned a model whose optimizer has "
                                                       r"already taken steps .*: each rung trains a new model"):
        fit_rungs(study.ask(), lambda trial, epochs: model, _X, _Y, max_epochs=9, validation_data=(_X, _Y),
                  fit_kwargs=FIT)

