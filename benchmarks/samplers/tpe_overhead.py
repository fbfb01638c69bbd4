"""TPE suggestion cost at 100, 300 and 1,000 trials: tunelab's TPESampler vs Optuna's default, one run.

Uses the sampler benchmark's own overhead function (ask + suggest + tell on the 10-parameter mixed
space) and reports, for each trial count, the mean cost of the last 10% of trials of each run, the
median over the repeats, and the ratio.

    .venv/bin/python -m benchmarks.samplers.tpe_overhead --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics

from benchmarks.samplers.peers import overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| trials | tunelab TPE (ms) | optuna TPE (ms) | ratio |")
    print("|---:|---:|---:|---:|")
    for n in args.trials:
        costs: dict[str, list[float]] = {"tunelab TPE": [], "optuna TPE (default)": []}
        for repeat in range(args.repeats):
            for label in costs:
                times = overhead(label, n, seed=repeat)
                tail = times[-max(n // 10, 1):]
                costs[label].append(sum(tail) / len(tail) * 1e3)
        ours, theirs = (statistics.median(costs[k]) for k in costs)
        print(f"| {n} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.3f} |", flush=True)


if __name__ == "__main__":
    main()
