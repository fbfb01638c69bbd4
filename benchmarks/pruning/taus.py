"""How well each rung value ranks a pool by its final loss: Kendall's tau per problem and rung, and
where each signal puts the pool's three best configurations (a pruner keeps the top of a rung).

Run from the repository root (pools cached by ``benchmarks.pruning.run``)::

    PYTHONPATH=. .venv/bin/python -m benchmarks.pruning.taus [--seeds 6]

Signals at rung ``r`` (1, 3, 9): ``full`` the 27-epoch run's loss after epoch ``r``, ``probe`` the
same run after a cooldown probe, ``rescaled`` a fresh ``r``-epoch run with the schedule compressed
into it. Means over the pools.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import kendalltau

from benchmarks.pruning import suite
from benchmarks.pruning.problems import MAX_EPOCHS, RUNGS

SIGNALS = ("full", "probe", "rescaled")


def _tau(values: list[float], final: list[float]) -> float:
    return float(kendalltau(values, final)[0])


def _best_rank(values: list[float], final: list[float]) -> float:
    """Mean rank of the 3 configurations with the best final loss, as a fraction of the pool."""
    order = np.argsort(np.argsort(values))
    return float(np.mean(order[np.argsort(final)[:3]])) / len(values)


def _table(score, seeds: int) -> None:
    print("| problem | half | " + " | ".join(f"{s}@{r}" for r in RUNGS for s in SIGNALS) + " |")
    print("|---|---|" + "---|" * (len(RUNGS) * len(SIGNALS)))
    for problem in suite.problems("all"):
        per: dict[tuple[str, int], list[float]] = {}
        for seed in range(seeds):
            rows = suite.load(problem, seed)
            final = [r["full"][MAX_EPOCHS] for r in rows]
            for r in RUNGS:
                for s in SIGNALS:
                    per.setdefault((s, r), []).append(score([row[s][r] for row in rows], final))
        cells = " | ".join(f"{np.mean(per[(s, r)]):.2f}" for r in RUNGS for s in SIGNALS)
        print(f"| {problem} | {suite.half(problem)} | {cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args()
    _table(_tau, args.seeds)
    print("\nMean rank of the pool's 3 best configurations (by final loss) under each signal, as a fraction "
          "of the pool (0 = first, lower is better):\n")
    _table(_best_rank, args.seeds)


if __name__ == "__main__":
    main()
