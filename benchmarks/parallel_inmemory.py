"""An in-memory study with n_jobs=2 against n_jobs=1 on a CPU-bound pure-Python objective, one run.

    .venv/bin/python benchmarks/parallel_inmemory.py [--trials 16] [--seconds 0.2] [--repeat 3] [--no-optuna]

The objective is a Python loop of about ``--seconds`` (calibrated here first), written as a lambda
over its loop count, as Optuna's FAQ passes arguments to an objective. Rows: tunelab with
``n_jobs=1``; ``n_jobs=2`` (worker processes, the trials kept in the study process and served to
the workers); ``n_jobs=2, executor='thread'`` (what an in-memory study ran before: the GIL lets one
thread run Python at a time); Optuna 5's ``n_jobs=2`` on its in-memory storage (threads), when
installed; and the bare loops in a ``concurrent.futures.ProcessPoolExecutor(2)``, no study at all:
the most two processes gave on this machine at that moment. Wall times include worker start-up (paid once per optimize call). Each round runs every
row once; a row's speed-up is against tunelab's ``n_jobs=1`` in the same round, and the median over
the rounds is printed last. The load average is printed: timings on shared cores are noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spin(n: int) -> float:
    total = 0.0
    for i in range(n):
        total += (i % 7) * 0.5
    return total


def objective(trial, n: int) -> float:
    x = trial.suggest_float("x", -1, 1)
    spin(n)
    return x * x


def calibrate(seconds: float) -> int:
    n = 100_000
    while True:
        start = time.perf_counter()
        spin(n)
        took = time.perf_counter() - start
        if took > 0.05:
            return int(n * seconds / took)
        n *= 2


def tunelab_run(n: int, trials: int, jobs: int, executor: str | None = None) -> float:
    import tunelab

    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(lambda t: objective(t, n), n_trials=trials, n_jobs=jobs, executor=executor)
    wall = time.perf_counter() - start
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * trials
    return wall


def optuna_run(n: int, trials: int, jobs: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(lambda t: objective(t, n), n_trials=trials, n_jobs=jobs)
    return time.perf_counter() - start


def bare_run(n: int, trials: int, jobs: int) -> float:
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(spin, [n] * trials))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=0.2, help="length of one objective call")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (each runs every row once)")
    parser.add_argument("--no-optuna", action="store_true")
    args = parser.parse_args()
    import logging
    import statistics

    logging.getLogger("tunelab").setLevel(logging.WARNING)
    n = calibrate(args.seconds)
    rows = {"tunelab n_jobs=1": lambda: tunelab_run(n, args.trials, 1),
            "tunelab n_jobs=2 (processes)": lambda: tunelab_run(n, args.trials, 2),
            "tunelab n_jobs=2 executor='thread'": lambda: tunelab_run(n, args.trials, 2, "thread")}
    if not args.no_optuna:
        try:
            import optuna  # noqa: F401
        except ImportError:
            print("(optuna is not installed: its row is left out)")
        else:
            rows["optuna n_jobs=2 (threads)"] = lambda: optuna_run(n, args.trials, 2)
    rows["bare loops, ProcessPoolExecutor(2)"] = lambda: bare_run(n, args.trials, 2)
    print(f"{os.cpu_count()} CPUs; {args.trials} trials of ~{args.seconds:g} s ({n} loop steps) per row")
    speedups: dict[str, list[float]] = {name: [] for name in rows}
    for round_ in range(args.repeat):
        print(f"round {round_ + 1}, load average {os.getloadavg()[0]:.2f}: ", end="", flush=True)
        walls = {name: run() for name, run in rows.items()}
        base = walls["tunelab n_jobs=1"]
        for name, wall in walls.items():
            speedups[name].append(base / wall)
        print(", ".join(f"{name} {wall:.2f} s" for name, wall in walls.items()), flush=True)
    print("\nmedian speed-up vs tunelab n_jobs=1")
    for name, values in speedups.items():
        print(f"{name:38s} {statistics.median(values):6.2f}x   (rounds: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
