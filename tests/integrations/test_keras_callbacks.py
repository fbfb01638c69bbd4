"""The Keras pruning callback (skipped where keras is not installed)."""

import pytest

keras = pytest.importorskip("keras", reason="keras is not installed (extra 'keras')")

import numpy as np  # noqa: E402

import tunelab  # noqa: E402
from tunelab import pruners  # noqa: E402
from tunelab.integrations.keras_callbacks import PruningCallback  # noqa: E402


def _fit(trial, epochs=3, monitor="val_loss"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    x, y = np.random.default_rng(0).normal(size=(32, 4)), np.zeros((32, 1))
    model.fit(x, y, batch_size=16, epochs=epochs, validation_data=(x, y), verbose=0,
              callbacks=[PruningCallback(trial, monitor)])


def test_reports_each_epoch_and_records_the_applied_rates():
    study = tunelab.create_study()
    trial = study.ask()
    _fit(trial)
    assert sorted(trial.intermediate_values) == [0, 1, 2]
    trace = trial.user_attrs["lr_trace"]
    assert [s for s, _ in trace] == list(range(6))
    assert trace[0][1] == pytest.approx(0.1) and trace[2][1] == pytest.approx(0.05)


def test_pruning_stops_fit():
    study = tunelab.create_study(pruner=pruners.ThresholdPruner(upper=-1.0))
    trial = study.ask()
    with pytest.raises(tunelab.TrialPruned):
        _fit(trial)
    assert sorted(trial.intermediate_values) == [0]


def test_a_missing_metric_is_named():
    trial = tunelab.create_study().ask()
    with pytest.raises(tunelab.InvalidArgumentError, match=r"monitor='val_acc' .*metrics logged"):
        _fit(trial, monitor="val_acc")


# --- the applied rate, checked against the trial's schedule -----------------------------------

import re  # noqa: E402
import warnings  # noqa: E402

from tunelab.integrations.keras import learning_rate  # noqa: E402


def _fit_scheduled(trial, rate, callbacks=()):
    """Three epochs of two batches with the optimizer's learning rate ``rate``; tunelab's warnings."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(rate), loss="mse")
    x, y = np.random.default_rng(0).normal(size=(32, 4)), np.zeros((32, 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=16, epochs=3, validation_data=(x, y), verbose=0,
                  callbacks=[*callbacks, PruningCallback(trial, "val_loss")])
    return [str(w.message) for w in caught if str(w.message).startswith("tunelab:")]


def test_the_schedule_as_learning_rate_is_followed_and_warns_nothing(drawn):
    trial, schedule = drawn
    assert _fit_scheduled(trial, learning_rate(schedule)) == []
    trace = trial.user_attrs["lr_trace"]
    assert [s for s, _ in trace] == list(range(6))
    assert [lr for _, lr in trace] == pytest.approx([float(schedule(k)) for k in range(6)], rel=1e-6)


def test_a_rate_set_once_per_epoch_warns_once_naming_the_fix(drawn):
    trial, schedule = drawn
    per_epoch = keras.callbacks.LearningRateScheduler(lambda epoch: float(schedule(2 * epoch)))
    warned = _fit_scheduled(trial, 0.1, [per_epoch])
    assert len(warned) == 1, warned
    assert "at step 1 is 0.1" in warned[0] and "stepped less often than the optimizer" in warned[0]
    assert re.search(r"learning_rate=tunelab.integrations.keras.learning_rate\(schedule\)", warned[0])


def test_a_rate_set_elsewhere_warns_once_naming_the_fix(drawn):
    warned = _fit_scheduled(drawn[0], 0.3)
    assert len(warned) == 1, warned
    assert "something else sets this optimizer's rate" in warned[0] and "ReduceLROnPlateau" in warned[0]
