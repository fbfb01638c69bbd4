"""tunelab.integrations.keras: a serialisable Keras LearningRateSchedule equal to the schedule."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import CosineAnnealingWarmRestarts, CosineDecay, OneCycleLR, SequentialLR, StepLR

keras = pytest.importorskip("keras", reason="keras is not installed (extra 'keras')")
adapter = pytest.importorskip("tunelab.integrations.keras")

SCHEDULE = SequentialLR([StepLR(0.1, 3, 0.5), CosineAnnealingWarmRestarts(0.05, 4, 2)], [7])


def test_values_are_the_schedule_rounded_to_float32():
    lr = adapter.learning_rate(SCHEDULE)
    assert isinstance(lr, keras.optimizers.schedules.LearningRateSchedule)
    for step in [0, 1, 6, 7, 8, 20, 100]:
        value = keras.ops.convert_to_numpy(lr(keras.ops.convert_to_tensor(step, dtype="int64")))
        assert value.dtype == np.float32 and value == np.float32(SCHEDULE(step))


def test_get_config_from_config_and_serialisation_round_trip():
    lr = adapter.learning_rate(OneCycleLR(0.2, 100))
    config = keras.saving.serialize_keras_object(lr)
    restored = keras.saving.deserialize_keras_object(config)
    assert restored.schedule == lr.schedule
    assert type(lr).from_config(lr.get_config()).schedule == lr.schedule


def test_training_and_model_save_load_keep_the_schedule(tmp_path):
    schedule = CosineDecay(0.05, 40, alpha=0.1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=adapter.learning_rate(schedule)), loss="mse")
    x, y = np.random.default_rng(0).normal(size=(32, 3)), np.zeros((32, 1))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    iterations = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    assert iterations == 8
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == np.float32(schedule(iterations))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.optimizer._learning_rate.schedule == schedule
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert float(keras.ops.convert_to_numpy(loaded.optimizer.learning_rate)) == np.float32(schedule(12))


def test_bad_schedule():
    with pytest.raises(InvalidTypeError, match=r"schedule=0.1 \(type float\) is invalid for learning_rate: must be a Schedule"):
        adapter.learning_rate(0.1)
    with pytest.raises(InvalidTypeError, match=r"schedule=0.1 \(type float\) is invalid for TunelabSchedule: must be a Schedule"):
        adapter.schedule_class()(0.1)
