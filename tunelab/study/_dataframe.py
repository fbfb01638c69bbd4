"""Trials as a pandas DataFrame (pandas is an optional extra), with Optuna's column names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunelab._errors import require_extra
from tunelab._records import TrialState

_DEFAULT_ATTRS = ("number", "values", "datetime_start", "datetime_complete", "duration", "params",
                  "user_attrs", "system_attrs", "state")
#: Attributes whose mapping becomes one column per key (``params_x``).
_NESTED = ("params", "user_attrs", "system_attrs", "distributions", "intermediate_values", "fixed_params",
           "intermediate_vectors", "schedule_configs")


def trials_columns(study: Any, attrs: Sequence[str] | None = None) -> tuple[list[dict[tuple[str, Any], Any]],
                                                                           list[tuple[str, Any]]]:
    """One record per trial, keyed by ``(attribute, key)`` (``key`` is ``""`` for a plain
    attribute), and the columns in order: each attribute in the order of ``attrs``, its keys sorted
    (the objectives in the study's order)."""
    attrs = tuple(attrs or _DEFAULT_ATTRS)
    n = len(study.directions)
    if n > 1:  # Optuna: a multi-objective study has no single "value"
        attrs = tuple("values" if a == "value" else a for a in attrs)
    names = study.metric_names
    objectives = list(names) if names is not None else ([""] if n == 1 else list(range(n)))
    records: list[dict[tuple[str, Any], Any]] = []
    seen: dict[str, set] = {a: set() for a in attrs}
    for t in study.get_trials():
        record: dict[tuple[str, Any], Any] = {}
        for attr in attrs:
            if attr in ("values", "value"):
                values = t.values or (None,) * n
                group = "value" if n == 1 and names is None else "values"
                keys = objectives if attr == "values" else objectives[:1]
                for key, v in zip(keys, values):
                    record[(group if attr == "values" else "value", key)] = v
                continue
            value = getattr(t, attr)
            if attr in _NESTED and isinstance(value, dict):
                for key, v in value.items():
                    record[(attr, key)] = v
                    seen[attr].add(key)
            else:
                record[(attr, "")] = value.name if isinstance(value, TrialState) else value
        records.append(record)
    columns: list[tuple[str, Any]] = []
    for attr in attrs:
        if attr in ("values", "value"):
            group = "value" if (attr == "value" or (n == 1 and names is None)) else "values"
            columns.extend((group, key) for key in (objectives if attr == "values" else objectives[:1]))
        elif attr in _NESTED:
            columns.extend((attr, key) for key in sorted(seen[attr], key=str))
        else:
            columns.append((attr, ""))
    return records, columns


def trials_dataframe(study: Any, attrs: Sequence[str] | None = None, *, multi_index: bool = False) -> Any:
    pd = require_extra("pandas", "pandas")
    records, columns = trials_columns(study, attrs)
    if not records:
        return pd.DataFrame()
    rows = [[record.get(column) for column in columns] for record in records]
    if multi_index:
        return pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(columns))
    return pd.DataFrame(rows, columns=["_".join(str(part) for part in column if part != "") for column in columns])
