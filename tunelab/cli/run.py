"""``tunelab run CONFIG``: tune from a config file, then print the summary and write ``report.html``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tunelab._errors import TunelabError
from tunelab.cli._common import render

#: How many of the best trials the summary table lists.
SUMMARY_ROWS = 5


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="tune a training script or function from a TOML config file")
    p.add_argument("config", help="the config file (TOML)")
    p.add_argument("--no-report", action="store_true", help="do not write report.html")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from tunelab.config import ConfigError, load_config
    from tunelab.runner import make_objective

    try:  # every check before anything is written: a bad config changes nothing
        config = load_config(args.config)
        objective = make_objective(config)
    except ConfigError as exc:
        print(f"tunelab: error: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, config, objective)
    except TunelabError as exc:  # the storage URL is the config's, not --storage's: hide its password here
        print(f"tunelab: error: {_hidden(str(exc), config)}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, config: Any, objective: Any) -> int:
    from tunelab.runner import counted, open_study, run_config
    from tunelab.storage import redact_url

    shown = redact_url(config.storage)
    try:
        study = open_study(config)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the database driver raises: one line, no password
        detail = str(exc) if isinstance(exc, TunelabError) else f"{type(exc).__name__}: {exc}"
        detail = " ".join(line.strip() for line in detail.splitlines() if line.strip())
        raise RunError(f"cannot open the storage {shown} of {config.path}: {_hidden(detail, config)}") from None
    done = counted(study.trials)
    total = config.n_trials if config.n_trials is not None else "?"
    if study.trials:
        print(f"continuing study {config.study_name!r} ({done} of {total} trials done) in {shown}")
    else:
        print(f"study {config.study_name!r} in {shown}: {total} trials")
    try:
        study = run_config(config, study=study, objective=objective, show_progress=not args.quiet)
    except KeyboardInterrupt:
        trials = study.trials
        lost = {t.number for t in trials if t.state.name == "FAIL" and str(t.fail_reason or "").startswith(
            "interrupted")}
        queued = sum(1 for t in trials if t.state.name == "WAITING" and t.retry_of in lost)
        print(f"\ninterrupted: {counted(trials)} finished trials are stored; {queued} interrupted trials are queued "
              f"to run first; run 'tunelab run {args.config}' again to continue", file=sys.stderr)
        _write_report(study, config, args)
        return 130
    print(summary(study))
    _write_report(study, config, args)
    return 0


class RunError(TunelabError):
    """``tunelab run`` cannot go on (its storage cannot be opened)."""


def _hidden(text: str, config: Any) -> str:
    """``text`` with the config's storage URL shown without its password."""
    from tunelab.reporting._safe import hide_url

    return hide_url(text, config.storage)


def _write_report(study: Any, config: Any, args: argparse.Namespace) -> None:
    if args.no_report or len(study.directions) != 1:
        return
    from tunelab._errors import MissingExtraError
    from tunelab.reporting import write_report

    try:
        path = write_report(study, Path(config.directory) / "report.html")
    except MissingExtraError as exc:
        print(f"report not written: {exc}", file=sys.stderr)
        return
    print(f"report: {path}")


def summary(study: Any) -> str:
    """The end-of-run text: trial counts, the best trials with their parameters, the best as code."""
    from tunelab.reporting import keras_code, plain_params, torch_code

    trials = study.trials
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    lines = [f"{len(trials)} trials: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))]
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if not complete:
        failed = [t for t in trials if t.state.name == "FAIL"]
        if failed:
            lines.append(f"no trial completed; the last failure:\n{failed[-1].fail_reason or ''}")
        return "\n".join(lines)
    if len(study.directions) > 1:
        best = study.best_trials
    else:
        sign = 1 if study.direction.name == "MINIMIZE" else -1
        best = sorted(complete, key=lambda t: sign * t.values[0])[:SUMMARY_ROWS]
    rows = []
    for t in best:
        row: dict[str, Any] = {"trial": t.number}
        row.update({("value" if len(t.values) == 1 else f"value{i}"): v for i, v in enumerate(t.values)})
        row.update(plain_params(t))
        row.update({name: repr(s) for name, s in t.schedules.items()})
        rows.append(row)
    lines += ["", "best trials:", render(rows, "table"), "",
              "best configuration, PyTorch:", _indent(torch_code(best[0])), "",
              "best configuration, Keras:", _indent(keras_code(best[0]))]
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.splitlines())
