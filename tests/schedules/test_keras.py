"""Keras families: semantics users notice, bad input, and live parity when Keras is installed."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    ScheduleError,
    warmup_cosine_decay_schedule,
)


def test_float_steps_are_accepted():
    s = ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)
    assert s(5.0) == pytest.approx(0.5**0.5) and s(np.array([2.5]))[0] == pytest.approx(0.5**0.25)


def test_staircase_is_exact_at_2_53():
    s = ExponentialDecay(1.0, decay_steps=3, decay_rate=0.999999, staircase=True)
    stair = (2**53 - 1) // 3
    assert s(2**53 - 1) == 0.999999**stair
    assert InverseTimeDecay(1.0, 3, 1.0, staircase=True)(2**53 - 1) == 1.0 / (1.0 + stair)


def test_piecewise_switches_after_the_boundary():
    s = PiecewiseConstantDecay([10, 20], [3.0, 2.0, 1.0])
    assert [s(t) for t in (10, 10.001, 20, 20.5)] == [3.0, 2.0, 2.0, 1.0]


def test_polynomial_cycle_reaches_end_at_each_multiple():
    s = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, cycle=True)
    assert s(0) == 1.0 and s(10) == pytest.approx(0.1) and s(20) == pytest.approx(0.1)
    assert s(11) == pytest.approx(0.1 + 0.9 * (1 - 11 / 20))


def test_cosine_decay_steps_exclude_the_warmup_unlike_optax():
    keras = CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    optax = warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=100)
    assert keras(60) == pytest.approx(0.5) and keras(110) == 0.0
    assert optax(55) == pytest.approx(0.5) and optax(100) == 0.0


def test_cosine_restarts_return_the_restarted_value_at_exact_restarts():
    # Keras 3.15 in float64 returns 0.0 here: its floor(log(..)/log(t_mul)) lands one cycle low
    s = CosineDecayRestarts(1.0, first_decay_steps=8, t_mul=1.5)
    assert s(105.5) == 1.0
    s = CosineDecayRestarts(1.0, first_decay_steps=3, t_mul=3.0, m_mul=0.8)
    assert s(363) == pytest.approx(0.8**5) and s(362.999) < 1e-9
    restarts = np.cumsum([10 * 2.0**i for i in range(40)])
    values = CosineDecayRestarts(1.0, first_decay_steps=10)(restarts)
    assert values.tolist() == [1.0] * 40


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: ExponentialDecay(0.1, 0, 0.9), r"decay_steps=0 is invalid for ExponentialDecay: must be a finite number > 0"),
        (lambda: ExponentialDecay(0.1, 10, 0.0), r"decay_rate=0.0 is invalid for ExponentialDecay: .* > 0"),
        (lambda: ExponentialDecay(0.1, 10, -0.5), r"decay_rate=-0.5 is invalid"),
        (lambda: InverseTimeDecay(0.1, -5, 0.5), r"decay_steps=-5 is invalid for InverseTimeDecay"),
        (lambda: InverseTimeDecay(0.1, 5, -0.5), r"decay_rate=-0.5 is invalid for InverseTimeDecay: .* >= 0"),
        (lambda: PolynomialDecay(0.1, 0), r"decay_steps=0 is invalid for PolynomialDecay"),
        (lambda: PolynomialDecay(0.1, 10, power=0), r"power=0 is invalid for PolynomialDecay"),
        (lambda: PiecewiseConstantDecay([10, 5], [1, 2, 3]),
         r"boundaries=\[10, 5\] is invalid for PiecewiseConstantDecay: must be strictly increasing"),
        (lambda: PiecewiseConstantDecay([10, 20], [1, 2]),
         r"values=\[1, 2\] is invalid for PiecewiseConstantDecay: must hold len\(boundaries\) \+ 1 = 3 values"),
        (lambda: CosineDecay(0.1, 0), r"decay_steps=0 is invalid for CosineDecay"),
        (lambda: CosineDecay(0.1, 10, warmup_steps=5),
         r"warmup_steps=5 is invalid for CosineDecay: must be 0 when warmup_target is None"),
        (lambda: CosineDecay(0.1, 10, warmup_target=1.0, warmup_steps=-1), r"warmup_steps=-1 is invalid"),
        (lambda: CosineDecayRestarts(0.1, 0), r"first_decay_steps=0 is invalid for CosineDecayRestarts"),
        (lambda: CosineDecayRestarts(0.1, 10, t_mul=0.5), r"t_mul=0.5 is invalid for CosineDecayRestarts: .* >= 1"),
        (lambda: CosineDecayRestarts(0.1, 10, m_mul=-1.0), r"m_mul=-1.0 is invalid"),
    ],
)
def test_bad_arguments(build, match):
    with pytest.raises(ScheduleError, match=match):
        build()


def test_flags_must_be_bools():
    with pytest.raises(InvalidTypeError, match=r"staircase='yes' \(type str\) is invalid for ExponentialDecay: must be a bool"):
        ExponentialDecay(0.1, 10, 0.9, staircase="yes")
    with pytest.raises(InvalidTypeError, match=r"cycle=1 \(type int\) is invalid for PolynomialDecay: must be a bool"):
        PolynomialDecay(0.1, 10, cycle=1)


def test_cosine_decay_warmup_arguments_are_keyword_only():
    with pytest.raises(TypeError, match=r"takes from 3 to 4 positional arguments but 5 were given"):
        CosineDecay(0.1, 10, 0.0, 1.0)  # Keras' fourth positional argument is `name`


def test_negative_step_is_an_error():
    with pytest.raises(ValueError, match=r"step=-1 is invalid for ExponentialDecay: must be non-negative"):
        ExponentialDecay(0.1, 10, 0.9)(-1)


LIVE = [
    ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    InverseTimeDecay(0.1, 7.5, 0.3),
    PiecewiseConstantDecay([10.0, 25.5], [0.3, 0.2, 0.1]),
    PolynomialDecay(0.1, 33, end_learning_rate=0.002, power=1.7, cycle=True),
    CosineDecay(0.1, 90, alpha=0.2),
    CosineDecay(0.01, 90, alpha=0.2, warmup_target=0.2, warmup_steps=12),
    CosineDecayRestarts(0.1, 13, t_mul=1.7, m_mul=0.9, alpha=0.05),
    CosineDecayRestarts(0.1, 13, t_mul=1.0, m_mul=0.9),
]


@pytest.mark.parametrize("schedule", LIVE, ids=repr)
def test_live_parity_with_keras(schedule):
    keras = pytest.importorskip("keras", reason="Keras is not installed: parity is checked by test_golden")
    floatx = keras.config.floatx()
    keras.config.set_floatx("float64")  # backends other than TensorFlow turn Python floats into floatx tensors
    try:
        _check_live_parity(keras, schedule)
    finally:
        keras.config.set_floatx(floatx)


def _check_live_parity(keras, schedule):
    steps = np.concatenate([np.arange(0, 400), np.random.default_rng(0).uniform(0, 5000, 200)])
    args = {k: np.float64(v) if isinstance(v, float) else v for k, v in schedule.to_config()["args"].items()}
    if "values" in args:
        args["values"] = [np.float64(v) for v in args["values"]]
    theirs = getattr(keras.optimizers.schedules, schedule.family)(**args)
    ref = np.array([float(keras.ops.convert_to_numpy(theirs(np.float64(s)))) for s in steps])
    mine = schedule(steps)
    # the TensorFlow backend computes in float64 throughout; the others keep some constants in float32
    rtol = 1e-9 if keras.backend.backend() == "tensorflow" else 1e-6
    differs = ~np.isclose(mine, ref, rtol=rtol, atol=0)
    if isinstance(schedule, CosineDecayRestarts):  # only where Keras' float log lands a cycle low
        differs &= ~(np.isclose(ref, schedule.initial_learning_rate * schedule.alpha) & (mine > ref))
    assert not differs.any(), list(zip(steps[differs], mine[differs], ref[differs]))
