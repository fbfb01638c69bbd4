"""The study page's figures: :mod:`tunelab.visualization`'s builders over the rows the page draws.

The dashboard draws no figure of its own. From the cache's light rows it picks the trials a
figure needs (a bounded sample of a 50,000-trial study, see :mod:`tunelab.visualization._sample`),
turns just those into FrozenTrials (parameters, intermediate values, schedules read for them
alone) and hands them to the same builders as ``tunelab.visualization`` and the report. Each
route answers ``{"figure": {"data": [...], "layout": {...}}, ...}``, which the page draws with plotly.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import threading
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from tunelab._errors import invalid
from tunelab._records import SCHEDULE_KEY_PREFIX, FrozenTrial, StudyDirection, TrialState
from tunelab.dashboard._cache import StudyCache
from tunelab.reporting._safe import plotly_safe
from tunelab.visualization import _history, _importance, _params, _pareto, _schedules, _trials
from tunelab.visualization._common import TrialsView, is_feasible, shared_params
from tunelab.visualization._sample import (
    MAX_CURVES,
    MAX_HISTORY_POINTS,
    MAX_PARALLEL_LINES,
    MAX_TIMELINE_BARS,
    history_keep,
    importance_evaluator,
    pick_curves,
    thin,
)

#: Significant digits of the numbers sent (what a plot or a hover shows).
DIGITS = 6
#: Rows of the Pareto front's trade-off table.
MAX_FRONT_ROWS = 50
_STATES = {int(s): s for s in TrialState}
#: One importance estimate at a time (forests fit one after the other anyway).
_IMPORTANCE_LOCK = threading.Lock()


def load_importance_backend() -> None:
    """Import scikit-learn now, in the thread that builds the server: imported later by two request
    threads at once (or beside another import of pandas), the import system can deadlock. Without
    it the importance route answers with the extra to install."""
    from tunelab._errors import MissingExtraError, require_extra

    try:
        require_extra("sklearn.ensemble", "dashboard")
    except MissingExtraError:
        pass


def figure(spec: dict[str, Any]) -> dict[str, Any]:
    """A figure dict as the page receives it: every study string shown as text, numbers rounded."""
    return plotly_safe(spec, digits=DIGITS)


def _values(row: dict[str, Any]) -> tuple[float, ...] | None:
    if row["values_json"]:
        return tuple(float(v) if v is not None else math.nan for v in json.loads(row["values_json"]))
    return None if row["value"] is None else (float(row["value"]),)


def _time(stamp: float | None) -> datetime.datetime | None:
    return None if stamp is None else datetime.datetime.fromtimestamp(stamp)


def frozen(rows: Sequence[dict[str, Any]], *, intermediate: dict[int, list[tuple[int, Any]]] | None = None,
           attrs: dict[int, dict[str, Any]] | None = None) -> list[FrozenTrial]:
    """Light rows as FrozenTrials: parameters where the rows hold them, intermediate values and
    learning-rate attributes (``lr_trace``, schedule configs) where given by trial id."""
    out = []
    for r in rows:
        params = r.get("params") or {}
        found = (attrs or {}).get(r["trial_id"], {})
        user = {"worker": r["worker"]} if r["worker"] is not None else {}
        if _schedules.LR_TRACE_ATTR in found:
            user[_schedules.LR_TRACE_ATTR] = found[_schedules.LR_TRACE_ATTR]
        configs = {k[len(SCHEDULE_KEY_PREFIX):]: v for k, v in found.items() if k.startswith(SCHEDULE_KEY_PREFIX)}
        steps = (intermediate or {}).get(r["trial_id"], [])
        out.append(FrozenTrial(
            r["number"], _STATES[r["state"]], _values(r), {n: d.to_external(v) for n, (v, d) in params.items()},
            {n: d for n, (_, d) in params.items()},
            intermediate_values={s: (math.nan if v is None else v) for s, v in steps},
            user_attrs=user, datetime_start=_time(r["start"]), datetime_complete=_time(r["complete"]),
            trial_id=r["trial_id"], constraints=r.get("constraints"), schedule_configs=configs))
    return out


def _view(cache: StudyCache, trials: Sequence[FrozenTrial]) -> TrialsView:
    return TrialsView(trials, cache.directions, study_name=cache.name, user_attrs=cache.user_attrs)


def objective_names(cache: StudyCache) -> list[str]:
    """The objectives' names: the study's ``metrics`` user attribute when it fits, else Optuna's defaults."""
    return _pareto.objective_names(_view(cache, []))


def history(cache: StudyCache, *, objective: int = 0) -> dict[str, Any]:
    """The optimization history of objective ``objective``: every improvement of the best value
    and an even sample of the rest, pruned trials' last values sampled too."""
    n_obj = len(cache.directions)
    if not 0 <= objective < n_obj:
        raise invalid("objective", objective, f"an objective index in [0, {n_obj - 1}]")
    done = cache.completed()
    if n_obj == 1:
        ys = [r["value"] for r in done]
    else:
        ys = [v[objective] if v and len(v) > objective else math.nan for v in map(_values, done)]
    minimize = cache.directions[0] == StudyDirection.MINIMIZE if n_obj == 1 else None
    keep = history_keep(ys, minimize, MAX_HISTORY_POINTS)
    pruned = [r for r in cache.ordered if r["state"] == int(TrialState.PRUNED)]
    rows = [done[k] for k in keep] + [pruned[k] for k in thin(len(pruned), MAX_HISTORY_POINTS // 4)]
    target = None if n_obj == 1 else (lambda t: t.values[objective])
    info = _history.history_info([_view(cache, frozen(rows))], target)
    name = objective_names(cache)[objective]
    return {"figure": figure(_history.history_spec(info, name)), "n_complete": len(done), "n_shown": len(keep)}


def parallel(cache: StudyCache, *, top_percent: float = 100.0, params: Sequence[str] | None = None) -> dict[str, Any]:
    """Parallel coordinates of the best ``top_percent`` % of completed trials (thinned evenly by rank)
    over ``params``, by default the parameters at least half of those trials set."""
    done = cache.ranked()
    n_top = max(1, math.ceil(len(done) * top_percent / 100.0)) if done else 0
    chosen = cache.with_params([done[i] for i in thin(n_top, MAX_PARALLEL_LINES)])
    trials = frozen(chosen)
    counts: dict[str, int] = {}
    for t in trials:
        for name in t.params:
            counts[name] = counts.get(name, 0) + 1
    axes = list(params) if params is not None else shared_params(trials)
    unknown = [p for p in axes if p not in counts]
    if unknown:
        raise invalid("params", list(axes), f"names of parameters of the trials drawn ({sorted(counts)})")
    target = None if len(cache.directions) == 1 else (lambda t: t.values[0])
    info = _params.parallel_info(_view(cache, trials), axes, target, objective_names(cache)[0])
    return {"figure": figure(_params.parallel_spec(info)), "params": axes,
            "available": [{"name": n, "count": counts[n]} for n in sorted(counts, key=lambda n: (-counts[n], n))],
            "n_selected": n_top, "n_complete": len(done), "n_lines": len(trials)}


def importance(cache: StudyCache) -> dict[str, Any]:
    """Each parameter's importance with its spread and trial count (an even sample of at most 1,000
    completed trials; per objective for several)."""
    evaluator = importance_evaluator()
    done = cache.completed()
    sample = cache.with_params([done[i] for i in thin(len(done), evaluator.max_trials)])
    names = objective_names(cache)
    with _IMPORTANCE_LOCK:
        info = _importance.importance_info(_view(cache, frozen(sample)), evaluator, None, None, names[0], names)
    return {"figure": figure(_importance.importance_spec(info)), "n_used": len(sample), "n_complete": len(done)}


def timeline(cache: StudyCache) -> dict[str, Any]:
    """The most recent trials as bars, one row per worker (the ``worker`` attribute, else packed lanes)."""
    started = [r for r in cache.ordered if r["start"] is not None][-MAX_TIMELINE_BARS:]
    info = _trials.timeline_info(_view(cache, frozen(started)), None, "worker")
    return {"figure": figure(_trials.timeline_spec(info, "worker")), "n_shown": len(started),
            "n_total": len(cache.ordered)}


def intermediate(cache: StudyCache) -> dict[str, Any]:
    """The intermediate values of a chosen few trials: the best, the latest pruned and running, a spread."""
    rows = [r for r in cache.ordered if r["state"] != int(TrialState.WAITING)]
    numbers = pick_curves([r["number"] for r in rows], [_STATES[r["state"]].name for r in rows],
                          [r["number"] for r in cache.ranked()[:20]], MAX_CURVES)
    chosen = cache.by_number(numbers)
    steps = cache.source.intermediate([r["trial_id"] for r in chosen])
    info = _trials.intermediate_info(_view(cache, frozen(chosen, intermediate=steps)))
    return {"figure": figure(_trials.intermediate_spec(info)), "n_shown": len(info)}


def learning_rates(cache: StudyCache, numbers: list[int]) -> dict[str, Any]:
    """The learning rates the chosen trials used: each one's ``lr_trace`` where recorded, else its schedules."""
    rows = cache.by_number(numbers[:MAX_CURVES])
    attrs = cache.source.learning_rate_attrs([r["trial_id"] for r in rows])
    view = _view(cache, frozen(rows, attrs=attrs))
    info = _schedules.lr_info(view, [r["number"] for r in rows], None, False)
    return {"figure": figure(_schedules.lr_spec(info)), "numbers": info["numbers"]}


def schedule_names(cache: StudyCache) -> list[str]:
    """The study's searched schedules: the names ``X`` of its categorical ``X.family`` parameters."""
    return sorted(n[: -len(".family")] for n, d in cache.distributions.items()
                  if n.endswith(".family") and hasattr(d, "choices"))


def families(cache: StudyCache) -> dict[str, Any]:
    """Per searched schedule, each family's values and best over every completed trial (only the
    ``X.family`` parameter is read); a study that searched none but set schedules on its trials
    (``trial.set_schedule``) gets them from the stored schedules."""
    names = schedule_names(cache)
    done = cache.completed()
    if names:
        found = cache.source.params(cache.study_id, None, names=[f"{n}.family" for n in names])
        view = _view(cache, frozen([dict(r, params=found.get(r["trial_id"], {})) for r in done]))
    else:
        found = cache.source.schedule_families(cache.study_id)
        # light records (number, value, the schedules' families): tens of thousands of trials at once
        view = _view(cache, [SimpleNamespace(
            number=r["number"], state=TrialState.COMPLETE, values=_values(r), params={},
            schedule_configs={k[len(SCHEDULE_KEY_PREFIX):]: v for k, v in found[r["trial_id"]].items()})
            for r in done if r["trial_id"] in found])
        names = sorted({n for t in view.get_trials(deepcopy=False) for n in t.schedule_configs})
    if not names:
        return {"figures": []}
    target = None if len(cache.directions) == 1 else (lambda t: t.values[0])
    metric = objective_names(cache)[0]
    return {"figures": [{"schedule": n, "figure": figure(_schedules.families_spec(
        _schedules.families_info(view, n, target), metric))} for n in names]}


def pareto(cache: StudyCache) -> dict[str, Any]:
    """The Pareto front of a study with 2 or 3 objectives (feasible trials; infeasible ones grey) and
    its trade-off table: the front's trials, best first by the first objective."""
    n_obj = len(cache.directions)
    names = objective_names(cache)
    done = cache.completed()
    view = _view(cache, frozen(done))
    info = _pareto.front_info(view)
    n_front, n_infeasible = len(info["best"]), len(info["infeasible"])
    for key in ("dominated", "infeasible"):
        info[key] = [info[key][k] for k in thin(len(info[key]), MAX_HISTORY_POINTS)]
    spec = _pareto.pareto_spec(info, names) if n_obj in (2, 3) else None
    front = sorted(info["best"], key=lambda pair: (pair[1][0], pair[0].number))[:MAX_FRONT_ROWS]
    by_id = {r["trial_id"]: r for r in done}
    with_params = {r["trial_id"]: r for r in cache.with_params([by_id[t.trial_id] for t, _ in front])}
    table = []
    for t, _ in front:
        full = frozen([with_params[t.trial_id]])[0]
        row: dict[str, Any] = {"trial": t.number, **{n: v for n, v in zip(names, t.values)}}
        if t.constraints is not None:
            row["feasible"] = "yes" if is_feasible(t) else "no"
        row.update(full.params)
        table.append(row)
    return {"figure": figure(spec) if spec else None, "objectives": names, "table": table, "n_front": n_front,
            "n_infeasible": n_infeasible, "n_complete": len(done)}


def trial_figures(trial: FrozenTrial, directions: Sequence[StudyDirection]) -> dict[str, Any]:
    """The trial page's figures: its learning rates (the recorded trace beside the schedule) and its
    intermediate values."""
    view = TrialsView([trial], directions)
    lr = _schedules.lr_info(view, [trial.number], None, True)
    return {"schedule": figure(_schedules.lr_spec(lr)),
            "intermediate": figure(_trials.intermediate_spec(_trials.intermediate_info(view))),
            "curves": [{"name": c["name"], "repr": c.get("repr", ""), "source": c["source"],
                        "last_step": c["steps"][-1] if c["steps"] else None} for c in lr["curves"]]}


#: The study system attributes of a population-based training run (tunelab.pbt._lineage).
PBT_PREFIX = "pbt:"


def is_population(cache: StudyCache) -> bool:
    """Whether the study holds a population-based training run (its settings are stored)."""
    from tunelab.pbt._lineage import CONFIG_KEY

    return CONFIG_KEY in cache.source.study_system_attrs(cache.study_id, CONFIG_KEY)


def pbt_lineage(cache: StudyCache) -> dict[str, Any]:
    """The lineage of a population-based training study, drawn by the report's own builder
    (:func:`tunelab.visualization._pbt.lineage_spec`) from the study's finished intervals: their
    values, parameters and ``pbt`` attributes, and the run's stored plans. ``{"figure": None}`` for
    a study that is no population."""
    from tunelab.pbt._lineage import ATTR, CONFIG_KEY
    from tunelab.visualization._pbt import lineage_spec

    attrs = cache.source.study_system_attrs(cache.study_id, PBT_PREFIX)
    if CONFIG_KEY not in attrs or len(cache.directions) != 1:
        return {"figure": None}
    info = cache.source.user_attr(cache.study_id, ATTR, TrialState.COMPLETE)
    rows = [r for r in cache.completed() if isinstance(info.get(r["trial_id"]), dict)]
    trials = [dataclasses.replace(t, user_attrs={**t.user_attrs, ATTR: info[t.trial_id]})
              for t in frozen(cache.with_params(rows))]
    view = _Population(trials, cache.directions, study_name=cache.name, user_attrs=cache.user_attrs,
                       system_attrs=attrs)
    return {"figure": figure(lineage_spec(view)), "n_intervals": len(trials)}


class _Population(TrialsView):
    """A TrialsView with what :func:`tunelab.pbt.result` reads of a study: its system attributes
    and its one direction."""

    def __init__(self, trials: Sequence[FrozenTrial], directions: Sequence[Any], *, study_name: str,
                 user_attrs: dict[str, Any], system_attrs: dict[str, Any]) -> None:
        super().__init__(trials, directions, study_name=study_name, user_attrs=user_attrs)
        self.system_attrs = dict(system_attrs)

    @property
    def direction(self) -> StudyDirection:
        return self.directions[0]
