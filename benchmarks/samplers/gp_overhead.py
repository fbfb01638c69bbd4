"""Suggestion overhead of tunelab's GPSampler against Optuna's GPSampler, side by side in one run.

Both samplers get the same history (``n - k`` random trials on the 10-parameter mixed space of
the sampler benchmark), then ``k`` timed ask + suggest + tell rounds each, alternating between
them ``repeats`` times; the table gives the mean milliseconds per trial and the ratio. A third
column runs tunelab's GPSampler refitting its hyperparameters at every trial (the default
refits every trial up to 100 trials, then every 5th), to show what that policy saves.

    .venv/bin/python -m benchmarks.samplers.gp_overhead --trials 100 300 --k 10 --repeats 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.samplers.peers import _overhead_space


def _history(n: int, seed: int) -> list:
    import tunelab
    from tunelab.samplers import RandomSampler

    study = tunelab.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(_overhead_space, n_trials=n)
    return study.trials


def _tunelab_times(history: list, k: int, seed: int, **options: int) -> list[float]:
    import tunelab
    from tunelab.samplers import GPSampler

    study = tunelab.create_study(sampler=GPSampler(seed=seed, **options))
    for t in history:
        study.add_trial(t)
    return _timed(study, k)


def _optuna_times(history: list, k: int, seed: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    for t in history:
        dists = {}
        for name, d in t.distributions.items():
            if hasattr(d, "choices"):
                dists[name] = optuna.distributions.CategoricalDistribution(list(d.choices))
            elif isinstance(t.params[name], int):
                dists[name] = optuna.distributions.IntDistribution(d.low, d.high, log=d.log, step=d.step)
            else:
                dists[name] = optuna.distributions.FloatDistribution(d.low, d.high, log=d.log, step=d.step)
        study.add_trial(optuna.trial.create_trial(params=t.params, distributions=dists, value=t.value))
    return _timed(study, k)


def _timed(study, k: int) -> list[float]:
    def one() -> float:
        t0 = time.perf_counter()
        trial = study.ask()
        study.tell(trial, _overhead_space(trial))
        return time.perf_counter() - t0

    return [one() for _ in range(k)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="*", default=[100, 300])
    parser.add_argument("--k", type=int, default=10, help="timed trials per sampler and repeat")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    for n in args.trials:
        history = _history(n - args.k, args.seed)
        ours, always, theirs = [], [], []
        for rep in range(args.repeats):
            ours += _tunelab_times(history, args.k, args.seed + rep)
            always += _tunelab_times(history, args.k, args.seed + rep, n_full_refits=10**6)
            theirs += _optuna_times(history, args.k, args.seed + rep)
        rows.append((n, 1000 * np.mean(ours), 1000 * np.mean(always), 1000 * np.mean(theirs)))
        print(f"{n} trials: tunelab GP {rows[-1][1]:.1f} ms (refit every trial {rows[-1][2]:.1f} ms), "
              f"optuna GP {rows[-1][3]:.1f} ms", flush=True)
    print("\n| trials | tunelab GPSampler | tunelab, refit every trial | optuna GPSampler | tunelab / optuna |")
    print("|---:|---:|---:|---:|---:|")
    for n, a, b, c in rows:
        print(f"| {n} | {a:.1f} ms | {b:.1f} ms | {c:.1f} ms | {a / c:.3f} |")


if __name__ == "__main__":
    main()
