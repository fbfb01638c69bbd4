"""The Schedule value contract, run over every registered family: repr, equality, hashing, pickling,
config round trip (object and JSON text), scalar/array evaluation and step validation."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from tunelab.schedules import (
    Schedule,
    ScheduleError,
    _keras,
    _kernel,
    _optax,
    _optax_composite,
    _own,
    _transformers,
    schedule_families,
)
from tunelab.schedules import constant_schedule as _const
from tunelab.schedules import linear_schedule as _lin

_SGDR = [{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2, "decay_steps": 10}] * 2

# one value per family, built from its config so that the family name is what is exercised
EXAMPLES = {
    "ExponentialDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9, staircase=True),
    "PiecewiseConstantDecay": dict(boundaries=[5, 10], values=[0.3, 0.2, 0.1]),
    "PolynomialDecay": dict(initial_learning_rate=0.1, decay_steps=10, cycle=True),
    "InverseTimeDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "CosineDecay": dict(initial_learning_rate=0.0, decay_steps=10, warmup_target=0.1, warmup_steps=3),
    "CosineDecayRestarts": dict(initial_learning_rate=0.1, first_decay_steps=5, t_mul=1.5),
    "constant_schedule": dict(value=0.1),
    "linear_schedule": dict(init_value=0.0, end_value=0.1, transition_steps=10),
    "polynomial_schedule": dict(init_value=0.1, end_value=0.0, power=2.0, transition_steps=10),
    "exponential_decay": dict(init_value=0.1, transition_steps=5, decay_rate=0.5, end_value=0.01),
    "cosine_decay_schedule": dict(init_value=0.1, decay_steps=10),
    "piecewise_constant_schedule": dict(init_value=0.1, boundaries_and_scales={5: 0.5}),
    "piecewise_interpolate_schedule": dict(interpolate_type="cosine", init_value=0.1,
                                           boundaries_and_scales={5: 2.0, 9: 0.1}),
    "linear_onecycle_schedule": dict(transition_steps=20, peak_value=0.1),
    "cosine_onecycle_schedule": dict(transition_steps=20, peak_value=0.1),
    "warmup_cosine_decay_schedule": dict(init_value=0.0, peak_value=0.1, warmup_steps=3, decay_steps=13),
    "warmup_exponential_decay_schedule": dict(init_value=0.0, peak_value=0.1, warmup_steps=3,
                                              transition_steps=4, decay_rate=0.5),
    "join_schedules": dict(schedules=[_const(0.1), _lin(0.1, 0.0, 10)], boundaries=[4]),
    "sgdr_schedule": dict(cosine_kwargs=_SGDR),
    "get_constant_schedule_with_warmup": dict(base_lr=0.1, num_warmup_steps=3),
    "get_linear_schedule_with_warmup": dict(base_lr=0.1, num_warmup_steps=3, num_training_steps=13),
    "get_cosine_schedule_with_warmup": dict(base_lr=0.1, num_warmup_steps=3, num_training_steps=13),
    "get_cosine_with_hard_restarts_schedule_with_warmup": dict(base_lr=0.1, num_warmup_steps=3,
                                                               num_training_steps=13, num_cycles=2),
    "get_polynomial_decay_schedule_with_warmup": dict(base_lr=0.1, num_warmup_steps=3, num_training_steps=13),
    "get_inverse_sqrt_schedule": dict(base_lr=0.1, num_warmup_steps=3),
    "get_wsd_schedule": dict(base_lr=0.1, num_warmup_steps=3, num_decay_steps=5, num_training_steps=13),
    "WarmupStableDecay": dict(peak_lr=0.1, total_steps=20, warmup_steps=3, decay_fraction=0.25),
    "warmup": dict(schedule=_const(0.1), steps=4, start=0.01),
}

# the PyTorch families (owned and tested elsewhere) run through the same contract
_TORCH = {
    "StepLR": dict(base_lr=0.1, step_size=5),
    "MultiStepLR": dict(base_lr=0.1, milestones=[5, 9]),
    "ConstantLR": dict(base_lr=0.1),
    "LinearLR": dict(base_lr=0.1),
    "ExponentialLR": dict(base_lr=0.1, gamma=0.9),
    "PolynomialLR": dict(base_lr=0.1, total_iters=10),
    "CosineAnnealingLR": dict(base_lr=0.1, T_max=10),
    "CosineAnnealingWarmRestarts": dict(base_lr=0.1, T_0=5, T_mult=2),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    "OneCycleLR": dict(max_lr=0.1, total_steps=2**53),  # it refuses steps past total_steps
}
_NESTED = {
    "SequentialLR": lambda f: dict(schedulers=[f["StepLR"](0.1, 5), f["ExponentialLR"](0.1, 0.9)], milestones=[7]),
    "ChainedScheduler": lambda f: dict(schedulers=[f["StepLR"](0.1, 5), f["ExponentialLR"](0.1, 0.9)]),
}

MINE = (_keras, _kernel, _optax, _optax_composite, _own, _transformers)


def _example(family: str) -> Schedule:
    families = schedule_families()
    if family in _NESTED:
        args = _NESTED[family](families)
    else:
        args = EXAMPLES.get(family, _TORCH.get(family))
    if args is None:
        pytest.skip(f"{family} has no example here; its owner's tests cover it")
    try:
        return families[family](**args)
    except (TypeError, ValueError) as exc:  # another owner's signature changed
        pytest.skip(f"{family} example no longer fits its signature: {exc}")


def test_every_family_of_these_modules_has_an_example():
    mine = {name for name, cls in schedule_families().items()
            if any(cls.__module__ == m.__name__ for m in MINE)}
    assert mine == set(EXAMPLES)


@pytest.mark.parametrize("family", sorted(schedule_families()))
def test_value_semantics(family):
    s = _example(family)
    assert repr(s).startswith(f"{family}(")
    again = Schedule.from_config(s.to_config())
    assert again == s and hash(again) == hash(s) and repr(again) == repr(s)
    assert Schedule.from_config(json.dumps(s.to_config())) == s
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(dataclasses_frozen_error()):
        s.family_argument = 1  # frozen
    steps = np.arange(0, 40)
    values = s(steps)
    assert values.dtype == np.float64 and values.shape == steps.shape
    assert isinstance(s(7), float) and s(7) == values[7]
    assert s(steps.reshape(4, 10)).shape == (4, 10) and s(np.array([], dtype=int)).shape == (0,)
    assert np.array_equal(s(np.array([3, 3, 1])), [values[3], values[3], values[1]])
    assert np.isfinite(s(2**53))


@pytest.mark.parametrize("family", sorted(schedule_families()))
def test_step_validation(family):
    s = _example(family)
    with pytest.raises(ValueError, match=r"step=-1 is invalid for .*: must be non-negative"):
        s(-1)
    with pytest.raises(ValueError, match=r"must be at most 2\*\*53"):
        s(2**53 + 2)
    with pytest.raises(ValueError, match=r"must be finite"):
        s(float("nan"))
    with pytest.raises(TypeError, match=r"step=True .* is invalid"):
        s(True)
    if s.integer_steps:
        with pytest.raises(ValueError, match=r"step=0.5 is invalid for .*: must be an integer"):
            s(0.5)
    else:
        assert np.isfinite(s(0.5))


def test_unknown_family_and_bad_configs():
    with pytest.raises(ScheduleError, match=r"family='NoSuchDecay' is invalid: must be one of"):
        Schedule.from_config({"family": "NoSuchDecay", "args": {}})
    with pytest.raises(ScheduleError, match=r"config=\[\] is invalid: must be a mapping"):
        Schedule.from_config([])
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'bad'"):
        Schedule.from_config({"family": "ExponentialDecay", "args": {"initial_learning_rate": 0.1, "bad": 1}})


def test_type_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"decay_steps='10' \(type str\) is invalid for ExponentialDecay"):
        schedule_families()["ExponentialDecay"](0.1, "10", 0.9)


def dataclasses_frozen_error():
    import dataclasses

    return (dataclasses.FrozenInstanceError, AttributeError)
