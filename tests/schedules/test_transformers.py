"""transformers-style families: LambdaLR semantics, bad input, live parity when transformers is installed."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab.schedules import (
    Schedule,
    ScheduleError,
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_cosine_with_hard_restarts_schedule_with_warmup,
    get_inverse_sqrt_schedule,
    get_linear_schedule_with_warmup,
    get_polynomial_decay_schedule_with_warmup,
    get_wsd_schedule,
)


def test_warmup_starts_at_zero():
    for s in (get_constant_schedule_with_warmup(0.1, 10), get_linear_schedule_with_warmup(0.1, 10, 100),
              get_inverse_sqrt_schedule(0.1, 10)):
        assert s(0) == 0.0 and s(5) == pytest.approx(0.05) and s(10) == pytest.approx(0.1)


def test_cosine_rises_again_past_num_training_steps():
    s = get_cosine_schedule_with_warmup(1.0, 10, 110)
    assert s(110) == 0.0 and s(160) == pytest.approx(0.5) and s(210) == pytest.approx(1.0)


def test_hard_restarts_are_exact_and_zero_after_training():
    s = get_cosine_with_hard_restarts_schedule_with_warmup(1.0, 3, 103, num_cycles=10)
    assert s(np.arange(3, 103, 10)).tolist() == [1.0] * 10
    assert s(103) == 0.0 and s(10**12) == 0.0


def test_polynomial_holds_lr_end_after_training():
    s = get_polynomial_decay_schedule_with_warmup(0.1, 0, 10, lr_end=0.01)
    assert s(10) == pytest.approx(0.01) and s(2**53) == pytest.approx(0.01)


def test_inverse_sqrt_default_timescale():
    assert get_inverse_sqrt_schedule(1.0, 0)(30000) == pytest.approx(0.5)  # timescale 10000
    assert get_inverse_sqrt_schedule(1.0, 100)(400) == pytest.approx(0.5)  # timescale = warmup


def test_wsd_stable_steps_from_training_steps():
    a = get_wsd_schedule(1.0, 10, 20, num_training_steps=100)
    b = get_wsd_schedule(1.0, 10, 20, num_stable_steps=70)
    c = get_wsd_schedule(1.0, 10, 20, num_training_steps=100, num_stable_steps=70)
    steps = np.arange(0, 120)
    assert np.array_equal(a(steps), b(steps)) and np.array_equal(a(steps), c(steps))
    assert a(80) == 1.0 and a(90) == pytest.approx(0.5) and a(100) == 0.0


def test_integer_steps_only():
    with pytest.raises(ValueError, match=r"step=1.5 is invalid for get_wsd_schedule: must be an integer"):
        get_wsd_schedule(1.0, 10, 20, num_training_steps=100)(1.5)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: get_linear_schedule_with_warmup(0.1, 10, 5),
         r"num_training_steps=5 is invalid for get_linear_schedule_with_warmup: must be an integer >= 10"),
        (lambda: get_cosine_schedule_with_warmup(0.1, 10, 100, num_cycles=0), r"num_cycles=0 is invalid"),
        (lambda: get_constant_schedule_with_warmup(0.0, 10), r"base_lr=0.0 is invalid .* > 0"),
        (lambda: get_constant_schedule_with_warmup(0.1, -1), r"num_warmup_steps=-1 is invalid"),
        (lambda: get_constant_schedule_with_warmup(0.1, 2.5), r"num_warmup_steps=2.5 is invalid .* integer"),
        (lambda: get_polynomial_decay_schedule_with_warmup(0.1, 10, 10),
         r"num_training_steps=10 is invalid for get_polynomial_decay_schedule_with_warmup: must be an integer > 10"),
        (lambda: get_polynomial_decay_schedule_with_warmup(0.1, 0, 10, lr_end=0.1), r"lr_end=0.1 is invalid .* < base_lr=0.1"),
        (lambda: get_inverse_sqrt_schedule(0.1, 10, timescale=0), r"timescale=0 is invalid"),
        (lambda: get_wsd_schedule(0.1, 10, 20), r"num_training_steps=None is invalid for get_wsd_schedule: give"),
        (lambda: get_wsd_schedule(0.1, 10, 20, num_training_steps=25),
         r"num_training_steps=25 is invalid for get_wsd_schedule: must be an integer >= 30"),
        (lambda: get_wsd_schedule(0.1, 10, 20, num_training_steps=100, num_stable_steps=10),
         r"num_training_steps=100 is invalid .* must equal .* = 40 when both are given"),
        (lambda: get_wsd_schedule(0.1, 10, 20, 100, warmup_type="exp"),
         r"warmup_type='exp' is invalid for get_wsd_schedule: must be one of \['linear', 'cosine', '1-sqrt'\]"),
        (lambda: get_wsd_schedule(0.1, 10, 20, 100, decay_type="step"), r"decay_type='step' is invalid"),
        (lambda: get_wsd_schedule(0.1, 10, 20, 100, min_lr_ratio=1.5), r"min_lr_ratio=1.5 is invalid .* in \[0, 1\]"),
    ],
)
def test_bad_arguments(build, match):
    with pytest.raises(ScheduleError, match=match):
        build()


LIVE = [
    get_constant_schedule_with_warmup(1e-3, 17),
    get_linear_schedule_with_warmup(1e-3, 17, 230),
    get_cosine_schedule_with_warmup(1e-3, 17, 230, num_cycles=0.75),
    get_cosine_with_hard_restarts_schedule_with_warmup(1e-3, 17, 230, num_cycles=4),
    get_polynomial_decay_schedule_with_warmup(1e-3, 17, 230, lr_end=1e-5, power=1.5),
    get_inverse_sqrt_schedule(1e-3, 17, timescale=40),
    get_wsd_schedule(1e-3, 17, 60, num_training_steps=230, warmup_type="cosine", decay_type="1-sqrt",
                     min_lr_ratio=0.05),
]


@pytest.mark.parametrize("schedule", LIVE, ids=lambda s: s.family)
def test_live_parity_with_transformers(schedule):
    transformers = pytest.importorskip("transformers", reason="transformers is not installed: "
                                       "parity is checked by test_golden")
    import torch

    args = dict(schedule.to_config()["args"])
    base_lr = args.pop("base_lr")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    scheduler = getattr(transformers, schedule.family)(optimizer, **args)
    ref = []
    for _ in range(300):  # the value after k scheduler.step() calls
        ref.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(schedule(np.arange(300)), ref, rtol=1e-9, atol=0)
    assert Schedule.from_config(schedule.to_config()) == schedule
