"""tunelab's own WarmupStableDecay and warmup()."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import (
    CosineDecay,
    ExponentialDecay,
    Schedule,
    ScheduleError,
    WarmupStableDecay,
    constant_schedule,
    warmup,
)


def test_wsd_phases_and_continuity():
    s = WarmupStableDecay(1.0, 100, warmup_steps=10, decay_steps=20, init_lr=0.1, final_lr=0.01)
    assert s(0) == 0.1 and s(5) == pytest.approx(0.55) and s(10) == 1.0
    assert s(79) == 1.0 and s(80) == 1.0 and s(90) == pytest.approx(0.505) and s(100) == 0.01
    assert s(2**53) == 0.01


@pytest.mark.parametrize(("shape", "mid"), [("linear", 0.5), ("cosine", 0.5), ("1-sqrt", 1 - 0.5**0.5)])
def test_wsd_decay_shapes(shape, mid):
    s = WarmupStableDecay(1.0, 100, decay_steps=20, decay_shape=shape)
    assert s(80) == 1.0 and s(90) == pytest.approx(mid) and s(100) == 0.0


def test_wsd_fractions_round_half_up():
    s = WarmupStableDecay(1.0, 101, warmup_fraction=0.05, decay_fraction=0.29)
    assert s(5) == 1.0 and s(4) < 1.0  # round(5.05) = 5 warmup steps
    assert s(72) == 1.0 and s(73) < 1.0  # round(29.29) = 29 decay steps: decay from 72
    assert WarmupStableDecay(1.0, 100, decay_fraction=0.29)(71) == 1.0  # 29 steps, not int(28.999...)


def test_wsd_cosine_warmup():
    s = WarmupStableDecay(2.0, 100, warmup_steps=10, warmup_shape="cosine", decay_steps=10)
    assert s(5) == pytest.approx(1.0) and s(0) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(peak_lr=1.0, total_steps=100), r"decay_steps=None is invalid for WarmupStableDecay: give decay_steps"),
        (dict(peak_lr=1.0, total_steps=100, warmup_steps=60, decay_steps=50),
         r"total_steps=100 is invalid for WarmupStableDecay: must be at least warmup \+ decay = 60 \+ 50 = 110"),
        (dict(peak_lr=1.0, total_steps=100, decay_steps=10, decay_fraction=0.1),
         r"decay_fraction=0.1 is invalid .* give decay_steps or decay_fraction, not both"),
        (dict(peak_lr=1.0, total_steps=100, decay_fraction=1.5), r"decay_fraction=1.5 is invalid .* None or a number in \[0, 1\]"),
        (dict(peak_lr=1.0, total_steps=0, decay_steps=0), r"total_steps=0 is invalid .* an integer >= 1"),
        (dict(peak_lr=0.0, total_steps=10, decay_steps=1), r"peak_lr=0.0 is invalid"),
        (dict(peak_lr=1.0, total_steps=10, decay_steps=1, decay_shape="exp"),
         r"decay_shape='exp' is invalid for WarmupStableDecay: must be one of \['linear', 'cosine', '1-sqrt'\]"),
        (dict(peak_lr=1.0, total_steps=10, decay_steps=1, warmup_shape="1-sqrt"),
         r"warmup_shape='1-sqrt' is invalid .* \['linear', 'cosine'\]"),
        (dict(peak_lr=1.0, total_steps=10, decay_steps=1, final_lr=-0.1), r"final_lr=-0.1 is invalid"),
    ],
)
def test_wsd_bad_arguments(kwargs, match):
    with pytest.raises(ScheduleError, match=match):
        WarmupStableDecay(**kwargs)


def test_warmup_does_not_shift_the_schedule():
    base = ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)
    s = warmup(base, 10, start=0.1)
    assert s(0) == 0.1 and s(5) == pytest.approx(0.1 + (0.5 - 0.1) * 0.5)
    steps = np.arange(10, 100)
    assert np.array_equal(s(steps), base(steps))
    assert warmup(base, 0)(np.arange(5)).tolist() == base(np.arange(5)).tolist()


def test_warmup_follows_the_wrapped_step_kind():
    assert not warmup(CosineDecay(1.0, 100.0), 2.5).integer_steps
    assert warmup(constant_schedule(1.0), 5).integer_steps
    with pytest.raises(ScheduleError, match=r"steps=2.5 is invalid for warmup: must be an integer"):
        warmup(constant_schedule(1.0), 2.5)
    with pytest.raises(InvalidTypeError, match=r"schedule=0.1 \(type float\) is invalid for warmup: must be a Schedule"):
        warmup(0.1, 5)


def test_warmup_round_trips():
    s = warmup(CosineDecay(1.0, 100), 10, start=0.01)
    assert repr(s) == ("warmup(schedule=CosineDecay(initial_learning_rate=1.0, decay_steps=100, alpha=0.0, "
                       "warmup_target=None, warmup_steps=0), steps=10, start=0.01)")
    assert Schedule.from_config(s.to_config()) == s
