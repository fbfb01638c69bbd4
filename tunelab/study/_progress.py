"""The live progress display of ``optimize(show_progress_bar=True)``: trials done / total (or a bar
over the timeout), the best value, elapsed and remaining time.

Three front ends share one small interface (:class:`ProgressDisplay`: ``update(best)`` after each
finished trial, ``close()`` once, on every way out of ``optimize``), and :func:`make_progress`
picks one:

* ``notebook``: tqdm's notebook bar (``tqdm.notebook``, drawn by ipywidgets) in a Jupyter kernel;
* ``rich``: rich's progress bar on stderr, in a terminal;
* ``line``: :class:`ProgressLine`, one line redrawn in place on a terminal, a line per update
  elsewhere (a log file, CI).

``TUNELAB_PROGRESS`` chooses: ``auto`` (the default) takes the notebook bar in a Jupyter kernel,
rich's bar when stderr is a terminal (``TERM`` not ``dumb``) and rich is installed, the line
otherwise; ``line``, ``rich`` or ``notebook`` force one. A bar whose library is missing falls back
to the line, with one warning naming the extra that provides it.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import time
import warnings
from collections.abc import Mapping
from typing import Any, Protocol, TextIO

from tunelab._errors import invalid

ENV_VAR = "TUNELAB_PROGRESS"
MODES = ("auto", "line", "rich", "notebook")
_EXTRAS = {"rich": ("rich", ("rich.progress",)), "notebook": ("notebook", ("tqdm.notebook", "ipywidgets"))}


class ProgressDisplay(Protocol):
    """What ``optimize`` calls: ``update(best)`` once per finished trial (``best``: the best value
    as text), from the thread that runs the callbacks; ``close()`` once when the call ends, however
    it ends (a second ``close()`` does nothing)."""

    def update(self, best: str) -> None: ...

    def close(self) -> None: ...


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Tally:
    """Trials done, elapsed and remaining time: the numbers every front end shows."""

    def __init__(self, total: int | None, timeout: float | None) -> None:
        self.total = total
        self.timeout = timeout
        self.start = time.monotonic()
        self.done = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> str:
        """The earlier of the trial-rate estimate and the timeout, ``?`` before the first trial."""
        elapsed = self.elapsed()
        left = []
        if self.total:
            left.append(elapsed / max(self.done, 1) * (self.total - self.done))
        if self.timeout:
            left.append(self.timeout - elapsed)
        return _clock(min(left)) if left and self.done else "?"

    def count(self) -> str:
        return f"{self.done}/{self.total}" if self.total else f"{self.done}"


class ProgressLine:
    """Redraws one line in place (on a terminal) or prints a line per update (elsewhere)."""

    def __init__(self, total: int | None, timeout: float | None, *, stream: TextIO | None = None) -> None:
        self._tally = _Tally(total, timeout)
        self.stream = stream or sys.stderr
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._closed = False

    @property
    def done(self) -> int:
        return self._tally.done

    def render(self, best: str) -> str:
        tally = self._tally
        return (f"trials {tally.count()} | best {best} | elapsed {_clock(tally.elapsed())} "
                f"| remaining {tally.remaining()}")

    def update(self, best: str) -> None:
        self._tally.done += 1
        line = self.render(best)
        if self._tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()


class RichProgress:
    """rich's progress bar (``rich.progress.Progress``, kept on screen when done): a bar over the
    trials (over the timeout when there is no trial count, ticking between trials), the count, the
    best value, elapsed and remaining time. ``console`` defaults to one on stderr."""

    def __init__(self, total: int | None, timeout: float | None, *, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
        from rich.table import Column
        from rich.text import Text

        tally = self._tally = _Tally(total, timeout)
        clock_bar = timeout if not total else None

        class _Bar(BarColumn):  # over the timeout: drawn from the clock at each refresh
            def render(self, task: Any) -> Any:
                if clock_bar:
                    task = copy.copy(task)
                    task.total, task.completed = clock_bar, min(tally.elapsed(), clock_bar)
                return super().render(task)

        class _Remaining(ProgressColumn):
            def get_table_column(self) -> Any:
                return Column(no_wrap=True)

            def render(self, task: Any) -> Any:
                return Text(f"remaining {tally.remaining()}")

        def text(template: str) -> Any:
            return TextColumn(template, table_column=Column(no_wrap=True))

        self.console = console if console is not None else Console(stderr=True)
        self._progress = Progress(
            text("trials {task.fields[count]}"),
            _Bar(bar_width=None),  # the room the text leaves, so that a narrow terminal keeps one line
            text("best {task.fields[best]}"), text("elapsed"), TimeElapsedColumn(), _Remaining(),
            console=self.console, transient=False, expand=True)
        self._task = self._progress.add_task("trials", total=total or None, count=tally.count(), best="-")
        self._progress.start()
        self._closed = False

    def update(self, best: str) -> None:
        self._tally.done += 1
        self._progress.update(self._task, completed=self._tally.done, count=self._tally.count(), best=best)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._progress.stop()


def _notebook_bar(**kwargs: Any) -> Any:
    """A ``tqdm.notebook.tqdm`` whose ``bar_format`` may use ``{info}`` (tqdm's documented way to
    add a field: override ``format_dict``)."""
    from tqdm.notebook import tqdm as notebook_tqdm

    class _Bar(notebook_tqdm):  # type: ignore[misc,valid-type]
        info = ""

        @property
        def format_dict(self) -> dict[str, Any]:
            return {**super().format_dict, "info": self.info}

    return _Bar(**kwargs)


class NotebookProgress:
    """tqdm's notebook bar (an ipywidgets progress bar): ``trials 3/10`` on its left, the best
    value, elapsed and remaining time on its right; a bar over the timeout (in seconds) when there
    is no trial count. ``display=False`` builds the widget without showing it."""

    def __init__(self, total: int | None, timeout: float | None, *, display: bool = True) -> None:
        self._tally = _Tally(total, timeout)
        self._clock_bar = timeout if not total else None
        self.bar = _notebook_bar(total=total or self._clock_bar, desc=f"trials {self._tally.count()}",
                                 bar_format="{desc}{bar}{info}", display=display)
        self._closed = False
        self._show("-")

    def _show(self, best: str) -> None:
        tally = self._tally
        self.bar.info = f"best {best} | elapsed {_clock(tally.elapsed())} | remaining {tally.remaining()}"
        self.bar.set_description_str(f"trials {tally.count()}", refresh=False)
        self.bar.n = min(tally.elapsed(), self._clock_bar) if self._clock_bar else tally.done
        self.bar.refresh()  # now: a trial is rare enough that tqdm's rate limit would only hide it

    def update(self, best: str) -> None:
        self._tally.done += 1
        self._show(best)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._clock_bar:  # the timeout ended the run, or stop(): show where the clock stood
            self.bar.n = min(self._tally.elapsed(), self._clock_bar)
        self.bar.close()


def in_jupyter_kernel() -> bool:
    """Whether this process is a Jupyter (IPython) kernel: IPython is loaded (a kernel always has
    it, a plain script never pays for importing it) and its shell has a kernel (ipykernel's
    ZMQInteractiveShell; not the terminal IPython shell)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return shell is not None and (getattr(shell, "kernel", None) is not None
                                  or type(shell).__name__ == "ZMQInteractiveShell")


def _importable(modules: tuple[str, ...]) -> bool:
    try:
        for module in modules:
            importlib.import_module(module)
    except ImportError:
        return False
    return True


def progress_mode(environ: Mapping[str, str] | None = None) -> str:
    """``TUNELAB_PROGRESS`` checked: one of :data:`MODES` (unset or empty: ``auto``; any case)."""
    raw = (os.environ if environ is None else environ).get(ENV_VAR, "")
    mode = raw.strip().lower() or "auto"
    if mode not in MODES:
        raise invalid(f"the environment variable {ENV_VAR}", raw,
                      "one of " + ", ".join(repr(m) for m in MODES) + " (unset means 'auto')")
    return mode


def choose_frontend(*, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Which front end :func:`make_progress` draws: ``"notebook"``, ``"rich"`` or ``"line"``
    (the bar asked for when its library is missing: the caller falls back)."""
    environ = os.environ if environ is None else environ
    mode = progress_mode(environ)
    if mode != "auto":
        return mode
    if in_jupyter_kernel():
        return "notebook"
    stream = stream or sys.stderr
    tty = hasattr(stream, "isatty") and stream.isatty()
    if tty and environ.get("TERM", "") != "dumb" and _importable(_EXTRAS["rich"][1]):
        return "rich"
    return "line"


def make_progress(total: int | None, timeout: float | None, *, stream: TextIO | None = None,
                  environ: Mapping[str, str] | None = None) -> ProgressDisplay:
    """The progress display for one ``optimize`` call (see the module notes for the choice).

    ``stream`` (default stderr) is where the line, or rich's bar, is drawn; ``environ`` (default
    ``os.environ``) is read for ``TUNELAB_PROGRESS`` and ``TERM``. A bad ``TUNELAB_PROGRESS``
    raises InvalidArgumentError naming it, its value and the allowed values.
    """
    frontend = choose_frontend(stream=stream, environ=environ)
    if frontend in _EXTRAS:
        extra, modules = _EXTRAS[frontend]
        if _importable(modules):
            if frontend == "notebook":
                return NotebookProgress(total, timeout)
            from rich.console import Console

            return RichProgress(total, timeout, console=Console(file=stream) if stream else None)
        warnings.warn(f"the {frontend} progress bar needs {' and '.join(m.split('.')[0] for m in modules)}; "
                      f"showing a plain progress line instead (pip install 'tunelab[{extra}]' gives the bar)",
                      stacklevel=_caller_outside_tunelab())
    return ProgressLine(total, timeout, stream=stream)


def _caller_outside_tunelab() -> int:
    """The ``stacklevel`` that points a warning of this module's caller at the first frame outside
    tunelab (the user's ``optimize`` call, past tunelab's wrappers)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename.startswith((root, "<constrained"))):
        frame, level = frame.f_back, level + 1
    return level
