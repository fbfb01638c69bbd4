"""Schedule-aware early stopping benchmark: one command prints every table of RESULTS.md.

Run from the repository root: ``python -m benchmarks.pruning.run [--seeds 10] [--problems mlp cnn] [--pool 81]``.
Training results are cached per configuration (``$TUNELAB_BENCH_CACHE``, default
``~/.cache/tunelab-bench/pruning``), so every method is compared on the same pool and a second
run only replays. Timings are not measured: costs are counted in epochs.
"""

from __future__ import annotations

import argparse
import multiprocessing

from benchmarks.pruning import pool, problems, signals, studies


def _fill(job: tuple[str, int, int | None, int]) -> None:
    problem, seed, n, steps_per_epoch = job
    pool.load(problem, seed, pool.default_cache(), n, steps_per_epoch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--problems", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--pool", type=int, default=None,
                        help="configurations per (problem, seed); default pool.POOL_SIZE (81)")
    parser.add_argument("--steps-per-epoch", type=int, default=problems.STEPS_PER_EPOCH,
                        help=f"mini-batches per epoch, a divisor of 1200 (default {problems.STEPS_PER_EPOCH})")
    parser.add_argument("--orders", type=int, default=10,
                        help="trial orders per seed in the study tables (each its own Hyperband brackets)")
    parser.add_argument("--processes", type=int, default=2,
                        help="processes that train the (problem, seed) pools missing from the cache")
    args = parser.parse_args()
    if 1200 % args.steps_per_epoch:
        parser.error(f"--steps-per-epoch {args.steps_per_epoch} does not divide the 1200 training images")
    jobs = [(p, s, args.pool, args.steps_per_epoch) for p in args.problems for s in range(args.seeds)]
    with multiprocessing.get_context("fork").Pool(args.processes) as workers:  # one cache file per job
        workers.map(_fill, jobs, chunksize=1)
    pools = {(p, s): pool.load(p, s, pool.default_cache(), args.pool, args.steps_per_epoch)
             for p in args.problems for s in range(args.seeds)}
    print("## Rung signals and successive halving")
    print(signals.tables(pools))
    print("\n## Studies: no pruning, tunelab's pruners, Optuna's pruners (same run)")
    print(studies.tables(pools, orders=args.orders))


if __name__ == "__main__":
    main()
