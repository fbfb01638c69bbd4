"""Schedule-aware early stopping benchmark: one command prints every table of RESULTS.md.

Run from the repository root: ``python -m benchmarks.pruning.run [--seeds 5] [--problems mlp cnn]``.
Training results are cached per configuration (``$TUNELAB_BENCH_CACHE``, default
``~/.cache/tunelab-bench/pruning``), so every method is compared on the same pool and a second
run only replays. Timings are not measured: costs are counted in epochs.
"""

from __future__ import annotations

import argparse

from benchmarks.pruning import pool, signals, studies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--problems", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--pool", type=int, default=None,
                        help="configurations per (problem, seed); default pool.POOL_SIZE (27)")
    args = parser.parse_args()
    pools = {(p, s): pool.load(p, s, pool.default_cache(), args.pool) for p in args.problems for s in range(args.seeds)}
    print("## Rung signals and successive halving")
    print(signals.tables(pools))
    print("\n## Studies: no pruning, tunelab's pruners, Optuna's pruners (same run)")
    print(studies.tables(pools))


if __name__ == "__main__":
    main()
