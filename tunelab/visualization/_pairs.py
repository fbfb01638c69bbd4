"""Figures of parameter pairs: the contour plot (interpolated value) and the rank plot (trials coloured by rank)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import constrained
from tunelab._records import FrozenTrial
from tunelab.visualization._common import (
    COLORS,
    DEFAULT_TARGET_NAME,
    PARAMS,
    STUDY,
    TARGET,
    TARGET_NAME,
    axis_key,
    completed,
    empty,
    grid,
    is_feasible,
    layout,
    minimizing,
    numeric_param,
    param_names,
    plotly_figure,
    target_of,
)

CONTOUR_TITLE = "Contour Plot"
RANK_TITLE = "Rank Plot"
GRID_POINTS = 60


def _pairs(names: list[str]) -> list[tuple[str, str] | None]:
    """Cells of the grid, row-major: ``(x parameter, y parameter)``, None on the diagonal of an n x n grid."""
    if len(names) == 2:
        return [(names[0], names[1])]
    return [None if i == j else (names[j], names[i]) for i in range(len(names)) for j in range(len(names))]


def pairs_info(study: Any, params: Sequence[str] | None, target: Callable[[FrozenTrial], float] | None,
               where: str) -> dict[str, Any]:
    """What the contour and rank plots share: per parameter its positions (log10, choice index) and
    tick labels; the trials' values, numbers, feasibility and rank in [0, 1] (0 best)."""
    trials, values = completed(study, target_of(study, target, where))
    names = param_names(trials, params, where) if trials else []
    columns = {}
    for name in names:
        positions, how = numeric_param(trials, name)
        columns[name] = {"positions": positions, **how}
    minimize = minimizing(study, target)
    order = np.argsort(np.argsort(values if minimize is not False else -values, kind="stable"), kind="stable")
    rank = (order / max(1, len(values) - 1)).tolist()
    return {"names": names, "columns": columns, "values": values.tolist(), "rank": rank,
            "numbers": [t.number for t in trials], "feasible": [is_feasible(t) for t in trials],
            "minimize": minimize}


def _axis(column: dict[str, Any], name: str, domain: tuple[float, float], anchor: str) -> dict[str, Any]:
    axis: dict[str, Any] = {"domain": list(domain), "anchor": anchor, "title": {"text": name + (" (log)" if column["log"]
                                                                                               else "")}}
    if "tickvals" in column:
        axis.update({"tickvals": column["tickvals"], "ticktext": column["ticktext"]})
    return axis


def _both(info: dict[str, Any], xname: str, yname: str) -> list[int]:
    xs, ys = info["columns"][xname]["positions"], info["columns"][yname]["positions"]
    return [i for i in range(len(xs)) if xs[i] is not None and ys[i] is not None]


def contour_surface(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[list[float], list[float], list[list[Any]]] | None:
    """``z`` interpolated linearly between the trials on a regular grid (nearest value outside their
    hull); None where the points span no area (fewer than three, or all on one line)."""
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    gx, gy = np.linspace(x.min(), x.max(), GRID_POINTS), np.linspace(y.min(), y.max(), GRID_POINTS)
    mx, my = np.meshgrid(gx, gy)
    points = np.column_stack([x, y])
    try:
        linear = griddata(points, z, (mx, my), method="linear")
    except (QhullError, ValueError):  # collinear points
        return None
    nearest = griddata(points, z, (mx, my), method="nearest")
    surface = np.where(np.isnan(linear), nearest, linear)
    return gx.tolist(), gy.tolist(), surface.tolist()


def _cells(info: dict[str, Any], title: str, draw: Callable[[dict[str, Any], str, str, str, str, bool], list[Any]]
           ) -> dict[str, Any]:
    names = info["names"]
    cells = _pairs(names)
    n = int(round(len(cells) ** 0.5))
    xs, ys, _ = grid(len(cells), cols=n, gap=0.05 if n > 1 else 0.0)
    size = 520 if n == 1 else 260 * n
    data, lay = [], layout(title, height=size, width=size + 160 if n > 1 else None, showlegend=False)
    if lay["width"] is None:
        del lay["width"]
    first = True
    for i, cell in enumerate(cells):
        xkey, xref = axis_key(i, "x")
        ykey, yref = axis_key(i, "y")
        if cell is None:
            lay[xkey] = {"domain": list(xs[i]), "anchor": yref, "visible": False}
            lay[ykey] = {"domain": list(ys[i]), "anchor": xref, "visible": False}
            continue
        xname, yname = cell
        lay[xkey] = _axis(info["columns"][xname], xname, xs[i], yref)
        lay[ykey] = _axis(info["columns"][yname], yname, ys[i], xref)
        data += draw(info, xname, yname, xref, yref, first)
        first = False
    return {"data": data, "layout": lay}


def _contour_cell(info: dict[str, Any], xname: str, yname: str, xref: str, yref: str, first: bool) -> list[Any]:
    keep = _both(info, xname, yname)
    x = np.array([info["columns"][xname]["positions"][i] for i in keep], dtype=float)
    y = np.array([info["columns"][yname]["positions"][i] for i in keep], dtype=float)
    z = np.array([info["values"][i] for i in keep], dtype=float)
    out: list[Any] = []
    surface = contour_surface(x, y, z)
    if surface is not None:
        gx, gy, gz = surface
        out.append({"type": "contour", "x": gx, "y": gy, "z": gz, "xaxis": xref, "yaxis": yref,
                    "colorscale": "Blues", "reversescale": bool(info["minimize"]), "showscale": first,
                    "contours": {"coloring": "heatmap"}, "connectgaps": True, "hoverinfo": "none",
                    "zmin": min(info["values"]), "zmax": max(info["values"])})
    out.append({"type": "scatter", "mode": "markers", "x": x.tolist(), "y": y.tolist(), "xaxis": xref, "yaxis": yref,
                "text": [f"trial {info['numbers'][i]}: {info['values'][i]:.6g}" for i in keep], "hoverinfo": "text",
                "marker": {"color": "black", "size": 5, "line": {"color": "white", "width": 0.5}}})
    return out


def contour_spec(info: dict[str, Any]) -> dict[str, Any]:
    if len(info["names"]) < 2:
        return empty(CONTOUR_TITLE, "a contour plot needs two parameters set in complete trials")
    return _cells(info, CONTOUR_TITLE, _contour_cell)


@constrained({"study": STUDY, "params": PARAMS, "target": TARGET, "target_name": TARGET_NAME}, where="plot_contour")
def plot_contour(study: Any, params: list[str] | None = None, *, target: Callable[[FrozenTrial], float] | None = None,
                 target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """The value over pairs of parameters, interpolated between the COMPLETE trials (dots); two
    parameters give one plot, more a grid of every pair. Trials that do not set both parameters of
    a pair are left out of it.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    spec = contour_spec(pairs_info(study, params, target, "plot_contour"))
    for trace in spec["data"]:
        if trace["type"] == "contour":
            trace["colorbar"] = {"title": {"text": target_name}}
    return plotly_figure(spec)


def _rank_cell(info: dict[str, Any], xname: str, yname: str, xref: str, yref: str, first: bool) -> list[Any]:
    keep = _both(info, xname, yname)
    out = []
    for feasible in (True, False):
        rows = [i for i in keep if info["feasible"][i] == feasible]
        if not rows:
            continue
        marker: dict[str, Any] = {"size": 7, "line": {"width": 0.5, "color": "#444"}}
        if feasible:
            marker.update({"color": [info["rank"][i] for i in rows], "colorscale": "RdYlBu", "reversescale": True,
                           "cmin": 0, "cmax": 1, "showscale": first,
                           "colorbar": {"title": {"text": "rank"}, "tickvals": [0, 1], "ticktext": ["best", "worst"]}})
        else:
            marker["color"] = COLORS["infeasible"]
        out.append({"type": "scatter", "mode": "markers", "xaxis": xref, "yaxis": yref,
                    "name": "feasible" if feasible else "infeasible",
                    "x": [info["columns"][xname]["positions"][i] for i in rows],
                    "y": [info["columns"][yname]["positions"][i] for i in rows],
                    "text": [f"trial {info['numbers'][i]}: {info['values'][i]:.6g}" for i in rows],
                    "hoverinfo": "text", "marker": marker})
    return out


def rank_spec(info: dict[str, Any], target_name: str) -> dict[str, Any]:
    names = info["names"]
    if not names:
        return empty(RANK_TITLE, "no complete trial with a finite value and a parameter yet")
    if len(names) == 1:
        name = names[0]
        column = info["columns"][name]
        keep = [i for i, p in enumerate(column["positions"]) if p is not None]
        spec = {"data": [{"type": "scatter", "mode": "markers", "x": [column["positions"][i] for i in keep],
                          "y": [info["values"][i] for i in keep],
                          "marker": {"color": [info["rank"][i] for i in keep], "colorscale": "RdYlBu",
                                     "reversescale": True, "cmin": 0, "cmax": 1, "showscale": True}}],
                "layout": layout(RANK_TITLE, xaxis=_axis(column, name, (0.0, 1.0), "y"),
                                 yaxis={"title": {"text": target_name}})}
        return spec
    return _cells(info, RANK_TITLE, _rank_cell)


@constrained({"study": STUDY, "params": PARAMS, "target": TARGET, "target_name": TARGET_NAME}, where="plot_rank")
def plot_rank(study: Any, params: list[str] | None = None, *, target: Callable[[FrozenTrial], float] | None = None,
              target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """The COMPLETE trials over pairs of parameters, coloured by the rank of their value (blue best,
    red worst; infeasible trials grey); one parameter gives its value against the objective.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    return plotly_figure(rank_spec(pairs_info(study, params, target, "plot_rank"), target_name))
