"""matplotlib renderings of the figures whose data the plotly builders compute (same ``*_info`` functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunelab._errors import require_extra
from tunelab.visualization import _history, _importance, _pareto, _schedules, _trials
from tunelab.visualization._common import COLORS, DEFAULT_TARGET_NAME, spans_decades


def plt() -> Any:
    """``matplotlib.pyplot`` (extra ``plot``)."""
    return require_extra("matplotlib.pyplot", "plot")


def new_axes(**kwargs: Any) -> Any:
    _, ax = plt().subplots(figsize=kwargs.pop("figsize", (7.5, 4.5)), **kwargs)
    return ax


def say(ax: Any, text: str) -> Any:
    """An empty figure that says why there is nothing to draw."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#66707a")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def log_if_decades(ax: Any, values: Sequence[float], axis: str = "y") -> None:
    if spans_decades(values):
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")


def history(info: list[dict[str, Any]], target_name: str) -> Any:
    ax = new_axes()
    ax.set_title(_history.HISTORY_TITLE)
    every = [v for e in info for v in e["values"] + e["infeasible"][1] + e["pruned"][1]]
    if not every:
        return say(ax, "no complete trial with a finite value yet")
    for e in info:
        suffix = f" of {e['label']}" if e["label"] else ""
        if e["stds"] is not None:
            ax.errorbar(e["numbers"], e["values"], yerr=e["stds"], fmt="o", ms=3, label=target_name + suffix)
        else:
            ax.scatter(e["numbers"], e["values"], s=14, label=target_name + suffix,
                       color=COLORS["COMPLETE"] if len(info) == 1 else None)
        if e["infeasible"][0]:
            ax.scatter(*e["infeasible"], s=14, color=COLORS["infeasible"], label="Infeasible Trial" + suffix)
        if e["pruned"][0]:
            ax.scatter(*e["pruned"], s=18, marker="x", color=COLORS["PRUNED"], label="Pruned (last value)" + suffix)
        if e["best"]:
            ax.step(*e["best"], where="post", label="Best Value" + suffix,
                    color=COLORS["best"] if len(info) == 1 else None)
    ax.set_xlabel("Trial")
    ax.set_ylabel(target_name)
    log_if_decades(ax, every)
    ax.legend(fontsize=8)
    return ax


def edf(info: list[dict[str, Any]], target_name: str) -> Any:
    ax = new_axes()
    ax.set_title(_history.EDF_TITLE)
    if not info:
        return say(ax, "no complete trial with a finite value yet")
    for e in info:
        ax.step(e["values"], e["fractions"], where="post", label=e["label"] or target_name)
    ax.set_xlabel(target_name)
    ax.set_ylabel("Cumulative Probability")
    log_if_decades(ax, [v for e in info for v in e["values"]], "x")
    ax.legend(fontsize=8)
    return ax


def intermediate(info: list[dict[str, Any]]) -> Any:
    ax = new_axes()
    ax.set_title(_trials.INTERMEDIATE_TITLE)
    if not info:
        return say(ax, "no trial reported an intermediate value")
    for c in info:
        ax.plot(c["steps"], [np.nan if v is None else v for v in c["values"]], lw=1, alpha=0.7,
                color=COLORS.get(c["state"], COLORS["FAIL"]))
        if c["state"] == "PRUNED" and c["values"][-1] is not None:
            ax.scatter([c["steps"][-1]], [c["values"][-1]], marker="x", color=COLORS["PRUNED"], zorder=3)
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate Value")
    log_if_decades(ax, [v for c in info for v in c["values"] if v is not None])
    return ax


def timeline(info: list[dict[str, Any]], lanes: str) -> Any:
    import matplotlib.dates as mdates

    ax = new_axes(figsize=(8, max(3.0, 0.25 * len({b["lane"] for b in info}) + 1.5)))
    ax.set_title(_trials.TIMELINE_TITLE)
    if not info:
        return say(ax, "no trial has started yet")
    order = list(dict.fromkeys(b["lane"] for b in sorted(info, key=lambda b: b["number"])))
    row = {lane: i for i, lane in enumerate(order)}
    seen = set()
    for b in info:
        start = mdates.date2num(b["start"])
        width = max(mdates.date2num(b["end"]) - start, 1e-9)
        color = COLORS["infeasible" if b["state"] == "INFEASIBLE" else b["state"]]
        label = None if b["state"] in seen else b["state"].capitalize()
        seen.add(b["state"])
        ax.barh(row[b["lane"]], width, left=start, color=color, label=label, height=0.8)
    ax.set_yticks(range(len(order)), order, fontsize=7)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Trial" if lanes == "trial" else "Worker")
    ax.legend(fontsize=8)
    return ax


def importances(info: list[tuple[str, list[Any]]]) -> Any:
    order: list[str] = []
    for _, found in info:
        order += [e.name for e in found if e.name not in order]
    ax = new_axes(figsize=(8, max(3.0, 0.4 * len(order) * len(info) + 1.5)))
    ax.set_title(_importance.IMPORTANCE_TITLE)
    if not order:
        return say(ax, "no complete trial with a parameter yet")
    names = order[::-1]
    height = 0.8 / len(info)
    for k, (label, found) in enumerate(info):
        by = {e.name: e for e in found}
        ys = np.arange(len(names)) + (k - (len(info) - 1) / 2) * height
        xs = [by[n].importance if n in by and by[n].importance is not None else 0.0 for n in names]
        errs = [by[n].std if n in by and by[n].std is not None else 0.0 for n in names]
        colors = [COLORS["COMPLETE"] if n in by and by[n].importance is not None else COLORS["infeasible"]
                  for n in names] if len(info) == 1 else None
        ax.barh(ys, xs, xerr=errs, height=height, color=colors, label=label, capsize=2)
        for y, x, err, n in zip(ys, xs, errs, names):
            if n in by:
                ax.text(x + err + 0.01, y, _importance.bar_text(by[n]), va="center", fontsize=7)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("Hyperparameter Importance")
    ax.set_xlim(0, 1.6)
    if len(info) > 1:
        ax.legend(fontsize=8)
    return ax


def pareto(info: dict[str, Any], names: Sequence[str], include_dominated_trials: bool) -> Any:
    three = info["n_targets"] == 3
    fig = plt().figure(figsize=(7, 5.5 if three else 4.5))
    ax = fig.add_subplot(projection="3d") if three else fig.add_subplot()
    ax.set_title(_pareto.PARETO_TITLE)
    groups = [("Trial", info["dominated"] if include_dominated_trials else [], COLORS["COMPLETE"]),
              ("Best Trial", info["best"], COLORS["best"]), ("Infeasible Trial", info["infeasible"],
                                                              COLORS["infeasible"])]
    if not any(rows for _, rows, _ in groups):
        return say(ax, "no complete trial with finite values yet")
    for label, rows, color in groups:
        if rows:
            points = np.array([p for _, p in rows], dtype=float)
            ax.scatter(*points.T, color=color, label=label, s=14)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if three:
        ax.set_zlabel(names[2])
    ax.legend(fontsize=8)
    return ax


def lr(info: dict[str, Any]) -> Any:
    ax = new_axes()
    ax.set_title(_schedules.LR_TITLE)
    if not info["curves"]:
        return say(ax, "no schedule or lr_trace stored for the trials drawn")
    for c in info["curves"]:
        label = (f"trial {c['number']} applied" if c["source"] == "lr_trace"
                 else f"trial {c['number']} {c['name']}: {c['family']}")
        ax.plot(c["steps"], [np.nan if v is None else v for v in c["values"]], label=label)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate")
    log_if_decades(ax, [v for c in info["curves"] for v in c["values"] if v is not None])
    ax.legend(fontsize=7)
    return ax


def families(info: dict[str, Any], target_name: str) -> Any:
    ax = new_axes()
    ax.set_title(f"{_schedules.FAMILIES_TITLE} of {info['schedule']}" if info["schedule"]
                 else _schedules.FAMILIES_TITLE)
    rows = info["rows"]
    if not rows:
        return say(ax, "no complete trial with a searched schedule yet")
    ax.boxplot([r["values"] for r in rows], showfliers=False)
    for i, r in enumerate(rows, start=1):
        ax.scatter(np.full(len(r["values"]), i) + np.linspace(-0.15, 0.15, len(r["values"])), r["values"], s=8,
                   color=COLORS["COMPLETE"], alpha=0.6)
        ax.scatter([i], [r["best"]], marker="*", s=120, color=COLORS["best"], zorder=3)
        ax.annotate(f"{r['best']:.4g}", (i, r["best"]), xytext=(8, 0), textcoords="offset points", fontsize=8)
    ax.set_xticks(range(1, len(rows) + 1), [f"{r['family']} ({r['n']})" for r in rows])
    ax.set_ylabel(target_name or DEFAULT_TARGET_NAME)
    log_if_decades(ax, [v for r in rows for v in r["values"]])
    return ax


def finite_or_nan(values: Sequence[Any]) -> list[float]:
    return [float(v) if v is not None and math.isfinite(v) else np.nan for v in values]
