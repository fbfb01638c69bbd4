"""Every pruning method over every problem's pools: 81-trial studies replaying cached training.

A study replays one pool (81 configurations) in a seeded trial order (:func:`studies.trial_order`,
each order a study of its own name, the same for every method); its objective reads the cached
curves and counts the epochs a real run would train. A method is one row of :data:`METHODS`: a
pruner factory and the objective it needs, so another pruner or objective is one more line.

Objectives (what a trial costs and reports):

- ``same_step``: the full-length run, reporting its validation loss after every epoch; pruning is
  not asked after the last epoch.
- ``rescaled``: the budgets of a rescaled pruner (``pruner.budgets(trial)``): a compressed budget
  ``b`` is a fresh run of ``b`` epochs with the schedule rebuilt for them (cost ``b``); the others
  are points of one full-length run, cooldown-probed below the last (cost: the run's progress plus
  the probe).
- ``wsd_branch``: ``rescaled``, except that a wsd configuration's compressed budget is a branch of
  its one full-length run: the run trains to ``b`` (its progress counted once over all budgets),
  then its own decay over ``decay_fraction * b`` epochs is branched off and evaluated (cost of the
  branch ``decay_fraction * b``). Pools cached without branches fall back to ``rescaled``.

Reported per method and problem, over seeds x orders: the epochs of the whole study (no pruning:
81 x 27 = 2187), how many times fewer that is than no pruning, the regret (best final loss among
the study's completed trials minus the pool's best) and how often the best completed trial is the
pool's best configuration. Standard errors are over pools (seeds), each pool's value the mean over
its orders, since orders of one pool are not independent.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import multiprocessing
from collections.abc import Callable
from typing import Any

import numpy as np

import tunelab
from benchmarks.pruning.problems import MAX_EPOCHS
from benchmarks.pruning.studies import trial_order
from tunelab import pruners

Objective = Callable[[Any, list, np.ndarray, list], Callable[[Any], float]]


def _pruned(trial: Any) -> Exception:
    if type(trial).__module__.startswith("optuna"):  # Optuna is imported only by its own rows
        import optuna

        return optuna.TrialPruned()
    return tunelab.TrialPruned()


def _optuna(name: str, **kwargs: Any) -> Callable[[], Any]:
    """A factory of Optuna's pruner ``name`` (Optuna is imported when a row of it runs)."""
    def make() -> Any:
        import optuna

        return getattr(optuna.pruners, name)(**kwargs)
    return make


def same_step(pruner, rows, order, log):
    """Report the full run's loss after every epoch; ``log`` gets (epochs, config index, final or None)."""
    def objective(trial):
        i = int(order[trial.number])
        for e in range(1, MAX_EPOCHS + 1):
            trial.report(rows[i]["full"][e], e)
            if e < MAX_EPOCHS and trial.should_prune():
                log.append((e, i, None))
                raise _pruned(trial)
        log.append((MAX_EPOCHS, i, rows[i]["full"][MAX_EPOCHS]))
        return rows[i]["full"][MAX_EPOCHS]
    return objective


def _budgets(pruner, rows, order, log, branch: bool):
    def objective(trial):
        i = int(order[trial.number])
        row = rows[i]
        use_branch = branch and bool(row.get("branch"))
        spent, trained = 0.0, 0  # epochs so far; epochs of the one full-length run
        try:
            for b in pruner.budgets(trial):
                if pruner.compressed(b) and use_branch:
                    spent += b - trained + row["branch_epochs"][b]
                    trained, v = b, row["branch"][b]
                elif pruner.compressed(b):
                    spent += b
                    v = row["rescaled"][b]
                else:
                    spent += b - trained
                    trained = b
                    v = row["full"][b] if b == MAX_EPOCHS else row["probe"][b]
                    spent += 0.0 if b == MAX_EPOCHS else row["probe_epochs"][b]
                trial.report(v, b)
        except tunelab.TrialPruned:
            log.append((spent, i, None))
            raise
        log.append((spent, i, row["full"][MAX_EPOCHS]))
        return row["full"][MAX_EPOCHS]
    return objective


def rescaled(pruner, rows, order, log):
    return _budgets(pruner, rows, order, log, branch=False)


def wsd_branch(pruner, rows, order, log):
    return _budgets(pruner, rows, order, log, branch=True)


@dataclasses.dataclass(frozen=True)
class Method:
    """A row of the tables: ``pruner()`` makes a fresh pruner, ``objective`` replays a pool with it."""

    name: str
    pruner: Callable[[], Any]
    objective: Objective
    library: str = "tunelab"  # or "optuna": the study is an Optuna study


def _hb(kind, **kw):
    return lambda: kind(**{"min_resource": 1, "max_resource": MAX_EPOCHS, "reduction_factor": 3, **kw})


def _rows() -> list[Method]:
    rows = [
        Method("no pruning", pruners.NopPruner, same_step),
        Method("Optuna MedianPruner", _optuna("MedianPruner", n_startup_trials=5), same_step, "optuna"),
        Method("Optuna SuccessiveHalvingPruner",
               _optuna("SuccessiveHalvingPruner", min_resource=1, reduction_factor=3), same_step, "optuna"),
        Method("Optuna HyperbandPruner",
               _optuna("HyperbandPruner", min_resource=1, max_resource=MAX_EPOCHS, reduction_factor=3),
               same_step, "optuna"),
        Method("tunelab MedianPruner", lambda: pruners.MedianPruner(n_startup_trials=5), same_step),
        Method("tunelab SuccessiveHalvingPruner",
               lambda: pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), same_step),
        Method("tunelab HyperbandPruner", _hb(pruners.HyperbandPruner), same_step),
    ]
    for short, kind in (("RescaledSH", pruners.RescaledSuccessiveHalving), ("RescaledHyperband", pruners.RescaledHyperband)):
        for below, label in ((1.0, "1"), (1 / 3, "1/3")):
            rows.append(Method(f"tunelab {short} (compress_below={label})", _hb(kind, compress_below=below), rescaled))
    for short, kind in (("RescaledSH", pruners.RescaledSuccessiveHalving), ("RescaledHyperband", pruners.RescaledHyperband)):
        for below, label in ((1.0, "1"), (1 / 3, "1/3")):
            rows.append(Method(f"tunelab {short} (compress_below={label}) + WSD branch",
                               _hb(kind, compress_below=below), wsd_branch))
    # variants tried on the tuning half while choosing the default (the lead engineer's rows): a later
    # first rung, and successive halving that skips the first rung
    rows += [
        Method("tunelab HyperbandPruner (min_resource=3)", _hb(pruners.HyperbandPruner, min_resource=3), same_step),
        Method("tunelab RescaledHyperband (min_resource=3)", _hb(pruners.RescaledHyperband, min_resource=3), rescaled),
        Method("tunelab RescaledSH (min_early_stopping_rate=1)",
               _hb(pruners.RescaledSuccessiveHalving, min_early_stopping_rate=1), rescaled),
    ]
    # ---- TUNELAB DEFAULT: the lead engineer's row. tunelab.fidelity.default_pruner(max_epochs) builds
    # the pruner; a pruner with budgets()/compressed() is replayed by the rescaled objective, any other
    # by same_step. Included as soon as tunelab.fidelity has default_pruner.
    try:
        from tunelab.fidelity import default_pruner
    except ImportError:
        default_pruner = None
    if default_pruner is not None:
        rows.append(Method("tunelab default", lambda: default_pruner(MAX_EPOCHS), auto))
    return rows


def auto(pruner, rows, order, log):
    """``rescaled`` for a pruner that hands out budgets, ``same_step`` for any other."""
    return (rescaled if hasattr(pruner, "budgets") else same_step)(pruner, rows, order, log)


METHODS: list[Method] = _rows()


def study(method: Method, rows: list[dict], order: np.ndarray, name: str) -> list[tuple[float, int, float | None]]:
    """One 81-trial study: (epochs, configuration index, final loss or None if pruned) per trial."""
    log: list = []
    pruner = method.pruner()
    objective = method.objective(pruner, rows, order, log)
    if method.library == "optuna":
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)
        s = optuna.create_study(study_name=name, pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
    else:
        s = tunelab.create_study(study_name=name, pruner=pruner)
    s.optimize(objective, n_trials=len(rows))
    return log


def scores(log, rows) -> tuple[float, float, float]:
    """(total epochs, regret, picks the best) of one study."""
    finals = [r["full"][MAX_EPOCHS] for r in rows]
    best = int(np.argmin(finals))
    done = [(v, i) for _, i, v in log if v is not None]
    v, i = min(done)
    return sum(e for e, _, _ in log), v - finals[best], float(i == best)


def _job(job: tuple[str, str, int, int]) -> tuple[tuple[str, str, int, int], tuple[float, float, float]]:
    from benchmarks.pruning import suite

    logging.getLogger("tunelab").setLevel(logging.WARNING)
    problem, method, seed, k = job
    rows = suite.load(problem, seed)
    m = next(m for m in METHODS if m.name == method)
    name = f"{problem}-seed{seed}-order{k}"
    return job, scores(study(m, rows, trial_order(seed, k, len(rows)), name), rows)


def measure(problems: list[str], seeds: dict[str, int], orders: int, processes: int = 2,
            methods: list[Method] | None = None) -> dict:
    """Scores of every (problem, method, seed, order)."""
    methods = METHODS if methods is None else methods
    jobs = [(p, m.name, s, k) for p in problems for m in methods for s in range(seeds[p]) for k in range(orders)]
    with multiprocessing.get_context("fork").Pool(processes) as workers:
        return dict(workers.imap_unordered(_job, jobs, chunksize=8))


def _mean_se(per_pool: list[float]) -> tuple[float, float]:
    a = np.asarray(per_pool, dtype=float)
    return float(a.mean()), (float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else math.nan)


def problem_stats(results: dict, problem: str, method: str) -> dict[str, tuple[float, float]]:
    """Per-pool means over orders, then mean ± SE over pools, for each score; plus "x fewer"."""
    keys = sorted({(s, k) for p, m, s, k in results if p == problem and m == method})
    pools = sorted({s for s, _ in keys})
    per = {name: [np.mean([results[(problem, method, s, k)][j] for s2, k in keys if s2 == s]) for s in pools]
           for j, name in enumerate(("epochs", "regret", "best"))}
    out = {name: _mean_se(v) for name, v in per.items()}
    e, se = out["epochs"]
    none = 81 * MAX_EPOCHS
    out["fewer"] = (none / e, none / e ** 2 * se)  # delta method
    out["n"] = (len(pools), len(keys) // max(1, len(pools)))
    return out


def _row(name: str, st: dict) -> str:
    (e, es), (f, fs), (r, rs), (b, bs) = st["epochs"], st["fewer"], st["regret"], st["best"]
    return f"| {name} | {e:.0f} ± {es:.0f} | {f:.2f} ± {fs:.2f} | {r:.4f} ± {rs:.4f} | {b:.2f} ± {bs:.2f} |"


HEAD = ("| method | epochs, 81-trial study | x fewer than no stopping | regret (val loss) | picks the best |\n"
        "|---|---|---|---|---|")


def tables(results: dict, problems: list[str], title: str) -> str:
    """A table per problem and a summary (mean over problems; SE combined as independent)."""
    methods = [m.name for m in METHODS if any(k[1] == m.name for k in results)]
    out = []
    summary: dict[str, list[dict]] = {m: [] for m in methods}
    for p in problems:
        first = problem_stats(results, p, methods[0])
        seeds, orders = first["n"]
        out.append(f"\n#### {p} ({title}; {seeds} pools x {orders} trial orders, mean ± SE over pools)\n")
        out.append(HEAD)
        for m in methods:
            st = problem_stats(results, p, m)
            summary[m].append(st)
            out.append(_row(m, st))
    out.append(f"\n#### Summary, {title} half: mean over {len(problems)} problems ({', '.join(problems)})\n")
    out.append(HEAD)
    for m in methods:
        sts = summary[m]
        comb = {k: (float(np.mean([s[k][0] for s in sts])),
                    float(math.sqrt(sum(s[k][1] ** 2 for s in sts)) / len(sts)))
                for k in ("epochs", "fewer", "regret", "best")}
        out.append(_row(m, comb))
    return "\n".join(out)
