"""Figures of a study: Optuna's ``optuna.visualization`` functions, plus tunelab's schedule figures.

Every function takes a study and returns a ``plotly.graph_objects.Figure`` (extra ``plot``);
:mod:`tunelab.visualization.matplotlib` has the same functions returning matplotlib Axes. The
HTML report (``tunelab report``) and the dashboard (``tunelab dashboard``) draw these same figures,
so what a user sees in Python, in the report and in the dashboard is one figure.

Optuna's names and arguments: :func:`plot_optimization_history`, :func:`plot_intermediate_values`,
:func:`plot_parallel_coordinate`, :func:`plot_contour`, :func:`plot_slice`,
:func:`plot_param_importances`, :func:`plot_pareto_front`, :func:`plot_timeline`,
:func:`plot_edf`, :func:`plot_rank`; tunelab's own: :func:`plot_lr_schedules` (the learning rates
trials used) and :func:`plot_schedule_families` (each schedule family's values and best).

>>> import tunelab
>>> study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
>>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
>>> fig = plot_optimization_history(study)
>>> [trace.name for trace in fig.data]
['Objective Value', 'Best Value']
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public names and their private modules, imported on first use (plotly, scipy and scikit-learn
#: are only needed when a figure is built).
_LAZY = {
    "plot_contour": "_pairs",
    "plot_edf": "_history",
    "plot_intermediate_values": "_trials",
    "plot_lr_schedules": "_schedules",
    "plot_optimization_history": "_history",
    "plot_parallel_coordinate": "_params",
    "plot_param_importances": "_importance",
    "plot_pareto_front": "_pareto",
    "plot_rank": "_pairs",
    "plot_schedule_families": "_schedules",
    "plot_slice": "_params",
    "plot_timeline": "_trials",
}

__all__ = sorted([*_LAZY, "is_available", "matplotlib"])


def is_available() -> bool:
    """Whether plotly (the ``plot`` extra) can be imported, so the ``plot_*`` functions work."""
    import importlib.util

    return importlib.util.find_spec("plotly") is not None


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"tunelab.visualization.{_LAZY[name]}"), name)
    elif name == "matplotlib":
        value = importlib.import_module("tunelab.visualization.matplotlib")
    else:
        raise AttributeError(f"module 'tunelab.visualization' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
