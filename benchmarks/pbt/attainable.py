"""How low a replay can land on average: the seed-averaged final validation loss of a grid of
fixed configurations on the PBT benchmark's problems.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pbt/attainable.py --problems cnn mlp

Every configuration of the grid (learning rate 0.01-1 on 11 log-spaced points x weight decay
1e-6-1e-1 on 7 points x constant / cosine decay to 0 / linear decay to 0 over the 20 epochs) is
trained from scratch under ``--seeds`` seeds (1000, 1001, ...; none of them a benchmark seed), as
a replay is. A replay of any schedule is one such training, so the lowest mean here is about the
best a replay can land at on average, whichever method chose the schedule; ``run.py``'s replay
check (the replays' mean within the PBT winners' mean +- one SD) is read against it. The lowest
of 231 means is itself chosen on noise, so the true floor is, if anything, a little higher.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.pbt import problems as pr  # noqa: E402

SHAPES = ("constant", "cosine", "linear")
RATES = tuple(float(r) for r in np.geomspace(0.01, 1.0, 11))
DECAYS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1)


def rate_of(shape: str, lr: float):
    from tunelab import schedules

    total = pr.EPOCHS * pr.STEPS_PER_EPOCH
    if shape == "constant":
        return schedules.constant_schedule(lr)
    if shape == "cosine":
        return schedules.cosine_decay_schedule(lr, total)
    return schedules.linear_schedule(lr, 0.0, total)


def final_loss(job: tuple[str, str, float, float, int]) -> float:
    """One configuration trained from scratch for the benchmark's 20 epochs: its final val loss."""
    problem, shape, lr, wd, seed = job
    rate = rate_of(shape, lr)
    net, opt, generator = pr.start(problem, lr, wd, seed)
    _, _, xv, yv, *_ = pr.split()
    for epoch in range(pr.EPOCHS):
        pr.train_epoch(net, opt, epoch, rate, generator)
    return pr.evaluate(net, xv, yv)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--problems", nargs="+", choices=("mlp", "cnn"), default=["cnn", "mlp"])
    p.add_argument("--seeds", type=int, default=6)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--top", type=int, default=5, help="configurations listed per problem")
    args = p.parse_args()
    configs = [(shape, lr, wd) for shape in SHAPES for lr in RATES for wd in DECAYS]
    for problem in args.problems:
        jobs = [(problem, *c, 1000 + s) for c in configs for s in range(args.seeds)]
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            losses = pool.map(final_loss, jobs, chunksize=8)
        per = {c: losses[i * args.seeds:(i + 1) * args.seeds] for i, c in enumerate(configs)}
        ranked = sorted(configs, key=lambda c: statistics.mean(per[c]))
        print(f"\n## {problem}: {len(configs)} configurations x {args.seeds} seeds, lowest mean final val loss\n")
        print("| schedule | lr | weight decay | mean | SD over seeds |\n|---|---|---|---|---|")
        for shape, lr, wd in ranked[:args.top]:
            v = per[(shape, lr, wd)]
            print(f"| {shape} | {lr:.3g} | {wd:.0e} | {statistics.mean(v):.4f} | {statistics.stdev(v):.4f} |")
        sds = [statistics.stdev(per[c]) for c in ranked[:20]]
        print(f"\nSD over seeds of one configuration, median over the 20 best: {statistics.median(sds):.4f}")


if __name__ == "__main__":
    main()
