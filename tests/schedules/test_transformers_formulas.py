"""The transformers families against transformers' documented formulas, written out here in plain
Python, at the boundaries of every phase; and the space's transformers families against the
factories they name (``num_warmup_steps = ceil(warmup_ratio * total_steps)``, as transformers'
Trainer computes it).

The multiplier ``lr_lambda(k)`` of each factory is applied to ``base_lr`` after ``k`` scheduler steps.
"""

from __future__ import annotations

import math

import pytest

import tunelab
from tunelab import schedules
from tunelab.schedules import (
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_cosine_with_hard_restarts_schedule_with_warmup,
    get_linear_schedule_with_warmup,
    get_polynomial_decay_schedule_with_warmup,
    get_wsd_schedule,
)


def _warm(k, w):
    return k / max(1, w)


def ref_constant(k, *, w):
    return _warm(k, w) if k < w else 1.0


def ref_linear(k, *, w, n):
    return _warm(k, w) if k < w else max(0.0, (n - k) / max(1, n - w))


def ref_cosine(k, *, w, n, cycles=0.5):
    if k < w:
        return _warm(k, w)
    p = (k - w) / max(1, n - w)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * cycles * 2.0 * p)))


def ref_hard_restarts(k, *, w, n, cycles=1):
    if k < w:
        return _warm(k, w)
    p = (k - w) / max(1, n - w)
    if p >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((cycles * p) % 1.0))))


def ref_polynomial(k, *, w, n, lr_init, lr_end=1e-7, power=1.0):
    if k < w:
        return _warm(k, w)
    if k > n:
        return lr_end / lr_init
    return ((lr_init - lr_end) * (1 - (k - w) / (n - w)) ** power + lr_end) / lr_init


def ref_wsd(k, *, w, s, d, warmup_type="linear", decay_type="cosine", r=0.0, cycles=0.5):
    if k < w:
        p = k / max(1, w)
        f = {"linear": p, "cosine": 0.5 * (1.0 - math.cos(math.pi * p)), "1-sqrt": 1.0 - math.sqrt(1.0 - p)}
        return max(0.0, f[warmup_type] * (1.0 - r) + r)
    if k < w + s:
        return 1.0
    if k < w + s + d:
        p = (k - w - s) / max(1, d)
        f = {"linear": 1.0 - p, "cosine": 0.5 * (1.0 + math.cos(math.pi * cycles * 2.0 * p)),
             "1-sqrt": 1.0 - math.sqrt(p)}
        return max(0.0, f[decay_type] * (1.0 - r) + r)
    return r


def _steps(*edges):
    """Every edge, its neighbours, the halfway points and far beyond (0 included)."""
    out = {0, 1, 10**6}
    for e in edges:
        out |= {e - 1, e, e + 1, 2 * e}
    for a, b in zip(edges, edges[1:]):
        out.add((a + b) // 2)
    return sorted(k for k in out if k >= 0)


BASE = 3e-3
CASES = [
    (get_constant_schedule_with_warmup(BASE, 10), lambda k: ref_constant(k, w=10), (10,)),
    (get_constant_schedule_with_warmup(BASE, 0), lambda k: ref_constant(k, w=0), (0,)),
    (get_linear_schedule_with_warmup(BASE, 10, 110), lambda k: ref_linear(k, w=10, n=110), (10, 110)),
    (get_linear_schedule_with_warmup(BASE, 7, 7), lambda k: ref_linear(k, w=7, n=7), (7,)),
    (get_cosine_schedule_with_warmup(BASE, 10, 110), lambda k: ref_cosine(k, w=10, n=110), (10, 110, 210)),
    (get_cosine_schedule_with_warmup(BASE, 3, 50, num_cycles=1.5),
     lambda k: ref_cosine(k, w=3, n=50, cycles=1.5), (3, 50)),
    (get_cosine_with_hard_restarts_schedule_with_warmup(BASE, 10, 110, num_cycles=4),
     lambda k: ref_hard_restarts(k, w=10, n=110, cycles=4), (10, 35, 60, 85, 110)),
    (get_cosine_with_hard_restarts_schedule_with_warmup(BASE, 0, 3, num_cycles=3),
     lambda k: ref_hard_restarts(k, w=0, n=3, cycles=3), (1, 2, 3)),
    (get_polynomial_decay_schedule_with_warmup(BASE, 10, 110, lr_end=1e-5, power=2.0),
     lambda k: ref_polynomial(k, w=10, n=110, lr_init=BASE, lr_end=1e-5, power=2.0), (10, 110)),
    (get_polynomial_decay_schedule_with_warmup(BASE, 0, 1), lambda k: ref_polynomial(k, w=0, n=1, lr_init=BASE),
     (1,)),
    (get_wsd_schedule(BASE, 10, 30, num_training_steps=100),
     lambda k: ref_wsd(k, w=10, s=60, d=30), (10, 70, 100)),
    (get_wsd_schedule(BASE, 4, 8, num_stable_steps=20, warmup_type="1-sqrt", decay_type="1-sqrt", min_lr_ratio=0.1),
     lambda k: ref_wsd(k, w=4, s=20, d=8, warmup_type="1-sqrt", decay_type="1-sqrt", r=0.1), (4, 24, 32)),
    (get_wsd_schedule(BASE, 5, 10, num_training_steps=15, warmup_type="cosine", decay_type="linear"),
     lambda k: ref_wsd(k, w=5, s=0, d=10, warmup_type="cosine", decay_type="linear"), (5, 15)),
    (get_wsd_schedule(BASE, 0, 0, num_training_steps=3), lambda k: ref_wsd(k, w=0, s=3, d=0), (3,)),
]


@pytest.mark.parametrize(("schedule", "reference", "edges"), CASES, ids=lambda c: getattr(c, "family", ""))
def test_values_match_the_documented_formulas_at_every_boundary(schedule, reference, edges):
    for k in _steps(*edges):
        assert schedule(k) == pytest.approx(BASE * reference(k), rel=1e-12, abs=1e-18), k


@pytest.mark.parametrize(("schedule", "reference", "edges"), CASES, ids=lambda c: getattr(c, "family", ""))
def test_values_match_transformers_itself_when_installed(schedule, reference, edges):
    transformers = pytest.importorskip("transformers", reason="transformers is not installed: the formulas above "
                                       "and test_golden check these families")
    torch = pytest.importorskip("torch")
    args = dict(schedule.to_config()["args"])
    base_lr = args.pop("base_lr")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    scheduler = getattr(transformers, schedule.family)(optimizer, **args)
    last = max(k for k in _steps(*edges) if k < 10**6)
    for k in range(last + 1):
        assert schedule(k) == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-9, abs=1e-18), k
        optimizer.step()
        scheduler.step()


TRANSFORMERS_FAMILIES = ["get_constant_schedule_with_warmup", "get_linear_schedule_with_warmup",
                         "get_cosine_schedule_with_warmup", "get_cosine_with_hard_restarts_schedule_with_warmup",
                         "get_polynomial_decay_schedule_with_warmup", "get_wsd_schedule"]


def _factory_call(family: str, params: dict, t: int):
    """The transformers factory call a Trainer would make for these space parameters and horizon ``t``."""
    arg = lambda a: params[f"lr.{family}.{a}"]  # noqa: E731
    lr = arg("initial")
    w = min(math.ceil(arg("warmup_ratio") * t), t)
    if family == "get_constant_schedule_with_warmup":
        return get_constant_schedule_with_warmup(lr, w)
    if family == "get_linear_schedule_with_warmup":
        return get_linear_schedule_with_warmup(lr, w, t)
    if family == "get_cosine_schedule_with_warmup":
        return get_cosine_schedule_with_warmup(lr, w, t, num_cycles=0.5)
    if family == "get_cosine_with_hard_restarts_schedule_with_warmup":
        return get_cosine_with_hard_restarts_schedule_with_warmup(lr, w, t, num_cycles=arg("num_cycles"))
    if family == "get_polynomial_decay_schedule_with_warmup":
        return get_polynomial_decay_schedule_with_warmup(lr, min(w, t - 1), t, lr_end=lr * arg("lr_end_ratio"),
                                                         power=arg("power"))
    return get_wsd_schedule(lr, w, min(math.ceil(arg("decay_ratio") * t), t - w), num_training_steps=t,
                            decay_type=arg("decay_type"), min_lr_ratio=arg("min_lr_ratio"))


@pytest.mark.parametrize("total_steps", [1, 2, 5, 97, 1000])
def test_the_space_builds_the_factories_transformers_trainer_would(total_steps):
    space = schedules.space(families=TRANSFORMERS_FAMILIES, total_steps=total_steps)
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=total_steps))
    seen = set()
    for _ in range(60):
        trial = study.ask()
        built = trial.suggest_schedule("lr", space)
        study.tell(trial, 0.0)
        family = trial.params["lr.family"]
        seen.add(family)
        assert built == _factory_call(family, trial.params, total_steps)
    assert seen == set(TRANSFORMERS_FAMILIES)


def test_the_warmup_rounds_up_as_transformers_trainer_does():
    space = schedules.space(families=["get_linear_schedule_with_warmup"], initial=0.1,
                            args={"get_linear_schedule_with_warmup": {"warmup_ratio": 0.1}})
    trial = tunelab.trial.FixedTrial({"lr.family": "get_linear_schedule_with_warmup"})
    assert space.suggest(trial, "lr", total_steps=95).num_warmup_steps == 10  # ceil(9.5)
    assert space.suggest(trial, "lr", total_steps=2).num_warmup_steps == 1  # ceil(0.2)
