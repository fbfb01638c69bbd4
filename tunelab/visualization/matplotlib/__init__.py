"""The figures of :mod:`tunelab.visualization` as matplotlib Axes (extra ``plot``), for static images.

Same names and arguments as the plotly functions, drawn from the same computed data; each returns
an ``Axes``, or an array of Axes where the figure has several panels (slice, contour and rank of
several parameters).

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import tunelab
>>> study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
>>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
>>> plot_optimization_history(study).get_title()
'Optimization History Plot'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tunelab._constraints import Bool, Function, InstanceOf, Integral, ListOf, Options, String, constrained
from tunelab._records import FrozenTrial
from tunelab.importance import FanovaImportanceEvaluator
from tunelab.visualization import _history, _importance, _pairs, _params, _pareto, _schedules, _trials
from tunelab.visualization._common import DEFAULT_TARGET_NAME, PARAMS, STUDIES, STUDY, TARGET, TARGET_NAME
from tunelab.visualization.matplotlib import _draw, _draw_params

__all__ = ["is_available", "plot_contour", "plot_edf", "plot_intermediate_values", "plot_lr_schedules",
           "plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances", "plot_pareto_front",
           "plot_rank", "plot_schedule_families", "plot_slice", "plot_timeline"]

Target = Callable[[FrozenTrial], float] | None
_BY_PARAMS = {"study": STUDY, "params": PARAMS, "target": TARGET, "target_name": TARGET_NAME}


def is_available() -> bool:
    """Whether matplotlib (the ``plot`` extra) can be imported."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


@constrained({"study": STUDIES, "target": TARGET, "target_name": TARGET_NAME, "error_bar": Bool()},
             where="plot_optimization_history")
def plot_optimization_history(study: Any, *, target: Target = None, target_name: str = DEFAULT_TARGET_NAME,
                              error_bar: bool = False) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_optimization_history`."""
    studies = list(study) if isinstance(study, (list, tuple)) else [study]
    return _draw.history(_history.history_info(studies, target, error_bar=error_bar), target_name)


@constrained({"study": STUDIES, "target": TARGET, "target_name": TARGET_NAME}, where="plot_edf")
def plot_edf(study: Any, *, target: Target = None, target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_edf`."""
    studies = list(study) if isinstance(study, (list, tuple)) else [study]
    return _draw.edf(_history.edf_info(studies, target), target_name)


@constrained({"study": STUDY}, where="plot_intermediate_values")
def plot_intermediate_values(study: Any) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_intermediate_values`."""
    return _draw.intermediate(_trials.intermediate_info(study))


@constrained(_BY_PARAMS, where="plot_parallel_coordinate")
def plot_parallel_coordinate(study: Any, params: list[str] | None = None, *, target: Target = None,
                             target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_parallel_coordinate`."""
    return _draw_params.parallel(_params.parallel_info(study, params, target, target_name))


@constrained(_BY_PARAMS, where="plot_slice")
def plot_slice(study: Any, params: list[str] | None = None, *, target: Target = None,
               target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_slice`."""
    return _draw_params.slices(_params.slice_info(study, params, target), target_name)


@constrained(_BY_PARAMS, where="plot_contour")
def plot_contour(study: Any, params: list[str] | None = None, *, target: Target = None,
                 target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_contour`."""
    return _draw_params.contour(_pairs.pairs_info(study, params, target, "plot_contour"))


@constrained(_BY_PARAMS, where="plot_rank")
def plot_rank(study: Any, params: list[str] | None = None, *, target: Target = None,
              target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_rank`."""
    return _draw_params.rank(_pairs.pairs_info(study, params, target, "plot_rank"), target_name)


@constrained({"study": STUDY, "evaluator": (None, InstanceOf(FanovaImportanceEvaluator)), "params": PARAMS,
              "target": TARGET, "target_name": TARGET_NAME}, where="plot_param_importances")
def plot_param_importances(study: Any, evaluator: FanovaImportanceEvaluator | None = None,
                           params: list[str] | None = None, *, target: Target = None,
                           target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_param_importances`."""
    return _draw.importances(_importance.importance_info(study, evaluator, params, target, target_name))


@constrained({"study": STUDY, "target_names": (None, ListOf(String())), "include_dominated_trials": Bool(),
              "constraints_func": (None, Function()), "targets": (None, Function())}, where="plot_pareto_front")
def plot_pareto_front(study: Any, *, target_names: list[str] | None = None, include_dominated_trials: bool = True,
                      constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      targets: Callable[[FrozenTrial], Sequence[float]] | None = None) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_pareto_front`."""
    info = _pareto.front_info(study, constraints_func=constraints_func, targets=targets)
    _pareto.check_targets(info, target_names, targets, "plot_pareto_front")
    n = info["n_targets"] or 2
    names = list(target_names) if target_names is not None else (
        _pareto.objective_names(study) if targets is None and n == len(study.directions)
        else [f"Objective {i}" for i in range(n)])
    return _draw.pareto(info, names, include_dominated_trials)


@constrained({"study": STUDY, "n_recent_trials": (None, Integral(min=1)), "lanes": Options("trial", "worker")},
             where="plot_timeline")
def plot_timeline(study: Any, n_recent_trials: int | None = None, *, lanes: str = "trial") -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_timeline`."""
    return _draw.timeline(_trials.timeline_info(study, n_recent_trials, lanes), lanes)


@constrained({"study": STUDY, "trials": (None, ListOf(Integral(min=0))), "schedule": (None, String()),
              "compare": Bool()}, where="plot_lr_schedules")
def plot_lr_schedules(study: Any, trials: list[int] | None = None, *, schedule: str | None = None,
                      compare: bool = False) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_lr_schedules`."""
    return _draw.lr(_schedules.lr_info(study, trials, schedule, compare))


@constrained({"study": STUDY, "schedule": (None, String()), "target": TARGET, "target_name": TARGET_NAME},
             where="plot_schedule_families")
def plot_schedule_families(study: Any, schedule: str | None = None, *, target: Target = None,
                           target_name: str = DEFAULT_TARGET_NAME) -> Any:
    """matplotlib twin of :func:`tunelab.visualization.plot_schedule_families`."""
    return _draw.families(_schedules.families_info(study, schedule, target), target_name)
