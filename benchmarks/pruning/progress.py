"""Trials with different horizons: compare at the same raw epoch, or at equal progress?

Each configuration of the pruning benchmark's pool (same schedules, same seeds) also draws a
training length of 9, 18 or 27 epochs, with its schedule stretched over it (a searched number of
epochs). Each trains once, recording the validation loss after every epoch; its final value is
the loss after its last epoch. At a checkpoint ``p`` (a fraction of training) the two signals are:

- *same-step*: every trial's value as of epoch ``p * 18`` (18 epochs is the mean horizon, so both
  signals cost the same on average; a trial that already finished is taken at its last epoch, as
  the percentile pruners do);
- *equal progress*: every trial's value after ``p`` of its own horizon, epoch ``round(p * H)``
  (what reporting ``step=tunelab.pruners.progress_step(epoch, H)`` compares).

Reported: Kendall's tau between each signal and the final value, mean ± sd over seeds, and the
paired difference (equal progress minus same-step), mean ± standard error over seeds.

    PYTHONPATH=. .venv/bin/python -m benchmarks.pruning.progress --seeds 10 --problems mlp cnn
"""

from __future__ import annotations

import argparse
import json
import multiprocessing

import numpy as np
from scipy.stats import kendalltau

from benchmarks.pruning import pool, problems

HORIZONS = (9, 18, 27)
CHECKPOINTS = (1 / 9, 1 / 3, 2 / 3)
MEAN_HORIZON = sum(HORIZONS) / len(HORIZONS)


def horizons(seed: int, n: int) -> list[int]:
    return [int(h) for h in np.random.default_rng([seed, 5000]).choice(HORIZONS, size=n)]


def curves(job: tuple[str, int, int, int]) -> list[dict]:
    """Per configuration: its horizon and its loss after every epoch (cached)."""
    problem, seed, n, spe = job
    path = pool.default_cache() / f"{problem}-spe{spe}-horizons-seed{seed}-{n}.jsonl"
    if path.exists():
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    import torch

    torch.set_num_threads(1)
    rows = []
    for i, (params, h) in enumerate(zip(pool.configs(seed, n, spe), horizons(seed, n))):
        run = problems._Run(problem, seed, seed * 100_003 + i, spe)
        schedule = pool.build(params, h * spe, spe)
        losses = []
        for _ in range(h):
            run.epochs(schedule, 1)
            losses.append(run.evaluate())
        rows.append({"params": params, "horizon": h, "loss": losses})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def signals(rows: list[dict], p: float) -> tuple[list[float], list[float]]:
    """(same-step, equal-progress) values of every row at checkpoint ``p``."""
    same = [r["loss"][min(round(p * MEAN_HORIZON), r["horizon"]) - 1] for r in rows]
    progress = [r["loss"][max(1, round(p * r["horizon"])) - 1] for r in rows]
    return same, progress


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--problems", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--pool", type=int, default=81)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps-per-epoch", type=int, default=problems.STEPS_PER_EPOCH)
    args = parser.parse_args(argv)
    jobs = [(p, s, args.pool, args.steps_per_epoch) for p in args.problems for s in range(args.seeds)]
    with multiprocessing.get_context("fork").Pool(args.processes) as workers:
        results = dict(zip(jobs, workers.map(curves, jobs, chunksize=1)))
    print(f"Horizons {HORIZONS} epochs, {args.pool} configurations x {args.seeds} seeds, "
          f"{args.steps_per_epoch} steps per epoch\n")
    print("| problem | signal | " + " | ".join(f"{p:.2f} of training" for p in CHECKPOINTS) + " |")
    print("|---|---|" + "---|" * len(CHECKPOINTS))
    for problem in args.problems:
        taus = {"same-step": [], "equal progress": [], "difference (mean ± SE)": []}
        for p in CHECKPOINTS:
            per_seed = {"same-step": [], "equal progress": []}
            for s in range(args.seeds):
                rows = results[(problem, s, args.pool, args.steps_per_epoch)]
                final = [r["loss"][-1] for r in rows]
                same, progress = signals(rows, p)
                per_seed["same-step"].append(kendalltau(same, final).statistic)
                per_seed["equal progress"].append(kendalltau(progress, final).statistic)
            for k, v in per_seed.items():
                taus[k].append(f"{np.mean(v):.3f} ± {np.std(v, ddof=1) if len(v) > 1 else 0.0:.3f}")
            d = np.subtract(per_seed["equal progress"], per_seed["same-step"])
            se = np.std(d, ddof=1) / np.sqrt(len(d)) if len(d) > 1 else 0.0
            taus["difference (mean ± SE)"].append(f"{np.mean(d):+.3f} ± {se:.3f}")
        for k, cells in taus.items():
            print(f"| {problem} | {k} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
