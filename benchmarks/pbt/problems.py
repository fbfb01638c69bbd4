"""The digits MLP and CNN of ``benchmarks/pruning/problems.py`` as PBT members and static trials.

Data: scikit-learn's bundled digits, the pruning benchmark's split (1200 training images, the
other 597 split here into 300 for validation, which every method selects on, and 297 held out as
a test set no method sees). One epoch is 16 SGD-with-momentum (0.9) steps on mini-batches of 75,
drawn in an order seeded per run. Searched: the learning rate (log [1e-3, 1]) and the weight decay
(log [1e-6, 1e-2]). Every function here is module-level so worker processes can import it.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import torch

import tunelab
from benchmarks.pruning.problems import data, model

EPOCHS = 20
STEPS_PER_EPOCH = 16
BATCH = 75
DIVERGED = 10.0  # the loss recorded for a run whose loss is not finite
LR = (1e-3, 1.0)
WD = (1e-6, 1e-2)


def split() -> tuple[torch.Tensor, ...]:
    xt, yt, xr, yr = data(0)
    return xt, yt, xr[:300], yr[:300], xr[300:], yr[300:]


def evaluate(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        loss = float(torch.nn.functional.cross_entropy(net(x), y))
    return loss if math.isfinite(loss) else DIVERGED


def train_epoch(net, opt, epoch: int, rate, generator: torch.Generator) -> None:
    xt, yt, *_ = split()
    order = torch.randperm(len(yt), generator=generator)
    for b in range(STEPS_PER_EPOCH):
        for group in opt.param_groups:
            group["lr"] = rate(epoch * STEPS_PER_EPOCH + b)
        idx = order[b * BATCH:(b + 1) * BATCH]
        loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def start(problem: str, lr: float, wd: float, seed: int) -> tuple[torch.nn.Module, torch.optim.SGD, torch.Generator]:
    """A fresh run seeded by ``seed``: the model, its SGD (momentum 0.9) and the batch-order generator."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    net = model(problem)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
    return net, opt, torch.Generator().manual_seed(seed)


# -- PBT --------------------------------------------------------------------------------------------


def _pbt_train(problem: str, member, state):
    lr = member.trial.suggest_float("lr", *LR, log=True)
    wd = member.trial.suggest_float("weight_decay", *WD, log=True)
    net, opt, generator = start(problem, lr, wd, member.seed)
    if state is not None:
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        for group in opt.param_groups:  # load_state_dict brought the donor's values back
            group["weight_decay"] = wd
    _, _, xv, yv, *_ = split()
    val = DIVERGED
    for epoch in member.units:
        train_epoch(net, opt, epoch, member.lr, generator)
        val = evaluate(net, xv, yv)
        member.report(val, epoch)
        if val >= DIVERGED:
            break
    return val, {"model": net.state_dict(), "opt": opt.state_dict()}


def pbt_train(problem: str):
    """``train(member, state)`` for :class:`tunelab.pbt.PopulationBasedTraining` on ``problem``."""
    return functools.partial(_pbt_train, problem)


def save(state, path: Path) -> None:
    torch.save(state, Path(path) / "state.pt")


def load(path: Path):
    return torch.load(Path(path) / "state.pt", weights_only=True)


def test_loss(problem: str, checkpoint: Path) -> float:
    net = model(problem)
    net.load_state_dict(load(checkpoint)["model"])
    *_, xs, ys = split()
    return evaluate(net, xs, ys)


# -- static search ------------------------------------------------------------------------------------


def _static(problem: str, seed: int, schedule_space, trial) -> float:
    """One static configuration trained ``EPOCHS`` epochs (constant rate, or a searched schedule)."""
    if schedule_space is None:
        lr = trial.suggest_float("lr", *LR, log=True)
        rate = tunelab.schedules.constant_schedule(lr)
    else:
        rate = trial.suggest_schedule("lr", schedule_space, total_steps=EPOCHS * STEPS_PER_EPOCH)
    wd = trial.suggest_float("weight_decay", *WD, log=True)
    net, opt, generator = start(problem, float(rate(0)), wd, seed * 100_003 + trial.number)
    _, _, xv, yv, *_ = split()
    val = DIVERGED
    for epoch in range(EPOCHS):
        train_epoch(net, opt, epoch, rate, generator)
        val = evaluate(net, xv, yv)
        trial.report(val, epoch)
        if val >= DIVERGED:
            break
        if trial.should_prune():
            raise tunelab.TrialPruned()
    trial.set_user_attr("test_loss", evaluate(net, *split()[4:]))
    return val


def static_objective(problem: str, seed: int, schedule_space=None):
    return functools.partial(_static, problem, seed, schedule_space)
