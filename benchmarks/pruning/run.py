"""Schedule-aware early stopping benchmark: one command prints the tables of RESULTS.md.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python -m benchmarks.pruning.run                    # tuning half
    PYTHONPATH=. .venv/bin/python -m benchmarks.pruning.run --half held-out    # the held-out half
    PYTHONPATH=. .venv/bin/python -m benchmarks.pruning.run --report legacy    # the mlp/cnn tables

The default report (``compare``) runs every method of :data:`compare.METHODS` over the problems of
one half of :mod:`suite` (``--half tuning``, the default; ``held-out``; ``all``), 81-trial studies
replaying each pool in ``--orders`` trial orders. ``--report legacy`` prints the earlier tables
(rung signals, synchronous successive halving, studies) of the schedule-only ``mlp`` and ``cnn``
problems, with its own defaults (10 seeds, ``--pool`` / ``--steps-per-epoch``).

Training results are cached per configuration (``$TUNELAB_BENCH_CACHE``, default
``~/.cache/tunelab-bench/pruning``), so every method is compared on the same pool and a second
run only replays. Timings are not measured: costs are counted in epochs.
"""

from __future__ import annotations

import argparse
import multiprocessing

from benchmarks.pruning import compare, pool, problems, signals, studies, suite


def _fill(job: tuple[str, int, int | None, int]) -> None:
    problem, seed, n, steps_per_epoch = job
    pool.load(problem, seed, pool.default_cache(), n, steps_per_epoch)


def legacy(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """The tables of the schedule-only problems (RESULTS.md before 2026-12-06's wide problems)."""
    seeds = 10 if args.seeds is None else args.seeds
    chosen = args.problems or ["mlp", "cnn"]
    if not set(chosen) <= {"mlp", "cnn"}:
        parser.error("--report legacy takes --problems mlp and/or cnn")
    if 1200 % args.steps_per_epoch:
        parser.error(f"--steps-per-epoch {args.steps_per_epoch} does not divide the 1200 training images")
    jobs = [(p, s, args.pool, args.steps_per_epoch) for p in chosen for s in range(seeds)]
    with multiprocessing.get_context("fork").Pool(args.processes) as workers:  # one cache file per job
        workers.map(_fill, jobs, chunksize=1)
    pools = {(p, s): pool.load(p, s, pool.default_cache(), args.pool, args.steps_per_epoch)
             for p in chosen for s in range(seeds)}
    print("## Rung signals and successive halving")
    print(signals.tables(pools))
    print("\n## Studies: no pruning, tunelab's pruners, Optuna's pruners (same run)")
    print(studies.tables(pools, orders=args.orders))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", choices=["compare", "legacy"], default="compare")
    parser.add_argument("--half", choices=["tuning", "held-out", "all"], default="tuning",
                        help="which half of the problems (compare report); held-out is reported, never tuned on")
    parser.add_argument("--problems", nargs="+", choices=suite.problems("all"), default=None,
                        help="problems to run (default: every problem of --half)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="pools per problem (default: suite.SEEDS for compare, 10 for legacy)")
    parser.add_argument("--orders", type=int, default=10, help="trial orders per pool (each its own study name)")
    parser.add_argument("--processes", type=int, default=2,
                        help="processes that train missing pools and run the studies")
    parser.add_argument("--pool", type=int, default=None, help="legacy: configurations per (problem, seed)")
    parser.add_argument("--steps-per-epoch", type=int, default=problems.STEPS_PER_EPOCH,
                        help=f"legacy: mini-batches per epoch (default {problems.STEPS_PER_EPOCH})")
    args = parser.parse_args(argv)
    if args.report == "legacy":
        legacy(args, parser)
        return
    halves = ["tuning", "held-out"] if args.half == "all" else [args.half]
    chosen = args.problems or suite.problems(args.half)
    for p in chosen:
        if suite.half(p) not in halves:
            parser.error(f"--problems {p} is in the {suite.half(p)} half: add --half {suite.half(p)} or --half all")
    seeds = {p: suite.seeds(p) if args.seeds is None else args.seeds for p in chosen}
    suite.fill([(p, s) for p in chosen for s in range(seeds[p])], args.processes)
    print(f"## Pruning methods over {args.half} problems: 81-trial studies, {args.orders} trial orders per pool")
    for h in halves:  # the tuning half first
        mine = [p for p in chosen if suite.half(p) == h]
        if mine:
            results = compare.measure(mine, seeds, args.orders, args.processes)
            print(compare.tables(results, mine, h))


if __name__ == "__main__":
    main()
