"""Parameter importances as bars, each with its spread over the forest's trees and its trial count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tunelab._constraints import InstanceOf, constrained
from tunelab._records import FrozenTrial
from tunelab.importance import FanovaImportanceEvaluator, ParamImportance, estimate_param_importances
from tunelab.visualization._common import (
    COLORS,
    DEFAULT_TARGET_NAME,
    PARAMS,
    STUDY,
    TARGET,
    TARGET_NAME,
    empty,
    layout,
)

IMPORTANCE_TITLE = "Hyperparameter Importances"


def importance_info(study: Any, evaluator: FanovaImportanceEvaluator | None, params: Sequence[str] | None,
                    target: Callable[[FrozenTrial], float] | None, target_name: str,
                    objective_names: Sequence[str] | None = None) -> list[tuple[str, list[ParamImportance]]]:
    """``[(label, estimates)]``: one entry, or one per objective of a multi-objective study without ``target``."""
    n = len(study.directions)
    if target is not None or n == 1:
        return [(target_name, estimate_param_importances(study, evaluator=evaluator, params=params, target=target))]
    names = list(objective_names or [f"{target_name} {i}" for i in range(n)])
    return [(names[i], estimate_param_importances(study, evaluator=evaluator, params=params,
                                                  target=lambda t, i=i: t.values[i])) for i in range(n)]


def bar_text(e: ParamImportance) -> str:
    """What a bar says beside it: the importance, its spread and how many trials set the parameter.

    >>> bar_text(ParamImportance("x", 0.52, 0.081, 12, 40))
    '0.52 ± 0.08 · 12 of 40 trials'
    >>> bar_text(ParamImportance("m", None, None, 3, 40, "set in 3 of 40 trials: too few to estimate"))
    'not estimated: set in 3 of 40 trials'
    """
    if e.importance is None:
        return f"not estimated: set in {e.n_trials} of {e.n_total} trials"
    return f"{e.importance:.2f} ± {e.std or 0.0:.2f} · {e.n_trials} of {e.n_total} trials"


def importance_spec(info: list[tuple[str, list[ParamImportance]]]) -> dict[str, Any]:
    if not info or not any(found for _, found in info):
        return empty(IMPORTANCE_TITLE, "no complete trial with a parameter yet")
    order: list[str] = []
    for _, found in info:
        order += [e.name for e in found if e.name not in order]
    names = order[::-1]  # plotly draws the first category at the bottom: most important on top
    data, labels = [], {"x": [], "y": [], "text": []}
    for label, found in info:
        by = {e.name: e for e in found}
        rows = [by.get(n) for n in names]
        xs = [e.importance if e and e.importance is not None else 0.0 for e in rows]
        errs = [e.std if e and e.std is not None else 0.0 for e in rows]
        texts = [bar_text(e) if e else "" for e in rows]
        trace = {"type": "bar", "orientation": "h", "name": label, "y": names, "x": xs,
                 "error_x": {"type": "data", "array": errs, "visible": True, "color": "#555"},
                 "hovertext": texts, "hoverinfo": "text+y"}
        if len(info) == 1:
            trace["marker"] = {"color": [COLORS["COMPLETE"] if e and e.importance is not None else COLORS["infeasible"]
                                         for e in rows]}
            labels = {"x": [x + err for x, err in zip(xs, errs)], "y": names, "text": texts}
        data.append(trace)
    if labels["text"]:  # beside each bar, past its error bar: the estimate, its spread and its trial count
        data.append({"type": "scatter", "mode": "text", "x": labels["x"], "y": labels["y"], "text": labels["text"],
                     "textposition": "middle right", "textfont": {"size": 11}, "hoverinfo": "skip",
                     "showlegend": False, "cliponaxis": False})
    most = max((e.importance + (e.std or 0.0) for _, found in info for e in found if e.importance is not None),
               default=1.0)
    return {"data": data, "layout": layout(
        IMPORTANCE_TITLE, height=max(260, 80 + 28 * len(names) * len(info)), barmode="group",
        showlegend=len(info) > 1, margin={"l": 180, "r": 40, "t": 60, "b": 55},
        xaxis={"title": {"text": "Hyperparameter Importance (± spread over trees)"},
               "range": [0, min(1.0, most) * 1.7 + 0.05]},
        yaxis={"automargin": True, "type": "category"})}


@constrained({"study": STUDY, "evaluator": (None, InstanceOf(FanovaImportanceEvaluator)), "params": PARAMS,
              "target": TARGET, "target_name": TARGET_NAME}, where="plot_param_importances")
def plot_param_importances(study: Any, evaluator: FanovaImportanceEvaluator | None = None,
                           params: list[str] | None = None, *, target: Callable[[FrozenTrial], float] | None = None,
                           target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """Each parameter's importance (:func:`tunelab.importance.estimate_param_importances`) as a bar
    with its spread over the forest's trees and how many trials set it; a parameter set in too few
    trials to estimate is listed grey, with its count, and no number.

    A multi-objective study without ``target`` gets one group of bars per objective.

    Returns:
        A ``plotly.graph_objects.Figure`` (extra ``plot``).
    """
    from tunelab.visualization._common import plotly_figure

    return plotly_figure(importance_spec(importance_info(study, evaluator, params, target, target_name)))
