"""ReduceLROnPlateau: explicit state, identical to torch's step by step."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tunelab.schedules import PlateauState, ReduceLROnPlateau, ScheduleError

torch = pytest.importorskip("torch")

CONFIGS = [
    {},
    {"mode": "max"},
    {"factor": 0.5, "patience": 0},
    {"patience": 2, "cooldown": 3, "min_lr": 1e-3},
    {"threshold": 0.05, "threshold_mode": "abs", "patience": 1},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.0, "patience": 1, "factor": 0.3},
    {"factor": 0.0, "patience": 1, "min_lr": 0.01},
    {"eps": 0.05, "factor": 0.9, "patience": 0},
]


def metrics(seed, n=120):
    rng = np.random.default_rng(seed)
    drift = np.cumsum(rng.normal(0.0, 1.0, n)) * 0.1
    plateau = np.repeat(rng.normal(size=n // 10), 10)
    return (5.0 + drift + plateau).round(2).tolist()  # rounded: ties and exact repeats occur


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_torch_step_by_step(config, seed):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **config)
    controller = ReduceLROnPlateau(0.1, **config)
    state = controller.init()
    assert controller.value(state) == 0.1
    for metric in metrics(seed):
        reference.step(metric)
        state = controller.update(state, metric)
        assert controller.value(state) == opt.param_groups[0]["lr"]
        assert (state.best, state.num_bad_epochs, state.cooldown_counter, state.last_epoch) == (
            reference.best, reference.num_bad_epochs, reference.cooldown_counter, reference.last_epoch)


def test_state_is_explicit_immutable_and_serialisable():
    controller = ReduceLROnPlateau(1.0, factor=0.5, patience=0)
    first = controller.init()
    second = controller.update(first, 2.0)
    third = controller.update(second, 3.0)
    assert first == controller.init()  # update did not touch its input
    assert third.lr == 0.5
    for state in (first, third):
        assert PlateauState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    # resuming from a stored state continues exactly
    assert controller.trace([3.0, 3.0], state=third) == controller.trace([2.0, 3.0, 3.0, 3.0])[2:]
    assert ReduceLROnPlateau.from_config(json.loads(json.dumps(controller.to_config()))) == controller


def test_accepts_zero_dim_tensors():
    controller = ReduceLROnPlateau(1.0)
    assert controller.update(controller.init(), torch.tensor(0.5)).best == 0.5


@pytest.mark.parametrize("kwargs, message", [
    ({"factor": 1.0}, r"factor=1.0 is invalid for ReduceLROnPlateau: must be a number in \[0, 1\)"),
    ({"mode": "minimum"}, r"mode='minimum' is invalid for ReduceLROnPlateau: must be one of \['min', 'max'\]"),
    ({"threshold_mode": "relative"}, r"threshold_mode='relative' is invalid for ReduceLROnPlateau"),
    ({"patience": -1}, r"patience=-1 is invalid for ReduceLROnPlateau: must be an integer >= 0"),
    ({"patience": 1.5}, r"patience=1.5 is invalid for ReduceLROnPlateau: must be an integer"),
    ({"cooldown": -2}, r"cooldown=-2 is invalid for ReduceLROnPlateau"),
    ({"min_lr": -1e-3}, r"min_lr=-0.001 is invalid for ReduceLROnPlateau: must be a finite number >= 0"),
    ({"threshold": -0.1}, r"threshold=-0.1 is invalid for ReduceLROnPlateau"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ScheduleError, match=message):
        ReduceLROnPlateau(0.1, **kwargs)
    with pytest.raises(ScheduleError, match=r"base_lr=0 is invalid for ReduceLROnPlateau: must be a finite number > 0"):
        ReduceLROnPlateau(0)


def test_bad_metric():
    controller = ReduceLROnPlateau(0.1)
    with pytest.raises(ScheduleError, match=r"metric='low' is invalid for ReduceLROnPlateau: must be a number"):
        controller.update(controller.init(), "low")
