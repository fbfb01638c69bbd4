"""tunelab.integrations.optax: a jit-able optax schedule equal to the tunelab schedule."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import CosineAnnealingLR, ExponentialDecay, OneCycleLR, SequentialLR, StepLR

jax = pytest.importorskip("jax", reason="jax is not installed (extra 'jax')")
optax = pytest.importorskip("optax", reason="optax is not installed (extra 'jax')")
adapter = pytest.importorskip("tunelab.integrations.optax")

SCHEDULES = [OneCycleLR(0.1, 1000), SequentialLR([StepLR(0.1, 5), CosineAnnealingLR(0.1, 50)], [20]),
             ExponentialDecay(0.1, 7, 0.5, staircase=True)]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_jit_and_vmap_give_the_schedule_in_jax_float(schedule):
    fn = adapter.schedule(schedule)
    steps = np.arange(0, 1000, 7)
    expected = schedule(steps).astype(np.float32)
    expected[np.abs(expected) < np.finfo(np.float32).tiny] = 0.0  # XLA flushes subnormals to zero
    assert np.array_equal(np.asarray(jax.vmap(fn)(steps)), expected)
    jitted = jax.jit(fn)
    assert [float(jitted(int(k))) for k in steps[:20]] == expected[:20].tolist()
    assert np.asarray(fn(steps)).tolist() == expected.tolist()


def test_drives_an_optax_optimizer_under_jit():
    schedule = SequentialLR([StepLR(0.1, 2, 0.5), CosineAnnealingLR(0.05, 10)], [6])
    opt = optax.sgd(learning_rate=adapter.schedule(schedule))
    params = {"w": jax.numpy.zeros(2)}
    state = opt.init(params)
    grads = {"w": jax.numpy.ones(2)}
    update = jax.jit(lambda s: opt.update(grads, s, params))
    for k in range(12):
        updates, state = update(state)
        assert float(updates["w"][0]) == -np.float32(schedule(k))


def test_bad_schedule():
    with pytest.raises(InvalidTypeError, match=r"s='cos' \(type str\) is invalid for tunelab.integrations.optax.schedule"):
        adapter.schedule("cos")
