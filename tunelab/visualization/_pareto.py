"""The Pareto front of a multi-objective study (2 or 3 objectives, constraints marked) and its trade-off table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tunelab._constraints import Bool, Function, ListOf, String, constrained
from tunelab._errors import invalid
from tunelab._records import FrozenTrial, TrialState
from tunelab.study._multi import pareto_front
from tunelab.visualization._common import COLORS, STUDY, empty, finite, is_feasible, layout, plotly_figure

PARETO_TITLE = "Pareto-front Plot"


def objective_names(study: Any, n: int | None = None) -> list[str]:
    """The objectives' names: the study's ``metric_names`` or its ``metrics`` user attribute (what
    ``tunelab run`` records) when they fit, else ``Objective 0``, ``Objective 1`` ..."""
    n = len(study.directions) if n is None else n
    for found in (getattr(study, "metric_names", None), getattr(study, "user_attrs", {}).get("metrics")):
        if isinstance(found, (list, tuple)) and len(found) == n and all(isinstance(x, str) for x in found):
            return list(found)
    return ["Objective Value"] if n == 1 else [f"Objective {i}" for i in range(n)]


def _feasible(trial: FrozenTrial, constraints_func: Callable[[FrozenTrial], Sequence[float]] | None) -> bool:
    if constraints_func is None:
        return is_feasible(trial)
    return all(c <= 0 for c in constraints_func(trial))


def front_info(study: Any, *, constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
               targets: Callable[[FrozenTrial], Sequence[float]] | None = None) -> dict[str, Any]:
    """The COMPLETE trials with finite values split into ``best`` (the Pareto front of the feasible
    ones, by the study's directions), ``dominated`` (feasible, not on it) and ``infeasible``, each
    as ``[(trial, coordinates)]`` where the coordinates are ``targets(trial)`` or the values."""
    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.values is not None and all(finite(v) for v in t.values)]
    feasible = [t for t in done if _feasible(t, constraints_func)]
    best = pareto_front(feasible, study.directions)
    on_front = {t.number for t in best}
    point = (lambda t: [float(v) for v in targets(t)]) if targets is not None else (lambda t: list(t.values))
    return {"best": [(t, point(t)) for t in best],
            "dominated": [(t, point(t)) for t in feasible if t.number not in on_front],
            "infeasible": [(t, point(t)) for t in done if not _feasible(t, constraints_func)],
            "n_targets": len(point(done[0])) if done else (None if targets is not None else len(study.directions))}


def _hover(t: FrozenTrial) -> str:
    params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in list(t.params.items())[:8])
    return f"trial {t.number}: {params}"


def pareto_spec(info: dict[str, Any], names: Sequence[str], include_dominated_trials: bool = True) -> dict[str, Any]:
    n = info["n_targets"]
    if n is None or not (info["best"] or info["dominated"] or info["infeasible"]):
        return empty(PARETO_TITLE, "no complete trial with finite values yet")
    three = n == 3
    groups = [("Trial", info["dominated"] if include_dominated_trials else [], COLORS["COMPLETE"]),
              ("Best Trial", info["best"], COLORS["best"]),
              ("Infeasible Trial", info["infeasible"], COLORS["infeasible"])]
    data = []
    for label, rows, color in groups:
        if not rows:
            continue
        trace: dict[str, Any] = {"type": "scatter3d" if three else "scatter", "mode": "markers", "name": label,
                                 "x": [p[0] for _, p in rows], "y": [p[1] for _, p in rows],
                                 "text": [_hover(t) for t, _ in rows], "hoverinfo": "text+x+y" + ("+z" if three else ""),
                                 "marker": {"color": color, "size": 4 if three else 8,
                                            "line": {"width": 0.5, "color": "#333"}}}
        if three:
            trace["z"] = [p[2] for _, p in rows]
        data.append(trace)
    if three:
        lay = layout(PARETO_TITLE, scene={"xaxis": {"title": {"text": names[0]}}, "yaxis": {"title": {"text": names[1]}},
                                         "zaxis": {"title": {"text": names[2]}}}, height=560)
    else:
        lay = layout(PARETO_TITLE, xaxis={"title": {"text": names[0]}}, yaxis={"title": {"text": names[1]}})
    return {"data": data, "layout": lay}


def check_targets(info: dict[str, Any], target_names: Sequence[str] | None, targets: Any, where: str) -> None:
    """Refuse a figure of other than 2 or 3 values, and names that do not match them."""
    n = info["n_targets"]
    if n is not None and n not in (2, 3):
        if targets is None:
            raise invalid("targets", None, f"a function choosing 2 or 3 values per trial: the study has {n} "
                          f"objective{'s' if n != 1 else ''}", where=where)
        raise invalid("targets", targets, f"a function giving 2 or 3 values per trial (it gave {n})", where=where)
    if target_names is not None and n is not None and len(target_names) != n:
        raise invalid("target_names", list(target_names), f"a list of {n} names, one per plotted value", where=where)


@constrained({"study": STUDY, "target_names": (None, ListOf(String())), "include_dominated_trials": Bool(),
              "constraints_func": (None, Function(what="a callable taking a FrozenTrial and returning its "
                                                       "constraint values")),
              "targets": (None, Function(what="a callable taking a FrozenTrial and returning 2 or 3 values"))},
             where="plot_pareto_front")
def plot_pareto_front(study: Any, *, target_names: list[str] | None = None, include_dominated_trials: bool = True,
                      constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      targets: Callable[[FrozenTrial], Sequence[float]] | None = None) -> Any:
    """The COMPLETE trials of a study with 2 or 3 objectives (or 2 or 3 ``targets``): the Pareto front
    of the feasible trials red, the other feasible trials blue, infeasible ones grey.

    A trial is feasible when every one of its constraint values is <= 0: those it recorded with
    ``trial.set_constraint`` (or a sampler's ``constraints_func``), or ``constraints_func(trial)``.

    Args:
        study: the study.
        target_names: the axes' titles (default: the study's metric names, else ``Objective i``).
        include_dominated_trials: draw the feasible trials off the front too.
        constraints_func: the constraint values of a trial, instead of the recorded ones.
        targets: the 2 or 3 coordinates of a trial (default: its values); the front is still the
            study's, by its directions.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    info = front_info(study, constraints_func=constraints_func, targets=targets)
    check_targets(info, target_names, targets, "plot_pareto_front")
    n = info["n_targets"] or 2
    names = list(target_names) if target_names is not None else None
    if names is None:
        names = objective_names(study) if targets is None and n == len(study.directions) else [
            f"Objective {i}" for i in range(n)]
    return plotly_figure(pareto_spec(info, names, include_dominated_trials))


def tradeoff_rows(study: Any, *, limit: int = 50) -> list[dict[str, Any]]:
    """The Pareto front as table rows, ordered by the first objective: trial number, each objective
    under its name, the constraint values, and the parameters (at most ``limit`` rows)."""
    names = objective_names(study)
    info = front_info(study)
    rows = []
    for t, values in sorted(info["best"], key=lambda pair: (pair[1][0], pair[0].number))[:limit]:
        row: dict[str, Any] = {"trial": t.number}
        row.update({name: v for name, v in zip(names, values)})
        if t.constraints is not None:
            row["constraints"] = ", ".join(f"{c:.4g}" for c in t.constraints)
        row.update(t.params)
        rows.append(row)
    return rows
