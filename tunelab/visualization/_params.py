"""Figures of the parameters against the value: parallel coordinates and the slice plot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import constrained
from tunelab._records import FrozenTrial
from tunelab.visualization._common import (
    DEFAULT_TARGET_NAME,
    PARAMS,
    STUDY,
    TARGET,
    TARGET_NAME,
    axis_key,
    completed,
    coverage,
    empty,
    grid,
    layout,
    log_ticks,
    minimizing,
    numeric_param,
    param_names,
    plotly_figure,
    spans_decades,
    target_of,
)

PARALLEL_TITLE = "Parallel Coordinate Plot"
SLICE_TITLE = "Slice Plot"
UNSET = "unset"


def _ticks(lo: float, hi: float) -> list[float]:
    if hi <= lo:
        return [lo]
    return [float(v) for v in np.linspace(lo, hi, 5)]


def parallel_info(study: Any, params: Sequence[str] | None, target: Callable[[FrozenTrial], float] | None,
                  target_name: str) -> dict[str, Any]:
    """The axes of the parallel-coordinate plot: the value first, then each parameter.

    Each axis has ``label``, ``values`` (one per line) and ``tickvals`` / ``ticktext`` where the
    positions are not the values themselves: log10 for log parameters and for values spanning
    decades, the choice's index for categorical parameters; a trial that does not set a parameter
    passes through an ``unset`` tick below that axis. ``counts`` says how many trials set each.
    """
    trials, values = completed(study, target_of(study, target, "plot_parallel_coordinate"))
    names = param_names(trials, params, "plot_parallel_coordinate") if trials else []
    axes: list[dict[str, Any]] = []
    if not trials:
        return {"axes": axes, "color": [], "minimize": None, "n": 0, "counts": {}}
    log_value = spans_decades(values)
    shown = np.log10(values) if log_value else values
    value_axis: dict[str, Any] = {"label": target_name + (" (log)" if log_value else ""), "values": shown.tolist()}
    if log_value:
        value_axis["tickvals"], value_axis["ticktext"] = log_ticks(float(shown.min()), float(shown.max()))
    else:
        value_axis["tickvals"] = _ticks(float(shown.min()), float(shown.max()))
        value_axis["ticktext"] = [f"{v:.4g}" for v in value_axis["tickvals"]]
    axes.append(value_axis)
    for name in names:
        positions, how = numeric_param(trials, name)
        present = [p for p in positions if p is not None]
        label = name + (" (log)" if how["log"] else "")
        if how["categorical"]:
            tickvals, ticktext = list(how["tickvals"]), list(how["ticktext"])
        elif "tickvals" in how:
            tickvals, ticktext = list(how["tickvals"]), list(how["ticktext"])
        else:
            tickvals = _ticks(min(present), max(present)) if present else []
            ticktext = [f"{v:.4g}" for v in tickvals]
        if len(present) < len(positions):  # conditional: unset trials pass below the axis
            lo, hi = (min(present), max(present)) if present else (0.0, 1.0)
            below = lo - max(hi - lo, 1.0) * 0.15 if not how["categorical"] else -1.0
            positions = [below if p is None else p for p in positions]
            tickvals, ticktext = [below, *tickvals], [UNSET, *ticktext]
        axis = {"label": label, "values": positions, "tickvals": tickvals, "ticktext": ticktext}
        if how["categorical"] or len(present) < len(positions) or how["log"]:
            axis["range"] = [min(tickvals + positions), max(tickvals + positions)]
        axes.append(axis)
    return {"axes": axes, "color": shown.tolist(), "minimize": minimizing(study, target), "n": len(trials),
            "counts": coverage(trials, names), "numbers": [t.number for t in trials], "values": values.tolist()}


#: Colour groups of the lines (one trace each) from the worst (light) to the best (dark).
SHADES = ("#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")


def parallel_spec(info: dict[str, Any]) -> dict[str, Any]:
    """Parallel coordinates drawn as plain SVG lines (no WebGL: they show in every browser, headless
    ones and remote desktops included): each axis scaled to its own range, ticks labelled beside
    it, one line per trial shaded by its value (darker is better), a hover point per trial on the
    value axis."""
    if not info["n"]:
        return empty(PARALLEL_TITLE, "no complete trial with a finite value yet")
    axes = info["axes"]
    k = len(axes)
    scales = []
    for a in axes:
        points = [*a["values"], *a.get("tickvals", [])]
        lo, hi = float(min(points)), float(max(points))
        scales.append((lo, hi - lo if hi > lo else 1.0))
    # positions on each axis as a share of its height: 4 decimals are finer than a pixel
    y = [[round((v - lo) / span, 4) for v in a["values"]] for a, (lo, span) in zip(axes, scales)]
    color = np.asarray(info["color"], dtype=float)
    goodness = (color - color.min()) / (np.ptp(color) or 1.0)
    if info["minimize"] is not False:
        goodness = 1.0 - goodness  # smaller is better (and for a custom target)
    shade = np.minimum((goodness * len(SHADES)).astype(int), len(SHADES) - 1)
    data: list[dict[str, Any]] = []
    for b, rgb in enumerate(SHADES):  # worst first, so the best lines are drawn on top
        xs: list[Any] = []
        ys: list[Any] = []
        for line in np.flatnonzero(shade == b):
            xs += [*range(k), None]
            ys += [*(y[a][line] for a in range(k)), None]
        if xs:
            data.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "hoverinfo": "skip",
                         "line": {"color": rgb, "width": 1.2 if b >= len(SHADES) - 2 else 1}, "showlegend": False})
    colorbar = {"title": {"text": axes[0]["label"]}, "thickness": 12, "tickvals": axes[0]["tickvals"],
                "ticktext": axes[0]["ticktext"]}
    data.append({"type": "scatter", "mode": "markers", "x": [0] * info["n"], "y": y[0], "showlegend": False,
                 "text": [f"trial {n}: {v:.6g}" for n, v in zip(info["numbers"], info["values"])], "hoverinfo": "text",
                 "marker": {"size": 6, "color": info["color"], "colorscale": "Blues",
                            "reversescale": info["minimize"] is not False, "showscale": True, "colorbar": colorbar}})
    notes = []
    for a, (axis, (lo, span)) in enumerate(zip(axes, scales)):
        for tick, text in zip(axis.get("tickvals", []), axis.get("ticktext", [])):
            notes.append({"x": a, "y": round((tick - lo) / span, 4), "text": text, "showarrow": False, "xanchor": "left",
                          "xshift": 4, "font": {"size": 10, "color": "#444"}})
    shapes = [{"type": "line", "x0": a, "x1": a, "y0": 0, "y1": 1, "line": {"color": "#888", "width": 1}}
              for a in range(k)]
    return {"data": data, "layout": layout(
        PARALLEL_TITLE, height=460, shapes=shapes, annotations=notes, hovermode="closest",
        margin={"l": 40, "r": 40, "t": 60, "b": 90},
        xaxis={"tickvals": list(range(k)), "ticktext": [a["label"] for a in axes], "tickangle": -20,
               "range": [-0.25, k - 0.35], "showgrid": False, "zeroline": False},
        yaxis={"visible": False, "range": [-0.06, 1.06]})}


@constrained({"study": STUDY, "params": PARAMS, "target": TARGET, "target_name": TARGET_NAME},
             where="plot_parallel_coordinate")
def plot_parallel_coordinate(study: Any, params: list[str] | None = None, *,
                             target: Callable[[FrozenTrial], float] | None = None,
                             target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """Parallel coordinates of the COMPLETE trials: the value, then each parameter, one line per trial
    coloured by its value (darker is better).

    Log parameters, and values spanning two decades or more, are drawn on log10 axes labelled in
    the parameter's units; categorical parameters by choice. A trial that does not set a
    (conditional) parameter passes through an ``unset`` tick below that axis.

    Args:
        study: the study.
        params: the parameters to draw (default: all, sorted by name).
        target: the value to draw (needed for multi-objective studies).
        target_name: the value axis' label.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(parallel_spec(parallel_info(study, params, target, target_name)))


def slice_info(study: Any, params: Sequence[str] | None,
               target: Callable[[FrozenTrial], float] | None) -> list[dict[str, Any]]:
    """Per parameter: the trials that set it, their parameter values (``x``), values (``y``) and numbers."""
    trials, values = completed(study, target_of(study, target, "plot_slice"))
    if not trials:
        return []
    out = []
    for name in param_names(trials, params, "plot_slice"):
        positions, how = numeric_param(trials, name)
        keep = [i for i, p in enumerate(positions) if p is not None]
        if how["categorical"]:
            x: list[Any] = [how["ticktext"][int(positions[i])] for i in keep]
        else:
            x = [float(trials[i].params[name]) for i in keep]
        out.append({"name": name, "x": x, "y": values[keep].tolist(), "numbers": [trials[i].number for i in keep],
                    "log": how["log"], "categorical": how["categorical"],
                    "choices": how["ticktext"] if how["categorical"] else None})
    return out


def slice_spec(info: list[dict[str, Any]], target_name: str) -> dict[str, Any]:
    if not info:
        return empty(SLICE_TITLE, "no complete trial with a finite value yet")
    xs, ys, cols = grid(len(info), cols=min(len(info), 4), gap=0.06)
    every = [v for entry in info for v in entry["y"]]
    all_numbers = [n for entry in info for n in entry["numbers"]]
    data, lay = [], layout(SLICE_TITLE, height=max(380, 320 * ((len(info) + cols - 1) // cols)), showlegend=False)
    log_y = spans_decades(every)
    for i, entry in enumerate(info):
        xkey, xref = axis_key(i, "x")
        ykey, yref = axis_key(i, "y")
        data.append({"type": "scatter", "mode": "markers", "x": entry["x"], "y": entry["y"], "xaxis": xref,
                     "yaxis": yref, "name": entry["name"], "text": [f"trial {n}" for n in entry["numbers"]],
                     "marker": {"color": entry["numbers"], "colorscale": "Blues", "size": 6,
                                "cmin": min(all_numbers), "cmax": max(all_numbers),
                                "line": {"width": 0.5, "color": "#555"}, "showscale": i == 0,
                                "colorbar": {"title": {"text": "Trial"}}}})
        xaxis: dict[str, Any] = {"domain": list(xs[i]), "anchor": yref, "title": {"text": entry["name"]}}
        if entry["log"]:
            xaxis["type"] = "log"
        if entry["categorical"]:
            xaxis.update({"type": "category", "categoryorder": "array", "categoryarray": entry["choices"]})
        yaxis = {"domain": list(ys[i]), "anchor": xref, "type": "log" if log_y else "linear"}
        if i % cols == 0:
            yaxis["title"] = {"text": target_name}
        lay[xkey], lay[ykey] = xaxis, yaxis
    return {"data": data, "layout": lay}


@constrained({"study": STUDY, "params": PARAMS, "target": TARGET, "target_name": TARGET_NAME}, where="plot_slice")
def plot_slice(study: Any, params: list[str] | None = None, *, target: Callable[[FrozenTrial], float] | None = None,
               target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """One scatter plot per parameter: the value of each COMPLETE trial that set it against the
    parameter's value, coloured by trial number (a trial without the parameter is not drawn there).

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(slice_spec(slice_info(study, params, target), target_name))
