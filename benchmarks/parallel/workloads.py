"""Objectives for the parallel benchmark, importable by worker processes."""

from __future__ import annotations

import time

#: Loop iterations that take about 100 ms of one core; set by ``calibrate``.
SPIN = 1_000_000


def trivial(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    return x * x


def spin(n: int) -> float:
    total = 0.0
    for i in range(n):
        total += i * 1e-9
    return total


def cpu_100ms(trial):
    trial.suggest_float("x", -1.0, 1.0)
    return spin(trial.study.user_attrs["spin"])


def calibrate(seconds: float = 0.1) -> int:
    """Iterations of ``spin`` per ``seconds`` of CPU time, measured as the fastest of five tries."""
    n = 200_000
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        spin(n)
        best = min(best, time.process_time() - start)
    return int(n * seconds / best)


def sleeping(trial):
    """A trial that waits ``TUNELAB_BENCH_SLEEP`` seconds (default 2): workers that do not load the cores."""
    import os

    x = trial.suggest_float("x", -1.0, 1.0)
    time.sleep(float(os.environ.get("TUNELAB_BENCH_SLEEP", "2")))
    return x * x
