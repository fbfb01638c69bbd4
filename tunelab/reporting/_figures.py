"""The report's figures as plain plotly figure dicts (``{"data": [...], "layout": {...}}``).

Only the JSON is built here; the page draws it with the plotly.js bundled in the installed
``plotly`` package, inlined, so the report needs no network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunelab.reporting._importance import importances

_PRUNED, _COMPLETE, _FAILED = "#d62728", "#1f77b4", "#7f7f7f"
_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 40, "b": 50}, "height": 380, "template": "plotly_white"}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {**_LAYOUT, "title": {"text": title}, **extra}


def _yaxis(metric: str, values: Sequence[Any]) -> dict[str, Any]:
    """A y axis for the metric: logarithmic when every value is positive (losses span decades)."""
    ys = [v for v in values if _finite(v)]
    return {"title": {"text": metric}, "type": "log" if ys and min(ys) > 0 else "linear"}


def _finite(v: Any) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def history(trials: Sequence[Any], minimize: bool, metric: str) -> dict[str, Any]:
    """Objective value per trial number with the best-so-far line (COMPLETE trials)."""
    done = [t for t in trials if t.state.name == "COMPLETE" and _finite(t.values[0])]
    pruned = [t for t in trials if t.state.name == "PRUNED" and t.values and _finite(t.values[0])]
    best, line = None, []
    for t in done:
        v = t.values[0]
        best = v if best is None or (v < best if minimize else v > best) else best
        line.append(best)
    return {"data": [
        {"type": "scatter", "mode": "markers", "name": "complete", "x": [t.number for t in done],
         "y": [t.values[0] for t in done], "marker": {"color": _COMPLETE}},
        {"type": "scatter", "mode": "markers", "name": "pruned (last value)", "x": [t.number for t in pruned],
         "y": [t.values[0] for t in pruned], "marker": {"color": _PRUNED, "symbol": "x"}},
        {"type": "scatter", "mode": "lines", "name": "best so far", "x": [t.number for t in done], "y": line,
         "line": {"shape": "hv", "color": "#2ca02c"}},
    ], "layout": _layout("Optimization history", xaxis={"title": {"text": "trial"}},
                         yaxis=_yaxis(metric, [t.values[0] for t in done + pruned]))}


def importance(trials: Sequence[Any]) -> dict[str, Any]:
    """Horizontal bars of the parameters' importance scores (see ``importances``)."""
    imp = importances(trials)
    names = list(imp)[::-1]
    return {"data": [{"type": "bar", "orientation": "h", "x": [imp[n] for n in names], "y": names,
                      "marker": {"color": _COMPLETE}}],
            "layout": _layout("Parameter importance (value ranks explained by each parameter alone)",
                              height=max(250, 40 + 26 * len(names)), margin={"l": 200, "r": 20, "t": 40, "b": 40},
                              xaxis={"title": {"text": "eta squared, adjusted for chance"}, "range": [0, 1]})}


def parallel(trials: Sequence[Any], minimize: bool, metric: str) -> dict[str, Any]:
    """Parallel coordinates of the COMPLETE trials; log parameters on log axes (log10 with 10^k ticks)."""
    done = [t for t in trials if t.state.name == "COMPLETE" and _finite(t.values[0])]
    dims = []
    names = sorted({k for t in done for k in t.params}, key=lambda n: (n.count("."), n))
    for name in names:
        if not all(name in t.params for t in done):
            continue  # conditional parameters: an axis needs a value in every line
        dist = done[0].distributions[name]
        values = [t.params[name] for t in done]
        if hasattr(dist, "choices"):
            choices = list(dist.choices)
            dims.append({"label": name, "values": [choices.index(v) for v in values],
                         "tickvals": list(range(len(choices))), "ticktext": [str(c) for c in choices]})
        elif getattr(dist, "log", False):
            lo, hi = math.floor(math.log10(dist.low)), math.ceil(math.log10(dist.high))
            dims.append({"label": f"{name} (log)", "values": [math.log10(v) for v in values],
                         "range": [math.log10(dist.low), math.log10(dist.high)],
                         "tickvals": list(range(lo, hi + 1)), "ticktext": [f"1e{k}" for k in range(lo, hi + 1)]})
        else:
            dims.append({"label": name, "values": values, "range": [dist.low, dist.high]})
    ys = [t.values[0] for t in done]
    dims.append({"label": metric, "values": ys})
    return {"data": [{"type": "parcoords", "dimensions": dims,
                      "line": {"color": ys, "colorscale": "Viridis", "reversescale": minimize, "showscale": True}}],
            "layout": _layout("Parallel coordinates (parameters set in every complete trial)", height=480,
                              margin={"l": 60, "r": 40, "t": 100, "b": 40})}


def intermediate(trials: Sequence[Any], metric: str) -> dict[str, Any]:
    """Every trial's reported values by step; pruned trials red with an x where they stopped."""
    data = []
    for t in trials:
        if not t.intermediate_values:
            continue
        steps = sorted(t.intermediate_values)
        ys = [t.intermediate_values[s] for s in steps]
        ys = [y if _finite(y) else None for y in ys]
        color = {"PRUNED": _PRUNED, "COMPLETE": _COMPLETE}.get(t.state.name, _FAILED)
        data.append({"type": "scatter", "mode": "lines", "x": steps, "y": ys, "name": f"trial {t.number}",
                     "line": {"color": color, "width": 1}, "opacity": 0.6, "showlegend": False})
        if t.state.name == "PRUNED":
            data.append({"type": "scatter", "mode": "markers", "x": [steps[-1]], "y": [ys[-1]],
                         "name": f"trial {t.number} pruned", "marker": {"color": _PRUNED, "symbol": "x", "size": 9},
                         "showlegend": False})
    every = [v for t in trials for v in t.intermediate_values.values()]
    return {"data": data, "layout": _layout("Intermediate values (blue: complete, red x: pruned, grey: failed)",
                                            xaxis={"title": {"text": "step"}}, yaxis=_yaxis(metric, every))}


def lr_curves(best: Sequence[Any], steps_of: Any) -> dict[str, Any] | None:
    """The learning-rate schedules of the best trials over their horizons."""
    data = []
    for t in best:
        for name, sched in t.schedules.items():
            n = steps_of(t, name)
            xs = np.unique(np.linspace(0, n, min(n + 1, 400)).round().astype(int))
            ys = np.asarray(sched(xs), dtype=float)
            data.append({"type": "scatter", "mode": "lines", "x": xs.tolist(), "y": ys.tolist(),
                         "name": f"trial {t.number} {name}: {repr(sched).split('(')[0]}"})
    if not data:
        return None
    return {"data": data, "layout": _layout("Learning-rate schedules of the best trials",
                                            xaxis={"title": {"text": "optimizer step"}},
                                            yaxis={"title": {"text": "learning rate"}, "type": "log"})}


def families(rows: Sequence[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Best value per schedule family (bars)."""
    return {"data": [{"type": "bar", "x": [r["family"] for r in rows], "y": [r["best"] for r in rows],
                      "text": [f"{r['best']:.4g}" for r in rows], "textposition": "outside",
                      "marker": {"color": [_PRUNED if r["family"] == "constant" else _COMPLETE for r in rows]}}],
            "layout": _layout("Best value per schedule family", yaxis={"title": {"text": f"best {metric}"}})}
