"""Does TPE learn more from pruned trials through their projected final values?

Real studies (not a replayed pool): TPE proposes learning-rate schedules from the pruning
benchmark's space for the digits MLP or CNN, a pruner stops trials, and each pruned trial carries
the final value its pruner projected (``system_attrs["projected_value"]``). The same seeds run
with ``TPESampler(use_projections=True)`` (pruned trials ranked among the complete ones by that
projection) and ``use_projections=False`` (pruned trials ranked after every complete one, by how far
they got and their last raw value). Reported per pruner: the best final validation loss found
within the trial budget and the epochs spent, mean over seeds, and the paired difference.

    PYTHONPATH=. .venv/bin/python -m benchmarks.pruning.feedback --seeds 10 --trials 60 --problems mlp cnn

(seeds 0-9 of the current tables in RESULTS.md; add ``--first-seed 10`` for seeds 10-19; the
earlier table used ``--steps-per-epoch 4``.) ``use_projections`` is off by default since these
tables.
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing

import numpy as np

import tunelab
from benchmarks.pruning.pool import SPACE
from benchmarks.pruning.problems import MAX_EPOCHS, STEPS_PER_EPOCH, _Run
from tunelab import pruners
from tunelab.samplers import TPESampler

PRUNERS = {
    "Median": lambda: pruners.MedianPruner(n_startup_trials=5),
    "ASHA": lambda: pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
}


def study_run(job: tuple[str, str, bool, int, int, int]) -> tuple[str, str, bool, int, float, float]:
    """One study; returns its keys, the best final value of a complete trial and the epochs spent."""
    problem, pruner, use, seed, n_trials, steps_per_epoch = job
    import torch

    torch.set_num_threads(1)
    logging.getLogger("tunelab").setLevel(logging.WARNING)
    spent = [0]

    def objective(trial: tunelab.Trial) -> float:
        schedule = trial.suggest_schedule("lr", SPACE, total_steps=MAX_EPOCHS * steps_per_epoch)
        run = _Run(problem, seed, seed * 100_003 + trial.number, steps_per_epoch)
        value = math.inf
        for epoch in range(1, MAX_EPOCHS + 1):
            run.epochs(schedule, 1)
            spent[0] += 1
            value = run.evaluate()
            trial.report(value, epoch)
            if epoch < MAX_EPOCHS and trial.should_prune():
                raise tunelab.TrialPruned()
        return value

    study = tunelab.create_study(sampler=TPESampler(seed=seed, use_projections=use), pruner=PRUNERS[pruner]())
    study.optimize(objective, n_trials=n_trials)
    return problem, pruner, use, seed, study.best_value, float(spent[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--problems", nargs="*", default=["mlp"], choices=["mlp", "cnn"])
    parser.add_argument("--pruners", nargs="*", default=list(PRUNERS), choices=list(PRUNERS))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--steps-per-epoch", type=int, default=STEPS_PER_EPOCH)
    args = parser.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(p, q, use, s, args.trials, args.steps_per_epoch) for p in args.problems for q in args.pruners for s in seeds
            for use in (True, False)]
    with multiprocessing.get_context("fork").Pool(args.processes) as pool:
        results = pool.map(study_run, jobs)
    got = {(p, q, use, s): (best, spent) for p, q, use, s, best, spent in results}
    print(f"{args.seeds} seeds ({args.first_seed}..), {args.trials} trials per study, "
          f"{args.steps_per_epoch} steps per epoch, TPESampler defaults\n")
    print("| problem | pruner | projections | best final val loss (mean) | epochs (mean) | "
          "paired difference, on - off (mean ± SE) | on better / worse / tied |")
    print("|---|---|---|---|---|---|---|")
    for p in args.problems:
        for q in args.pruners:
            on = np.array([got[(p, q, True, s)][0] for s in seeds])
            off = np.array([got[(p, q, False, s)][0] for s in seeds])
            d = on - off
            se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else math.nan
            for use, vals in ((True, on), (False, off)):
                epochs = np.mean([got[(p, q, use, s)][1] for s in seeds])
                diff = f"{d.mean():+.4f} ± {se:.4f}" if use else ""
                tally = f"{(d < 0).sum()} / {(d > 0).sum()} / {(d == 0).sum()}" if use else ""
                print(f"| {p} | {q} | {'on' if use else 'off'} | {vals.mean():.4f} | {epochs:.0f} | {diff} | {tally} |")


if __name__ == "__main__":
    main()
