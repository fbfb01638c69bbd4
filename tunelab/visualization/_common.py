"""What every figure builder shares: the study argument, targets, parameter columns and axis scales.

A builder takes a :class:`~tunelab.study.Study` or a :class:`TrialsView` (the trials a surface
chose to draw, e.g. a sample of a 50,000-trial study, with the study's directions) and reads only
``directions``, ``get_trials(deepcopy=False, states=...)`` and, for names, ``study_name``.
Every figure is first built as a plain plotly figure dict (``{"data": [...], "layout": {...}}``),
which the report and the dashboard send as JSON; the public ``plot_*`` functions wrap the same
dict in a ``plotly.graph_objects.Figure``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from tunelab._constraints import Function, InstanceOf, ListOf, String
from tunelab._errors import InvalidArgumentError, invalid, require_extra
from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab.space import CategoricalDistribution

#: Colours by trial state (and for the best and infeasible trials), one palette for every figure.
COLORS = {"COMPLETE": "#1f77b4", "PRUNED": "#d62728", "FAIL": "#7f7f7f", "RUNNING": "#2ca02c",
          "WAITING": "#bcbd22", "best": "#d62728", "infeasible": "#a0a0a0", "line": "#ff7f0e"}
#: Values spanning at least this ratio (two decades), all positive, go on a log axis.
DECADES_RATIO = 100.0
DEFAULT_TARGET_NAME = "Objective Value"


class TrialsView:
    """A read-only stand-in for a study: the trials a surface chose to draw, with the study's directions.

    >>> from tunelab._records import FrozenTrial, TrialState
    >>> view = TrialsView([FrozenTrial(0, TrialState.COMPLETE, (1.0,), {}, {})], ["minimize"])
    >>> [t.number for t in view.get_trials(states=(TrialState.COMPLETE,))], view.directions
    ([0], [StudyDirection.MINIMIZE])
    """

    def __init__(self, trials: Iterable[FrozenTrial], directions: Sequence[Any], *, study_name: str = "",
                 user_attrs: dict[str, Any] | None = None) -> None:
        self._trials = sorted(trials, key=lambda t: t.number)
        self._directions = [StudyDirection.parse(d) for d in directions]
        self.study_name = study_name
        self.user_attrs: dict[str, Any] = dict(user_attrs or {})

    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    @property
    def trials(self) -> list[FrozenTrial]:
        return list(self._trials)

    def get_trials(self, deepcopy: bool = False, states: Iterable[TrialState] | None = None) -> list[FrozenTrial]:
        if states is None:
            return list(self._trials)
        wanted = set(states)
        return [t for t in self._trials if t.state in wanted]


def _study_types() -> tuple[type, ...]:
    from tunelab.study import Study

    return (Study, TrialsView)


class _StudyArg(InstanceOf):
    """A Study or a TrialsView (the study class is looked up when first checked: no import cycle)."""

    def __init__(self) -> None:
        super().__init__(object, "a Study", plural="Study values")

    def takes_type(self, value: Any) -> bool:
        return isinstance(value, _study_types())

    def fast(self) -> Callable[[Any], Any]:
        from tunelab._constraints import MISS

        def quick(value: Any) -> Any:
            return value if isinstance(value, _study_types()) else MISS

        return quick


STUDY = _StudyArg()
STUDIES = (STUDY, ListOf(STUDY, min_len=1, what="a Study or a non-empty list of Study values"))
PARAMS = (None, ListOf(String(), what="a list of parameter names"))
TARGET = (None, Function(what="a callable taking a FrozenTrial and returning a number"))
TARGET_NAME = String()


def plotly_figure(spec: dict[str, Any]) -> Any:
    """``spec`` (a plain figure dict) as a ``plotly.graph_objects.Figure`` (extra ``plot``)."""
    go = require_extra("plotly.graph_objects", "plot")
    return go.Figure(spec)


def layout(title: str, **extra: Any) -> dict[str, Any]:
    """The house layout: white template, a title, room for axis titles."""
    return {"title": {"text": title}, "template": "plotly_white",
            "margin": {"l": 70, "r": 30, "t": 60, "b": 55}, **extra}


def empty(title: str, why: str) -> dict[str, Any]:
    """A figure with nothing to draw that says why, instead of an error or a blank box."""
    return {"data": [], "layout": layout(title, xaxis={"visible": False}, yaxis={"visible": False}, annotations=[
        {"text": why, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
         "font": {"size": 14, "color": "#66707a"}}])}


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def spans_decades(values: Iterable[Any]) -> bool:
    """Whether ``values`` are all positive and span two decades or more (a log axis reads them better).

    >>> spans_decades([0.001, 0.5, 2.0]), spans_decades([0.3, 0.5]), spans_decades([0.0, 10.0, 1000.0])
    (True, False, False)
    """
    found = [float(v) for v in values if finite(v)]
    return bool(found) and min(found) > 0 and max(found) / min(found) >= DECADES_RATIO


def value_axis(title: str, values: Iterable[Any]) -> dict[str, Any]:
    """A layout axis for objective values: logarithmic (a tick per decade) where they span decades."""
    if spans_decades(values):
        return {"title": {"text": title}, "type": "log", "dtick": 1}
    return {"title": {"text": title}, "type": "linear"}


def is_feasible(trial: FrozenTrial) -> bool:
    """Feasible: no constraint values recorded, or every one <= 0."""
    return trial.constraints is None or all(c <= 0 for c in trial.constraints)


def has_constraints(trials: Iterable[FrozenTrial]) -> bool:
    return any(t.constraints is not None for t in trials)


def target_of(study: Any, target: Callable[[FrozenTrial], float] | None, where: str) -> Callable[[FrozenTrial], float]:
    """``target``, or the single objective; a multi-objective study without ``target`` is refused."""
    if target is not None:
        return target
    n = len(study.directions)
    if n != 1:
        raise invalid("target", None, f"a callable choosing the value to plot: the study has {n} objectives "
                      "(e.g. target=lambda t: t.values[0])", where=where)
    return lambda t: t.values[0]


def completed(study: Any, target: Callable[[FrozenTrial], float]) -> tuple[list[FrozenTrial], np.ndarray]:
    """COMPLETE trials whose target is finite, in number order, and their targets."""
    trials, values = [], []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        v = target(t)
        if finite(v):
            trials.append(t)
            values.append(float(v))
    return trials, np.asarray(values, dtype=float)


def minimizing(study: Any, target: Callable[[FrozenTrial], float] | None) -> bool | None:
    """Whether smaller is better for the value drawn: the single objective's direction; None for a
    custom ``target`` (no direction is known, so no best line is drawn)."""
    if target is not None or len(study.directions) != 1:
        return None
    return study.directions[0] == StudyDirection.MINIMIZE


def param_names(trials: Sequence[FrozenTrial], params: Sequence[str] | None, where: str) -> list[str]:
    """The parameters to draw: ``params`` (each must occur in ``trials``), else all, sorted."""
    known = sorted({name for t in trials for name in t.params})
    if params is None:
        return known
    unknown = [p for p in params if p not in known]
    if unknown:
        raise InvalidArgumentError(f"params={list(params)!r} is invalid for {where}: {unknown[0]!r} is not a "
                                   f"parameter of the trials drawn; they have {known}")
    return list(dict.fromkeys(params))


def distribution_of(trials: Sequence[FrozenTrial], name: str) -> Any:
    """The distribution of parameter ``name`` in the last trial that set it (ranges can change over a study)."""
    for t in reversed(trials):
        if name in t.distributions:
            return t.distributions[name]
    raise KeyError(name)


def is_categorical(dist: Any) -> bool:
    return isinstance(dist, CategoricalDistribution)


def is_log(dist: Any) -> bool:
    return bool(getattr(dist, "log", False))


def category_labels(trials: Sequence[FrozenTrial], name: str) -> list[str]:
    """The choices of categorical ``name`` as text, in the distribution's order, then any other value seen."""
    labels = [str(c) for c in distribution_of(trials, name).choices]
    for t in trials:
        if name in t.params and str(t.params[name]) not in labels:
            labels.append(str(t.params[name]))
    return labels


def coverage(trials: Sequence[FrozenTrial], names: Iterable[str]) -> dict[str, int]:
    """How many of ``trials`` set each parameter."""
    out = {n: 0 for n in names}
    for t in trials:
        for n in t.params:
            if n in out:
                out[n] += 1
    return out


def shared_params(trials: Sequence[FrozenTrial], *, share: float = 0.5, limit: int = 12) -> list[str]:
    """The parameters set in at least ``share`` of ``trials`` (most often set first, at most ``limit``):
    the default axes where conditional parameters would make a chart unreadable.

    >>> from tunelab._records import FrozenTrial, TrialState
    >>> mk = lambda n, p: FrozenTrial(n, TrialState.COMPLETE, (1.0,), p, {})
    >>> shared_params([mk(0, {"a": 1, "b": 2}), mk(1, {"a": 1}), mk(2, {"a": 2, "c": 1})])
    ['a']
    """
    counts = coverage(trials, {n for t in trials for n in t.params})
    keep = [n for n, c in counts.items() if trials and c / len(trials) >= share]
    return sorted(keep, key=lambda n: (-counts[n], n))[:limit]


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Tick positions (log10 units) at the powers of ten from 10**lo to 10**hi, and their labels.

    >>> log_ticks(-3.2, -0.5)
    ([-3.0, -2.0, -1.0], ['0.001', '0.01', '0.1'])
    """
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if first > last:
        first = last = round((lo + hi) / 2)
    ks = list(range(first, last + 1))
    step = max(1, math.ceil(len(ks) / 8))
    ks = ks[::step]
    return [float(k) for k in ks], [f"{10.0 ** k:g}" for k in ks]


def numeric_param(trials: Sequence[FrozenTrial], name: str) -> tuple[list[float | None], dict[str, Any]]:
    """A parameter as positions on an axis (None where unset): log10 for log parameters, the choice's
    index for categorical ones; and how to label the axis (``log``, ``tickvals``, ``ticktext``)."""
    dist = distribution_of(trials, name)
    if is_categorical(dist):
        labels = category_labels(trials, name)
        index = {label: i for i, label in enumerate(labels)}
        return ([float(index[str(t.params[name])]) if name in t.params else None for t in trials],
                {"log": False, "categorical": True, "tickvals": list(range(len(labels))), "ticktext": labels})
    log = is_log(dist)
    values: list[float | None] = []
    for t in trials:
        v = t.params.get(name)
        if v is None or not finite(v) or (log and v <= 0):
            values.append(None)
        else:
            values.append(math.log10(v) if log else float(v))
    axis: dict[str, Any] = {"log": log, "categorical": False}
    if log:
        present = [v for v in values if v is not None]
        if present:
            axis["tickvals"], axis["ticktext"] = log_ticks(min(present), max(present))
    return values, axis


def grid(n: int, *, cols: int | None = None, gap: float = 0.08) -> tuple[list[tuple[float, float]], list[tuple[float, float]], int]:
    """Domains of ``n`` subplots in a grid: ``(x domains, y domains, columns)``, row-major from the top."""
    cols = cols or min(n, 3)
    rows = math.ceil(n / cols)
    width, height = (1 - gap * (cols - 1)) / cols, (1 - gap * (rows - 1)) / rows
    xs, ys = [], []
    for i in range(n):
        r, c = divmod(i, cols)
        x0 = c * (width + gap)
        y1 = 1 - r * (height + gap)
        xs.append((round(x0, 4), round(x0 + width, 4)))
        ys.append((round(max(0.0, y1 - height), 4), round(y1, 4)))
    return xs, ys, cols


def axis_key(i: int, letter: str) -> tuple[str, str]:
    """``("xaxis2", "x2")`` for subplot ``i`` (0-based): the layout key and the trace's reference."""
    suffix = "" if i == 0 else str(i + 1)
    return f"{letter}axis{suffix}", f"{letter}{suffix}"
