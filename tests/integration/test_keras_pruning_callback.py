"""KerasPruningCallback(trial, monitor, interval): Optuna's name and arguments for tunelab's Keras callback."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras", reason="keras is not installed (extra 'keras')")

import numpy as np  # noqa: E402

import tunelab  # noqa: E402
import tunelab.integration  # noqa: E402
from tunelab import pruners  # noqa: E402
from tunelab.integrations.keras_callbacks import PruningCallback  # noqa: E402


def _fit(callback, epochs=5):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    x, y = np.random.default_rng(0).normal(size=(32, 4)), np.zeros((32, 1))
    model.fit(x, y, batch_size=16, epochs=epochs, validation_data=(x, y), verbose=0, callbacks=[callback])


def test_the_optuna_name_is_tunelabs_callback():
    assert tunelab.integration.KerasPruningCallback is PruningCallback


def test_interval_reports_and_judges_every_nth_epoch_only():
    trial = tunelab.create_study(pruner=pruners.NopPruner()).ask()
    _fit(tunelab.integration.KerasPruningCallback(trial, "val_loss", interval=2))
    assert sorted(trial.intermediate_values) == [1, 3]
    pruned = tunelab.create_study(pruner=pruners.ThresholdPruner(upper=-1.0)).ask()
    with pytest.raises(tunelab.TrialPruned):
        _fit(tunelab.integration.KerasPruningCallback(pruned, "val_loss", 3))
    assert sorted(pruned.intermediate_values) == [2]  # trained three epochs before the first judgement


def test_a_bad_interval_is_refused_by_name():
    trial = tunelab.create_study().ask()
    with pytest.raises(tunelab.InvalidArgumentError, match="interval=0 is invalid for PruningCallback: must be an "
                                                           "integer >= 1"):
        tunelab.integration.KerasPruningCallback(trial, "val_loss", interval=0)
