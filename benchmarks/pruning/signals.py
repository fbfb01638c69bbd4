"""Rung signals and synchronous successive halving over a cached pool (sections 1 and 2)."""

from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau

from benchmarks.pruning.problems import MAX_EPOCHS, RUNGS

SIGNALS = ("same-step", "rescaled", "cooldown", "rescaled+cooldown", "rescaled@1, cooldown later",
           "rescaled@1,3, cooldown@9")


def _rescaled_at(signal: str, k: int) -> bool:
    """Whether a hybrid signal uses a budget-rescaled run at rung index ``k`` (else a cooldown probe).

    "rescaled@1, cooldown later" switches after the first rung; "rescaled@1,3, cooldown@9" keeps
    rescaled runs while the rung is below a third of training, the split the 4-step tables
    (rescaled best at epochs 1 and 3, cooldown best at epoch 9 on both problems) pointed to.
    """
    return k == 0 or (signal == "rescaled@1,3, cooldown@9" and RUNGS[k] * 3 < MAX_EPOCHS)


def value(row: dict, signal: str, rung: int) -> float:
    """The value a signal uses for a configuration at a rung."""
    if signal == "same-step":
        return row["full"][rung]
    if signal == "rescaled":
        return row["rescaled"][rung]
    if signal == "cooldown":
        return row["probe"][rung]
    if signal == "rescaled+cooldown":
        return row["rescaled_probe"][rung]
    return row["rescaled"][rung] if _rescaled_at(signal, RUNGS.index(rung)) else row["probe"][rung]


def final(row: dict) -> float:
    return row["full"][MAX_EPOCHS]


def tau(rows: list[dict], signal: str, rung: int) -> float:
    """Kendall's tau between the signal at ``rung`` and the final value after full training."""
    return float(kendalltau([value(r, signal, rung) for r in rows], [final(r) for r in rows]).statistic)


def probe_epochs(row: dict, rung: int) -> float:
    return row["probe_epochs"][rung]


def rung_cost(row: dict, signal: str, k: int) -> float:
    """Epochs a configuration costs to be judged at rung ``k``, given it was judged at rung ``k - 1``."""
    r, prev = RUNGS[k], (RUNGS[k - 1] if k else 0)
    if signal == "same-step":
        return r - prev
    if signal == "cooldown":
        return r - prev + probe_epochs(row, r)
    if signal == "rescaled":
        return r
    if signal == "rescaled+cooldown":
        return r + probe_epochs(row, r)
    # hybrid: compressed runs at the first rungs, then one full-length run probed at later rungs
    if _rescaled_at(signal, k):
        return r
    return (r if _rescaled_at(signal, k - 1) else r - prev) + probe_epochs(row, r)


def final_cost(signal: str) -> float:
    """Epochs to finish a configuration that passed the last rung."""
    if signal in ("rescaled", "rescaled+cooldown"):
        return MAX_EPOCHS
    return MAX_EPOCHS - RUNGS[-1]


def successive_halving(rows: list[dict], signal: str, eta: int = 3) -> tuple[float, int]:
    """Synchronous SH: keep the best ``1/eta`` at each rung, train the survivors fully, pick the best.

    Returns the epochs spent and the index of the selected configuration.
    """
    alive = list(range(len(rows)))
    spent = 0.0
    for k, r in enumerate(RUNGS):
        spent += sum(rung_cost(rows[i], signal, k) for i in alive)
        keep = max(1, len(alive) // eta)
        alive = sorted(alive, key=lambda i: value(rows[i], signal, r))[:keep]
    spent += final_cost(signal) * len(alive)
    return spent, min(alive, key=lambda i: final(rows[i]))


def tables(pools: dict[tuple[str, int], list[dict]]) -> str:
    """Markdown tables for sections 1 and 2, one block per problem, means over seeds."""
    out = []
    for problem in sorted({p for p, _ in pools}):
        seeds = sorted(s for p, s in pools if p == problem)
        n = len(pools[(problem, seeds[0])])
        out.append(f"\n### {problem.upper()} ({len(seeds)} seeds x {n} configurations)\n")
        out.append("Kendall's tau (rung value vs final value after full training), mean ± sd over seeds:\n")
        out.append("| signal | " + " | ".join(f"epoch {r}" for r in RUNGS) + " |")
        out.append("|---|" + "---|" * len(RUNGS))
        for sig in SIGNALS:
            cells = []
            for r in RUNGS:
                ts = [tau(pools[(problem, s)], sig, r) for s in seeds]
                cells.append(f"{np.mean(ts):.3f} ± {np.std(ts):.3f}")
            out.append(f"| {sig} | " + " | ".join(cells) + " |")
        out.append("\nSuccessive halving (eta=3, rungs 1/3/9, survivors trained to "
                   f"{MAX_EPOCHS} epochs), mean over seeds:\n")
        out.append("| signal | epochs | x fewer than no stopping | regret (val loss) | selects the best |")
        out.append("|---|---|---|---|---|")
        none = n * MAX_EPOCHS
        for sig in SIGNALS:
            spent, regret, hit = [], [], []
            for s in seeds:
                rows = pools[(problem, s)]
                e, i = successive_halving(rows, sig)
                best = min(final(r) for r in rows)
                spent.append(e)
                regret.append(final(rows[i]) - best)
                hit.append(final(rows[i]) == best)
            out.append(f"| {sig} | {np.mean(spent):.1f} | {none / np.mean(spent):.2f} | "
                       f"{np.mean(regret):.4f} | {sum(hit)}/{len(hit)} |")
        out.append(f"| no early stopping | {none} | 1.00 | 0.0000 | {len(seeds)}/{len(seeds)} |")
    return "\n".join(out)
