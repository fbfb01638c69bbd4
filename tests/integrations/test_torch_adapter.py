"""tunelab.integrations.torch: a torch LRScheduler driven by a schedule, exact on resume, no warnings."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pytest

from tunelab import InvalidTypeError
from tunelab.schedules import (
    CosineAnnealingWarmRestarts,
    ExponentialDecay,
    LinearLR,
    OneCycleLR,
    ScheduleError,
    SequentialLR,
    StepLR,
)

torch = pytest.importorskip("torch")
adapter = pytest.importorskip("tunelab.integrations.torch")

WARMUP_COSINE = SequentialLR([LinearLR(0.1, 0.01, 1.0, 10), CosineAnnealingWarmRestarts(0.1, 20, 2, 1e-4)], [10])


def model_and_optimizer(lrs=(0.1,)):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    groups = [{"params": list(layer.parameters()), "lr": lr} for layer, lr in zip(model, lrs)]
    if len(lrs) == 1:
        groups = [{"params": list(model.parameters()), "lr": lrs[0]}]
    return model, torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def train(model, opt, sched, steps, seen):
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
        seen.append([g["lr"] for g in opt.param_groups])


def test_training_loop_follows_the_schedule_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model, opt = model_and_optimizer()
        sched = adapter.scheduler(opt, WARMUP_COSINE)
        assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
        seen = [[opt.param_groups[0]["lr"]]]
        train(model, opt, sched, 100, seen)
        assert sched.get_last_lr() == [seen[-1][0]]
        sched.get_lr()  # no "use get_last_lr" warning either
    assert np.array(seen)[:, 0].tolist() == WARMUP_COSINE(np.arange(101)).tolist()


def test_one_schedule_over_several_groups_keeps_their_ratios():
    _, opt = model_and_optimizer((0.2, 0.02))
    sched = adapter.scheduler(opt, StepLR(0.5, 3, 0.1))
    for k in range(1, 8):
        opt.step()
        sched.step()
        want = StepLR(0.5, 3, 0.1)(k)
        assert opt.param_groups[0]["lr"] == want
        assert opt.param_groups[1]["lr"] == pytest.approx(want / 10, rel=1e-15)


def test_one_schedule_per_group_gives_each_group_its_own():
    _, opt = model_and_optimizer((0.2, 0.02))
    schedules = [OneCycleLR(0.3, 50), ExponentialDecay(0.01, 10, 0.5)]
    sched = adapter.ScheduleLR(opt, schedules)
    seen = [[g["lr"] for g in opt.param_groups]]
    for _ in range(50):
        opt.step()
        sched.step()
        seen.append([g["lr"] for g in opt.param_groups])
    for g, s in enumerate(schedules):
        assert np.array(seen)[:, g].tolist() == [float(s(i)) for i in range(51)]
        # numpy's vectorised power may differ from its scalar one in the last bit
        np.testing.assert_allclose(np.array(seen)[:, g], s(np.arange(51)), rtol=4e-16, atol=0)


def test_resume_from_state_dict_is_exact_and_weights_only_loadable():
    model, opt = model_and_optimizer((0.1, 0.05))
    sched = adapter.scheduler(opt, WARMUP_COSINE)
    straight = []
    train(model, opt, sched, 60, straight)

    model, opt = model_and_optimizer((0.1, 0.05))
    sched = adapter.scheduler(opt, WARMUP_COSINE)
    resumed = []
    train(model, opt, sched, 25, resumed)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buffer)
    json.dumps(sched.state_dict())  # plain data only
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=True)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model2, opt2 = model_and_optimizer((0.7, 0.7))  # different lrs: the checkpoint must win
        sched2 = adapter.scheduler(opt2, StepLR(1.0, 1))  # different schedule: the checkpoint must win
        model2.load_state_dict(checkpoint["model"])
        opt2.load_state_dict(checkpoint["opt"])
        sched2.load_state_dict(checkpoint["sched"])
        assert sched2.last_epoch == 25 and sched2.schedules[0] == WARMUP_COSINE
        train(model2, opt2, sched2, 35, resumed)
    assert resumed == straight


def test_load_state_dict_sets_the_lrs_even_without_the_optimizer_state():
    _, opt = model_and_optimizer()
    sched = adapter.scheduler(opt, StepLR(0.1, 2, 0.5))
    for _ in range(5):
        opt.step()
        sched.step()
    _, opt2 = model_and_optimizer()
    sched2 = adapter.scheduler(opt2, StepLR(0.1, 2, 0.5))
    sched2.load_state_dict(sched.state_dict())
    assert opt2.param_groups[0]["lr"] == StepLR(0.1, 2, 0.5)(5) == sched2.get_last_lr()[0]


def test_bad_arguments():
    _, opt = model_and_optimizer((0.1, 0.01))
    with pytest.raises(ScheduleError, match=r"schedule list of length 1 is invalid: must hold one schedule per param group \(2\)"):
        adapter.ScheduleLR(opt, [StepLR(0.1, 2)])
    with pytest.raises(InvalidTypeError, match=r"schedule='cos' \(type str\) is invalid for ScheduleLR: must be a Schedule "
                                               r"or a non-empty list of Schedule values"):
        adapter.scheduler(opt, "cos")
    with pytest.raises(ScheduleError, match=r"schedule=\[StepLR\(.*\), 'cos'\] is invalid for ScheduleLR"):
        adapter.scheduler(opt, [StepLR(0.1, 2), "cos"])
    _, opt = model_and_optimizer((0.0, 0.01))
    with pytest.raises(ScheduleError, match=r"param group 0 lr=0.0 is invalid for one schedule over 2 groups"):
        adapter.scheduler(opt, StepLR(0.1, 2))


# --- stepping checked ---------------------------------------------------------------------------

def _stepped(*, twice=False, other=False, steps=6):
    """Steps of a ScheduleLR-driven SGD (with one mistake, or none); tunelab's warnings."""
    from tunelab.schedules import CosineDecay

    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=0.1)
    sched = adapter.scheduler(opt, CosineDecay(0.1, 12))
    extra = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9) if other else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            opt.step()
            sched.step()
            if twice:
                sched.step()
            if extra is not None:
                extra.step()
    return [str(c.message) for c in caught if str(c.message).startswith("tunelab:")]


def test_stepping_once_per_optimizer_step_warns_nothing():
    assert _stepped() == []


def test_stepping_twice_per_optimizer_step_warns_once_naming_the_fix():
    warned = _stepped(twice=True)
    assert len(warned) == 1
    assert "more than once per optimizer step" in warned[0]
    assert "Fix: call scheduler.step() exactly once per optimizer.step()" in warned[0]


def test_another_scheduler_on_the_optimizer_warns_once_naming_the_fix():
    warned = _stepped(other=True)
    assert len(warned) == 1
    assert "another scheduler on the same optimizer" in warned[0] and "remove the other" in warned[0]
