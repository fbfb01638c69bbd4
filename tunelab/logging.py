"""tunelab's log messages and their controls, under Optuna's names (``optuna.logging``).

Everything tunelab logs goes to the ``"tunelab"`` logger (``tunelab.storage`` ... below it). As in
Optuna, once a study is used:

* the verbosity is INFO: ``optimize`` logs one line per finished trial, in Optuna's words
  (``Trial 3 finished with value: 0.25 and parameters: {'x': 0.5}. Best is trial 3 with value:
  0.25.``; ``Trial 4 pruned.`` at INFO; a failed trial at WARNING with its reason);
* a default handler prints them on stderr as ``[I 2026-12-06 10:00:00,123] message``.

One difference, so that a line is never printed twice and ``pytest``'s ``caplog`` sees tunelab's
records: the ``"tunelab"`` logger propagates (Optuna's does not), and the default handler stays
quiet while a record propagates to a logger with handlers of its own (an application that called
``logging.basicConfig``, a test runner). So a plain script prints the lines once, as with Optuna,
and an application that configured logging sees them once, in its own format.
:func:`disable_propagation` makes the default handler print regardless, as Optuna's does.

>>> set_verbosity(WARNING); get_verbosity() == WARNING
True
>>> set_verbosity(INFO)
"""

from __future__ import annotations

import logging as _logging
import sys
import threading
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING

from tunelab._constraints import Integral, String, constrained

__all__ = ["CRITICAL", "DEBUG", "ERROR", "FATAL", "INFO", "WARN", "WARNING", "disable_default_handler",
           "disable_propagation", "enable_default_handler", "enable_propagation", "get_logger", "get_verbosity",
           "set_verbosity"]

_ROOT = "tunelab"
_lock = threading.Lock()
_configured = False


class _DefaultHandler(_logging.StreamHandler):
    """stderr, unless the record propagates to a logger that has handlers (see the module notes)."""

    def __init__(self) -> None:
        super().__init__()  # stderr, looked up per record (pytest's capsys and redirect_stderr swap it)
        self.setFormatter(_logging.Formatter("[%(levelname).1s %(asctime)s] %(message)s"))

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass

    def emit(self, record: _logging.LogRecord) -> None:
        if not _handled_above(_logging.getLogger(_ROOT)):
            super().emit(record)


_default_handler = _DefaultHandler()


def _handled_above(logger: _logging.Logger) -> bool:
    """Whether records of ``logger`` propagate to an ancestor that has handlers."""
    current = logger
    while current.propagate and current.parent is not None:
        current = current.parent
        if current.handlers:
            return True
    return False


def _configure() -> None:
    """The defaults, once per process (what using a study does first): INFO and the default
    handler. A level the application set on the ``"tunelab"`` logger before is kept."""
    global _configured
    if _configured:
        return
    with _lock:
        if _configured:
            return
        logger = _logging.getLogger(_ROOT)
        if logger.level == _logging.NOTSET:
            logger.setLevel(INFO)
        logger.addHandler(_default_handler)
        _configured = True


@constrained({"name": String(non_empty=True)})
def get_logger(name: str) -> _logging.Logger:
    """The logger called ``name``; ``"optuna"`` and ``"optuna.<x>"`` (the names in Optuna's
    documentation) stand for ``"tunelab"`` and ``"tunelab.<x>"``.

    >>> get_logger("optuna") is get_logger("tunelab")
    True
    """
    _configure()
    if name == "optuna" or name.startswith("optuna."):
        name = _ROOT + name[len("optuna"):]
    return _logging.getLogger(name)


def get_verbosity() -> int:
    """The level from which tunelab's messages are emitted (``tunelab.logging.INFO`` by default)."""
    _configure()
    return _logging.getLogger(_ROOT).getEffectiveLevel()


@constrained({"verbosity": Integral(min=0)})
def set_verbosity(verbosity: int) -> None:
    """Emit tunelab's messages from ``verbosity`` up (``WARNING`` silences the per-trial lines)."""
    _configure()
    _logging.getLogger(_ROOT).setLevel(verbosity)


def disable_default_handler() -> None:
    """Stop printing tunelab's messages on stderr (handlers of the application still get them)."""
    _configure()
    _logging.getLogger(_ROOT).removeHandler(_default_handler)


def enable_default_handler() -> None:
    """Print tunelab's messages on stderr again (see the module notes for when it stays quiet)."""
    _configure()
    _logging.getLogger(_ROOT).addHandler(_default_handler)


def disable_propagation() -> None:
    """Keep tunelab's messages from the root logger's handlers; the default handler then prints
    every one (Optuna's default)."""
    _configure()
    _logging.getLogger(_ROOT).propagate = False


def enable_propagation() -> None:
    """Pass tunelab's messages on to the root logger's handlers (tunelab's default)."""
    _configure()
    _logging.getLogger(_ROOT).propagate = True
