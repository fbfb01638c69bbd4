"""Figures of trials over time: the intermediate values by step and the timeline of trials."""

from __future__ import annotations

import datetime
from typing import Any

from tunelab._constraints import Integral, Options, constrained
from tunelab._records import TrialState
from tunelab.visualization._common import COLORS, STUDY, empty, finite, is_feasible, layout, plotly_figure, value_axis

INTERMEDIATE_TITLE = "Intermediate Values Plot"
TIMELINE_TITLE = "Timeline Plot"
#: The attribute (user, else system) naming the worker that ran a trial: a timeline lane.
WORKER_ATTR = "worker"


def intermediate_info(study: Any) -> list[dict[str, Any]]:
    """Per trial that reported: its number, state, steps and values (None for a non-finite value)."""
    out = []
    for t in study.get_trials(deepcopy=False):
        if not t.intermediate_values or t.state == TrialState.WAITING:
            continue
        steps = sorted(t.intermediate_values)
        values = [t.intermediate_values[s] for s in steps]
        out.append({"number": t.number, "state": t.state.name, "steps": steps,
                    "values": [float(v) if finite(v) else None for v in values]})
    return out


def intermediate_spec(info: list[dict[str, Any]]) -> dict[str, Any]:
    if not info:
        return empty(INTERMEDIATE_TITLE, "no trial reported an intermediate value")
    data = [{"type": "scatter", "mode": "lines+markers" if len(c["steps"]) < 30 else "lines",
             "name": f"Trial{c['number']}", "x": c["steps"], "y": c["values"],
             "line": {"color": COLORS.get(c["state"], COLORS["FAIL"]), "width": 1},
             "marker": {"size": 3}, "opacity": 0.7, "legendgroup": c["state"], "showlegend": False} for c in info]
    pruned = [c for c in info if c["state"] == "PRUNED" and c["steps"]]
    if pruned:
        data.append({"type": "scatter", "mode": "markers", "name": "pruned here",
                     "x": [c["steps"][-1] for c in pruned], "y": [c["values"][-1] for c in pruned],
                     "text": [f"trial {c['number']} pruned" for c in pruned],
                     "marker": {"symbol": "x", "size": 9, "color": COLORS["PRUNED"]}})
    every = [v for c in info for v in c["values"] if v is not None]
    states = sorted({c["state"].lower() for c in info})
    return {"data": data, "layout": layout(f"{INTERMEDIATE_TITLE} ({', '.join(states)}; x: where pruned)",
                                           xaxis={"title": {"text": "Step"}},
                                           yaxis=value_axis("Intermediate Value", every), showlegend=bool(pruned))}


@constrained({"study": STUDY}, where="plot_intermediate_values")
def plot_intermediate_values(study: Any) -> Any:
    """Every trial's reported values by step, coloured by state (blue complete, red pruned with an x
    where it stopped, green running, grey failed); a log axis where the values span decades.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(intermediate_spec(intermediate_info(study)))


def _worker(t: Any) -> str | None:
    for attrs in (t.user_attrs, t.system_attrs):
        found = attrs.get(WORKER_ATTR)
        if isinstance(found, (str, int)) and not isinstance(found, bool):
            return str(found)
    return None


def timeline_info(study: Any, n_recent_trials: int | None, lanes: str) -> list[dict[str, Any]]:
    """Per started trial (the ``n_recent_trials`` latest): number, lane, state (``INFEASIBLE`` for a
    COMPLETE trial that broke a constraint), start and end (now, while it runs)."""
    started = [t for t in study.get_trials(deepcopy=False) if t.datetime_start is not None]
    if n_recent_trials is not None:
        started = started[-n_recent_trials:]
    now = datetime.datetime.now()
    free: list[datetime.datetime] = []  # packed lanes: when each becomes free
    out = []
    for t in sorted(started, key=lambda t: (t.datetime_start, t.number)):
        end = t.datetime_complete or now
        state = "INFEASIBLE" if t.state == TrialState.COMPLETE and not is_feasible(t) else t.state.name
        lane = f"trial {t.number}"
        if lanes == "worker":
            lane = _worker(t)
            if lane is None:
                k = next((i for i, busy in enumerate(free) if busy <= t.datetime_start), len(free))
                free[k:k + 1] = [end]
                lane = f"lane {k}"
        out.append({"number": t.number, "lane": lane, "state": state, "start": t.datetime_start, "end": end})
    return out


def timeline_spec(info: list[dict[str, Any]], lanes: str) -> dict[str, Any]:
    if not info:
        return empty(TIMELINE_TITLE, "no trial has started yet")
    data = []
    for state in ("COMPLETE", "INFEASIBLE", "PRUNED", "FAIL", "RUNNING", "WAITING"):
        bars = [b for b in info if b["state"] == state]
        if not bars:
            continue
        data.append({"type": "bar", "orientation": "h", "name": state.capitalize(),
                     "y": [b["lane"] for b in bars],
                     "base": [b["start"].isoformat(timespec="milliseconds") for b in bars],
                     "x": [max(1, round((b["end"] - b["start"]).total_seconds() * 1000.0)) for b in bars],
                     "text": [f"trial {b['number']}" for b in bars], "hoverinfo": "text+name",
                     "marker": {"color": COLORS["infeasible" if state == "INFEASIBLE" else state]}})
    categories = list(dict.fromkeys(b["lane"] for b in sorted(info, key=lambda b: b["number"])))
    if lanes == "worker":
        categories.sort()
    return {"data": data, "layout": layout(TIMELINE_TITLE, barmode="overlay", xaxis={"type": "date",
                                                                                      "title": {"text": "Datetime"}},
                                           yaxis={"title": {"text": "Trial" if lanes == "trial" else "Worker"},
                                                  "type": "category", "categoryorder": "array",
                                                  "categoryarray": categories, "autorange": "reversed",
                                                  "automargin": True},
                                           legend={"orientation": "h", "y": -0.2})}


@constrained({"study": STUDY, "n_recent_trials": (None, Integral(min=1)), "lanes": Options("trial", "worker")},
             where="plot_timeline")
def plot_timeline(study: Any, n_recent_trials: int | None = None, *, lanes: str = "trial") -> Any:
    """Each started trial as a bar from its start to its end (now, while running), coloured by state;
    COMPLETE trials that broke a constraint are marked infeasible.

    Args:
        study: the study.
        n_recent_trials: only the latest trials (default: all).
        lanes: ``"trial"``, one row per trial; or ``"worker"``, one row per worker (the trials'
            ``worker`` attribute, else trials packed into as few rows as overlap allows).

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(timeline_spec(timeline_info(study, n_recent_trials, lanes), lanes))
