"""Ctrl-C during ``optimize``: raised where it is safe, held back while the study writes.

A KeyboardInterrupt that lands inside a storage write or between an ask and the bookkeeping of
the trial it returned would leave a trial RUNNING that nobody ends. While :class:`InterruptGate`
is entered (by ``optimize``, on the main thread, when SIGINT has Python's default handler), SIGINT
raises KeyboardInterrupt at once only inside :meth:`InterruptGate.opened` (an objective runs, a
callback runs, the study process waits for its workers); elsewhere it is remembered and raised
at the next opening.

>>> gate = InterruptGate()
>>> with gate:
...     with gate.opened():
...         pass
>>> gate.pending
False
"""

from __future__ import annotations

import signal
import threading
from typing import Any


class InterruptGate:
    """Holds SIGINT back outside :meth:`opened` sections; a no-op where it cannot install its handler."""

    def __init__(self) -> None:
        self.pending = False
        self._open = 0
        self._previous: Any = None
        self._opened = _Opened(self)

    def __enter__(self) -> InterruptGate:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        if kind is None:
            self.check()  # Ctrl-C while the last trial was told: honour it

    def _on_sigint(self, signum: int, frame: Any) -> None:
        if self._open:
            raise KeyboardInterrupt
        self.pending = True

    def check(self) -> None:
        """Raise the KeyboardInterrupt held back, if any."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def opened(self) -> _Opened:
        """A section where Ctrl-C may interrupt at once (a held-back one is raised on entry)."""
        return self._opened


class _Opened:
    """The context manager of :meth:`InterruptGate.opened` (re-entrant: it counts)."""

    __slots__ = ("_gate",)

    def __init__(self, gate: InterruptGate) -> None:
        self._gate = gate

    def __enter__(self) -> None:
        self._gate.check()
        self._gate._open += 1

    def __exit__(self, *exc: Any) -> None:
        self._gate._open -= 1
