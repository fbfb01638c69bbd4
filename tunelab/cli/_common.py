"""Pieces the commands share: the storage option, study lookup and output formats."""

from __future__ import annotations

import argparse
import csv
import io
import os
from collections.abc import Sequence
from typing import Any

from tunelab._errors import InvalidArgumentError
from tunelab.reporting._safe import csv_cell, dumps, json_safe
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


def render(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Rows as an aligned text table, JSON or CSV."""
    if fmt == "json":
        return dumps(list(rows), indent=2)
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_text(row.get(k)) for k in columns})
        return out.getvalue().rstrip("\n")
    table = [columns] + [[cell(r.get(k)) for k in columns] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cell(value: Any) -> str:
    """One table cell as text: floats to 6 significant digits, lists and mappings as JSON."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    value = json_safe(value)
    return value if isinstance(value, str) else dumps(value)


def csv_text(value: Any) -> str:
    """One CSV cell: as :func:`cell`, with text that a spreadsheet would run as a formula
    neutralised (a number, negative ones included, stays a number)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return cell(value)
    return csv_cell(cell(value))
