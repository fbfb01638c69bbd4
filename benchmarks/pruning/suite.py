"""Every problem of the pruning benchmark, its pools, and the fixed tuning / held-out split.

The split is a rule, written before any study result was seen: within each group (``narrow``:
the schedule-only problems of :mod:`problems`; ``wide``: those of :mod:`wide`), sort by name and
alternate, the first to the tuning half. That gives

- tuning: ``cnn``, ``wide-cnn-adam``, ``wide-cnn-sgd-noisy``, ``wide-mlp-sgd``;
- held-out: ``mlp``, ``wide-cnn-sgd``, ``wide-mlp-adam``, ``wide-mlp-sgd-noisy``;

so each half has both architectures, an Adam problem, a noisy-label problem and three wide ones.
Pruners and objectives are developed on the tuning half only; the held-out half is reported, not
tuned on.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from benchmarks.pruning import pool, wide

GROUPS = {"narrow": ("cnn", "mlp"), "wide": wide.PROBLEMS}
POOL = 81  # configurations per (problem, seed): an 81-trial study replays one pool
#: Seeds (pools) per problem by half, sized to train every pool in about 40 minutes on 2 shared
#: cores: a wide pool takes 1-4 minutes on one core (0.6-2.8 s per configuration, 44 epochs of
#: training each), a narrow one 2-3 minutes.
SEEDS = {("narrow", "tuning"): 3, ("narrow", "held-out"): 3, ("wide", "tuning"): 6, ("wide", "held-out"): 6}


def group(problem: str) -> str:
    return next(g for g, names in GROUPS.items() if problem in names)


def half(problem: str) -> str:
    """``"tuning"`` or ``"held-out"``: alternate within the problem's group, sorted by name."""
    return ("tuning", "held-out")[sorted(GROUPS[group(problem)]).index(problem) % 2]


def problems(which: str = "all") -> list[str]:
    """The problems of a half (``"tuning"``, ``"held-out"`` or ``"all"``), sorted by name."""
    every = sorted(p for names in GROUPS.values() for p in names)
    return every if which == "all" else [p for p in every if half(p) == which]


def seeds(problem: str) -> int:
    return SEEDS[(group(problem), half(problem))]


def load(problem: str, seed: int, cache: Path | None = None) -> list[dict]:
    """The pool of ``problem`` and ``seed`` (trained once, then read from the cache)."""
    cache = pool.default_cache() if cache is None else cache
    if group(problem) == "narrow":
        return pool.load(problem, seed, cache, POOL)
    return wide.load(problem, seed, cache, POOL)


def _fill(job: tuple[str, int]) -> None:
    load(*job)


def fill(jobs: list[tuple[str, int]], processes: int = 2) -> None:
    """Train the pools of ``jobs`` (problem, seed) that are not cached, ``processes`` at a time."""
    with multiprocessing.get_context("fork").Pool(processes) as workers:  # one cache file per job
        workers.map(_fill, jobs, chunksize=1)
