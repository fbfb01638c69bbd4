"""The lineage of a population-based training run: who copied whom, when, and how each member did.

:func:`plot_pbt_lineage` draws one marker per finished interval at (budget unit reached, member),
coloured by its value, and a line from the interval each one started from: horizontal where a
member went on from its own checkpoint, a dashed jump where it exploited a top member (the hover
text names the perturbation). The winner's lineage is drawn bold. The rates each member used are
:func:`~tunelab.visualization.plot_lr_schedules` of the last generation's trials (each records its
lineage's schedule).
"""

from __future__ import annotations

from typing import Any

from tunelab.visualization._common import COLORS, empty, layout, plotly_figure

__all__ = ["plot_pbt_lineage", "lineage_spec"]


def lineage_spec(study: Any) -> dict[str, Any]:
    """The plain plotly figure dict of :func:`plot_pbt_lineage`."""
    from tunelab._records import TrialState
    from tunelab.pbt._lineage import EVENTS_PREFIX, intervals, result

    title = "PBT lineage"
    done = intervals(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    if not done:
        return empty(title, "no finished population-based training interval in this study")
    by_number = {iv.number: iv for iv in done.values()}
    attrs = getattr(study, "system_attrs", {}) or {}
    how = {}
    for key, plan in attrs.items():
        if key.startswith(EVENTS_PREFIX):
            g = int(key[len(EVENTS_PREFIX):])
            for e in plan:
                how[(g, e["member"])] = e.get("perturbation") or {}
    winner = {iv.number for iv in result(study).lineage}
    data: list[dict[str, Any]] = []
    for kind, dash, width in (("own", "solid", 1), ("exploit", "dash", 1), ("winner", "solid", 4)):
        xs: list[Any] = []
        ys: list[Any] = []
        for iv in done.values():
            parent = by_number.get(iv.parent) if iv.parent is not None else None
            if parent is None:
                continue
            is_winner = iv.number in winner
            edge = "winner" if is_winner else ("own" if parent.member == iv.member else "exploit")
            if edge == kind:
                xs += [parent.stop, iv.stop, None]
                ys += [parent.member, iv.member, None]
        if xs:
            data.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": kind,
                         "line": {"dash": dash, "width": width,
                                  "color": COLORS["best"] if kind == "winner" else COLORS["COMPLETE"]},
                         "hoverinfo": "skip"})
    ivs = sorted(done.values(), key=lambda iv: iv.number)
    text = []
    for iv in ivs:
        moves = how.get((iv.generation, iv.member), {})
        moved = ", ".join(f"{n}: {m['how']} {m['from']:.3g}->{m['to']:.3g}" if isinstance(m.get("from"), float)
                          else f"{n}: {m['how']}" for n, m in moves.items())
        text.append(f"trial {iv.number}, member {iv.member}, generation {iv.generation}<br>value {iv.value:.4g}"
                    + (f"<br>explored {moved}" if moved else ""))
    data.append({"type": "scatter", "mode": "markers", "x": [iv.stop for iv in ivs], "y": [iv.member for iv in ivs],
                 "name": "interval", "text": text, "hoverinfo": "text",
                 "marker": {"size": 9, "color": [iv.value for iv in ivs], "colorscale": "Viridis",
                            "reversescale": study.directions[0].name == "MINIMIZE",
                            "colorbar": {"title": {"text": "value"}}}})
    return {"data": data, "layout": layout(title, xaxis={"title": {"text": "budget units trained"}},
                                           yaxis={"title": {"text": "member"}, "dtick": 1})}


def plot_pbt_lineage(study: Any) -> Any:
    """The population's lineage over time (see the module notes); a ``plotly.graph_objects.Figure``
    (extra ``plot``)."""
    return plotly_figure(lineage_spec(study))
