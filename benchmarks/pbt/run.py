"""PBT against tunelab's static search on the digits MLP and CNN, at equal total epochs.

    .venv/bin/python benchmarks/pbt/run.py --seeds 5            # writes benchmarks/pbt/RESULTS.md

Per problem and seed:

- **PBT**: :class:`tunelab.pbt.PopulationBasedTraining`, 8 members x 20 epochs (160 epochs), an
  exploit/explore step every 2 epochs, defaults otherwise (quantile 0.25, factors 1.2 / 0.8,
  resample probability 0.25); the initial population drawn by the default sampler
  (``AutoSampler(seed)``, whose first draws are scrambled Sobol points, as a plain ``create_study()``
  gives; with ``RandomSampler`` draws, used up to stop 26, PBT scored worse on both problems on the
  development seeds 100-131: CNN 0.0696 against 0.0673, MLP 0.0667 against 0.0657).
- **static**: ``create_study()``'s default sampler (seeded with the seed) with a pruner, one
  constant learning rate and weight decay per trial, trials of 20 epochs until 160 epochs were
  spent (the trial running then finishes, so static spends a few epochs more); pruners: the
  default (Median) and Hyperband.
- **static schedule**: the same with the learning rate drawn as a schedule
  (``schedules.space(["constant", "cosine", "exponential"])``) and Hyperband.
- **replay**: the PBT winner's lineage (its hyperparameters per interval and its learning-rate
  schedule) retrained from scratch with ``tunelab.pbt.replay`` under other seeds; for comparison,
  the configuration each static search chose, trained again under other seeds.

`attainable.py` gives the floor a replay can reach on average (the seed-averaged loss of a grid of
fixed configurations), against which the replay check is read.

Reported: the best final validation loss each method found (what every method selects on), the
held-out test loss of that model, epochs spent, and PBT's overhead per exploit/explore step.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tunelab  # noqa: E402
from benchmarks.pbt import problems as pr  # noqa: E402
from tunelab import pbt as tpbt  # noqa: E402
from tunelab.pbt import _pbt  # noqa: E402
from tunelab.samplers import AutoSampler  # noqa: E402

POPULATION, INTERVAL = 8, 2
BUDGET = POPULATION * pr.EPOCHS


class Timer:
    """Time spent planning and queueing generations (exploit, explore, lineage, enqueue), measured
    while :meth:`watching`: only then is ``_Tickets._queue`` wrapped."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        original = _pbt._Tickets._queue
        seconds = self.seconds

        def timed(tickets, *args, **kwargs):
            t = time.perf_counter()
            try:
                return original(tickets, *args, **kwargs)
            finally:
                seconds.append(time.perf_counter() - t)

        _pbt._Tickets._queue = timed
        try:
            yield
        finally:
            _pbt._Tickets._queue = original


def seed_options(parser: argparse.ArgumentParser) -> None:
    """``--seeds`` and ``--first-seed``, as this script and ``ray_peer.py`` take them."""
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds run: first-seed, first-seed + 1, ... (100-131 were used to develop PBT's setup)")


def seeds_of(args: argparse.Namespace) -> list[int]:
    return list(range(args.first_seed, args.first_seed + args.seeds))


def run_pbt(problem: str, seed: int, timer: Timer, root: Path) -> dict:
    study = tunelab.create_study(study_name=f"pbt-{problem}-{seed}", sampler=AutoSampler(seed=seed),
                                 pruner=tunelab.pruners.NopPruner())
    before = len(timer.seconds)
    t = time.perf_counter()
    pbt = tpbt.PopulationBasedTraining(POPULATION, budget=pr.EPOCHS, interval=INTERVAL,
                                       steps_per_unit=pr.STEPS_PER_EPOCH, seed=seed)
    with timer.watching():
        found = pbt.optimize(study, pr.pbt_train(problem), save=pr.save, load=pr.load,
                             checkpoint_dir=root / study.study_name)
    wall = time.perf_counter() - t
    trained = sum(tr.duration.total_seconds() for tr in study.trials)
    generations = pr.EPOCHS // INTERVAL
    return {"val": found.best_value, "test": pr.test_loss(problem, found.checkpoint), "epochs": BUDGET,
            "wall": wall, "plan": sum(timer.seconds[before:]) / generations,
            "bookkeeping": (wall - trained) / generations, "found": found,
            "lrs": [iv.params["lr"] for iv in found.lineage]}


def run_static(problem: str, seed: int, pruner, space=None) -> dict:
    study = tunelab.create_study(study_name=f"static-{problem}-{seed}", sampler=AutoSampler(seed=seed), pruner=pruner)
    spent = {"epochs": 0}

    def budget(study, trial):
        spent["epochs"] += len(trial.intermediate_values)
        if spent["epochs"] >= BUDGET:
            study.stop()

    t = time.perf_counter()
    study.optimize(pr.static_objective(problem, seed, space), callbacks=[budget])
    best = study.best_trial
    return {"val": best.value, "test": best.user_attrs["test_loss"], "epochs": spent["epochs"],
            "wall": time.perf_counter() - t, "trials": len(study.trials), "params": best.params, "space": space}


def replay_static(problem: str, seed: int, found: dict, k: int) -> float:
    """The best static configuration trained from scratch again with another seed (its value)."""
    trial = tunelab.FixedTrial(found["params"], number=1_000_000 + k)
    return pr.static_objective(problem, seed, found["space"])(trial)


def mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def mean_se(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:+.4f}"
    return f"{statistics.mean(values):+.4f} ± {statistics.stdev(values) / len(values) ** 0.5:.4f} (SE)"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    seed_options(p)
    p.add_argument("--replays", type=int, default=2, help="replays of each PBT winner (other seeds)")
    p.add_argument("--problems", nargs="+", default=["mlp", "cnn"])
    p.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = p.parse_args()
    logging.getLogger("tunelab").setLevel(logging.WARNING)
    timer = Timer()
    seeds = seeds_of(args)
    lines = ["# PBT against static search on digits (CPU)", "",
             f"Command: `.venv/bin/python benchmarks/pbt/run.py --seeds {args.seeds} --first-seed {args.first_seed} "
             f"--replays {args.replays}` "
             "(2 CPU cores, one process, in-memory storage). See the module docstring of "
             "`benchmarks/pbt/run.py` for the setup. Mean ± standard deviation over seeds; val = the best final "
             "validation loss the method found (what it selects on), test = that model's loss on 297 held-out "
             "images.", ""]
    for problem in args.problems:
        rows: dict[str, list[dict]] = {"PBT": [], "static, Median (default)": [], "static, Hyperband": [],
                                       "static schedule, Hyperband": []}
        replays: list[float] = []
        static_replays: dict[str, list[float]] = {name: [] for name in rows if name != "PBT"}
        with tempfile.TemporaryDirectory() as tmp:
            for seed in seeds:
                r = run_pbt(problem, seed, timer, Path(tmp))
                rows["PBT"].append(r)
                for k in range(args.replays):
                    replays.append(tpbt.replay(r["found"], pr.pbt_train(problem), seed=1000 + 10 * seed + k,
                                               save=pr.save, load=pr.load))
                rows["static, Median (default)"].append(run_static(problem, seed, tunelab.pruners.MedianPruner()))
                hb = tunelab.pruners.HyperbandPruner(min_resource=1, max_resource=pr.EPOCHS)
                rows["static, Hyperband"].append(run_static(problem, seed, hb))
                space = tunelab.schedules.space(["constant", "cosine", "exponential"], initial=pr.LR)
                hb = tunelab.pruners.HyperbandPruner(min_resource=1, max_resource=pr.EPOCHS)
                rows["static schedule, Hyperband"].append(run_static(problem, seed, hb, space))
                for name, found in static_replays.items():
                    found.extend(replay_static(problem, seed, rows[name][-1], k) for k in range(args.replays))
                print(problem, seed, {k: round(v[-1]["val"], 4) for k, v in rows.items()}, flush=True)
        lines += [f"## {problem.upper()}", "", "| method | val loss | test loss | epochs | wall s |",
                  "|---|---|---|---|---|"]
        for name, rs in rows.items():
            lines.append(f"| {name} | {mean_sd([r['val'] for r in rs])} | {mean_sd([r['test'] for r in rs])} | "
                         f"{statistics.mean(r['epochs'] for r in rs):.0f} | {statistics.mean(r['wall'] for r in rs):.1f} |")
        lines += ["", "Per seed (val loss):", "", "| seed | " + " | ".join(rows) + " |",
                  "|---|" + "---|" * len(rows)]
        for i, seed in enumerate(seeds):
            lines.append(f"| {seed} | " + " | ".join(f"{rs[i]['val']:.4f}" for rs in rows.values()) + " |")
        pbt_vals = [r["val"] for r in rows["PBT"]]
        static = {name: statistics.mean(r["val"] for r in rs) for name, rs in rows.items() if name != "PBT"}
        best_static = min(static, key=static.get)
        pbt_mean = statistics.mean(pbt_vals)
        diffs = [r["val"] - b["val"] for r, b in zip(rows["PBT"], rows[best_static])]
        spread = statistics.stdev(pbt_vals) if len(pbt_vals) > 1 else 0.0
        wins = sum(r["val"] < min(rs[i]["val"] for n, rs in rows.items() if n != "PBT")
                   for i, r in enumerate(rows["PBT"]))
        lines += ["", f"PBT against the best static search ({best_static}): mean val loss {pbt_mean:.4f} vs "
                  f"{static[best_static]:.4f} ({'PBT better' if pbt_mean < static[best_static] else 'PBT worse'}); "
                  f"PBT beats every static search on {wins} of {len(seeds)} seeds; paired difference PBT - "
                  f"{best_static} {mean_se(diffs)}."]
        lines += ["", f"Replay of each PBT winner from scratch ({args.replays} other seeds each, "
                  f"{len(replays)} runs): val loss {mean_sd(replays)}, range [{min(replays):.4f}, {max(replays):.4f}]; "
                  f"the PBT winners over seeds: {mean_sd(pbt_vals)}, range [{min(pbt_vals):.4f}, {max(pbt_vals):.4f}]. "
                  f"The replays' mean is {'within' if abs(statistics.mean(replays) - pbt_mean) <= spread else 'outside'}"
                  f" the winners' mean ± one standard deviation ({pbt_mean - spread:.4f} to {pbt_mean + spread:.4f}). "
                  f"For comparison, the configuration each static search chose, trained again from scratch with "
                  f"{args.replays} other seeds: " + "; ".join(
                      f"{name} {mean_sd(vals)} (its chosen runs: {static[name]:.4f})"
                      for name, vals in static_replays.items()) + ".",
                  "", f"PBT overhead per exploit/explore step: planning, lineage and queueing "
                  f"{1000 * statistics.mean(r['plan'] for r in rows['PBT']):.1f} ms; all bookkeeping outside "
                  f"training (ask, tell, storage, logging, checkpoint save/load excluded) "
                  f"{1000 * statistics.mean(r['bookkeeping'] for r in rows['PBT']):.1f} ms per generation of "
                  f"{POPULATION} members.", "",
                  f"Winner's learning rate per 2-epoch interval, seed {seeds[0]}: "
                  + ", ".join(f"{v:.3g}" for v in rows["PBT"][0]["lrs"]), ""]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
