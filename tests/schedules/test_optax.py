"""optax families: repr/config as optax calls, semantics, bad input, live parity when optax is installed."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import (
    Schedule,
    ScheduleError,
    constant_schedule,
    cosine_decay_schedule,
    cosine_onecycle_schedule,
    exponential_decay,
    join_schedules,
    linear_onecycle_schedule,
    linear_schedule,
    piecewise_constant_schedule,
    piecewise_interpolate_schedule,
    polynomial_schedule,
    sgdr_schedule,
    warmup_cosine_decay_schedule,
    warmup_exponential_decay_schedule,
)


def test_repr_reads_like_the_optax_call():
    s = piecewise_constant_schedule(0.1, {200: 0.5, 100: 0.1})
    assert repr(s) == "piecewise_constant_schedule(init_value=0.1, boundaries_and_scales={100: 0.1, 200: 0.5})"
    assert Schedule.from_config(s.to_config()) == s and hash(Schedule.from_config(s.to_config())) == hash(s)
    assert s.to_config()["args"]["boundaries_and_scales"] == {"100": 0.1, "200": 0.5}


def test_sgdr_stores_complete_kwargs_and_round_trips():
    s = sgdr_schedule([{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2, "decay_steps": 10}])
    assert repr(s) == ("sgdr_schedule(cosine_kwargs=[{'init_value': 0.0, 'peak_value': 1.0, 'warmup_steps': 2, "
                       "'decay_steps': 10, 'end_value': 0.0, 'exponent': 1.0}])")
    assert Schedule.from_config(s.to_config()) == s


def test_piecewise_constant_switches_at_the_boundary():
    s = piecewise_constant_schedule(1.0, {10: 0.5})
    assert (s(9), s(10)) == (1.0, 0.5)


def test_zero_transition_steps_is_a_constant_as_in_optax():
    assert linear_schedule(0.3, 1.0, 0)(np.array([0, 10**9])).tolist() == [0.3, 0.3]
    assert warmup_cosine_decay_schedule(0.0, 1.0, 0, 10)(0) == 1.0


def test_exponential_decay_clips_at_end_value_in_its_direction():
    assert exponential_decay(1.0, 1, 0.5, end_value=0.2)(10) == 0.2
    assert exponential_decay(1.0, 1, 2.0, end_value=5.0)(10) == 5.0
    assert exponential_decay(1.0, 10, 0.5, transition_begin=100)(50) == 1.0


def test_onecycle_boundaries_truncate_like_optax():
    s = linear_onecycle_schedule(100, 1.0, pct_start=0.29)  # int(0.29 * 100) == 28
    assert s(28) == 1.0


def test_staircase_exact_at_2_53():
    s = exponential_decay(1.0, 7, 0.9999999, staircase=True)
    assert s(2**53 - 1) == 0.9999999 ** ((2**53 - 1) // 7)


def test_non_integral_step_is_an_error():
    with pytest.raises(ValueError, match=r"step=2.5 is invalid for linear_schedule: must be an integer"):
        linear_schedule(0.0, 1.0, 10)(2.5)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: exponential_decay(0.1, 0, 0.9), r"transition_steps=0 is invalid for exponential_decay: .* >= 1"),
        (lambda: exponential_decay(0.1, 10, 0.0), r"decay_rate=0.0 is invalid for exponential_decay: .* > 0"),
        (lambda: exponential_decay(0.1, 10, 0.9, transition_begin=-1), r"transition_begin=-1 is invalid"),
        (lambda: polynomial_schedule(1.0, 0.0, 1.0, -1), r"transition_steps=-1 is invalid for polynomial_schedule"),
        (lambda: polynomial_schedule(1.0, 0.0, 0.0, 10), r"power=0.0 is invalid for polynomial_schedule"),
        (lambda: linear_schedule(1.0, 0.0, 2.5), r"transition_steps=2.5 is invalid .* integer"),
        (lambda: cosine_decay_schedule(0.1, 0), r"decay_steps=0 is invalid for cosine_decay_schedule"),
        (lambda: warmup_cosine_decay_schedule(0.0, 1.0, 10, 10),
         r"decay_steps=10 is invalid for warmup_cosine_decay_schedule: must be an integer > warmup_steps=10"),
        (lambda: warmup_exponential_decay_schedule(0.0, 1.0, 5, 0, 0.5), r"transition_steps=0 is invalid"),
        (lambda: piecewise_constant_schedule(1.0, {10: -0.5}),
         r"boundaries_and_scales\[10\]=-0.5 is invalid for piecewise_constant_schedule: .* >= 0"),
        (lambda: piecewise_constant_schedule(1.0, {"10": 0.5, 5: 0.5, "-5": 1.0}), r"boundaries_and_scales key=-5 is invalid .* >= 0"),
        (lambda: piecewise_constant_schedule(1.0, {-5: 0.5}), r"boundaries_and_scales key=-5 is invalid"),
        (lambda: piecewise_interpolate_schedule("cos", 1.0, {}),
         r"interpolate_type='cos' is invalid for piecewise_interpolate_schedule: must be one of \['linear', 'cosine'\]"),
        (lambda: linear_onecycle_schedule(0, 1.0), r"transition_steps=0 is invalid for linear_onecycle_schedule"),
        (lambda: linear_onecycle_schedule(100, 1.0, pct_start=0.9, pct_final=0.5),
         r"pct_start=0.9 is invalid for linear_onecycle_schedule: the phase boundaries .* \[90, 50, 100\]"),
        (lambda: cosine_onecycle_schedule(100, 1.0, pct_start=1.5), r"pct_start=1.5 is invalid"),
        (lambda: cosine_onecycle_schedule(100, 1.0, div_factor=0), r"div_factor=0 is invalid"),
        (lambda: join_schedules([constant_schedule(1.0)], [5]),
         r"boundaries=\[5\] is invalid for join_schedules: must hold len\(schedules\) - 1 = 0 steps, got 1"),
        (lambda: join_schedules([constant_schedule(1.0)] * 3, [5, 3]), r"must be strictly increasing"),
        (lambda: sgdr_schedule([]), r"cosine_kwargs=\[\] is invalid for sgdr_schedule"),
        (lambda: sgdr_schedule([{"peak": 1.0}]), r"cosine_kwargs\[0\]=\{'peak': 1.0\} is invalid for sgdr_schedule"),
        (lambda: sgdr_schedule([{"init_value": 0.0}]), r"cosine_kwargs\[0\]=.* missing"),
    ],
)
def test_bad_arguments(build, match):
    with pytest.raises(ScheduleError, match=match):
        build()


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: piecewise_constant_schedule(1.0, {"x": 0.5}), r"boundaries_and_scales key='x' \(type str\)"),
        (lambda: piecewise_constant_schedule(1.0, [1, 2]), r"boundaries_and_scales=\[1, 2\] \(type list\) .* dict"),
        (lambda: sgdr_schedule({"init_value": 0.0}), r"must be a non-empty list of dicts"),
        (lambda: exponential_decay(0.1, 10, 0.9, staircase=1), r"staircase=1 \(type int\) .* must be a bool"),
    ],
)
def test_wrong_types(build, match):
    with pytest.raises(InvalidTypeError, match=match):
        build()


def test_sgdr_takes_any_iterable_of_cycles():
    cycle = dict(init_value=0.0, peak_value=1.0, warmup_steps=0, decay_steps=10)
    assert sgdr_schedule(c for c in [cycle, cycle]) == sgdr_schedule([cycle, cycle])


def test_unknown_family_in_config():
    with pytest.raises(ScheduleError, match=r"family='exponential_decayy' is invalid: must be one of \["):
        Schedule.from_config({"family": "exponential_decayy", "args": {}})


LIVE = [
    ("exponential_decay", dict(init_value=0.1, transition_steps=17, decay_rate=0.7, transition_begin=9,
                               staircase=True, end_value=0.01)),
    ("polynomial_schedule", dict(init_value=0.1, end_value=0.001, power=1.3, transition_steps=150,
                                 transition_begin=20)),
    ("cosine_decay_schedule", dict(init_value=0.1, decay_steps=150, alpha=0.1, exponent=1.5)),
    ("warmup_cosine_decay_schedule", dict(init_value=0.01, peak_value=0.1, warmup_steps=15, decay_steps=170,
                                          end_value=0.001)),
    ("warmup_exponential_decay_schedule", dict(init_value=0.0, peak_value=0.1, warmup_steps=15,
                                               transition_steps=23, decay_rate=0.6, transition_begin=4)),
    ("linear_onecycle_schedule", dict(transition_steps=190, peak_value=0.1)),
    ("cosine_onecycle_schedule", dict(transition_steps=190, peak_value=0.1, pct_start=0.2)),
    ("piecewise_constant_schedule", dict(init_value=0.1, boundaries_and_scales={30: 0.5, 60: 0.2})),
    ("piecewise_interpolate_schedule", dict(interpolate_type="cosine", init_value=0.1,
                                            boundaries_and_scales={30: 3.0, 60: 0.2, 61: 0.5})),
    ("sgdr_schedule", dict(cosine_kwargs=[dict(init_value=0.0, peak_value=0.1, warmup_steps=5, decay_steps=40),
                                          dict(init_value=0.01, peak_value=0.05, warmup_steps=3, decay_steps=70)])),
]


@pytest.mark.parametrize(("family", "args"), LIVE, ids=[f for f, _ in LIVE])
def test_live_parity_with_optax(family, args):
    optax = pytest.importorskip("optax", reason="optax is not installed: parity is checked by test_golden")
    import jax

    jax.config.update("jax_enable_x64", True)
    try:
        theirs = getattr(optax, family)(**args)
        steps = np.arange(0, 260)
        ref = np.array([float(theirs(jax.numpy.asarray(s, dtype="int64"))) for s in steps])
    finally:
        jax.config.update("jax_enable_x64", False)
    mine = Schedule.from_config({"family": family, "args": args})(steps)
    np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=0)
