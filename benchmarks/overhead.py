"""Per-trial bookkeeping cost: ask + 10 suggests + tell with the random sampler.

tunelab (in memory, SQLite file) side by side with Optuna (in memory, its RDB storage on an
SQLite file) in one run, at each trial count; plus the memory a study holds per 10,000 trials.

    .venv/bin/python -m benchmarks.overhead                 # 1,000 and 10,000 trials
    .venv/bin/python -m benchmarks.overhead --trials 1000   # quicker
    .venv/bin/python -m benchmarks.overhead --repeat 3      # the fastest of 3 runs of each (a busy machine)

Reported per configuration: the mean cost per trial over the whole run and over its last 10%
(the marginal cost once the study is large), in milliseconds of wall time, the mean CPU time per
trial of this process (what other processes on a shared machine disturb least), and the ratios
that the goals are stated in. To compare two versions of tunelab, run this file with each on the
path, back to back: ``PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/overhead.py``.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable


def ten_suggests(trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    wd = trial.suggest_float("wd", 0.0, 0.1, step=0.01)
    layers = trial.suggest_int("layers", 1, 4)
    width = trial.suggest_int("width", 16, 512, log=True)
    batch = trial.suggest_int("batch", 16, 256, step=16)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    opt = trial.suggest_categorical("opt", ["sgd", "adam", "rmsprop"])
    drop = trial.suggest_float("dropout", 0.0, 0.5)
    mom = trial.suggest_float("momentum", 0.8, 0.99)
    return x * x + lr + wd + layers + width / 512 + batch / 256 + len(act) + len(opt) + drop + mom


def tunelab_study(storage: str | None):
    import tunelab

    return tunelab.create_study(storage=storage, sampler=tunelab.samplers.RandomSampler(seed=0))


def optuna_study(storage: str | None):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))


def run(make: Callable, storage: str | None, n: int) -> tuple[float, float, float]:
    """(mean ms per trial over all n, mean ms per trial over the last 10%, mean CPU ms per trial)."""
    study = make(storage)
    tail = max(n // 10, 1)
    cpu = time.process_time()
    start = time.perf_counter()
    tail_start = start
    for i in range(n):
        if i == n - tail:
            tail_start = time.perf_counter()
        trial = study.ask()
        study.tell(trial, ten_suggests(trial))
    end = time.perf_counter()
    cpu = time.process_time() - cpu
    return (end - start) / n * 1e3, (end - tail_start) / tail * 1e3, cpu / n * 1e3


def fastest(make: Callable, storage: str | None, n: int, repeat: int) -> tuple[float, float, float]:
    """:func:`run` ``repeat`` times, each on a fresh database (``storage`` is a URL with ``{run}`` in
    it, or None); the fastest run by mean wall time."""
    results = [run(make, None if storage is None else storage.format(run=i), n) for i in range(repeat)]
    return min(results, key=lambda r: r[0])


def held_memory(make: Callable, storage: str | None, n: int) -> float:
    """MiB allocated by Python and still held after n trials, with the study alive and read once."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    study = make(storage)
    for _ in range(n):
        trial = study.ask()
        study.tell(trial, ten_suggests(trial))
    study.trials  # noqa: B018 - a sampler or report reads the history: count what that keeps
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--memory-trials", type=int, default=10000)
    parser.add_argument("--skip-optuna-sqlite-above", type=int, default=10**9,
                        help="skip Optuna's SQLite storage for larger trial counts (it is slow)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each configuration this many times and keep the fastest (default 1)")
    args = parser.parse_args()
    import optuna

    import tunelab

    print(f"tunelab {tunelab.__version__} from {os.path.dirname(tunelab.__file__)}, optuna {optuna.__version__}, "
          f"load average {os.getloadavg()[0]:.2f}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.trials:
            configs = [
                ("tunelab in-memory", tunelab_study, None),
                ("tunelab SQLite", tunelab_study, f"sqlite:///{tmp}/tl-{n}-{{run}}.db"),
                ("optuna in-memory", optuna_study, None),
            ]
            if n <= args.skip_optuna_sqlite_above:
                configs.append(("optuna SQLite (RDB)", optuna_study, f"sqlite:///{tmp}/op-{n}-{{run}}.db"))
            results = {}
            for name, make, storage in configs:
                results[name] = fastest(make, storage, n, args.repeat)
                print(f"  {n:>6} trials  {name:<20} {results[name][0]:8.3f} ms/trial (last 10%: "
                      f"{results[name][1]:8.3f}, CPU {results[name][2]:8.3f})", flush=True)
            rows.append((n, results))
        memory = {}
        for name, make, storage in [("tunelab in-memory", tunelab_study, None),
                                    ("tunelab SQLite", tunelab_study, f"sqlite:///{tmp}/mem-tl.db"),
                                    ("optuna in-memory", optuna_study, None)]:
            memory[name] = held_memory(make, storage, args.memory_trials)
    print()
    print("| trials | backend | ms/trial (mean) | ms/trial (last 10%) | CPU ms/trial (mean) |")
    print("|---:|---|---:|---:|---:|")
    for n, results in rows:
        for name, (mean, last, cpu) in results.items():
            print(f"| {n} | {name} | {mean:.3f} | {last:.3f} | {cpu:.3f} |")
    print()
    print("| trials | SQLite - in-memory, tunelab (ms/trial, last 10%) | optuna SQLite / tunelab SQLite "
          "| optuna in-memory / tunelab in-memory |")
    print("|---:|---:|---:|---:|")
    for n, r in rows:
        added = r["tunelab SQLite"][1] - r["tunelab in-memory"][1]
        vs_sql = (f"{r['optuna SQLite (RDB)'][0] / r['tunelab SQLite'][0]:.1f}x" if "optuna SQLite (RDB)" in r
                  else "skipped")
        vs_mem = r["optuna in-memory"][0] / r["tunelab in-memory"][0]
        print(f"| {n} | {added:.3f} | {vs_sql} | {vs_mem:.1f}x |")
    print()
    print(f"Memory held after {args.memory_trials} trials (Python allocations, MiB), load average now "
          f"{os.getloadavg()[0]:.2f}:")
    for name, mib in memory.items():
        print(f"  {name:<20} {mib:7.1f}")


if __name__ == "__main__":
    main()
