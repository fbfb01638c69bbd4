"""The pool of configurations per (problem, seed) and its cached training results."""

from __future__ import annotations

import json
import os
from pathlib import Path

import tunelab
from benchmarks.pruning import problems, wide
from tunelab import schedules
from tunelab.samplers import RandomSampler

POOL_SIZE = {"mlp": 81, "cnn": 81}  # configurations per (problem, seed); the first tables used 27
SPACE = schedules.space(
    families=["constant", "exponential", "step", "cosine", "one_cycle", "wsd"],
    initial=(1e-3, 1.0),
    args={"cosine": {"warmup_fraction": (0.0, 0.4)}, "wsd": {"warmup_fraction": (0.0, 0.3)}},
)


def configs(seed: int, n: int, steps_per_epoch: int = problems.STEPS_PER_EPOCH) -> list[dict]:
    """``n`` schedule configurations drawn by tunelab's random sampler (parameters only)."""
    study = tunelab.create_study(sampler=RandomSampler(seed=seed))
    out = []
    for _ in range(n):
        trial = study.ask()
        trial.suggest_schedule("lr", SPACE, total_steps=problems.MAX_EPOCHS * steps_per_epoch)
        study.tell(trial, 0.0)
        out.append(trial.params)
    return out


def load(problem: str, seed: int, cache: Path, n: int | None = None,
         steps_per_epoch: int = problems.STEPS_PER_EPOCH) -> list[dict]:
    """Training results of the pool's ``n`` configurations (default ``POOL_SIZE``), computed once,
    then read from ``cache``. A larger pool starts with a smaller one's configurations (the
    sampler draws them in the same order), so their cached results are reused.

    Each row holds the curves of :func:`problems.curves` and ``probe_epochs[r]``, the cost of the
    cooldown probe at rung ``r`` in epochs; a wsd configuration also ``branch[r]`` and its cost
    ``branch_epochs[r]`` (empty in rows cached before branches were recorded)."""
    n = POOL_SIZE[problem] if n is None else n
    stem = f"{problem}-seed{seed}" if steps_per_epoch == 4 else f"{problem}-spe{steps_per_epoch}-seed{seed}"
    path = cache / f"{stem}-{n}.jsonl"
    params = configs(seed, n, steps_per_epoch)
    done: list[dict] = []
    if path.exists():
        done = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    else:
        smaller = sorted(cache.glob(f"{stem}-*.jsonl"), key=lambda f: -int(f.stem.rsplit("-", 1)[1]))
        for f in smaller:
            rows = [json.loads(line) for line in f.read_text().splitlines() if line.strip()][:n]
            if rows and all(r["params"] == params[i] for i, r in enumerate(rows)):
                done = rows
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("".join(json.dumps(r) + "\n" for r in rows))
                break
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        for i in range(len(done), n):
            p = params[i]
            branch = (None if p["lr.family"] != "wsd" else
                      lambda rate, epochs, p=p: wide.wsd_branch_rates(p, rate, epochs, steps_per_epoch))
            c = problems.curves(problem, seed, i, lambda total, p=p: build(p, total, steps_per_epoch),
                                steps_per_epoch, branch)
            row = {"params": p, **{k: {str(e): v for e, v in c[k].items()} for k in c}}
            f.write(json.dumps(row) + "\n")
            f.flush()
            done.append(row)
    rows = [{"params": r["params"], **{k: {int(e): v for e, v in r[k].items()}
                                       for k in r if k != "params"}} for r in done]
    for r in rows:
        r["probe_epochs"] = {e: s / steps_per_epoch for e, s in r["probe_steps"].items()}
        r["branch_epochs"] = {e: s / steps_per_epoch for e, s in r.get("branch_steps", {}).items()}
    return rows


def build(params: dict, total_steps: int, steps_per_epoch: int = problems.STEPS_PER_EPOCH):
    """The configuration's schedule for a horizon of ``total_steps``.

    ``SPACE.build`` rebuilds the fractional arguments for the horizon; where a family cannot be
    built that short (OneCycleLR needs a few steps per phase), the full-length schedule is
    compressed in time instead: ``s(step) = full(step * full_steps // total_steps)``.
    """
    try:
        return SPACE.build(params, "lr", total_steps=total_steps)
    except schedules.ScheduleError:
        full_steps = problems.MAX_EPOCHS * steps_per_epoch
        full = SPACE.build(params, "lr", total_steps=full_steps)
        return lambda step: full(step * full_steps // total_steps)


def default_cache() -> Path:
    return Path(os.environ.get("TUNELAB_BENCH_CACHE", Path.home() / ".cache" / "tunelab-bench" / "pruning"))
