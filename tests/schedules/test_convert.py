"""from_torch / from_keras give the tunelab value equal to the framework object."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tunelab import schedules as ts
from tunelab.schedules import ScheduleError, from_keras, from_torch

torch = pytest.importorskip("torch")
lrs = torch.optim.lr_scheduler


def optimizer(*group_lrs):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in group_lrs]
    return torch.optim.SGD(groups, lr=group_lrs[0], momentum=0.9)


CASES = [
    (lambda o: lrs.StepLR(o, 30, 0.5), ts.StepLR(0.1, 30, 0.5)),
    (lambda o: lrs.MultiStepLR(o, [9, 3, 3], 0.2), ts.MultiStepLR(0.1, [3, 3, 9], 0.2)),
    (lambda o: lrs.ConstantLR(o, 0.25, 4), ts.ConstantLR(0.1, 0.25, 4)),
    (lambda o: lrs.LinearLR(o, 0.1, 0.9, 7), ts.LinearLR(0.1, 0.1, 0.9, 7)),
    (lambda o: lrs.ExponentialLR(o, 0.97), ts.ExponentialLR(0.1, 0.97)),
    (lambda o: lrs.PolynomialLR(o, 50, 2.0), ts.PolynomialLR(0.1, 50, 2.0)),
    (lambda o: lrs.CosineAnnealingLR(o, 100, 1e-4), ts.CosineAnnealingLR(0.1, 100, 1e-4)),
    (lambda o: lrs.CosineAnnealingWarmRestarts(o, 10, 2, 1e-5), ts.CosineAnnealingWarmRestarts(0.1, 10, 2, 1e-5)),
    (lambda o: lrs.CyclicLR(o, 0.01, 0.2, 20, 30, "triangular2"), ts.CyclicLR(0.01, 0.2, 20, 30, "triangular2")),
    (lambda o: lrs.CyclicLR(o, 0.01, 0.2, 25, mode="exp_range", gamma=0.99),
     ts.CyclicLR(0.01, 0.2, 25, mode="exp_range", gamma=0.99)),
    (lambda o: lrs.OneCycleLR(o, 0.3, 1000), ts.OneCycleLR(0.3, 1000)),
    (lambda o: lrs.OneCycleLR(o, 0.1, 77, pct_start=0.29, anneal_strategy="linear", div_factor=7.0,
                              final_div_factor=300.0, three_phase=True),
     ts.OneCycleLR(0.1, 77, 0.29, "linear", 7.0, 300.0, True)),
    (lambda o: lrs.SequentialLR(o, [lrs.LinearLR(o, 0.1, 1.0, 5), lrs.CosineAnnealingLR(o, 95)], [5]),
     ts.SequentialLR([ts.LinearLR(0.1, 0.1, 1.0, 5), ts.CosineAnnealingLR(0.1, 95)], [5])),
    (lambda o: lrs.ChainedScheduler([lrs.ConstantLR(o, 0.5, 3), lrs.ExponentialLR(o, 0.9)]),
     ts.ChainedScheduler([ts.ConstantLR(0.1, 0.5, 3), ts.ExponentialLR(0.1, 0.9)])),
]


@pytest.mark.parametrize("make, expected", CASES)
def test_from_torch_gives_the_equal_family(make, expected):
    opt = optimizer(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(opt)
        converted = from_torch(scheduler)
        assert converted == expected
        seen = [opt.param_groups[0]["lr"]]
        for _ in range(60):
            scheduler.step()
            seen.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(converted(np.arange(61)), seen, rtol=1e-9, atol=1e-15)


def test_from_torch_uses_the_start_not_the_lr_reached():
    opt = optimizer(0.1)
    scheduler = lrs.StepLR(opt, 2, 0.5)
    for _ in range(5):
        opt.step()
        scheduler.step()
    assert from_torch(scheduler) == ts.StepLR(0.1, 2, 0.5)


def test_from_torch_several_param_groups_needs_a_group_index():
    opt = optimizer(0.1, 0.01)
    scheduler = lrs.ExponentialLR(opt, 0.9)
    with pytest.raises(ScheduleError, match=r"its 2 param groups follow different schedules.*pass group=<index>"):
        from_torch(scheduler)
    assert [from_torch(scheduler, group=i) for i in range(2)] == [ts.ExponentialLR(0.1, 0.9),
                                                                 ts.ExponentialLR(0.01, 0.9)]
    with pytest.raises(ScheduleError, match=r"group=2 is invalid for from_torch: must be an index in \[0, 2\)"):
        from_torch(scheduler, group=2)
    same = lrs.ExponentialLR(optimizer(0.1, 0.1), 0.9)
    assert from_torch(same) == ts.ExponentialLR(0.1, 0.9)


def test_from_torch_refuses_function_based_schedulers():
    with pytest.raises(ScheduleError, match=r"scheduler=LambdaLR is invalid for from_torch: must be one of"):
        from_torch(lrs.LambdaLR(optimizer(0.1), lambda k: 0.5**k))
    custom = lrs.CyclicLR(optimizer(0.1), 0.01, 0.1, scale_fn=lambda x: 1.0)
    with pytest.raises(ScheduleError, match=r"CyclicLR with a custom scale_fn is invalid for from_torch"):
        from_torch(custom)


def test_from_torch_reduce_on_plateau_gives_the_controller():
    controller = from_torch(lrs.ReduceLROnPlateau(optimizer(0.1), mode="max", factor=0.5, patience=2, min_lr=1e-4))
    assert controller == ts.ReduceLROnPlateau(0.1, mode="max", factor=0.5, patience=2, min_lr=1e-4)


class _FakeKeras:
    """Duck-typed stand-ins so from_keras is tested without keras (the adapter tests use the real one)."""

    def __init__(self, config):
        self.config = config

    def get_config(self):
        return dict(self.config)


def fake(name, **config):
    return type(name, (_FakeKeras,), {})(dict(config, name=name))


def test_from_keras_reads_get_config():
    assert from_keras(fake("CosineDecay", initial_learning_rate=0.1, decay_steps=100, alpha=0.0,
                           warmup_target=0.2, warmup_steps=10)) == ts.CosineDecay(
        0.1, 100, 0.0, warmup_target=0.2, warmup_steps=10)
    assert from_keras(fake("PiecewiseConstantDecay", boundaries=[10, 20], values=[1.0, 0.5, 0.1])) == (
        ts.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]))
    assert from_keras(fake("ExponentialDecay", initial_learning_rate=np.float32(0.5), decay_steps=10,
                           decay_rate=0.5, staircase=False)) == ts.ExponentialDecay(0.5, 10, 0.5)


def test_from_keras_refuses_unknown_classes_and_keys():
    with pytest.raises(ScheduleError, match=r"is invalid for from_keras: must be one of \['CosineDecay', 'CosineDecayRestarts', 'ExponentialDecay'"):
        from_keras(fake("WarmUp", initial_learning_rate=0.1))
    with pytest.raises(ScheduleError, match=r"config keys \['extra'\] of InverseTimeDecay are invalid"):
        from_keras(fake("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.5, extra=1))


def test_from_keras_with_real_keras():
    keras = pytest.importorskip("keras", reason="keras is not installed (extra 'keras')")
    ks = keras.optimizers.schedules
    for obj in [ks.ExponentialDecay(0.1, 1000, 0.96, staircase=True), ks.PolynomialDecay(0.1, 100, cycle=True),
                ks.CosineDecayRestarts(0.1, 50, t_mul=1.5, m_mul=0.8, alpha=0.01),
                ks.InverseTimeDecay(0.1, 10, 0.5)]:
        converted = from_keras(obj)
        for step in [0, 1, 49, 50, 51, 999, 1000, 1001, 5000]:
            assert converted(step) == pytest.approx(float(obj(step)), rel=2e-5)  # keras computes in float32
