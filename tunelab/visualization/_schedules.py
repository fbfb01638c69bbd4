"""tunelab's own figures: the learning rates trials used, and the schedule families compared.

A schedule is drawn over its trial's horizon: the horizon stored with the trial's schedule config
when there is one (``trial.suggest_schedule(..., total_steps=N)`` and ``trial.set_schedule(...,
total_steps=N)`` record it: exactly ``N`` steps), else (trials stored before horizons were
recorded) the training length the runner recorded (user attribute
``schedule_steps``), else the schedule's own length (its ``total_steps``, ``decay_steps`` ...),
else (a constant) as far as the other schedules drawn beside it, else 1,000 steps; and never past
the last step the schedule accepts (a OneCycleLR ends at its ``total_steps``), so no stored study
makes a figure fail. Beside a recorded trace, a schedule is drawn over the steps the trace covers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import Bool, Integral, ListOf, String, constrained
from tunelab._errors import InvalidArgumentError, invalid
from tunelab._records import FrozenTrial, TrialState
from tunelab.integrations._lr_trace import LR_TRACE_ATTR
from tunelab.runner._protocol import SCHEDULE_STEPS_ATTR
from tunelab.study._trial import HORIZON_KEY
from tunelab.visualization._common import (
    COLORS,
    DEFAULT_TARGET_NAME,
    STUDY,
    TARGET,
    TARGET_NAME,
    completed,
    empty,
    finite,
    layout,
    minimizing,
    plotly_figure,
    target_of,
    value_axis,
)

LR_TITLE = "Learning-rate schedules"
FAMILIES_TITLE = "Schedule families"
#: Points per drawn schedule; default trials drawn; the horizon when nothing says one.
LR_POINTS = 400
DEFAULT_TRIALS = 5
DEFAULT_HORIZON = 1000
#: Values drawn per family: every one up to this many, else this many evenly spaced quantiles.
FAMILY_POINTS = 300
#: Arguments of schedule families that are lengths in steps.
LENGTH_ARGS = ("total_steps", "decay_steps", "T_max", "total_iters", "num_training_steps", "transition_steps",
               "step_size_up", "step_size_down", "first_decay_steps", "T_0", "steps", "warmup_steps",
               "num_warmup_steps", "step_size")
MAX_HORIZON = 2**53


def _length(value: Any) -> int | None:
    return int(value) if finite(value) and 1 <= value <= MAX_HORIZON else None


def own_length(config: Any) -> int | None:
    """The longest length in steps a schedule config names (nested schedules and boundaries included).

    >>> own_length({"family": "OneCycleLR", "args": {"max_lr": 0.1, "total_steps": 500}})
    500
    """
    found: list[int] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v, key)
        elif key in LENGTH_ARGS or key in ("boundaries", "milestones"):
            n = _length(node)
            if n is not None:
                found.append(n)

    walk(config)
    return max(found) if found else None


def last_valid_step(schedule: Any, horizon: int) -> int:
    """``horizon``, or the last step before it that ``schedule`` accepts (found by bisection)."""
    def accepts(step: int) -> bool:
        try:
            schedule(np.array([float(step)]))
        except (InvalidArgumentError, ValueError, OverflowError, ZeroDivisionError):
            return False
        return True

    if accepts(horizon):
        return horizon
    lo, hi = 0, horizon  # accepts(0) is assumed: every schedule starts at step 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if accepts(mid) else (lo, mid)
    return lo


def _candidates(trial: FrozenTrial, name: str, schedule: Any, nominal: Any) -> list[int]:
    config = trial.schedule_configs.get(name, {})
    recorded = trial.user_attrs.get(SCHEDULE_STEPS_ATTR)
    found = [config.get(HORIZON_KEY) if isinstance(config, dict) else None,
             recorded.get(name) if isinstance(recorded, dict) else None,
             nominal.get(name) if isinstance(nominal, dict) else None,
             own_length(config if isinstance(config, dict) and config else schedule.to_config())]
    return [n for n in map(_length, found) if n is not None]


def _has_length(trial: FrozenTrial, name: str, schedule: Any, nominal: Any) -> bool:
    return bool(_candidates(trial, name, schedule, nominal))


def horizon(trial: FrozenTrial, name: str, schedule: Any, nominal: Any = None) -> int:
    """The number of steps to draw ``trial``'s schedule ``name`` over (see the module's text);
    ``nominal`` is the study's ``schedule_steps`` attribute (a config's horizons, by name)."""
    found = _candidates(trial, name, schedule, nominal)
    return last_valid_step(schedule, found[0] if found else DEFAULT_HORIZON)


def curve(schedule: Any, steps: int) -> tuple[list[int], list[float | None]]:
    """``schedule`` evaluated at about :data:`LR_POINTS` steps from 0 to ``steps``."""
    xs = np.unique(np.linspace(0, max(steps, 1), LR_POINTS).round().astype(np.int64))
    xs = xs[xs <= steps] if steps >= 1 else xs[:1]
    ys = np.asarray(schedule(xs.astype(float)), dtype=float)
    return xs.tolist(), [float(v) if math.isfinite(v) else None for v in ys]


def trace_points(value: Any) -> tuple[list[float], list[float | None]] | None:
    """A stored ``lr_trace`` (``[[step, lr], ...]``) as steps and rates; None when it holds no point
    (user attributes hold anything: malformed entries are skipped)."""
    if not isinstance(value, list):
        return None
    xs, ys = [], []
    for point in value:
        if isinstance(point, (list, tuple)) and len(point) == 2 and finite(point[0]):
            xs.append(float(point[0]))
            ys.append(float(point[1]) if finite(point[1]) else None)
    return (xs, ys) if xs else None


def _default_trials(study: Any) -> list[FrozenTrial]:
    """The best COMPLETE trials (the Pareto front's first, for several objectives), else the latest ones."""
    from tunelab.study._multi import pareto_front

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    dirs = study.directions
    if len(dirs) == 1:
        trials, values = completed(study, lambda t: t.values[0])
        order = np.argsort(values if minimizing(study, None) else -values, kind="stable")
        picked = [trials[i] for i in order[:DEFAULT_TRIALS]]
    else:
        picked = pareto_front([t for t in done if t.values and all(finite(v) for v in t.values)], dirs)
        picked = picked[:DEFAULT_TRIALS]
    if not picked:
        every = study.get_trials(deepcopy=False)
        picked = [t for t in every if t.schedule_configs or LR_TRACE_ATTR in t.user_attrs][-DEFAULT_TRIALS:]
    return picked


def lr_info(study: Any, trials: Sequence[int] | None, schedule: str | None, compare: bool) -> dict[str, Any]:
    """The curves to draw: per trial the applied rates (``lr_trace``) where recorded, else (and with
    ``compare`` also) each schedule evaluated over its horizon; ``notes`` for configs that cannot be rebuilt."""
    from tunelab.schedules import Schedule

    if trials is None:
        chosen = _default_trials(study)
    else:
        by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
        missing = [n for n in trials if n not in by_number]
        if missing:
            raise invalid("trials", list(trials), f"numbers of the study's trials (no trial {missing[0]})",
                          where="plot_lr_schedules")
        chosen = [by_number[n] for n in dict.fromkeys(trials)]
    nominal = getattr(study, "user_attrs", {}).get(SCHEDULE_STEPS_ATTR)
    curves: list[dict[str, Any]] = []
    notes: list[str] = []
    pending = []  # (trial, name, schedule, trace): schedules without a length wait for the others' horizon
    for t in chosen:
        trace = trace_points(t.user_attrs.get(LR_TRACE_ATTR))
        if trace is not None:
            curves.append({"number": t.number, "name": "applied (lr_trace)", "source": "lr_trace",
                           "steps": trace[0], "values": trace[1]})
        if trace is not None and not compare:
            continue
        for name, config in sorted(t.schedule_configs.items()):
            if schedule is not None and name != schedule:
                continue
            try:
                pending.append((t, name, Schedule.from_config(config), trace))
            except InvalidArgumentError as exc:  # a config written by another version: say so, draw the rest
                notes.append(f"trial {t.number} {name}: {str(exc).splitlines()[0][:200]}")
    known = [horizon(t, name, s, nominal) for t, name, s, _ in pending if _has_length(t, name, s, nominal)]
    shared = max(known) if known else DEFAULT_HORIZON  # a constant is drawn as far as the others
    for t, name, sched, trace in pending:
        try:
            if trace is not None:  # beside the trace: over the steps it covers
                steps = last_valid_step(sched, int(min(max(trace[0]), MAX_HORIZON)))
            elif _has_length(t, name, sched, nominal):
                steps = horizon(t, name, sched, nominal)
            else:
                steps = last_valid_step(sched, shared)
            xs, ys = curve(sched, steps)
        except InvalidArgumentError as exc:
            notes.append(f"trial {t.number} {name}: {str(exc).splitlines()[0][:200]}")
            continue
        curves.append({"number": t.number, "name": name, "source": "schedule", "family": sched.family,
                       "repr": repr(sched), "steps": xs, "values": ys})
    return {"curves": curves, "notes": notes, "numbers": [t.number for t in chosen]}


def lr_spec(info: dict[str, Any]) -> dict[str, Any]:
    if not info["curves"]:
        why = "no schedule or lr_trace stored for " + (
            f"trials {info['numbers']}" if info["numbers"] else "any trial")
        return empty(LR_TITLE, "; ".join([why, *info["notes"]]))
    data = []
    for c in info["curves"]:
        label = (f"trial {c['number']} applied" if c["source"] == "lr_trace"
                 else f"trial {c['number']} {c['name']}: {c['family']}")
        trace = {"type": "scatter", "mode": "lines", "name": label, "x": c["steps"], "y": c["values"],
                 "legendgroup": str(c["number"])}
        if c["source"] == "schedule":
            trace["hovertext"] = c["repr"][:300]
        data.append(trace)
    every = [v for c in info["curves"] for v in c["values"] if v is not None]
    lay = layout(LR_TITLE, xaxis={"title": {"text": "optimizer step"}}, yaxis=value_axis("learning rate", every),
                 legend={"orientation": "h", "y": -0.3}, margin={"l": 70, "r": 30, "t": 60, "b": 90})
    if info["notes"]:
        lay["annotations"] = [{"text": "; ".join(info["notes"])[:300], "xref": "paper", "yref": "paper", "x": 0,
                               "y": 1.06, "showarrow": False, "xanchor": "left", "font": {"size": 11}}]
    return {"data": data, "layout": lay}


@constrained({"study": STUDY, "trials": (None, ListOf(Integral(min=0), what="a list of trial numbers")),
              "schedule": (None, String()), "compare": Bool()}, where="plot_lr_schedules")
def plot_lr_schedules(study: Any, trials: list[int] | None = None, *, schedule: str | None = None,
                      compare: bool = False) -> Any:
    """The learning rates the trials actually used, by optimizer step.

    For each trial: the rates recorded in its ``lr_trace`` user attribute (the integrations' traces)
    where there is one, else each schedule it suggested (or set with ``trial.set_schedule``),
    evaluated over the horizon the trial recorded for it.

    Args:
        study: the study.
        trials: the trial numbers to draw (default: the 5 best COMPLETE trials).
        schedule: only this schedule name (default: every schedule of each trial).
        compare: draw the suggested schedule beside a recorded trace too (they differ when a
            scheduler was stepped per epoch instead of per step, or twice).

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(lr_spec(lr_info(study, trials, schedule, compare)))


def families_info(study: Any, schedule: str | None, target: Callable[[FrozenTrial], float] | None) -> dict[str, Any]:
    """Per family of schedule ``schedule`` (its ``"{schedule}.family"`` parameter): the COMPLETE trials'
    values (sorted; of a family with more than :data:`FAMILY_POINTS` trials, that many evenly spaced
    quantiles, which draw the same box), their number, the median and the best, best family first."""
    trials, values = completed(study, target_of(study, target, "plot_schedule_families"))
    names = sorted({n for t in study.get_trials(deepcopy=False) for n in t.schedule_configs})
    if schedule is None:
        schedule = names[0] if names else None
    elif names and schedule not in names:
        raise invalid("schedule", schedule, f"one of the study's schedules {names}", where="plot_schedule_families")
    minimize = minimizing(study, target)
    by: dict[str, list[tuple[float, int]]] = {}
    for t, v in zip(trials, values):
        family = t.params.get(f"{schedule}.family") if schedule else None
        if family is None and schedule in t.schedule_configs:
            family = t.schedule_configs[schedule].get("family")
        if family is not None:
            by.setdefault(str(family), []).append((float(v), t.number))
    sign = 1.0 if minimize is not False else -1.0
    rows = []
    for family, pairs in by.items():
        best = min(pairs, key=lambda p: sign * p[0])
        ordered = sorted(pairs)
        keep = np.unique(np.linspace(0, len(ordered) - 1, min(len(ordered), FAMILY_POINTS)).round().astype(int))
        rows.append({"family": family, "values": [ordered[i][0] for i in keep],
                     "numbers": [ordered[i][1] for i in keep], "n": len(pairs), "best": best[0],
                     "best_number": best[1], "median": float(np.median([p[0] for p in pairs]))})
    rows.sort(key=lambda r: sign * r["best"])
    return {"schedule": schedule, "rows": rows, "minimize": minimize}


def families_spec(info: dict[str, Any], target_name: str) -> dict[str, Any]:
    title = f"{FAMILIES_TITLE} of {info['schedule']}" if info["schedule"] else FAMILIES_TITLE
    if not info["rows"]:
        return empty(title, "no complete trial with a searched schedule yet")
    labels = [f"{r['family']} ({r['n']})" for r in info["rows"]]
    data = [{"type": "box", "name": label, "y": r["values"], "boxpoints": "all", "jitter": 0.4, "pointpos": 0,
             "marker": {"size": 4, "color": COLORS["COMPLETE"]}, "line": {"color": "#8aa0d8"},
             "text": [f"trial {n}" for n in r["numbers"]], "showlegend": False}
            for label, r in zip(labels, info["rows"])]
    data.append({"type": "scatter", "mode": "markers+text", "name": "best", "x": labels,
                 "y": [r["best"] for r in info["rows"]], "text": [f"{r['best']:.4g}" for r in info["rows"]],
                 "textposition": "middle right", "marker": {"symbol": "star", "size": 13, "color": COLORS["best"]}})
    every = [v for r in info["rows"] for v in r["values"]]
    return {"data": data, "layout": layout(title, xaxis={"title": {"text": "family (trials)"}},
                                           yaxis=value_axis(target_name, every), showlegend=False)}


@constrained({"study": STUDY, "schedule": (None, String()), "target": TARGET, "target_name": TARGET_NAME},
             where="plot_schedule_families")
def plot_schedule_families(study: Any, schedule: str | None = None, *,
                           target: Callable[[FrozenTrial], float] | None = None,
                           target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """Each schedule family's COMPLETE trials: the distribution of their values (box and points),
    their number, and the best (a star), families ordered best first.

    Args:
        study: the study.
        schedule: the schedule's name in ``trial.suggest_schedule(name, ...)`` (default: the first, by name).
        target: the value to draw (needed for multi-objective studies).
        target_name: the value axis' title.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(families_spec(families_info(study, schedule, target), target_name))
