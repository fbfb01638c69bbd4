"""The optimization history (values by trial with the best so far) and the empirical distribution function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import Bool, constrained
from tunelab._errors import InvalidArgumentError
from tunelab._records import FrozenTrial, TrialState
from tunelab.visualization._common import (
    COLORS,
    DEFAULT_TARGET_NAME,
    STUDIES,
    TARGET,
    TARGET_NAME,
    completed,
    empty,
    finite,
    is_feasible,
    layout,
    minimizing,
    plotly_figure,
    target_of,
    value_axis,
)

HISTORY_TITLE = "Optimization History Plot"
EDF_TITLE = "Empirical Distribution Function Plot"


def _as_list(study: Any) -> list[Any]:
    return list(study) if isinstance(study, (list, tuple)) else [study]


def history_info(studies: Sequence[Any], target: Callable[[FrozenTrial], float] | None,
                 *, error_bar: bool = False) -> list[dict[str, Any]]:
    """Per study (or, with ``error_bar``, once for all): the values to draw.

    Each entry has ``label``, ``numbers`` / ``values`` (feasible COMPLETE trials), ``infeasible``
    and ``pruned`` (``(numbers, values)``: trials that broke a constraint; pruned trials' last
    values, single objective only) and ``best`` (``(numbers, values)`` of the best so far among
    feasible trials, None for a custom target), ``stds`` for error bars.
    """
    where = "plot_optimization_history"
    directions = {tuple(s.directions) for s in studies}
    if len(directions) > 1:
        raise InvalidArgumentError(f"study={[getattr(s, 'study_name', '?') for s in studies]!r} is invalid for "
                                   f"{where}: the studies must share their directions")
    out = []
    for s in studies:
        fn = target_of(s, target, where)
        trials, values = completed(s, fn)
        feasible = np.array([is_feasible(t) for t in trials], dtype=bool)
        numbers = np.array([t.number for t in trials], dtype=np.int64)
        minimize = minimizing(s, target)
        best = None
        if minimize is not None and feasible.any():
            f_vals = values[feasible]
            run = np.minimum.accumulate(f_vals) if minimize else np.maximum.accumulate(f_vals)
            best = (numbers[feasible].tolist(), run.tolist())
        pruned: tuple[list[int], list[float]] = ([], [])
        if target is None:
            for t in s.get_trials(deepcopy=False, states=(TrialState.PRUNED,)):
                if t.values and finite(t.values[0]):
                    pruned[0].append(t.number)
                    pruned[1].append(float(t.values[0]))
        out.append({"label": getattr(s, "study_name", "") if len(studies) > 1 else "",
                    "numbers": numbers[feasible].tolist(), "values": values[feasible].tolist(),
                    "infeasible": (numbers[~feasible].tolist(), values[~feasible].tolist()),
                    "pruned": pruned, "best": best, "stds": None})
    if error_bar and len(out) > 1:
        out = [_aggregate(out)]
    return out


def _aggregate(info: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation over studies at each trial number (error bars)."""
    def by_number(pairs: list[tuple[list[int], list[float]]]) -> tuple[list[int], list[float], list[float]]:
        table: dict[int, list[float]] = {}
        for numbers, values in pairs:
            for n, v in zip(numbers, values):
                table.setdefault(n, []).append(v)
        keys = sorted(table)
        return keys, [float(np.mean(table[k])) for k in keys], [float(np.std(table[k])) for k in keys]

    numbers, means, stds = by_number([(i["numbers"], i["values"]) for i in info])
    best = None
    if all(i["best"] for i in info):
        b_numbers, b_means, b_stds = by_number([i["best"] for i in info])
        best = (b_numbers, b_means)
    return {"label": "", "numbers": numbers, "values": means, "stds": stds, "infeasible": ([], []),
            "pruned": ([], []), "best": best, "best_stds": b_stds if best else None}


def history_spec(info: list[dict[str, Any]], target_name: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = []
    every: list[float] = []
    for i, entry in enumerate(info):
        suffix = f" of {entry['label']}" if entry["label"] else ""
        color = COLORS["COMPLETE"] if len(info) == 1 else None
        marker: dict[str, Any] = {"size": 6} | ({"color": color} if color else {})
        trace = {"type": "scatter", "mode": "markers", "name": target_name + suffix, "x": entry["numbers"],
                 "y": entry["values"], "marker": marker, "legendgroup": str(i)}
        if entry["stds"] is not None:
            trace["error_y"] = {"type": "data", "array": entry["stds"], "visible": True}
        data.append(trace)
        every += entry["values"]
        if entry["infeasible"][0]:
            data.append({"type": "scatter", "mode": "markers", "name": "Infeasible Trial" + suffix,
                         "x": entry["infeasible"][0], "y": entry["infeasible"][1],
                         "marker": {"color": COLORS["infeasible"], "size": 6}, "legendgroup": str(i)})
            every += entry["infeasible"][1]
        if entry["pruned"][0]:
            data.append({"type": "scatter", "mode": "markers", "name": "Pruned (last value)" + suffix,
                         "x": entry["pruned"][0], "y": entry["pruned"][1],
                         "marker": {"color": COLORS["PRUNED"], "symbol": "x", "size": 6}, "legendgroup": str(i)})
            every += entry["pruned"][1]
        if entry["best"]:
            best = {"type": "scatter", "mode": "lines", "name": "Best Value" + suffix, "x": entry["best"][0],
                    "y": entry["best"][1], "line": {"shape": "hv"} | ({"color": COLORS["best"]} if color else {}),
                    "legendgroup": str(i)}
            if entry.get("best_stds"):
                best["error_y"] = {"type": "data", "array": entry["best_stds"], "visible": True}
            data.append(best)
    if not every:
        return empty(HISTORY_TITLE, "no complete trial with a finite value yet")
    return {"data": data, "layout": layout(HISTORY_TITLE, xaxis={"title": {"text": "Trial"}},
                                           yaxis=value_axis(target_name, every),
                                           legend={"orientation": "h", "y": -0.2})}


@constrained({"study": STUDIES, "target": TARGET, "target_name": TARGET_NAME, "error_bar": Bool()},
             where="plot_optimization_history")
def plot_optimization_history(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
                              target_name: str = DEFAULT_TARGET_NAME, error_bar: bool = False) -> Any:
    """The objective value of every COMPLETE trial by trial number, with the best value so far.

    Trials that broke a constraint are grey and never count as the best; pruned trials show their
    last reported value. The value axis is logarithmic where the values span two decades or more.

    Args:
        study: a Study, or a list of studies sharing their directions (one series each).
        target: the value to draw, ``target(frozen_trial) -> float``; needed for multi-objective
            studies (e.g. ``lambda t: t.values[0]``); no best line is drawn for a custom target.
        target_name: the value axis' title.
        error_bar: with several studies, draw the mean and standard deviation at each trial number.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(history_spec(history_info(_as_list(study), target, error_bar=error_bar), target_name))


def edf_info(studies: Sequence[Any], target: Callable[[FrozenTrial], float] | None) -> list[dict[str, Any]]:
    """Per study with finite COMPLETE values: ``label``, sorted ``values`` and cumulative ``fractions``."""
    out = []
    for s in studies:
        _, values = completed(s, target_of(s, target, "plot_edf"))
        if len(values):
            values = np.sort(values)
            out.append({"label": getattr(s, "study_name", ""), "values": values.tolist(),
                        "fractions": (np.arange(1, len(values) + 1) / len(values)).tolist()})
    return out


def edf_spec(info: list[dict[str, Any]], target_name: str) -> dict[str, Any]:
    if not info:
        return empty(EDF_TITLE, "no complete trial with a finite value yet")
    data = [{"type": "scatter", "mode": "lines", "name": entry["label"] or target_name, "x": entry["values"],
             "y": entry["fractions"], "line": {"shape": "hv"}} for entry in info]
    every = [v for entry in info for v in entry["values"]]
    return {"data": data, "layout": layout(EDF_TITLE, xaxis=value_axis(target_name, every),
                                           yaxis={"title": {"text": "Cumulative Probability"}, "range": [0, 1.02]})}


@constrained({"study": STUDIES, "target": TARGET, "target_name": TARGET_NAME}, where="plot_edf")
def plot_edf(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
             target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """The empirical distribution function of the COMPLETE trials' values: the share of trials at or
    below each value (one line per study; a study without finite values is left out).

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(edf_spec(edf_info(_as_list(study), target), target_name))
