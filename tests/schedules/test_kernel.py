"""The kernel primitives and the validated Join the families are built from."""

from __future__ import annotations

import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import ScheduleError, constant_schedule, linear_schedule
from tunelab.schedules import _kernel as k
from tunelab.schedules._keras import CosineDecay


def test_floor_and_ceil_div_are_exact_up_to_2_53():
    t = np.array([2.0**53 - 1, 2.0**53 - 2, 2.0**53])
    for period in (3, 7, 1000, 999_999_937):
        assert k.floor_div(t, period).tolist() == [float(int(x) // period) for x in t]
        assert k.ceil_div(t, period).tolist() == [float(-(-int(x) // period)) for x in t]
    # the naive quotient rounds up across an integer where the exact floor does not
    naive = np.floor(np.array([2.0**53 - 1]) / 3.0)
    assert k.floor_div(np.array([2.0**53 - 1]), 3.0)[0] <= naive[0]


def test_polynomial_holds_its_end_past_the_horizon():
    t = np.array([0.0, 5.0, 10.0, 1e15])
    assert k.polynomial(t, 2.0, 1.0, 10.0, power=1.0).tolist() == [2.0, 1.5, 1.0, 1.0]


def test_cosine_and_exponential_formulas():
    t = np.array([0.0, 25.0, 100.0, 500.0])
    assert np.allclose(k.cosine(t, 1.0, 0.1, 100.0), [1.0, 0.1 + 0.9 * (1 + np.cos(np.pi / 4)) / 2, 0.1, 0.1])
    assert np.allclose(k.cosine(t, 1.0, 0.0, 100.0, exponent=2.0)[1], ((1 + np.cos(np.pi / 4)) / 2) ** 2)
    assert k.exponential(t, 1.0, 0.5, 25.0).tolist() == [1.0, 0.5, 0.0625, 0.5**20]


def test_piecewise_constant_boundary_side():
    t = np.array([0.0, 10.0, 10.5, 20.0, 21.0])
    values = (1.0, 2.0, 3.0)
    assert k.piecewise_constant(t, (10, 20), values, right_inclusive=True).tolist() == [1, 1, 2, 2, 3]
    assert k.piecewise_constant(t, (10, 20), values, right_inclusive=False).tolist() == [1, 2, 2, 3, 3]


def test_linear_interp_and_shapes():
    assert k.linear_interp(np.array([-1.0, 5.0, 50.0]), (0, 10), (1.0, 0.0)).tolist() == [1.0, 0.5, 0.0]
    p = np.linspace(0, 1, 11)
    for kind in k.SHAPES:
        fall, rise = k.shape(kind, p, rising=False), k.shape(kind, p, rising=True)
        assert fall[0] == 1.0 and rise[0] == 0.0 and abs(fall[-1]) < 1e-15 and rise[-1] == 1.0
        assert np.allclose(rise, k.shape(kind, 1 - p, rising=False))
    with pytest.raises(ScheduleError, match=r"shape='step' is invalid: must be one of"):
        k.shape("step", p, rising=True)


def test_join_restarts_each_piece_at_its_boundary():
    s = k.Join([constant_schedule(3.0), linear_schedule(1.0, 0.0, 10), constant_schedule(0.5)], [5, 15])
    assert s(np.arange(0, 20, 5)).tolist() == [3.0, 1.0, 0.5, 0.5]
    assert s(14) == pytest.approx(0.1)
    assert repr(s).startswith("join_schedules(schedules=[constant_schedule(value=3.0), linear_schedule(")
    assert s.integer_steps


def test_join_of_float_step_pieces_accepts_float_steps():
    s = k.Join([CosineDecay(1.0, 10.0), CosineDecay(0.5, 10.0)], [10.5])
    assert not s.integer_steps
    assert s(10.5) == 0.5 and s(10.25) == 0.0 and s(15.5) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("schedules", "boundaries", "match"),
    [
        ([constant_schedule(1.0)] * 2, [], r"boundaries=\[\] is invalid for join_schedules: must hold "
                                            r"len\(schedules\) - 1 = 1 steps, got 0"),
        ([constant_schedule(1.0)] * 3, [10, 10], r"boundaries=\[10, 10\] is invalid .* strictly increasing"),
        ([constant_schedule(1.0)] * 2, [-1], r"boundaries\[0\]=-1 is invalid .* >= 0"),
        ([constant_schedule(1.0)] * 2, [2.5], r"boundaries\[0\]=2.5 is invalid .* integer"),
        ([], [], r"schedules=\[\] is invalid for join_schedules: must be a non-empty list of Schedule values"),
    ],
)
def test_join_validation(schedules, boundaries, match):
    with pytest.raises(ScheduleError, match=match):
        k.Join(schedules, boundaries)


@pytest.mark.parametrize(
    ("schedules", "boundaries", "match"),
    [
        ([lambda t: t, constant_schedule(1.0)], [1], r"schedules\[0\]=<function .* must be a Schedule"),
        ("abc", [], r"schedules='abc' \(type str\) is invalid for join_schedules: must be a non-empty list"),
        ([constant_schedule(1.0)] * 2, ["5"], r"boundaries\[0\]='5' \(type str\) is invalid .* a finite number"),
    ],
)
def test_join_wrong_types(schedules, boundaries, match):
    with pytest.raises(InvalidTypeError, match=match):
        k.Join(schedules, boundaries)


def test_lists_of_numbers_name_the_bad_item():
    from tunelab.schedules import PiecewiseConstantDecay

    assert PiecewiseConstantDecay([1, 2.5], [1, 2, 3]).boundaries == (1, 2.5)
    with pytest.raises(InvalidTypeError, match=r"values\[1\]='a' \(type str\) is invalid for PiecewiseConstantDecay: "
                                               r"must be a finite number"):
        PiecewiseConstantDecay([1], [1, "a"])
    with pytest.raises(InvalidTypeError, match=r"values=3 \(type int\) is invalid for PiecewiseConstantDecay: must be "
                                               r"a list of finite numbers"):
        PiecewiseConstantDecay([1], 3)
    with pytest.raises(ScheduleError, match=r"values\[0\]=nan is invalid for PiecewiseConstantDecay"):
        PiecewiseConstantDecay([1], [float("nan"), 1.0])
