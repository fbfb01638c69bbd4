"""The report's figures: :mod:`tunelab.visualization`'s builders over the trials the report draws.

The report draws no figure of its own: it picks the trials (every trial of a small study, a
sample of a large one, see :mod:`tunelab.visualization._sample`) and hands them to the same
builders as ``tunelab.visualization`` and the dashboard, as plain plotly figure dicts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab.visualization import _history, _importance, _params, _pareto, _schedules, _trials
from tunelab.visualization._common import TrialsView, is_feasible, shared_params
from tunelab.visualization._sample import history_keep, importance_evaluator, pick_curves, thin

#: The report's samples of a large study: smaller than the dashboard's (which draws on demand),
#: so that a 50,000-trial report with plotly.js inlined stays under 5 MB.
MAX_HISTORY_POINTS = 1000
MAX_PARALLEL_LINES = 300
MAX_TIMELINE_BARS = 300
MAX_CURVES = 40


def complete(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """COMPLETE trials whose every value is finite, in number order."""
    return [t for t in trials if t.state == TrialState.COMPLETE and t.values
            and all(math.isfinite(v) for v in t.values)]


def ranked(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection], i: int = 0) -> list[FrozenTrial]:
    """``trials`` best first by objective ``i``, feasible ones before infeasible ones."""
    sign = 1.0 if directions[i] == StudyDirection.MINIMIZE else -1.0
    return sorted(trials, key=lambda t: (not is_feasible(t), sign * t.values[i], t.number))


def figures(study: Any, trials: Sequence[FrozenTrial], names: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """``[(key, figure dict)]`` of the report, in page order."""
    dirs = list(study.directions)
    n_obj = len(dirs)
    done = complete(trials)
    view = lambda chosen: TrialsView(chosen, dirs, study_name=study.study_name)  # noqa: E731
    everything = view(trials)
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(n_obj):
        minimize = dirs[i] == StudyDirection.MINIMIZE if n_obj == 1 else None
        keep = history_keep([t.values[i] for t in done], minimize, MAX_HISTORY_POINTS)
        chosen = [done[k] for k in keep]
        pruned = [t for t in trials if t.state == TrialState.PRUNED]
        chosen += [pruned[k] for k in thin(len(pruned), MAX_HISTORY_POINTS // 4)]
        target = None if n_obj == 1 else (lambda t, i=i: t.values[i])
        info = _history.history_info([view(chosen)], target)
        out.append((f"history-{i}", _history.history_spec(info, names[i])))
    if n_obj in (2, 3):
        info = _pareto.front_info(everything)
        for key in ("dominated", "infeasible"):
            rows = info[key]
            info[key] = [rows[k] for k in thin(len(rows), MAX_HISTORY_POINTS)]
        out.append(("pareto", _pareto.pareto_spec(info, names)))
    names0 = names[0]
    target0 = None if n_obj == 1 else (lambda t: t.values[0])
    imp = _importance.importance_info(view(done), importance_evaluator(), None, None, names0, names)
    out.append(("importance", _importance.importance_spec(imp)))
    best = ranked(done, dirs)
    lines = [best[k] for k in thin(len(best), MAX_PARALLEL_LINES)]
    axes = shared_params(done)
    out.append(("parallel", _params.parallel_spec(_params.parallel_info(view(lines), axes, target0, names0))))
    numbers = pick_curves([t.number for t in trials], [t.state.name for t in trials], [t.number for t in best],
                          MAX_CURVES)
    wanted = set(numbers)
    curves = [t for t in trials if t.number in wanted]
    if any(t.intermediate_values for t in curves):
        out.append(("intermediate", _trials.intermediate_spec(_trials.intermediate_info(view(curves)))))
    out.append(("timeline", _trials.timeline_spec(_trials.timeline_info(everything, MAX_TIMELINE_BARS, "worker"),
                                                  "worker")))
    if any(t.schedule_configs or _schedules.LR_TRACE_ATTR in t.user_attrs for t in trials):
        lr_view = TrialsView(trials, dirs, study_name=study.study_name, user_attrs=_user_attrs(study))
        out.append(("lr", _schedules.lr_spec(_schedules.lr_info(lr_view, [t.number for t in _front_or_best(
            study, done, best)], None, False))))
    if "pbt:config" in (getattr(study, "system_attrs", None) or {}):  # a population-based training run
        from tunelab.visualization._pbt import lineage_spec

        out.append(("pbt-lineage", lineage_spec(study)))
    return out


def family_figures(study: Any, trials: Sequence[FrozenTrial], names: Sequence[str]
                   ) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Per schedule name: ``(name, families info, figure dict)`` of :func:`plot_schedule_families`."""
    dirs = list(study.directions)
    target = None if len(dirs) == 1 else (lambda t: t.values[0])
    view = TrialsView(trials, dirs, study_name=study.study_name)
    out = []
    for name in sorted({n for t in trials for n in t.schedule_configs}):
        info = _schedules.families_info(view, name, target)
        if info["rows"]:
            out.append((name, info, _schedules.families_spec(info, names[0])))
    return out


def _front_or_best(study: Any, done: list[FrozenTrial], best: list[FrozenTrial]) -> list[FrozenTrial]:
    if len(study.directions) == 1:
        return best[:_schedules.DEFAULT_TRIALS]
    from tunelab.study._multi import pareto_front

    return pareto_front([t for t in done if is_feasible(t)], study.directions)[:_schedules.DEFAULT_TRIALS]


def _user_attrs(study: Any) -> dict[str, Any]:
    attrs = getattr(study, "user_attrs", {})
    return attrs if isinstance(attrs, dict) else {}
