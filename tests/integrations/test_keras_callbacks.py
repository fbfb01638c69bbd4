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
