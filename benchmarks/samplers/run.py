"""Sampler benchmark: best value within a budget on 49 problems split into a tuning half and a
held-out half, every peer in the same run, and the suggestion cost.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.samplers.run --half all --budget 16 32 64 200 --seeds 3

runs the whole suite (problems, peers, split, tables). The split is the fixed rule
``problems.half``: change samplers looking at ``--half tuning`` only; the held-out tables are the
result. Every (sampler, problem, seed) runs once for the largest budget; the best value within each
smaller budget is read from the same run (only SMAC3 is told the budget: its initial design is a
quarter of it). Samplers in ``peers.BUDGET_CAP`` (the slow GP peers, the batch-of-4 runs) stop at
their cap and are left out of larger budgets' tables; batch runs are scored beside their
sequential counterparts. Samplers named by ``--short`` run the smallest budget only. Writes
benchmarks/samplers/RESULTS.md and RESULTS.json (the raw values, rewritten after every finished
run, so an interrupted run keeps them); ``--samplers`` runs some samplers only, and ``--merge``
adds the runs of earlier JSON files (same problems and seeds; a run found there when this one
starts is not repeated; where two files hold the same sampler, problem and seed, the later file's
run counts; the files are read again at the end, and their suggestion-overhead timings are kept
too).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import pathlib
import shlex
import sys
import time
from typing import Any

import numpy as np
from scipy.stats import rankdata

HERE = pathlib.Path(__file__).parent


def _job(args: tuple[str, str, int, int]) -> tuple[str, str, int, list[float], float]:
    label, problem_name, seed, n_trials = args
    import torch

    torch.set_num_threads(1)
    from benchmarks.samplers.peers import runners
    from benchmarks.samplers.problems import all_problems

    problem = next(p for p in all_problems() if p.name == problem_name)
    t0 = time.perf_counter()
    values = runners()[label](problem, seed, n_trials)
    return label, problem_name, seed, [float(v) for v in values], time.perf_counter() - t0


def _overhead_job(args: tuple[str, int, str | None]) -> tuple[str, int, list[float]]:
    from benchmarks.samplers.peers import overhead

    label, n, problem = args
    import torch

    torch.set_num_threads(1)
    return label if problem is None else f"{label} [{problem} space]", n, overhead(label, n, problem=problem)


def scores(raw: list, budgets: list[int]) -> dict:
    """Per half of the suite and per budget: normalised scores, standard errors, ranks, per-problem tables.

    Batch runs (``peers.BATCH``) are scored with the same normalisation but kept out of the main
    tables; each is set beside its sequential counterpart at every budget both reached."""
    from benchmarks.samplers.problems import half

    out: dict = {}
    for name in ("held-out", "tuning"):
        part = [r for r in raw if half(r[1]) == name]
        if part:
            out[name] = {b: _scores(part, b) for b in budgets}
    return out


def _scores(raw: list, b: int) -> dict:
    from benchmarks.samplers.peers import BATCH
    from benchmarks.samplers.problems import all_problems

    optimum = {p.name: p.optimum for p in all_problems()}
    best_any: dict[str, float] = {}
    for _, prob, _, values, _ in raw:
        best_any[prob] = min(best_any.get(prob, math.inf), min(values))
    labels = list(dict.fromkeys(r[0] for r in raw))
    problems = list(dict.fromkeys(r[1] for r in raw))
    reach = {lab: min(len(r[3]) for r in raw if r[0] == lab) for lab in labels}
    labs = [lab for lab in labels if reach[lab] >= b]
    best = {(lab, prob, seed): min(values[:b]) for lab, prob, seed, values, _ in raw if lab in labs}
    seeds = sorted({k[2] for k in best if k[0] == "random"})
    if not seeds:  # a partial run (the default alone, say): nothing to score against until merged
        return {"summary": {}, "problems": [], "seeds": [], "left_out": labels, "batch": {}}

    def covered(lab: str) -> set[str]:
        return {prob for prob in problems if all((lab, prob, s) in best for s in seeds)}

    probs = [prob for prob in problems if prob in covered("random")]
    main = [lab for lab in labs if lab not in BATCH and covered(lab) >= set(probs)]  # others: left out
    table: dict[str, dict[str, list[float]]] = {lab: {} for lab in labs}
    ranks: dict[str, list[float]] = {lab: [] for lab in main}
    for prob in probs:
        opt = optimum[prob] if optimum[prob] is not None else best_any[prob]
        rand = float(np.mean([best[("random", prob, s)] for s in seeds]))
        for lab in labs:
            if all((lab, prob, s) in best for s in seeds):
                table[lab][prob] = [100.0 if rand == opt else 100.0 * (rand - best[(lab, prob, s)]) / (rand - opt)
                                    for s in seeds]
        for s in seeds:
            r = rankdata([best[(lab, prob, s)] for lab in main])
            for lab, rk in zip(main, r):
                ranks[lab].append(float(rk))
    summary = {}
    for lab in labs:
        if set(table[lab]) != set(probs):
            continue
        flat = np.array([v for prob in probs for v in table[lab][prob]])
        summary[lab] = {"mean": float(flat.mean()), "se": float(flat.std(ddof=1) / math.sqrt(len(flat))),
                        "rank": float(np.mean(ranks[lab])) if lab in ranks else None,
                        "per_problem": {prob: float(np.mean(table[lab][prob])) for prob in probs},
                        "per_problem_se": {prob: _se(table[lab][prob]) for prob in probs}}
    default = "tunelab default (Auto)"
    peers = [lab for lab in main if not lab.startswith("tunelab") and lab in summary]
    res = {"summary": summary, "problems": probs, "seeds": seeds,
           "left_out": [lab for lab in labels if lab not in summary]}
    if peers:
        best_peer = max(peers, key=lambda lab: summary[lab]["mean"])
        res["best_peer"] = best_peer
        if default in summary:
            diff = np.array([a - p for prob in probs for a, p in zip(table[default][prob], table[best_peer][prob])])
            res.update(diff_mean=float(diff.mean()), diff_se=_se(diff))
            res["below_random"] = [prob for prob in probs
                                   if summary[default]["per_problem"][prob] < -summary[default]["per_problem_se"][prob]]
    res["batch"] = {lab: (summary[lab]["mean"], summary[lab]["se"], summary[seq]["mean"], _se(
        [a - q for prob in probs for a, q in zip(table[lab][prob], table[seq][prob])]))
        for lab, seq in BATCH.items() if lab in summary and seq in summary}
    return res


def merge_runs(files: list[str], problems: list[str], seeds: Any) -> tuple[list, dict]:
    """The runs (of ``problems`` and ``seeds``) and overhead timings of the JSON ``files``; a later
    file's run of the same sampler, problem and seed replaces an earlier file's (a rerun after a
    change of that sampler)."""
    runs, over = {}, {}
    for f in files:
        data = json.loads(pathlib.Path(f).read_text())
        runs.update({tuple(r[:3]): tuple(r) for r in data["runs"] if r[1] in problems and r[2] in seeds})
        over.update({(lab, n): v for lab, n, v in data["overhead"]})
    return list(runs.values()), over


def _se(values: Any) -> float:
    v = np.asarray(values, dtype=float)
    return float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan


def markdown(result: dict, overheads: dict, command: str, wall: float) -> str:
    lines = ["# Sampler benchmark", "", f"Command: `{command}`", "",
             f"Wall time {wall / 60:.1f} min on a shared 2-core machine.",
             "Score per problem: 100 = best known value (the optimum for synthetic functions, the best value "
             "any run found for the real models), 0 = random search's mean best value at the same budget. "
             "Mean and standard error over all (problem, seed) pairs; rank 1 = best within a (problem, seed).", ""]
    for name, per_budget in result.items():
        lines += [f"# {name.capitalize()} half", ""]
        if not any(res["problems"] for res in per_budget.values()):
            lines += ["No random-search runs of these problems and seeds, so no scores (0 = random search's mean): "
                      "add a file holding them with --merge.", ""]
        for b, res in per_budget.items():
            s = {lab: v for lab, v in res["summary"].items() if v["rank"] is not None}
            if not s or not res["problems"]:  # a partial run (no random search to score against)
                continue
            lines += [f"## {name}: budget {b} trials ({len(res['problems'])} problems, seeds "
                      f"{res['seeds'][0]}-{res['seeds'][-1]})", "",
                      "| sampler | mean score | SE | mean rank |", "|---|---:|---:|---:|"]
            for lab in sorted(s, key=lambda lab: -s[lab]["mean"]):
                lines.append(f"| {lab} | {s[lab]['mean']:.1f} | {s[lab]['se']:.1f} | {s[lab]['rank']:.2f} |")
            if res["left_out"]:
                lines += ["", f"Not run on all these problems to {b} trials (left out): {', '.join(res['left_out'])}."]
            if "diff_mean" in res:
                lines += ["", f"Default minus best peer ({res['best_peer']}), paired over (problem, seed): "
                          f"{res['diff_mean']:.1f} ± {res['diff_se']:.1f} (SE). Problems where the default is "
                          f"below random search by more than its SE: {', '.join(res['below_random']) or 'none'}."]
            for lab, (mean, se, seq, dse) in res["batch"].items():
                lines += ["", f"{lab}: {mean:.1f} ± {se:.1f}; sequential {seq:.1f}; batch minus sequential, "
                          f"paired: {mean - seq:.1f} ± {dse:.1f}."]
            lines += ["", "| problem | " + " | ".join(s) + " |", "|---|" + "---:|" * len(s)]
            for prob in res["problems"]:
                lines.append(f"| {prob} | " + " | ".join(f"{s[lab]['per_problem'][prob]:.1f}" for lab in s) + " |")
            lines.append("")
    if overheads:
        ns = sorted({n for _, n in overheads})
        labs = list(dict.fromkeys(lab for lab, _ in overheads))
        lines += ["## Suggestion overhead (ask + suggest + tell), ms per trial", "",
                  "On the 10-parameter mixed space (4 float, 3 int, 3 categorical), or the space of the problem "
                  "named in brackets.", "",
                  "Mean over the 20 trials before the count shown, one run each (timings on a shared machine "
                  "are noisy: compare ratios within this run).", "",
                  "| sampler | " + " | ".join(f"at {n}" for n in ns) + " |", "|---|" + "---:|" * len(ns)]
        for lab in labs:
            cells = []
            for n in ns:
                t = overheads.get((lab, n))
                cells.append("-" if t is None else f"{1000 * float(np.mean(t[n - 20:n])):.1f}")
            lines.append(f"| {lab} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, nargs="+", default=[16, 32, 64, 200])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds run are first-seed .. first-seed + seeds - 1 (tune on seeds other than 0-9)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--overhead", type=int, nargs="*", default=[200])
    parser.add_argument("--overhead-samplers", nargs="*", default=None,
                        help="labels whose overhead is measured (default: tunelab's, random, Optuna's, Hyperopt's, those "
                        "run; GP samplers up to 300 trials)")
    parser.add_argument("--overhead-problems", nargs="*", default=[],
                        help="benchmark problems whose spaces are timed too (beside the 10-parameter mixed one)")
    parser.add_argument("--problems", nargs="*", default=None)
    parser.add_argument("--half", choices=("tuning", "held-out", "all"), default="all",
                        help="which half of the suite runs (tune samplers on 'tuning' only)")
    parser.add_argument("--samplers", nargs="*", default=None,
                        help="labels to run (default: all; the option alone: none, to tabulate --merge files)")
    parser.add_argument("--short", nargs="*", default=[], help="labels that run the smallest budget only")
    parser.add_argument("--merge", nargs="*", default=[], help="JSON files whose runs join this run's")
    parser.add_argument("--out", default="RESULTS.md", help="report file name, in benchmarks/samplers/")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from benchmarks.samplers.peers import BUDGET_CAP, runners
    from benchmarks.samplers.problems import all_problems, half

    labels = list(runners())
    names = [p.name for p in all_problems()]
    for option, given, known in (("--samplers", args.samplers, labels), ("--overhead-samplers", args.overhead_samplers,
                                 labels), ("--short", args.short, labels), ("--problems", args.problems, names),
                                 ("--overhead-problems", args.overhead_problems, names)):
        unknown = [v for v in given or [] if v not in known]
        if unknown:
            parser.error(f"{option}: unknown {unknown}; known: {', '.join(known)} (none given: run none)")
    path = HERE / (pathlib.Path(args.out).stem + ".json")
    if any(pathlib.Path(f).resolve() == path.resolve() for f in args.merge):
        parser.error(f"--merge: {path} is this run's own output (rewritten as the run goes); name another --out")
    problems = [name for name in names if (args.problems is None or name in args.problems)
                and args.half in ("all", half(name))]

    def merged() -> tuple[list, dict]:
        return merge_runs(args.merge, problems, seeds)

    seeds = range(args.first_seed, args.first_seed + args.seeds)
    done = {r[:3] for r in merged()[0]}
    jobs = [(lab, prob, seed, min(args.budget) if lab in args.short else min(max(args.budget), BUDGET_CAP.get(lab, 10**9)))
            for prob in problems for lab in labels for seed in seeds
            if (args.samplers is None or lab in args.samplers) and (lab, prob, seed) not in done]
    timed = args.overhead_samplers or ["tunelab default (Auto)", "tunelab TPE", "random", "optuna TPE (default)",
                                       "optuna GPSampler", "hyperopt TPE"]
    over_jobs = [(lab, n, space) for lab in labels for n in args.overhead for space in [None, *args.overhead_problems]
                 if lab in timed and (args.samplers is None or lab in args.samplers) and (n <= 300 or "GP" not in lab)]
    t0 = time.perf_counter()
    raw, overheads = [], {}

    def save() -> None:
        raw.sort(key=lambda r: (labels.index(r[0]) if r[0] in labels else len(labels), r[0], r[1], r[2]))
        path.write_text(json.dumps({"runs": raw, "overhead": [[k[0], k[1], v] for k, v in overheads.items()]}))

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(args.processes, maxtasksperchild=50) as pool:
        for i, res in enumerate(pool.imap_unordered(_job, jobs)):
            raw.append(res)
            save()
            seen = f"best={min(res[3]):.5g}" if half(res[1]) == "tuning" else "(held-out: value not shown)"
            print(f"[{i + 1}/{len(jobs)}] {res[0]} {res[1]} seed={res[2]} {seen} {res[4]:.1f}s", flush=True)
        for lab, n, times in pool.imap_unordered(_overhead_job, over_jobs):
            overheads[(lab, n)] = times
            save()
            print(f"overhead {lab} at {n}: {1000 * np.mean(times[n - 20:n]):.1f} ms", flush=True)
    save()
    wall = time.perf_counter() - t0
    runs, over = merged()  # read at the end: a merged run may have finished meanwhile
    mine = {r[:3] for r in raw}
    raw += [r for r in runs if r[:3] not in mine]
    overheads = {**over, **overheads}
    save()
    result = scores(raw, sorted(args.budget))
    command = ".venv/bin/python -m benchmarks.samplers.run " + shlex.join(sys.argv[1:])
    text = markdown(result, overheads, command, wall)
    (HERE / args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
