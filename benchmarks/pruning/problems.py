"""Learning-rate-schedule problems on scikit-learn's digits (8x8 images): an MLP and a small CNN.

One epoch is ``steps_per_epoch`` SGD-with-momentum steps on fixed mini-batches that split the 1200
training images evenly (default ``STEPS_PER_EPOCH``); the resource is epochs. For one
configuration (a schedule drawn from a tunelab schedule space) :func:`curves` returns every
signal the pruning benchmark compares, from runs sharing one initialisation:

- ``full[e]``: validation loss after epoch ``e`` of the full run (schedule over ``MAX_EPOCHS``);
- ``probe[r]``: at rung epoch ``r`` of the full run, the loss after a cooldown probe
  (:func:`tunelab.integrations.torch_pruning.cooldown_probe`), the run then continuing unchanged;
- ``rescaled[r]``: the loss of a fresh run of ``r`` epochs with the schedule rebuilt for ``r``
  epochs (budget-rescaled rung); ``rescaled_probe[r]``: the same run followed by a cooldown probe;
- ``branch[r]`` (wsd configurations, when ``curves`` is given ``branch``): at rung epoch ``r`` of
  the full run, the loss after the rates ``branch(rate_now, r)`` (the wsd decay compressed into
  ``decay_fraction * r`` epochs, :func:`wide.wsd_branch_rates`) on the upcoming batches, the run
  then continuing unchanged; ``branch_steps[r]`` its length.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.datasets import load_digits

from tunelab.integrations.torch_pruning import cooldown_probe, restore, snapshot

MAX_EPOCHS = 27
RUNGS = (1, 3, 9)
STEPS_PER_EPOCH = 16  # mini-batches of 75; the first tables of RESULTS.md used 4 (of 300)
PROBE = {"fraction": 0.25, "final_factor": 0.0, "shape": "sqrt", "min_steps": 2}
DIVERGED = 10.0  # loss recorded for a run whose loss is not finite

_DATA: dict[int, tuple[torch.Tensor, ...]] = {}


def data(seed: int) -> tuple[torch.Tensor, ...]:
    """Train/validation split of digits (1200/597), standardised, shuffled by ``seed``."""
    if seed not in _DATA:
        x, y = load_digits(return_X_y=True)
        order = np.random.default_rng(seed).permutation(len(y))
        x, y = x[order] / 16.0, y[order]
        mean, std = x[:1200].mean(0), x[:1200].std(0) + 1e-3
        x = (x - mean) / std
        t = torch.tensor(x, dtype=torch.float32)
        lab = torch.tensor(y, dtype=torch.long)
        _DATA[seed] = (t[:1200], lab[:1200], t[1200:], lab[1200:])
    return _DATA[seed]


def model(problem: str) -> torch.nn.Module:
    if problem == "mlp":
        return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    if problem == "cnn":
        return torch.nn.Sequential(
            torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 6, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(96, 10))
    raise ValueError(problem)


class _Run:
    """One training run: model, optimizer, data and a step counter."""

    def __init__(self, problem: str, seed: int, init_seed: int, steps_per_epoch: int = STEPS_PER_EPOCH) -> None:
        self.xt, self.yt, self.xv, self.yv = data(seed)
        torch.manual_seed(init_seed)
        self.net = model(problem)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.0, momentum=0.9)
        self.steps_per_epoch = steps_per_epoch
        self.batches = torch.arange(1200).reshape(steps_per_epoch, -1)
        self.step = 0

    def batch(self, step: int) -> torch.Tensor:
        """The mini-batch of ``step``: the same ``steps_per_epoch`` fixed batches every epoch."""
        return self.batches[step % self.steps_per_epoch]

    def probe_step(self, n: int) -> int:
        """The step whose batch the ``n``-th step of a cooldown probe trains on (here: from the first)."""
        return n

    def train_step(self, lr: float | None = None, step: int | None = None) -> None:
        """One step at rate ``lr`` on the batch of ``step`` (default: the next training step, counted)."""
        if lr is not None:
            for g in self.opt.param_groups:
                g["lr"] = lr
        idx = self.batch(self.step if step is None else step)
        self.opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(self.net(self.xt[idx]), self.yt[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 10.0)
        self.opt.step()
        if step is None:
            self.step += 1

    def evaluate(self) -> float:
        with torch.no_grad():
            loss = float(torch.nn.functional.cross_entropy(self.net(self.xv), self.yv))
        return loss if math.isfinite(loss) and loss < DIVERGED else DIVERGED

    def epochs(self, schedule, n: int, at_end=None) -> None:
        for _ in range(n):
            for _ in range(self.steps_per_epoch):
                self.train_step(float(schedule(self.step)))
            if at_end is not None:
                at_end(self.step // self.steps_per_epoch)

    def probe(self) -> tuple[float, int]:
        """Cooled-down loss from the current state and the probe's number of steps."""
        count = [0]

        def step() -> None:
            self.train_step(step=self.probe_step(count[0]))
            count[0] += 1

        value = cooldown_probe(self.net, self.opt, train_step=step, evaluate=self.evaluate,
                               steps_so_far=self.step, **PROBE)
        return value, count[0]

    def branch(self, rates) -> float:
        """Loss after training on the upcoming batches at ``rates``; the state is restored after."""
        state = snapshot(self.net, self.opt)
        try:
            for i, lr in enumerate(rates):
                self.train_step(float(lr), step=self.step + i)
            return self.evaluate()
        finally:
            restore(state, self.net, self.opt)


def curves(problem: str, seed: int, index: int, build, steps_per_epoch: int = STEPS_PER_EPOCH,
           branch=None) -> dict:
    """Every signal of configuration ``index``; ``build(total_steps)`` returns its schedule and
    ``branch(rate_now, epoch)``, if given, the rates of its branch at a rung."""
    torch.set_num_threads(1)
    init_seed = seed * 100_003 + index
    out: dict = {"full": {}, "probe": {}, "rescaled": {}, "rescaled_probe": {}, "probe_steps": {}}
    if branch is not None:
        out["branch"], out["branch_steps"] = {}, {}
    run = _Run(problem, seed, init_seed, steps_per_epoch)
    full = build(MAX_EPOCHS * steps_per_epoch)

    def at_end(epoch: int) -> None:
        out["full"][epoch] = run.evaluate()
        if epoch in RUNGS:
            out["probe"][epoch], out["probe_steps"][epoch] = run.probe()
            if branch is not None:
                rates = branch(float(full(run.step - 1)), epoch)
                out["branch"][epoch], out["branch_steps"][epoch] = run.branch(rates), len(rates)

    run.epochs(full, MAX_EPOCHS, at_end)
    for r in RUNGS:
        short = _Run(problem, seed, init_seed, steps_per_epoch)
        short.epochs(build(r * steps_per_epoch), r)
        out["rescaled"][r] = short.evaluate()
        out["rescaled_probe"][r] = short.probe()[0]
    return out
