"""The Keras callback: members resume from saved models at the schedule's rates."""

import numpy as np
import pytest

import tunelab
from tunelab.pbt import PopulationBasedTraining
from tunelab.samplers import RandomSampler

keras = pytest.importorskip("keras")

BATCHES = 4


def _build():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


class Rates(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):  # runs after PBTCallback's (listed after it)
        opt = self.model.optimizer
        self.seen.append([int(keras.ops.convert_to_numpy(opt.iterations)),
                          float(keras.ops.convert_to_numpy(opt.learning_rate))])


def _train(member, state):
    from tunelab.integrations.pbt_keras import PBTCallback, resume

    member.trial.suggest_float("lr", 1e-3, 0.5, log=True)
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
    model = resume(member, _build)
    callback, rates = PBTCallback(member), Rates()
    model.fit(x, 3 * x + 1, batch_size=64 // BATCHES, validation_data=(x, 3 * x + 1), initial_epoch=member.start,
              epochs=member.stop, callbacks=[callback, rates], verbose=0, shuffle=False)
    member.trial.set_user_attr("rates", rates.seen)
    return callback.value


def test_members_fit_their_intervals_with_keras(tmp_path):
    study = tunelab.create_study(sampler=RandomSampler(seed=0))
    found = PopulationBasedTraining(2, budget=4, interval=2, steps_per_unit=BATCHES, seed=0).optimize(
        study, _train, checkpoint_dir=tmp_path)
    for iv in found.lineage:
        rates = study.trials[iv.number].user_attrs["rates"]
        assert [s for s, _ in rates] == list(range(iv.start * BATCHES, iv.stop * BATCHES))  # resumed, not restarted
        assert all(np.float32(found.schedule(s)) == np.float32(r) for s, r in rates)  # Keras holds float32
    assert (tmp_path / f"trial_{found.best_trial}" / "model.keras").is_file()
