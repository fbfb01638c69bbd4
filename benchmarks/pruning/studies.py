"""Section 3: studies with real pruners replaying the cached pool, tunelab's and Optuna's side by side.

Every method sees the same configurations in the same order (a seeded permutation of the pool,
trial ``n`` takes configuration ``order[n]``); the objective replays cached values, so a method's
cost is the epochs its objective trains: each reported epoch, cooldown probes, and for the
rescaled pruners the full budget of each rung's fresh run. Pruning is not asked at the last epoch
(a fully trained configuration is kept).
"""

from __future__ import annotations

import logging

import numpy as np

import tunelab
from benchmarks.pruning.problems import MAX_EPOCHS, RUNGS
from tunelab import pruners


def _optuna():
    """Optuna, imported only when one of its rows runs (the helpers here serve tests without it)."""
    import optuna

    return optuna


def _same_step(rows, order, spent, completed, probe):
    def objective(trial):
        row = rows[order[trial.number]]
        for e in range(1, MAX_EPOCHS + 1):
            v = row["full"][e]
            spent[0] += 1
            if probe and e in RUNGS:
                v = row["probe"][e]
                spent[0] += row["probe_epochs"][e]
            trial.report(v, e)
            if e < MAX_EPOCHS and trial.should_prune():
                completed.append((spent[0], None))
                raise (tunelab.TrialPruned if isinstance(trial, tunelab.Trial) else _optuna().TrialPruned)()
        completed.append((spent[0], row["full"][MAX_EPOCHS]))
        return row["full"][MAX_EPOCHS]
    return objective


def _rescaled(pruner, rows, order, spent, completed, probe):
    """Budgets of ``pruner``: a compressed budget is a fresh run (its cooldown-probed value with
    ``probe``); the others are points of one full-length run, cooldown-probed below the last."""
    def objective(trial):
        row = rows[order[trial.number]]
        trained = 0  # epochs of the full-length run so far
        try:
            for b in pruner.budgets(trial):
                if pruner.compressed(b):
                    spent[0] += b
                    v = row["rescaled_probe" if probe else "rescaled"][b]
                    spent[0] += row["probe_epochs"][b] if probe else 0.0
                else:
                    spent[0] += b - trained
                    trained = b
                    v = row["full"][b] if b == MAX_EPOCHS else row["probe"][b]
                    spent[0] += 0.0 if b == MAX_EPOCHS else row["probe_epochs"][b]
                trial.report(v, b)
        except tunelab.TrialPruned:
            completed.append((spent[0], None))
            raise
        completed.append((spent[0], row["full"][MAX_EPOCHS]))
        return row["full"][MAX_EPOCHS]
    return objective


METHODS = (
    "no pruning", "tunelab Median", "tunelab ASHA", "tunelab Hyperband", "tunelab ASHA+cooldown",
    "tunelab Hyperband+cooldown", "tunelab RescaledSH", "tunelab RescaledSH@1,3+cooldown@9",
    "tunelab RescaledSH+cooldown", "tunelab RescaledHyperband@1,3+cooldown@9", "Optuna MedianPruner",
    "Optuna HyperbandPruner",
)


def run(method: str, rows: list[dict], order: np.ndarray, name: str) -> list[tuple[float, float | None]]:
    """(cumulative epochs, final value or None if pruned) after each trial of one method.

    Both libraries' Hyperband pruners assign a trial's bracket from the study name and the trial
    number, so the study is named ``name`` (the same for every method): a rerun gives the same table.
    """
    spent, completed = [0.0], []
    n = len(rows)
    if method.startswith("Optuna"):
        optuna = _optuna()
        optuna.logging.set_verbosity(logging.WARNING)
        p = (optuna.pruners.MedianPruner(n_startup_trials=5) if "Median" in method else
             optuna.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=3))
        study = optuna.create_study(study_name=name, pruner=p, sampler=optuna.samplers.RandomSampler(seed=0))
        study.optimize(_same_step(rows, order, spent, completed, False), n_trials=n)
        return completed
    if "Rescaled" in method:
        kind = pruners.RescaledHyperband if "Hyperband" in method else pruners.RescaledSuccessiveHalving
        p = kind(min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=3,
                 compress_below=1 / 3 if "@" in method else 1.0)
        objective = _rescaled(p, rows, order, spent, completed, method.endswith("SH+cooldown"))
    else:
        p = {"no pruning": pruners.NopPruner(),
             "tunelab Median": pruners.MedianPruner(n_startup_trials=5),
             "tunelab ASHA": pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
             "tunelab Hyperband": pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS,
                                                          reduction_factor=3),
             "tunelab ASHA+cooldown": pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
             "tunelab Hyperband+cooldown": pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS,
                                                                   reduction_factor=3),
             }[method]
        objective = _same_step(rows, order, spent, completed, "cooldown" in method)
    study = tunelab.create_study(study_name=name, pruner=p)
    study.optimize(objective, n_trials=n)
    return completed


def summary(history, *, target: float, budget: float, best: float) -> tuple[float, float, float]:
    """Epochs until a trial finished at or below ``target`` (inf if never), regret at ``budget``
    epochs, total epochs."""
    reach = next((e for e, v in history if v is not None and v <= target), np.inf)
    within = [v for e, v in history if v is not None and e <= budget]
    regret = (min(within) - best) if within else np.inf
    return reach, regret, history[-1][0]


def trial_order(seed: int, k: int, n: int) -> np.ndarray:
    """The ``k``-th trial order of seed ``seed``'s pool of ``n`` configurations (k = 0 is the original)."""
    return np.random.default_rng(1000 + seed if k == 0 else [1000 + seed, k]).permutation(n)


def tables(pools: dict[tuple[str, int], list[dict]], *, target_rank: int = 5, budget_trials: int = 10,
           orders: int = 1) -> str:
    """Markdown table per problem: epochs to target, regret at a fixed budget, total epochs.

    Each seed's pool is run in ``orders`` trial orders, each a study of its own name: Hyperband's
    bracket of a configuration follows from the study name and the trial number, so several orders
    average out which configurations land in an aggressive bracket.
    """
    out = []
    for problem in sorted({p for p, _ in pools}):
        seeds = sorted(s for p, s in pools if p == problem)
        budget = budget_trials * MAX_EPOCHS
        runs = f"{len(seeds)} seeds" if orders == 1 else f"{len(seeds)} seeds x {orders} trial orders"
        out.append(f"\n### {problem.upper()}: studies over the pool ({runs})\n")
        out.append(f"Target: the {target_rank}th-best final validation loss of the pool; fixed budget: "
                   f"{budget} epochs ({budget_trials} full trainings). Medians over studies for epochs to target "
                   "(never reached counted as infinite), means for regret and total epochs.\n")
        out.append("| method | epochs to target (median) | reached | regret at budget (mean) | "
                   "total epochs, whole pool (mean) |")
        out.append("|---|---|---|---|---|")
        for method in METHODS:
            reach, regret, total = [], [], []
            for s in seeds:
                rows = pools[(problem, s)]
                finals = sorted(r["full"][MAX_EPOCHS] for r in rows)
                for k in range(orders):
                    name = f"{problem}-seed{s}" + (f"-order{k}" if k else "")
                    a, b, c = summary(run(method, rows, trial_order(s, k, len(rows)), name),
                                      target=finals[target_rank - 1], budget=budget, best=finals[0])
                    reach.append(a), regret.append(b), total.append(c)
            ok = int(np.isfinite(reach).sum())
            out.append(f"| {method} | {np.median(reach):.1f} | {ok}/{len(reach)} | {np.mean(regret):.4f} | "
                       f"{np.mean(total):.0f} |")
    return "\n".join(out)
