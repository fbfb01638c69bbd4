"""Trials as a pandas DataFrame (pandas is an optional extra)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunelab._errors import require_extra

_DEFAULT_ATTRS = ("number", "values", "datetime_start", "datetime_complete", "duration", "params",
                  "user_attrs", "state")


def trials_rows(study: Any, attrs: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One flat dict per trial: number, value(s), times, ``params_<name>``, ``user_attrs_<key>``, state."""
    attrs = tuple(attrs or _DEFAULT_ATTRS)
    multi = len(study.directions) > 1
    rows = []
    for t in study.get_trials():
        row: dict[str, Any] = {}
        for attr in attrs:
            if attr == "values":
                if multi:
                    for i in range(len(study.directions)):
                        row[f"values_{i}"] = t.values[i] if t.values else None
                else:
                    row["value"] = t.values[0] if t.values else None
            elif attr in ("params", "user_attrs", "system_attrs"):
                for k, v in getattr(t, attr).items():
                    row[f"{attr}_{k}"] = v
            elif attr == "state":
                row["state"] = t.state.name
            else:
                row[attr] = getattr(t, attr)
        rows.append(row)
    return rows


def trials_dataframe(study: Any, attrs: Sequence[str] | None = None) -> Any:
    pd = require_extra("pandas", "pandas")
    return pd.DataFrame(trials_rows(study, attrs))
