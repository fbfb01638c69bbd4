"""Argument parsing and dispatch. Each command lives in a module with ``add_parser(subparsers)``.

Whatever goes wrong reaches the user as one line on stderr, never as a traceback: a usage error
(exit status 2), a :class:`~tunelab.TunelabError` (exit status 1), or an unexpected exception
(exit status 1, with the hint to rerun with ``--debug`` or ``TUNELAB_DEBUG=1``, which show the
traceback). A storage URL's password is never printed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from tunelab._errors import TunelabError

#: Modules that contribute commands; one that is not installed (an optional part) is skipped.
COMMAND_MODULES = (
    "tunelab.cli._studies",
    "tunelab.cli._asktell",
    "tunelab.cli.schedule",
    "tunelab.cli.run",
    "tunelab.cli.report",
    "tunelab.cli.dashboard",
    "tunelab.cli.import_optuna",
)
#: Set to 1 to see the traceback of any error (as ``--debug`` does).
DEBUG_ENV = "TUNELAB_DEBUG"
#: The longest error message printed, in characters (a driver's message can quote a whole statement).
MAX_MESSAGE = 1000


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one line naming the command and where to find help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tunelab",
        description="Hyperparameter tuning with learning-rate schedules as first-class values.",
    )
    from tunelab import __version__

    parser.add_argument("--version", action="version", version=f"tunelab {__version__}")
    parser.add_argument("--debug", action="store_true", help=f"show the traceback of an error (or set {DEBUG_ENV}=1)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.add_parser(subparsers)
    for command in subparsers.choices.values():  # --debug also after the command's name
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 an error, 2 bad usage, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("tunelab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co: stop quietly
        sys.stderr.close()
        return 0
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"tunelab: error: {message(exc, args, debug=debug)}", file=sys.stderr)
        return 1


def message(exc: BaseException, args: argparse.Namespace, *, debug: bool = False) -> str:
    """The one line that tells the user what went wrong, without the storage's password.

    A TunelabError says it all; any other exception is a failure tunelab did not foresee: the line
    names it, the command and its storage, and how to see the traceback.
    """
    from tunelab.reporting._safe import hide_url
    from tunelab.storage import STORAGE_ENV

    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = " ".join(lines)
    if not isinstance(exc, TunelabError):
        # SQLAlchemy's messages quote the statement and link its docs: not for users
        text = text.split(" [SQL: ", 1)[0].split(" (Background on this error at: ", 1)[0]
        where = _storage_named(args)
        text = (f"{args.command} failed{where}: {type(exc).__name__}: {text or 'no message'} (unexpected; "
                + ("the traceback is above)" if debug else f"rerun with --debug or {DEBUG_ENV}=1 for the traceback)"))
    url = getattr(args, "storage", None) or os.environ.get(STORAGE_ENV)
    text = hide_url(text, url)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def _storage_named(args: Any) -> str:
    from tunelab.storage import STORAGE_ENV, redact_url

    if getattr(args, "storage", None):
        return f" with --storage={redact_url(args.storage)!r}"
    if "storage" in vars(args) and os.environ.get(STORAGE_ENV):
        return f" with ${STORAGE_ENV}={redact_url(os.environ[STORAGE_ENV])!r}"
    return ""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
