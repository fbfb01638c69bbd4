"""Parity of tunelab's PyTorch families with torch.optim.lr_scheduler (stepped for real, float64).

The value at step k must be the lr the optimizer holds after k calls of ``scheduler.step()``,
within 1e-9 relative (plus an absolute 1e-15 * base for values that should be 0).
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    Schedule,
    ScheduleError,
    SequentialLR,
    StepLR,
)

torch = pytest.importorskip("torch")
sched = torch.optim.lr_scheduler

GROUP_LRS = (0.1, 0.03, 1.7)


def optimizer(lrs=GROUP_LRS):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def stepped(make, n, lrs=GROUP_LRS):
    """lrs[k, g]: group g's lr after k calls of step(), for k = 0..n."""
    opt = optimizer(lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step() without optimizer.step(): irrelevant here
        s = make(opt)
        out = [[g["lr"] for g in opt.param_groups]]
        for _ in range(n):
            s.step()
            out.append([g["lr"] for g in opt.param_groups])
    return np.array(out, dtype=np.float64)


def assert_close(actual, expected, scale):
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-15 * scale)


def check_family(make_torch, make_tunelab, n, lrs=GROUP_LRS):
    expected = stepped(make_torch, n, lrs)
    steps = np.arange(n + 1)
    for g, lr in enumerate(lrs):
        schedule = make_tunelab(lr)
        assert_close(schedule(steps), expected[:, g], lr)
        assert schedule(int(steps[-1])) == pytest.approx(expected[-1, g], rel=1e-9, abs=1e-15 * lr)
        assert Schedule.from_config(schedule.to_config()) == schedule


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.97), (10, 1.5), (100, 0.3)])
def test_step_lr(step_size, gamma):
    check_family(lambda o: sched.StepLR(o, step_size, gamma), lambda lr: StepLR(lr, step_size, gamma), 350)


@pytest.mark.parametrize("milestones, gamma", [([3], 0.1), ([0, 5, 9], 0.5), ([2, 2, 8], 0.3), ([40, 41, 100], 2.0)])
def test_multistep_lr(milestones, gamma):
    check_family(lambda o: sched.MultiStepLR(o, milestones, gamma),
                 lambda lr: MultiStepLR(lr, milestones, gamma), 150)


@pytest.mark.parametrize("factor, total_iters", [(1 / 3, 5), (0.5, 1), (1.0, 4), (0.0, 3), (0.25, 100)])
def test_constant_lr(factor, total_iters):
    if factor == 0.0:  # torch divides by the factor at total_iters: compare the steps before it
        expected = stepped(lambda o: sched.ConstantLR(o, factor, total_iters), total_iters - 1)
        assert_close(ConstantLR(0.1, factor, total_iters)(np.arange(total_iters)), expected[:, 0], 0.1)
        assert ConstantLR(0.1, factor, total_iters)(total_iters) == 0.1
        return
    check_family(lambda o: sched.ConstantLR(o, factor, total_iters),
                 lambda lr: ConstantLR(lr, factor, total_iters), 130)


@pytest.mark.parametrize("start, end, total_iters",
                         [(1 / 3, 1.0, 5), (0.01, 1.0, 100), (1.0, 0.0, 10), (0.5, 0.2, 7), (1.0, 1.0, 3),
                          (0.2, 0.9, 1)])
def test_linear_lr(start, end, total_iters):
    check_family(lambda o: sched.LinearLR(o, start, end, total_iters),
                 lambda lr: LinearLR(lr, start, end, total_iters), total_iters + 40)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.999, 1.0, 1.01])
def test_exponential_lr(gamma):
    check_family(lambda o: sched.ExponentialLR(o, gamma), lambda lr: ExponentialLR(lr, gamma), 600)


@pytest.mark.parametrize("total_iters, power", [(5, 1.0), (1, 1.0), (50, 2.0), (30, 0.5), (10, 0.0), (200, 3.7)])
def test_polynomial_lr(total_iters, power):
    check_family(lambda o: sched.PolynomialLR(o, total_iters, power),
                 lambda lr: PolynomialLR(lr, total_iters, power), total_iters + 30)


@pytest.mark.parametrize("T_max, eta_min", [(1, 0.0), (2, 0.0), (10, 0.0), (10, 0.01), (97, 0.001), (500, 0.0)])
def test_cosine_annealing_lr_keeps_going_past_t_max(T_max, eta_min):
    check_family(lambda o: sched.CosineAnnealingLR(o, T_max, eta_min),
                 lambda lr: CosineAnnealingLR(lr, T_max, eta_min), 5 * T_max + 7)


@pytest.mark.parametrize("T_0, T_mult, eta_min", [(1, 1, 0.0), (5, 1, 0.001), (1, 2, 0.0), (3, 2, 0.01),
                                                  (2, 3, 0.0), (10, 4, 0.0)])
def test_cosine_annealing_warm_restarts(T_0, T_mult, eta_min):
    check_family(lambda o: sched.CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min),
                 lambda lr: CosineAnnealingWarmRestarts(lr, T_0, T_mult, eta_min), 700)


@pytest.mark.parametrize("up, down, mode, gamma", [(5, None, "triangular", 1.0), (3, 7, "triangular", 1.0),
                                                   (4, 2, "triangular2", 1.0), (1, 1, "triangular2", 1.0),
                                                   (6, None, "exp_range", 0.99), (2, 9, "exp_range", 0.9)])
def test_cyclic_lr(up, down, mode, gamma):
    # torch ignores the optimizer's lr and starts every group at base_lr: one group suffices
    expected = stepped(lambda o: sched.CyclicLR(o, 0.01, 0.3, up, down, mode, gamma), 400, lrs=(0.5,))
    schedule = CyclicLR(0.01, 0.3, up, down, mode, gamma)
    assert_close(schedule(np.arange(401)), expected[:, 0], 0.3)


@pytest.mark.parametrize("total, pct, strategy, three, div, final",
                         [(100, 0.3, "cos", False, 25.0, 1e4), (100, 0.3, "linear", False, 25.0, 1e4),
                          (37, 0.25, "cos", True, 10.0, 100.0), (50, 0.29, "linear", True, 25.0, 1e4),
                          (1000, 0.1, "cos", False, 5.0, 1e3), (7, 0.5, "cos", False, 25.0, 1e4)])
def test_one_cycle_lr(total, pct, strategy, three, div, final):
    expected = stepped(lambda o: sched.OneCycleLR(o, [1.0, 0.2], total, pct_start=pct, anneal_strategy=strategy,
                                                  three_phase=three, div_factor=div, final_div_factor=final),
                       total, lrs=(0.5, 0.5))
    for g, max_lr in enumerate([1.0, 0.2]):
        s = OneCycleLR(max_lr, total, pct, strategy, div, final, three)
        assert_close(s(np.arange(total + 1)), expected[:, g], max_lr)


def test_one_cycle_lr_refuses_steps_past_total_steps_like_torch():
    s = OneCycleLR(1.0, 100)
    with pytest.raises(ScheduleError, match=r"step=101.0 is invalid for OneCycleLR: must be at most total_steps=100"):
        s(np.arange(102))


# -- composition ------------------------------------------------------------------------------------

SEQUENCES = [
    (lambda o: [sched.LinearLR(o, 0.1, 1.0, 5), sched.ExponentialLR(o, 0.9)], [5],
     lambda lr: [LinearLR(lr, 0.1, 1.0, 5), ExponentialLR(lr, 0.9)]),
    (lambda o: [sched.ConstantLR(o, 0.5, 10), sched.CosineAnnealingLR(o, 20, 0.001)], [3],
     lambda lr: [ConstantLR(lr, 0.5, 10), CosineAnnealingLR(lr, 20, 0.001)]),
    (lambda o: [sched.LinearLR(o, 0.2, 1.0, 4), sched.StepLR(o, 3, 0.5), sched.CosineAnnealingWarmRestarts(o, 4, 2)],
     [4, 15], lambda lr: [LinearLR(lr, 0.2, 1.0, 4), StepLR(lr, 3, 0.5), CosineAnnealingWarmRestarts(lr, 4, 2)]),
    (lambda o: [sched.ExponentialLR(o, 0.5), sched.PolynomialLR(o, 10, 2.0)], [0],
     lambda lr: [ExponentialLR(lr, 0.5), PolynomialLR(lr, 10, 2.0)]),
    (lambda o: [sched.MultiStepLR(o, [2, 6], 0.1), sched.LinearLR(o, 1.0, 0.0, 8), sched.ConstantLR(o, 0.3, 2)],
     [8, 20], lambda lr: [MultiStepLR(lr, [2, 6], 0.1), LinearLR(lr, 1.0, 0.0, 8), ConstantLR(lr, 0.3, 2)]),
]


@pytest.mark.parametrize("make_torch, milestones, make_tunelab", SEQUENCES)
def test_sequential_lr(make_torch, milestones, make_tunelab):
    check_family(lambda o: sched.SequentialLR(o, make_torch(o), milestones),
                 lambda lr: SequentialLR(make_tunelab(lr), milestones), 60)


CHAINS = [
    (lambda o: [sched.ConstantLR(o, 0.1, 2), sched.ExponentialLR(o, 0.9)],
     lambda lr: [ConstantLR(lr, 0.1, 2), ExponentialLR(lr, 0.9)]),
    (lambda o: [sched.LinearLR(o, 0.1, 1.0, 10), sched.StepLR(o, 4, 0.5), sched.MultiStepLR(o, [7, 20], 0.3)],
     lambda lr: [LinearLR(lr, 0.1, 1.0, 10), StepLR(lr, 4, 0.5), MultiStepLR(lr, [7, 20], 0.3)]),
    (lambda o: [sched.PolynomialLR(o, 30, 2.0), sched.ConstantLR(o, 0.5, 5)],
     lambda lr: [PolynomialLR(lr, 30, 2.0), ConstantLR(lr, 0.5, 5)]),
]


@pytest.mark.parametrize("make_torch, make_tunelab", CHAINS)
def test_chained_scheduler(make_torch, make_tunelab):
    check_family(lambda o: sched.ChainedScheduler(make_torch(o)),
                 lambda lr: ChainedScheduler(make_tunelab(lr)), 60)


def test_sequential_lr_nested_round_trips_through_json():
    s = SequentialLR([LinearLR(0.1, 0.1, 1.0, 3), ChainedScheduler([StepLR(0.1, 2), ExponentialLR(0.1, 0.9)])], [3])
    import json

    assert Schedule.from_config(json.loads(json.dumps(s.to_config()))) == s


# -- large steps: exact integer arithmetic up to 2**53 -------------------------------------------------

BIG = 2**53


def test_step_boundaries_are_exact_near_2_53():
    size = 2**50 + 1
    s = StepLR(1.0, step_size=size, gamma=0.5)
    assert s([7 * size - 1, 7 * size, 7 * size + 1]).tolist() == [0.5**6, 0.5**7, 0.5**7]
    torch_value = stepped_closed_form(lambda o: sched.StepLR(o, size, 0.5), 7 * size - 1)
    assert torch_value == 0.5**6


def stepped_closed_form(make, k):
    """torch's own closed form at epoch k (its deprecated ``step(epoch)`` path)."""
    opt = optimizer((1.0,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = make(opt)
        s.step(k)
    return opt.param_groups[0]["lr"]


def test_multistep_and_exponential_at_large_steps_match_torch_closed_form():
    for k in [BIG - 1, BIG, 10**15 + 3]:
        assert MultiStepLR(1.0, [10**15, 10**15 + 3], 0.5)(k) == stepped_closed_form(
            lambda o: sched.MultiStepLR(o, [10**15, 10**15 + 3], 0.5), k)
        expected = stepped_closed_form(lambda o: sched.ExponentialLR(o, 1 - 1e-15), k)
        assert ExponentialLR(1.0, 1 - 1e-15)(k) == pytest.approx(expected, rel=1e-9)


def exact_raised_cosine(r, period):
    mpmath.mp.dps = 40
    return float((1 + mpmath.cos(mpmath.pi * r / period)) / 2)


def test_cosine_at_large_steps_is_exact():
    # torch's closed form loses the angle (pi * k / T_max in float) at such steps; the period is exact here
    s = CosineAnnealingLR(1.0, T_max=3)
    for k in [BIG, BIG - 1, BIG - 2, BIG - 3]:
        assert s(k) == pytest.approx(exact_raised_cosine(k % 6, 3), rel=1e-14, abs=1e-300)
    w = CosineAnnealingWarmRestarts(1.0, T_0=1, T_mult=2)  # restarts at 2**n - 1
    assert w(2**52 - 1) == 1.0
    assert w(2**52 - 2) == pytest.approx(exact_raised_cosine(2**51 - 1, 2**51), rel=1e-12)
    c = CyclicLR(0.0, 1.0, step_size_up=2**51, step_size_down=2**51 - 1)
    assert c([2**52 - 1, 2**52, 2**51, 2**51 + 1]).tolist() == [0.0, 1 / 2**51, 1.0, (2**51 - 2) / (2**51 - 1)]


# -- numerical accidents in torch: tunelab returns the intended value -----------------------------------


def test_warm_restarts_restart_step_is_base_lr_where_torch_step_epoch_log_lands_a_cycle_low():
    # restarts of T_0=1, T_mult=3 are at (3**n - 1) / 2; math.log(243, 3) = 4.999..., so torch's
    # step(epoch=121) takes the end of cycle 4 (eta_min) instead of the start of cycle 5
    assert math.log(243, 3) < 5
    torch_epoch_path = stepped_closed_form(lambda o: sched.CosineAnnealingWarmRestarts(o, 1, 3), 121)
    torch_step_path = stepped(lambda o: sched.CosineAnnealingWarmRestarts(o, 1, 3), 121, lrs=(1.0,))[-1, 0]
    ours = CosineAnnealingWarmRestarts(1.0, T_0=1, T_mult=3)(121)
    assert torch_epoch_path == 0.0
    assert ours == torch_step_path == 1.0


def test_long_cosine_near_its_minimum_is_accurate_where_torch_recursion_drifts():
    T = 20_000
    torch_lrs = stepped(lambda o: sched.CosineAnnealingLR(o, T), T - 1, lrs=(1.0,))[:, 0]
    ours = CosineAnnealingLR(1.0, T)(np.arange(T))
    exact = exact_raised_cosine(T - 1, T)
    assert ours[-1] == pytest.approx(exact, rel=1e-13)
    assert abs(torch_lrs[-1] / exact - 1) > 1e-9  # torch's recursive update has drifted here
    assert_close(ours[: T // 2], torch_lrs[: T // 2], 1.0)  # far from the minimum they agree


def test_constant_lr_with_factor_zero_returns_base_where_torch_divides_by_zero():
    with pytest.raises(ZeroDivisionError):
        stepped(lambda o: sched.ConstantLR(o, 0.0, 2), 2)
    assert ConstantLR(0.5, 0.0, 2).table(3) == [(0, 0.0), (1, 0.0), (2, 0.5)]


# -- bad input --------------------------------------------------------------------------------------

BAD = [
    (lambda: StepLR(0.1, 0), r"step_size=0 is invalid for StepLR: must be an integer >= 1"),
    (lambda: StepLR(0.1, 2.5), r"step_size=2.5 is invalid for StepLR: must be an integer"),
    (lambda: StepLR(-0.1, 3), r"base_lr=-0.1 is invalid for StepLR: must be a finite number > 0"),
    (lambda: StepLR(0.1, 3, gamma=0.0), r"gamma=0.0 is invalid for StepLR: must be a finite number > 0"),
    (lambda: ExponentialLR(0.0, 0.9), r"base_lr=0.0 is invalid for ExponentialLR: must be a finite number > 0"),
    (lambda: MultiStepLR(0.1, [5, 3]), r"milestones=\[5, 3\] is invalid for MultiStepLR: must be sorted"),
    (lambda: MultiStepLR(0.1, [-1]), r"milestones\[0\]=-1 is invalid for MultiStepLR: must be an integer >= 0"),
    (lambda: ConstantLR(0.1, 1.5), r"factor=1.5 is invalid for ConstantLR: must be a number in \[0, 1\]"),
    (lambda: ConstantLR(0.1, 0.5, 0), r"total_iters=0 is invalid for ConstantLR: must be an integer >= 1"),
    (lambda: LinearLR(0.1, 0.0), r"start_factor=0.0 is invalid for LinearLR: must be a number in \(0, 1\]"),
    (lambda: LinearLR(0.1, total_iters=-2), r"total_iters=-2 is invalid for LinearLR"),
    (lambda: PolynomialLR(0.1, 0), r"total_iters=0 is invalid for PolynomialLR: must be an integer >= 1"),
    (lambda: PolynomialLR(0.1, 5, -1.0), r"power=-1.0 is invalid for PolynomialLR: must be a finite number >= 0"),
    (lambda: CosineAnnealingLR(0.1, 0), r"T_max=0 is invalid for CosineAnnealingLR: must be an integer >= 1"),
    (lambda: CosineAnnealingLR(0.1, 10, -1e-3), r"eta_min=-0.001 is invalid for CosineAnnealingLR"),
    (lambda: CosineAnnealingWarmRestarts(0.1, 0), r"T_0=0 is invalid for CosineAnnealingWarmRestarts"),
    (lambda: CosineAnnealingWarmRestarts(0.1, 5, 0), r"T_mult=0 is invalid for CosineAnnealingWarmRestarts"),
    (lambda: CyclicLR(0.1, 1.0, 0), r"step_size_up=0 is invalid for CyclicLR: must be an integer >= 1"),
    (lambda: CyclicLR(0.1, 1.0, 5, 0), r"step_size_down=0 is invalid for CyclicLR"),
    (lambda: CyclicLR(0.1, 1.0, mode="exp"), r"mode='exp' is invalid for CyclicLR: must be one of \['triangular'"),
    (lambda: CyclicLR(0.1, 0.0), r"max_lr=0.0 is invalid for CyclicLR: must be a finite number > 0"),
    (lambda: OneCycleLR(1.0, 100, pct_start=1.0), r"pct_start=1.0 is invalid for OneCycleLR: must be a number in \(0, 1\)"),
    (lambda: OneCycleLR(1.0, 100, pct_start=0.0), r"pct_start=0.0 is invalid for OneCycleLR"),
    (lambda: OneCycleLR(1.0, 100, anneal_strategy="cosine"), r"anneal_strategy='cosine' is invalid for OneCycleLR: must be one of \['cos', 'linear'\]"),
    (lambda: OneCycleLR(1.0, 3), r"total_steps=3 is invalid for OneCycleLR: too small for its phases"),
    (lambda: OneCycleLR(1.0, 10, pct_start=0.6, three_phase=True), r"total_steps=10 is invalid for OneCycleLR: too small"),
    (lambda: OneCycleLR(1.0, 0), r"total_steps=0 is invalid for OneCycleLR: must be an integer >= 1"),
    (lambda: OneCycleLR(-1.0, 100), r"max_lr=-1.0 is invalid for OneCycleLR: must be a finite number > 0"),
    (lambda: SequentialLR([StepLR(0.1, 2), StepLR(0.1, 3)], []),
     r"milestones=\[\] is invalid for SequentialLR: must hold len\(schedulers\) - 1 = 1 steps, got 0"),
    (lambda: SequentialLR([StepLR(0.1, 2), StepLR(0.1, 3), StepLR(0.1, 3)], [5, 4]),
     r"milestones=\[5, 4\] is invalid for SequentialLR: must be strictly increasing"),
    (lambda: SequentialLR([], []), r"schedulers=\[\] is invalid for SequentialLR: must be a non-empty list"),
    (lambda: ChainedScheduler([StepLR(0.1, 2), CosineAnnealingLR(0.1, 10)]),
     r"schedulers item CosineAnnealingLR\(.*\) is invalid for ChainedScheduler: must be one of"),
    (lambda: ChainedScheduler([StepLR(0.1, 2), StepLR(0.2, 3)]),
     r"is invalid for ChainedScheduler: must share one base_lr"),
]


@pytest.mark.parametrize("make, message", BAD)
def test_bad_arguments_are_refused_with_a_clear_message(make, message):
    with pytest.raises(ScheduleError, match=message):
        make()


def test_wrong_types_are_type_errors():
    with pytest.raises(InvalidTypeError, match=r"schedulers\[1\]='cosine' \(type str\) is invalid for SequentialLR"):
        SequentialLR([StepLR(0.1, 2), "cosine"], [3])
    with pytest.raises(InvalidTypeError, match=r"step_size=True \(type bool\) is invalid for StepLR: must be an integer"):
        StepLR(0.1, True)


def test_non_integral_steps_are_refused():
    with pytest.raises(ValueError, match=r"step=2.5 is invalid for StepLR: must be an integer"):
        StepLR(0.1, 3)(2.5)
    with pytest.raises(ValueError, match=r"step=-1 is invalid for CyclicLR: must be non-negative"):
        CyclicLR(0.1, 1.0)(-1)


def test_integer_arguments_are_stored_as_int():
    assert StepLR(0.1, 3.0) == StepLR(0.1, 3)
    assert repr(StepLR(0.1, 3.0)) == "StepLR(base_lr=0.1, step_size=3, gamma=0.1)"
