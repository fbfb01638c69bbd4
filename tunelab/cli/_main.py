"""Argument parsing and dispatch. Each command lives in a module with ``add_parser(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tunelab._errors import TunelabError

#: Modules that contribute commands; one that is not installed (an optional part) is skipped.
COMMAND_MODULES = (
    "tunelab.cli._studies",
    "tunelab.cli._asktell",
    "tunelab.cli.schedule",
    "tunelab.cli.run",
    "tunelab.cli.report",
    "tunelab.cli.dashboard",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tunelab",
        description="Hyperparameter tuning with learning-rate schedules as first-class values.",
    )
    from tunelab import __version__

    parser.add_argument("--version", action="version", version=f"tunelab {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 a tunelab error, 2 bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args) or 0)
    except TunelabError as exc:
        print(f"tunelab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tunelab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co: stop quietly
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
