"""How often each sampler proposes exactly a bound of a continuous range, and what it finds.

    .venv/bin/python -m benchmarks.samplers.bound_hits --seeds 10 --trials 40

For continuous (``step=None``) float parameters, chance puts a proposal exactly on ``low`` or
``high`` with probability about 0 (one in 2**52 for a uniform draw). A model-based sampler whose
acquisition optimiser stops on the edge of its box returns the bound itself, so a user's
``suggest_float("dropout", 0, 1)`` gets exactly 0.0. Three problems:

- ``interior``: a shifted sphere in 3 floats on [0, 1] plus a log-scaled float (optimum inside);
- ``at_bound``: ``x0 + (1 - x1) + |log10(lr / 1e-5)|``, whose optimum is at ``x0 = 0``, ``x1 = 1``,
  ``lr = 1e-5`` (the bounds), so a sampler should come *close* to them;
- ``mixed``: an interior optimum in x plus an int and a categorical parameter (only ``x`` counted).

For each sampler and problem it prints the share of continuous proposals exactly on a bound, the
number of studies with at least one such proposal within the first 20 trials, and the mean best
value (the search quality this must not lose). Runs whatever ``tunelab`` the current directory
imports, so the same command run from an older checkout gives the "before" numbers.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

warnings.filterwarnings("ignore")
logging.getLogger("tunelab").setLevel(logging.WARNING)

#: (name, low, high) of the continuous parameters each problem counts.
FLOATS = {
    "interior": [("x0", 0.0, 1.0), ("x1", 0.0, 1.0), ("x2", 0.0, 1.0), ("lr", 1e-5, 1e-1)],
    "at_bound": [("x0", 0.0, 1.0), ("x1", 0.0, 1.0), ("lr", 1e-5, 1e-1)],
    "mixed": [("x", -2.0, 2.0)],
}


def interior(trial: Any) -> float:
    xs = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)]
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    return sum((x - c) ** 2 for x, c in zip(xs, (0.3, 0.6, 0.45))) + (math.log10(lr) + 3.0) ** 2 / 16


def at_bound(trial: Any) -> float:
    x0 = trial.suggest_float("x0", 0.0, 1.0)
    x1 = trial.suggest_float("x1", 0.0, 1.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    return x0 + (1.0 - x1) + abs(math.log10(lr / 1e-5)) / 4


def mixed(trial: Any) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    n = trial.suggest_int("n", 1, 6)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return (x - 0.7) ** 2 + abs(n - 4) + (0.0 if c == "b" else 0.5)


PROBLEMS: dict[str, Callable[[Any], float]] = {"interior": interior, "at_bound": at_bound, "mixed": mixed}


def samplers() -> dict[str, Callable[[int], Any]]:
    import tunelab.samplers as ts

    return {
        "Random": lambda s: ts.RandomSampler(seed=s),
        "TPE": lambda s: ts.TPESampler(seed=s),
        "GP": lambda s: ts.GPSampler(seed=s),
        "Auto (default)": lambda s: ts.AutoSampler(seed=s),
        "QMC": lambda s: ts.QMCSampler(seed=s),
        "CMA-ES": lambda s: ts.CmaEsSampler(seed=s),
        "NSGA-II": lambda s: ts.NSGAIISampler(seed=s, population_size=10),
    }


def measure(make: Callable[[int], Any], problem: str, seeds: range, n_trials: int) -> dict[str, float]:
    import tunelab

    hits = total = studies_hit = 0
    bests = []
    for seed in seeds:
        study = tunelab.create_study(sampler=make(seed))
        study.optimize(PROBLEMS[problem], n_trials=n_trials)
        early = False
        for t in study.trials:
            for name, low, high in FLOATS[problem]:
                if name in t.params:
                    total += 1
                    on_bound = t.params[name] in (low, high)
                    hits += on_bound
                    early |= on_bound and t.number < 20
        studies_hit += early
        bests.append(study.best_value)
    return {"rate": hits / max(total, 1), "hits": hits, "total": total, "studies": studies_hit,
            "best": float(np.mean(bests)), "best_se": float(np.std(bests, ddof=1) / math.sqrt(len(bests)))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--samplers", nargs="*", default=None)
    parser.add_argument("--problems", nargs="*", default=None)
    args = parser.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"{args.seeds} seeds from {args.first_seed}, {args.trials} trials per study")
    print("| sampler | problem | proposals on a bound | studies with one in 20 trials | mean best (SE) |")
    print("|---|---|---:|---:|---:|")
    for label, make in samplers().items():
        if args.samplers and label not in args.samplers:
            continue
        for problem in PROBLEMS:
            if args.problems and problem not in args.problems:
                continue
            t0 = time.perf_counter()
            r = measure(make, problem, seeds, args.trials)
            print(f"| {label} | {problem} | {r['hits']}/{r['total']} ({100 * r['rate']:.1f} %) | "
                  f"{r['studies']}/{len(seeds)} | {r['best']:.4g} ({r['best_se']:.2g}) |"
                  f"  <!-- {time.perf_counter() - t0:.0f}s -->", flush=True)


if __name__ == "__main__":
    main()
