"""matplotlib renderings of the parameter figures: parallel coordinates, slice, contour and rank."""

from __future__ import annotations

from typing import Any

import numpy as np

from tunelab.visualization import _pairs, _params
from tunelab.visualization._common import spans_decades
from tunelab.visualization.matplotlib._draw import new_axes, plt, say


def _ticks(ax: Any, column: dict[str, Any], axis: str) -> None:
    if "tickvals" in column:
        (ax.set_xticks if axis == "x" else ax.set_yticks)(column["tickvals"], column["ticktext"], fontsize=7)


def parallel(info: dict[str, Any]) -> Any:
    axes = info["axes"]
    ax = new_axes(figsize=(max(6.0, 1.4 * len(axes) + 1.5), 4.8))
    ax.set_title(_params.PARALLEL_TITLE)
    if not info["n"]:
        return say(ax, "no complete trial with a finite value yet")
    spans = []
    for a in axes:
        points = [*a["values"], *a.get("tickvals", [])]
        lo, hi = float(min(points)), float(max(points))
        spans.append((lo, hi - lo if hi > lo else 1.0))
    scaled = np.array([[(v - lo) / span for v in a["values"]] for a, (lo, span) in zip(axes, spans)])
    color = np.asarray(info["color"], dtype=float)
    cmap = plt().get_cmap("Blues_r" if info["minimize"] else "Blues")
    shade = (color - color.min()) / (np.ptp(color) or 1.0)
    for k in np.argsort(-shade if info["minimize"] else shade):
        ax.plot(range(len(axes)), scaled[:, k], color=cmap(0.15 + 0.75 * shade[k]), lw=1, alpha=0.8)
    for i, (a, (lo, span)) in enumerate(zip(axes, spans)):
        ax.axvline(i, color="#555", lw=0.8)
        ticks = a.get("tickvals") or list(np.linspace(lo, lo + span, 5))
        labels = a.get("ticktext") or [f"{t:.3g}" for t in ticks]
        for t, label in zip(ticks, labels):
            ax.text(i + 0.03, (t - lo) / span, label, fontsize=6, va="center")
    ax.set_xticks(range(len(axes)), [a["label"] for a in axes], rotation=20, fontsize=8)
    ax.set_yticks([])
    ax.set_xlim(-0.2, len(axes) - 0.5)
    return ax


def slices(info: list[dict[str, Any]], target_name: str) -> Any:
    if not info:
        return say(new_axes(), "no complete trial with a finite value yet")
    fig, axes = plt().subplots(1, len(info), figsize=(3.2 * len(info) + 1, 4), sharey=True, squeeze=False)
    fig.suptitle(_params.SLICE_TITLE)
    every = [v for e in info for v in e["y"]]
    for ax, e in zip(axes[0], info):
        if e["categorical"]:
            index = {c: i for i, c in enumerate(e["choices"])}
            ax.scatter([index[x] for x in e["x"]], e["y"], c=e["numbers"], cmap="Blues", s=14, edgecolors="#555")
            ax.set_xticks(range(len(e["choices"])), e["choices"], fontsize=7)
        else:
            ax.scatter(e["x"], e["y"], c=e["numbers"], cmap="Blues", s=14, edgecolors="#555")
            if e["log"]:
                ax.set_xscale("log")
        ax.set_xlabel(e["name"])
        if spans_decades(every):
            ax.set_yscale("log")
    axes[0][0].set_ylabel(target_name)
    return axes[0] if len(info) > 1 else axes[0][0]


def _grid(info: dict[str, Any], title: str, draw: Any) -> Any:
    names = info["names"]
    cells = _pairs._pairs(names)
    n = int(round(len(cells) ** 0.5))
    fig, axes = plt().subplots(n, n, figsize=(4.2 * n + 0.8, 3.6 * n), squeeze=False)
    fig.suptitle(title)
    for ax, cell in zip(axes.flat, cells):
        if cell is None:
            ax.axis("off")
            continue
        xname, yname = cell
        draw(ax, info, xname, yname)
        ax.set_xlabel(xname, fontsize=8)
        ax.set_ylabel(yname, fontsize=8)
        _ticks(ax, info["columns"][xname], "x")
        _ticks(ax, info["columns"][yname], "y")
    return axes if n > 1 else axes[0][0]


def _contour_cell(ax: Any, info: dict[str, Any], xname: str, yname: str) -> None:
    keep = _pairs._both(info, xname, yname)
    x = np.array([info["columns"][xname]["positions"][i] for i in keep], dtype=float)
    y = np.array([info["columns"][yname]["positions"][i] for i in keep], dtype=float)
    z = np.array([info["values"][i] for i in keep], dtype=float)
    surface = _pairs.contour_surface(x, y, z)
    if surface is not None:
        gx, gy, gz = surface
        ax.contourf(gx, gy, np.array(gz, dtype=float), levels=15, cmap="Blues_r" if info["minimize"] else "Blues")
    ax.scatter(x, y, color="black", s=8)


def contour(info: dict[str, Any]) -> Any:
    if len(info["names"]) < 2:
        return say(new_axes(), "a contour plot needs two parameters set in complete trials")
    return _grid(info, _pairs.CONTOUR_TITLE, _contour_cell)


def _rank_cell(ax: Any, info: dict[str, Any], xname: str, yname: str) -> None:
    keep = _pairs._both(info, xname, yname)
    ax.scatter([info["columns"][xname]["positions"][i] for i in keep],
               [info["columns"][yname]["positions"][i] for i in keep],
               c=[info["rank"][i] if info["feasible"][i] else np.nan for i in keep], cmap="RdYlBu_r", vmin=0, vmax=1,
               s=14, edgecolors="#444", plotnonfinite=True)


def rank(info: dict[str, Any], target_name: str) -> Any:
    names = info["names"]
    if not names:
        return say(new_axes(), "no complete trial with a finite value and a parameter yet")
    if len(names) == 1:
        ax = new_axes()
        ax.set_title(_pairs.RANK_TITLE)
        column = info["columns"][names[0]]
        keep = [i for i, p in enumerate(column["positions"]) if p is not None]
        ax.scatter([column["positions"][i] for i in keep], [info["values"][i] for i in keep],
                   c=[info["rank"][i] for i in keep], cmap="RdYlBu_r", vmin=0, vmax=1, s=14)
        ax.set_xlabel(names[0])
        ax.set_ylabel(target_name)
        _ticks(ax, column, "x")
        return ax
    return _grid(info, _pairs.RANK_TITLE, _rank_cell)
