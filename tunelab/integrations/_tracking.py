"""What the experiment-tracker callbacks (MLflow, Weights & Biases) share: the names they log a
trial's values and curves under, the curves and schedules they take from a trial, and the warning
that lets a study go on when a tracker fails."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from tunelab._constraints import InstanceOf, ListOf, String
from tunelab._errors import invalid
from tunelab._records import FrozenTrial
from tunelab.integrations._lr_trace import LR_TRACE_ATTR

#: The metrics every tracker logs by step besides the objective values.
INTERMEDIATE_METRIC = "intermediate_value"
LR_METRIC = "lr"

#: ``metric_name``: one name, or one per objective.
METRIC_NAME = (String(non_empty=True),
               ListOf(String(non_empty=True), min_len=1, ordered=True, what="a non-empty list of non-empty strings"))
KWARGS = (None, InstanceOf(Mapping, "a mapping of keyword arguments"))



def check_metric_name(metric_name: str | Sequence[str], where: str) -> str | list[str]:
    """``metric_name`` as a str or a list, refused when it takes the name of a curve."""
    value = metric_name if isinstance(metric_name, str) else list(metric_name)
    names = [value] if isinstance(value, str) else value
    taken = [n for n in names if n == LR_METRIC or n.startswith(INTERMEDIATE_METRIC)]
    if taken or len(set(names)) != len(names):
        raise invalid("metric_name", value, f"distinct names other than {LR_METRIC!r} and {INTERMEDIATE_METRIC!r}* "
                      "(the curves' names)", where=where)
    return value


def metric_names(metric_name: str | list[str], n_objectives: int, where: str) -> list[str]:
    """The name of each objective value: ``metric_name``, ``<metric_name>_<i>`` or the list's names."""
    if isinstance(metric_name, str):
        return [metric_name] if n_objectives == 1 else [f"{metric_name}_{i}" for i in range(n_objectives)]
    if len(metric_name) != n_objectives:
        raise invalid("metric_name", metric_name, f"one name, or a list of {n_objectives} names (the study has "
                      f"{n_objectives} objectives)", where=where)
    return metric_name


def curves(trial: FrozenTrial) -> dict[str, list[tuple[int, float]]]:
    """The trial's curves by step: intermediate values (one curve per objective) and applied rates."""
    out: dict[str, list[tuple[int, float]]] = {}
    if trial.intermediate_vectors:
        for step, vector in sorted(trial.intermediate_vectors.items()):
            for i, v in enumerate(vector):
                out.setdefault(f"{INTERMEDIATE_METRIC}_{i}", []).append((int(step), float(v)))
    elif trial.intermediate_values:
        out[INTERMEDIATE_METRIC] = [(int(s), float(v)) for s, v in sorted(trial.intermediate_values.items())]
    trace = trial.user_attrs.get(LR_TRACE_ATTR)
    if trace:  # [[step, lr], ...], a non-finite rate stored as None
        out[LR_METRIC] = [(int(step), float(lr)) for step, lr in trace if lr is not None]
    return out


def schedules(trial: FrozenTrial) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each schedule the trial drew, by name: ``(repr, config)``."""
    return {name: (repr(trial.schedule(name)), dict(config)) for name, config in trial.schedule_configs.items()}


def direction_text(study: Any) -> str:
    """The study's directions, comma-separated (``"MINIMIZE"``, ``"MINIMIZE,MAXIMIZE"``)."""
    return ",".join(d.name for d in study.directions)


def warn_not_logged(tracker: str, trial: FrozenTrial, exc: BaseException) -> None:
    """Warn that ``tracker`` could not log ``trial`` (the study goes on)."""
    warnings.warn(f"tunelab: {tracker} could not log trial {trial.number} ({trial.state.name}): "
                  f"{error_text(exc)}. The study goes on; the trial is kept in the study's storage.",
                  UserWarning, stacklevel=3)


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).rstrip('.')}"
