"""``tunelab run CONFIG``: tune from a config file, then print the summary and write ``report.html``."""

from __future__ import annotations

import argparse
import ast
import math
import sys
import textwrap
from pathlib import Path
from typing import Any

from tunelab._errors import TunelabError
from tunelab.cli._common import render

#: How many of the best trials the summary table lists.
SUMMARY_ROWS = 5

#: Significant digits of the summary's numbers (the printed code keeps every digit).
DIGITS, SCHEDULE_DIGITS = 5, 4

#: The longest schedule shown in a table cell; the summary lists each in full below the table.
CELL_WIDTH = 40


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
    if config.pbt is not None:
        from tunelab.runner._pbt import heading

        print(heading(config, study, shown))
    elif study.trials:
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
    if config.pbt is not None:
        from tunelab.runner._pbt import summary as population_summary

        print(population_summary(study) or summary(study))
    else:
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
    """The end-of-run text: trial counts, the best trials with their parameters, the best as code.

    The tables round numbers to 5 significant digits and show each schedule in at most 40
    characters (its arguments to 4 digits, unset ones left out, listed in full, wrapped, after the
    table); the code keeps every digit, so it builds exactly the best trial's configuration.
    """
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
    rows, listed = [], []
    for t in best:
        row: dict[str, Any] = {"trial": t.number}
        row.update({("value" if len(t.values) == 1 else f"value{i}"): rounded(v) for i, v in enumerate(t.values)})
        row.update({k: rounded(v) for k, v in plain_params(t).items()})
        for name, s in t.schedules.items():
            text = schedule_text(s)
            row[name] = shortened(text)
            if row[name] != text:
                listed.append(textwrap.fill(text, 100, initial_indent=f"  trial {t.number} {name}: ",
                                            subsequent_indent="      ", break_on_hyphens=False))
        rows.append(row)
    lines += ["", "best trials:", render(rows, "table")]
    if listed:
        lines += ["", "their schedules:", *listed]
    lines += ["", "best configuration, PyTorch:", _indent(torch_code(best[0])), "",
              "best configuration, Keras:", _indent(keras_code(best[0]))]
    return "\n".join(lines)


def rounded(value: Any, digits: int = DIGITS) -> Any:
    """A finite float to ``digits`` significant digits (still a float); anything else as it is.

    >>> rounded(0.9472502328660837), rounded(0.00010221675677381435, 4), rounded(345)
    (0.94725, 0.0001022, 345)
    """
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{digits}g}")
    return value


def schedule_text(schedule: Any) -> str:
    """``repr(schedule)`` with its numbers to 4 significant digits and its unset (None) arguments left out.

    >>> from tunelab.schedules import CosineDecay
    >>> schedule_text(CosineDecay(0.00010221675677381435, 345, alpha=0.012428327649956395))
    'CosineDecay(initial_learning_rate=0.0001022, decay_steps=345, alpha=0.01243, warmup_steps=0)'
    """
    text = repr(schedule)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:  # a repr that is not Python: shown as it is
        return text
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            node.keywords = [k for k in node.keywords
                             if not (isinstance(k.value, ast.Constant) and k.value.value is None)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, float):
            node.value = rounded(node.value, SCHEDULE_DIGITS)
    return ast.unparse(tree)


def shortened(text: str, width: int = CELL_WIDTH) -> str:
    """``text`` cut after its last argument that ends within ``width`` characters (at least its
    first), marked ``…``.

    >>> shortened("OneCycleLR(max_lr=0.0006797, total_steps=345, pct_start=0.4506)", 40)
    'OneCycleLR(max_lr=0.0006797, …)'
    >>> shortened("CosineDecay(initial_learning_rate=0.0001022, decay_steps=345)", 20)
    'CosineDecay(initial_learning_rate=0.0001022, …)'
    """
    if len(text) <= width:
        return text
    cut = text.rfind(", ", 0, width)
    if cut < 0:
        cut = text.find(", ")
    return f"{text[:cut]}, …)" if cut > 0 else text


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.splitlines())
