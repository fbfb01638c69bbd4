"""A one-line live progress display on stderr: trials done / total, best value, elapsed, remaining."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressLine:
    """Redraws one line in place (on a terminal) or prints a line per update (elsewhere)."""

    def __init__(self, total: int | None, timeout: float | None, *, stream: TextIO | None = None) -> None:
        self.total = total
        self.timeout = timeout
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.done = 0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def render(self, best: str) -> str:
        elapsed = time.monotonic() - self.start
        left = []
        if self.total:
            left.append(elapsed / max(self.done, 1) * (self.total - self.done))
        if self.timeout:
            left.append(self.timeout - elapsed)
        remaining = _clock(min(left)) if left and self.done else "?"
        count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        return f"trials {count} | best {best} | elapsed {_clock(elapsed)} | remaining {remaining}"

    def update(self, best: str) -> None:
        self.done += 1
        line = self.render(best)
        if self._tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
