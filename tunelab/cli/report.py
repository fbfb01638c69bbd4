"""``tunelab report``: write the self-contained HTML report of any stored study."""

from __future__ import annotations

import argparse
from typing import Any

from tunelab.cli._common import add_storage_argument, add_study_argument, load, writable_output, write_output


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("report", help="write a study's HTML report (works offline)")
    add_storage_argument(p)
    add_study_argument(p)
    p.add_argument("--output", "-o", default="report.html", help="the HTML file to write (default: report.html)")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from tunelab.reporting import render

    path = writable_output(args.output, "--output")
    with load(args) as study:
        page = render(study)
    write_output(path, page, "--output")
    print(f"report: {path}")
    return 0
