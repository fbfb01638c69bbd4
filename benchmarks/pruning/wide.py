"""Wide problems: configurations that differ in everything, not only in the schedule.

The narrow problems of :mod:`problems` vary the learning-rate schedule alone, with one optimizer,
one batch size and one model size, so every configuration learns at a similar pace and a pruner
has little to gain or lose. Here each configuration also draws (tunelab's ``RandomSampler``):

- the peak learning rate (log-uniform; SGD 1e-3..1, Adam 1e-4..3e-2) and, for SGD, the momentum
  (0..0.99);
- the batch size (16..256, log): an epoch is ``max(1, round(n_train / batch_size))`` steps on a
  per-epoch shuffle of the training set split into that many nearly equal mini-batches, so the
  steps per epoch differ between configurations;
- the hidden width (16..256, log) and the weight decay (1e-6..1e-2, log; L2 added to the
  gradient, for SGD and Adam alike);
- one of seven schedule families from a tunelab schedule space: constant, exponential, step,
  cosine without warmup, warmup + cosine (transformers' cosine with a warmup of 0.1..0.4 of
  training), one_cycle and wsd.

A problem is ``wide-{mlp|cnn}-{sgd|adam}[-noisy]``; ``-noisy`` trains on half of the 1200 training
images with 20% of their labels replaced by random ones (validation stays clean). Per
configuration :func:`curves` records what :func:`problems.curves` does (``full``, ``probe``,
``rescaled``) and, for wsd configurations, ``branch[r]``: from the full run's state after epoch
``r`` (still before its decay, since ``decay_fraction <= 0.5`` and ``r <= 9 < 13.5``), the wsd
decay itself, compressed into ``decay_fraction * r`` epochs (its shape, down to its final rate),
evaluated and then undone, as warmup-stable-decay training branches off a cooldown.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

import tunelab
from benchmarks.pruning import problems
from benchmarks.pruning.problems import MAX_EPOCHS, RUNGS, data
from tunelab import schedules
from tunelab.pruners import NopPruner
from tunelab.samplers import RandomSampler

PROBLEMS = ("wide-cnn-adam", "wide-cnn-sgd", "wide-cnn-sgd-noisy", "wide-mlp-adam", "wide-mlp-sgd",
            "wide-mlp-sgd-noisy")
NOISE = 0.2  # fraction of the (halved) training labels replaced in a -noisy problem

_FAMILIES = ["constant", "exponential", "step", "cosine", "get_cosine_schedule_with_warmup", "one_cycle", "wsd"]
_ARGS = {"cosine": {"warmup_fraction": 0.0}, "get_cosine_schedule_with_warmup": {"warmup_ratio": (0.1, 0.4)}}
SPACES = {"sgd": schedules.space(families=_FAMILIES, initial=(1e-3, 1.0), args=_ARGS),
          "adam": schedules.space(families=_FAMILIES, initial=(1e-4, 3e-2), args=_ARGS)}


def optimizer_of(problem: str) -> str:
    return "adam" if "-adam" in problem else "sgd"


def suggest(trial, problem: str) -> None:
    """Draw one configuration of ``problem`` in ``trial`` (its parameters are the configuration)."""
    batch = trial.suggest_int("batch_size", 16, 256, log=True)
    trial.suggest_int("width", 16, 256, log=True)
    trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
    if optimizer_of(problem) == "sgd":
        trial.suggest_float("momentum", 0.0, 0.99)
    trial.suggest_schedule("lr", SPACES[optimizer_of(problem)],
                           total_steps=MAX_EPOCHS * steps_per_epoch(problem, batch))


def n_train(problem: str) -> int:
    return 600 if problem.endswith("-noisy") else 1200


def steps_per_epoch(problem: str, batch_size: int) -> int:
    return max(1, round(n_train(problem) / batch_size))


def build(problem: str, params: dict, epochs: int):
    """The configuration's schedule for ``epochs`` epochs of its own steps.

    Where a family cannot be built that short, the full-length schedule is compressed in time
    instead (as :func:`pool.build`)."""
    spe = steps_per_epoch(problem, params["batch_size"])
    space = SPACES[optimizer_of(problem)]
    try:
        return space.build(params, "lr", total_steps=epochs * spe)
    except schedules.ScheduleError:
        full_steps, total = MAX_EPOCHS * spe, epochs * spe
        full = space.build(params, "lr", total_steps=full_steps)
        return lambda step: full(step * full_steps // total)


def _train_data(problem: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    xt, yt, _, _ = data(seed)
    if not problem.endswith("-noisy"):
        return xt, yt
    n = n_train(problem)
    rng = np.random.default_rng([seed, 77])
    labels = yt[:n].clone()
    flip = rng.permutation(n)[: round(NOISE * n)]
    labels[flip] = torch.tensor(rng.integers(0, 10, size=len(flip)), dtype=torch.long)
    return xt[:n], labels


def model(problem: str, width: int) -> torch.nn.Module:
    nn = torch.nn
    if "-mlp-" in problem:
        return nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(128, width), nn.ReLU(), nn.Linear(width, 10))


class _Run(problems._Run):
    """One training run of a configuration: its model, optimizer, data order; the training steps,
    probes and branches are those of :class:`problems._Run`."""

    def __init__(self, problem: str, seed: int, init_seed: int, params: dict) -> None:
        self.xt, self.yt = _train_data(problem, seed)
        self.xv, self.yv = data(seed)[2:]
        self.seed = seed
        torch.manual_seed(init_seed)
        self.net = model(problem, params["width"])
        wd = params["weight_decay"]
        self.opt = (torch.optim.SGD(self.net.parameters(), lr=0.0, momentum=params["momentum"], weight_decay=wd)
                    if optimizer_of(problem) == "sgd" else
                    torch.optim.Adam(self.net.parameters(), lr=0.0, weight_decay=wd))
        self.steps_per_epoch = steps_per_epoch(problem, params["batch_size"])
        self.step = 0
        self._order: tuple[int, list[torch.Tensor]] | None = None

    def batch(self, step: int) -> torch.Tensor:
        """The mini-batch of ``step``: epoch ``step // spe``'s shuffle, split in ``spe`` parts."""
        epoch = step // self.steps_per_epoch
        if self._order is None or self._order[0] != epoch:
            perm = torch.from_numpy(np.random.default_rng([self.seed, epoch]).permutation(len(self.yt)))
            self._order = (epoch, list(torch.tensor_split(perm, self.steps_per_epoch)))
        return self._order[1][step % self.steps_per_epoch]

    def probe_step(self, n: int) -> int:
        """A probe trains on the upcoming batches."""
        return self.step + n


def wsd_branch_rates(params: dict, lr_now: float, epochs: int, spe: int) -> np.ndarray:
    """The rates of a wsd configuration's branch at rung ``epochs``: its own decay (shape, final
    rate ``final_ratio * peak``) from the current rate over ``round(decay_fraction * epochs * spe)``
    steps (at least one), built as a :class:`~tunelab.schedules.WarmupStableDecay` that is all decay."""
    n = max(1, round(params["lr.wsd.decay_fraction"] * epochs * spe))
    decay = schedules.WarmupStableDecay(lr_now, n, decay_steps=n, decay_shape=params["lr.wsd.decay_shape"],
                                        final_lr=params["lr.wsd.initial"] * params["lr.wsd.final_ratio"])
    return decay(np.arange(1, n + 1))  # the rate after each step of the decay; the last is the final rate


def curves(problem: str, seed: int, index: int, params: dict) -> dict:
    """Every signal of configuration ``index`` (parameters ``params``) of ``problem``'s pool ``seed``.

    Costs in steps are recorded with the steps per epoch (``spe``), so they convert to epochs."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    init_seed = seed * 100_003 + index
    out: dict = {"full": {}, "probe": {}, "rescaled": {}, "probe_steps": {}, "branch": {}, "branch_steps": {}}
    run = _Run(problem, seed, init_seed, params)
    spe = out["spe"] = run.steps_per_epoch
    full = build(problem, params, MAX_EPOCHS)
    wsd = params["lr.family"] == "wsd"

    def at_end(epoch: int) -> None:
        out["full"][epoch] = run.evaluate()
        if epoch in RUNGS:
            out["probe"][epoch], out["probe_steps"][epoch] = run.probe()
            if wsd:
                rates = wsd_branch_rates(params, float(full(run.step - 1)), epoch, spe)
                out["branch"][epoch], out["branch_steps"][epoch] = run.branch(rates), len(rates)

    run.epochs(full, MAX_EPOCHS, at_end)
    for r in RUNGS:
        short = _Run(problem, seed, init_seed, params)
        short.epochs(build(problem, params, r), r)
        out["rescaled"][r] = short.evaluate()
    out["seconds"] = round(time.perf_counter() - start, 3)
    return out


def configs(problem: str, seed: int, n: int) -> list[dict]:
    """``n`` configurations of ``problem`` drawn by tunelab's random sampler (parameters only)."""
    study = tunelab.create_study(sampler=RandomSampler(seed=seed), pruner=NopPruner())
    out = []
    for _ in range(n):
        trial = study.ask()
        suggest(trial, problem)
        study.tell(trial, 0.0)
        out.append(trial.params)
    return out


def load(problem: str, seed: int, cache: Path, n: int) -> list[dict]:
    """Training results of the pool's ``n`` configurations, computed once and appended row by row
    to ``cache/{problem}-seed{seed}-{n}.jsonl`` (an interrupted pool resumes where it stopped).

    Each row holds the curves of :func:`curves` with integer rung keys, and the costs in epochs
    ``probe_epochs[r]`` and, for wsd configurations, ``branch_epochs[r]``."""
    path = cache / f"{problem}-seed{seed}-{n}.jsonl"
    params = configs(problem, seed, n)
    done = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    if any(r["params"] != params[i] for i, r in enumerate(done)):
        raise RuntimeError(f"{path} holds other configurations than the sampler draws now: move it away")
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        for i in range(len(done), n):
            c = curves(problem, seed, i, params[i])
            row = {"params": params[i], **{k: ({str(e): v for e, v in c[k].items()} if isinstance(c[k], dict) else c[k])
                                           for k in c}}
            f.write(json.dumps(row) + "\n")
            f.flush()
            done.append(row)
    rows = []
    for r in done:
        row = {"params": r["params"], "spe": r["spe"], "seconds": r["seconds"],
               **{k: {int(e): v for e, v in r[k].items()} for k in r if k not in ("params", "spe", "seconds")}}
        row["probe_epochs"] = {e: s / row["spe"] for e, s in row["probe_steps"].items()}
        row["branch_epochs"] = {e: s / row["spe"] for e, s in row["branch_steps"].items()}
        rows.append(row)
    return rows
