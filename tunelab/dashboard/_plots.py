"""Server-side aggregation for the study page: every plot gets a bounded number of points.

A study of 50,000 trials sends the browser at most a few thousand points per plot: the history
keeps every improvement of the best value plus an even sample of the rest, parallel coordinates
keep the top-k% trials thinned evenly by rank, the timeline the most recent trials, and the
intermediate-value and learning-rate plots a chosen few trials.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from tunelab._records import SCHEDULE_KEY_PREFIX, TrialState
from tunelab.dashboard._cache import StudyCache, finite
from tunelab.dashboard._source import LR_TRACE_ATTR
from tunelab.reporting._importance import importance_scores
from tunelab.space import CategoricalDistribution

MAX_HISTORY_POINTS = 2000
MAX_PARALLEL_LINES = 500
MAX_TIMELINE_BARS = 500
MAX_CURVES = 60
LR_POINTS = 400
_HORIZON_ARGS = ("total_steps", "decay_steps", "T_max", "total_iters", "num_training_steps",
                 "transition_steps", "step_size_up", "first_decay_steps", "T_0")


def thin(n: int, limit: int) -> np.ndarray:
    """Indices of an even sample of at most ``limit`` out of ``n`` items (first and last kept).

    >>> thin(10, 4).tolist()
    [0, 3, 6, 9]
    """
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def history(cache: StudyCache) -> dict[str, Any]:
    done = cache.completed()
    numbers = np.array([r["number"] for r in done], dtype=np.int64)
    values = np.array([r["value"] for r in done], dtype=np.float64)
    if len(values):
        best = np.minimum.accumulate(values) if cache.minimize else np.maximum.accumulate(values)
        improved = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])
    else:
        best, improved = values, np.arange(0)
    keep = np.union1d(thin(len(values), MAX_HISTORY_POINTS), improved)
    steps = np.union1d(improved, [len(values) - 1]) if len(values) else improved
    return {"numbers": numbers[keep].tolist(), "values": values[keep].tolist(),
            "best_numbers": numbers[steps].tolist(), "best_values": best[steps].tolist(),
            "n_complete": int(len(values)), "n_shown": int(len(keep))}


def _axis_values(rows: list[dict[str, Any]], name: str, dist: Any) -> tuple[dict[str, Any], list[Any]]:
    """One parallel-coordinates axis: its description and each row's position on it."""
    log = bool(getattr(dist, "log", False))
    axis: dict[str, Any] = {"name": name, "log": log, "categorical": isinstance(dist, CategoricalDistribution)}
    if axis["categorical"]:
        axis["choices"] = [str(c) for c in dist.choices]
    out = []
    for r in rows:
        found = r["params"].get(name)
        v = None if found is None else found[0]
        out.append(math.log10(v) if (v is not None and log and v > 0) else v)
    return axis, out


def parallel(cache: StudyCache, *, top_percent: float = 100.0) -> dict[str, Any]:
    """The best ``top_percent`` % of completed trials, thinned evenly by rank to the line limit."""
    done = cache.ranked()
    n_top = max(1, math.ceil(len(done) * top_percent / 100.0)) if done else 0
    chosen = cache.with_params([done[i] for i in thin(n_top, MAX_PARALLEL_LINES)])
    axes, columns = [], []
    for name in sorted(cache.distributions):
        axis, col = _axis_values(chosen, name, cache.distributions[name])
        axes.append(axis)
        columns.append(col)
    return {"axes": axes, "columns": columns, "values": [r["value"] for r in chosen],
            "numbers": [r["number"] for r in chosen], "n_selected": n_top, "n_complete": len(done)}


def importance(cache: StudyCache, *, max_rows: int = 5000) -> dict[str, Any]:
    """Each parameter's importance score, the report's (``tunelab.reporting.importances``).

    At most ``max_rows`` completed trials, spread evenly over the study, are used.
    """
    done = cache.completed()
    done = cache.with_params([done[i] for i in thin(len(done), max_rows)])
    columns = {name: _axis_values(done, name, dist)[1] for name, dist in sorted(cache.distributions.items())}
    categorical = {name: isinstance(dist, CategoricalDistribution) for name, dist in cache.distributions.items()}
    scores = importance_scores([r["value"] for r in done], columns, categorical)
    return {"params": [{"name": k, "score": v} for k, v in scores.items()], "n_used": len(done)}


def timeline(cache: StudyCache) -> dict[str, Any]:
    """The most recent trials as bars per worker (the ``worker`` attribute, else packed lanes)."""
    started = [r for r in cache.ordered if r["start"] is not None]
    started = started[-MAX_TIMELINE_BARS:]
    now = time.time()
    lanes: list[float] = []
    bars = []
    for r in sorted(started, key=lambda r: r["start"]):
        end = r["complete"] if r["complete"] is not None else now
        worker = r["worker"]
        if worker is None:  # pack into the first lane free at this trial's start
            lane = next((i for i, busy_until in enumerate(lanes) if busy_until <= r["start"]), len(lanes))
            if lane == len(lanes):
                lanes.append(end)
            lanes[lane] = end
            worker = f"lane {lane}"
        bars.append({"number": r["number"], "worker": worker, "state": TrialState(r["state"]).name,
                     "start": r["start"] * 1000.0, "end": end * 1000.0})
    return {"bars": bars, "n_total": len(cache.ordered)}


def curve_trials(cache: StudyCache) -> list[dict[str, Any]]:
    """Trials whose intermediate values are drawn: the best, the latest pruned, the running, spread."""
    with_steps = [r for r in cache.ordered if r["state"] != int(TrialState.WAITING)]
    done = cache.ranked()
    pruned = [r for r in with_steps if r["state"] == int(TrialState.PRUNED)]
    running = [r for r in with_steps if r["state"] == int(TrialState.RUNNING)]
    picked: dict[int, dict[str, Any]] = {}
    for group, n in ((done, 20), (running[-10:], 10), (pruned[-20:], 20)):
        for r in group[:n]:
            picked.setdefault(r["trial_id"], r)
    for i in thin(len(with_steps), MAX_CURVES - len(picked)):
        picked.setdefault(with_steps[i]["trial_id"], with_steps[i])
    return sorted(picked.values(), key=lambda r: r["number"])[:MAX_CURVES]


def intermediate(cache: StudyCache) -> dict[str, Any]:
    rows = curve_trials(cache)
    steps = cache.source.intermediate([r["trial_id"] for r in rows])
    curves = [{"number": r["number"], "state": TrialState(r["state"]).name,
               "steps": [s for s, _ in steps[r["trial_id"]]],
               "values": [finite(v) for _, v in steps[r["trial_id"]]]}
              for r in rows if steps[r["trial_id"]]]
    return {"curves": curves}


def learning_rates(cache: StudyCache, numbers: list[int]) -> dict[str, Any]:
    """Per chosen trial: the recorded ``lr_trace`` when present, else each stored schedule evaluated."""
    from tunelab.schedules import Schedule

    rows = cache.by_number(numbers[:MAX_CURVES])
    attrs = cache.source.learning_rate_attrs([r["trial_id"] for r in rows])
    curves = []
    for r in rows:
        found = attrs[r["trial_id"]]
        trace = found.get(LR_TRACE_ATTR)
        if isinstance(trace, list) and trace:
            pick = thin(len(trace), LR_POINTS * 2)
            curves.append({"number": r["number"], "name": "applied", "source": "lr_trace",
                           "steps": [trace[i][0] for i in pick], "values": [finite(trace[i][1]) for i in pick]})
            continue
        for key in sorted(k for k in found if k.startswith(SCHEDULE_KEY_PREFIX)):
            curve = schedule_curve(Schedule.from_config(found[key]))
            curves.append({"number": r["number"], "name": key[len(SCHEDULE_KEY_PREFIX):], "source": "schedule",
                           **curve})
    return {"curves": curves}


def schedule_curve(schedule: Any, *, horizon: int | None = None) -> dict[str, Any]:
    """A schedule evaluated at about ``LR_POINTS`` steps up to ``horizon`` (guessed from its arguments)."""
    if horizon is None:
        guesses = [v for k, v in schedule.to_config()["args"].items()
                   if k in _HORIZON_ARGS and isinstance(v, (int, float)) and v > 0]
        horizon = int(max(guesses) * 1.25) if guesses else 1000
    steps = np.unique(np.linspace(0, max(horizon, 1), LR_POINTS).round().astype(np.int64))
    values = schedule(steps)
    return {"steps": steps.tolist(), "values": [finite(float(v)) for v in values], "repr": repr(schedule)}
