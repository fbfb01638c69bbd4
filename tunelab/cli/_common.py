"""Pieces the commands share: the storage option, study lookup and output formats."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
from collections.abc import Sequence
from typing import Any

from tunelab._errors import InvalidArgumentError
from tunelab.storage import STORAGE_ENV


def add_storage_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--storage", help=f"database URL (default: ${STORAGE_ENV})")


def storage_url(args: argparse.Namespace) -> str:
    url = args.storage or os.environ.get(STORAGE_ENV)
    if not url:
        raise InvalidArgumentError(f"--storage is missing: give --storage URL or set {STORAGE_ENV}")
    return url


def add_study_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument("--study", "--study-name", dest="study", required=required,
                        help="study name (optional when the storage holds one study)")


def load(args: argparse.Namespace) -> Any:
    import tunelab

    return tunelab.load_study(study_name=args.study, storage=storage_url(args))


def jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="seconds")
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    return value


def render(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Rows as an aligned text table, JSON or CSV."""
    if fmt == "json":
        return json.dumps([jsonable(r) for r in rows], indent=2)
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: cell(row.get(k)) for k in columns})
        return out.getvalue().rstrip("\n")
    table = [columns] + [[cell(r.get(k)) for k in columns] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    value = jsonable(value)
    return value if isinstance(value, str) else json.dumps(value)
