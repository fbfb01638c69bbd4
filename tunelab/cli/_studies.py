"""``tunelab studies | trials | best | delete``: read and manage stored studies."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tunelab.cli._common import add_storage_argument, add_study_argument, load, reading, render, writing


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("studies", help="list the studies in a storage")
    add_storage_argument(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(handler=cmd_studies)

    p = subparsers.add_parser("trials", help="list a study's trials")
    add_storage_argument(p)
    add_study_argument(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(handler=cmd_trials)

    p = subparsers.add_parser("best", help="the best trial(s) of a study")
    add_storage_argument(p)
    add_study_argument(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(handler=cmd_best)

    p = subparsers.add_parser("delete", help="delete a study and its trials")
    add_storage_argument(p)
    add_study_argument(p, required=True)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_delete)


def cmd_studies(args: argparse.Namespace) -> int:
    with reading(args) as storage:
        summaries = storage.get_all_studies()
    rows = []
    for s in summaries:
        rows.append({
            "name": s.study_name,
            "directions": ",".join(d.name.lower() for d in s.directions),
            "trials": s.n_trials,
            **{state.lower(): n for state, n in sorted(s.n_by_state.items())},
            "best": s.best_values[0] if s.best_values else None,
            "last_update": s.last_update,
        })
    print(render(rows, args.format))
    return 0


def trial_row(t: Any, multi: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"number": t.number, "state": t.state.name}
    if multi:
        row["values"] = list(t.values) if t.values else None
    else:
        row["value"] = t.values[0] if t.values else None
    row["duration_s"] = round(t.duration.total_seconds(), 3) if t.duration else None
    row.update({f"params.{k}": v for k, v in t.params.items()})
    row.update({f"user_attrs.{k}": v for k, v in t.user_attrs.items()})
    if t.fail_reason is not None:
        row["fail_reason"] = t.fail_reason
    return row


def cmd_trials(args: argparse.Namespace) -> int:
    with load(args) as study:
        multi = len(study.directions) > 1
        rows = [trial_row(t, multi) for t in study.trials]
    print(render(rows, args.format))
    return 0


def cmd_best(args: argparse.Namespace) -> int:
    with load(args) as study:
        multi = len(study.directions) > 1
        best = study.best_trials if multi else [study.best_trial]
        rows = [trial_row(t, multi) for t in best]
    print(render(rows, args.format))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    import tunelab

    if not args.yes:
        if not sys.stdin.isatty():
            print("tunelab: error: refusing to delete without --yes (no terminal to ask)", file=sys.stderr)
            return 2
        answer = input(f"delete study {args.study!r} and all its trials? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    with writing(args, create=False) as storage:
        tunelab.delete_study(study_name=args.study, storage=storage)
    print(f"deleted study {args.study!r}")
    return 0
