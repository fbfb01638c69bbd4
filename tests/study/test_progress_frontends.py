"""optimize's progress display: which front end is chosen (TUNELAB_PROGRESS, a Jupyter kernel, a
terminal, missing extras), what rich's bar and tqdm's notebook bar show, and that the display is
closed however optimize ends."""

from __future__ import annotations

import io
import sys
import time
import warnings

import pytest

import tunelab
from tunelab._errors import InvalidArgumentError
from tunelab.study import _optimize, _progress
from tunelab.study._progress import (
    NotebookProgress,
    ProgressLine,
    RichProgress,
    choose_frontend,
    in_jupyter_kernel,
    make_progress,
    progress_mode,
)

rich_console = pytest.importorskip("rich.console")
pytest.importorskip("tqdm.notebook")
pytest.importorskip("ipywidgets")
IPython = pytest.importorskip("IPython")


class TtyStream(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class ZMQInteractiveShell:
    """Stands for ipykernel's shell: the name, and a kernel."""

    kernel = object()


class TerminalInteractiveShell:
    """Stands for the terminal IPython shell: no kernel."""


@pytest.fixture
def kernel(monkeypatch):
    """Make this process look like a Jupyter kernel."""
    monkeypatch.setattr(IPython, "get_ipython", lambda: ZMQInteractiveShell())
    monkeypatch.setitem(sys.modules, "IPython", IPython)


def _close(display):
    display.close()
    return type(display)


def _no_rich(monkeypatch):
    for name in ("rich", "rich.progress", "rich.console"):
        monkeypatch.setitem(sys.modules, name, None)  # `import rich...` raises ImportError


# --- the choice -------------------------------------------------------------------------------------------


def test_auto_in_a_terminal_draws_richs_bar():
    env = {"TERM": "xterm-256color"}
    assert choose_frontend(stream=TtyStream(), environ=env) == "rich"
    assert _close(make_progress(5, None, stream=TtyStream(), environ=env)) is RichProgress


def test_auto_on_a_dumb_terminal_or_a_pipe_prints_lines():
    assert choose_frontend(stream=TtyStream(), environ={"TERM": "dumb"}) == "line"
    stream = io.StringIO()  # a log file, CI: a line per update, as before
    display = make_progress(3, None, stream=stream, environ={"TERM": "xterm"})
    assert type(display) is ProgressLine
    display.update("0.5 (trial 0)")
    display.update("0.25 (trial 1)")
    display.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(" | ")[:2] for line in lines] == [["trials 1/3", "best 0.5 (trial 0)"],
                                                         ["trials 2/3", "best 0.25 (trial 1)"]]


def test_auto_in_a_terminal_without_rich_draws_the_line_quietly(monkeypatch):
    _no_rich(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        display = make_progress(5, None, stream=TtyStream(), environ={"TERM": "xterm"})
    assert _close(display) is ProgressLine


def test_asking_for_rich_without_rich_falls_back_with_a_note(monkeypatch):
    _no_rich(monkeypatch)
    with pytest.warns(UserWarning, match=r"pip install 'tunelab\[rich\]'"):
        display = make_progress(5, None, stream=TtyStream(), environ={"TUNELAB_PROGRESS": "rich"})
    assert _close(display) is ProgressLine


def test_the_fallback_note_points_at_the_users_optimize_call(monkeypatch):
    _no_rich(monkeypatch)
    monkeypatch.setenv("TUNELAB_PROGRESS", "rich")
    study = tunelab.create_study()
    with pytest.warns(UserWarning, match="progress bar needs rich") as caught:
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, show_progress_bar=True)  # the line named
    note = next(w for w in caught if "progress bar needs rich" in str(w.message))
    assert (note.filename, note.lineno) == (__file__, sys._getframe().f_lineno - 2)


def test_a_jupyter_kernel_gets_the_notebook_bar(kernel, capsys):
    assert in_jupyter_kernel()
    # a kernel's stderr is no terminal, and rich is installed: the kernel still decides
    assert choose_frontend(stream=io.StringIO(), environ={}) == "notebook"
    assert _close(make_progress(5, None, environ={})) is NotebookProgress


def test_only_a_kernel_counts_as_a_notebook(monkeypatch):
    monkeypatch.setattr(IPython, "get_ipython", lambda: TerminalInteractiveShell())
    assert not in_jupyter_kernel()  # the terminal IPython shell
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert not in_jupyter_kernel()  # IPython imported, no shell running
    monkeypatch.delitem(sys.modules, "IPython")
    assert not in_jupyter_kernel()  # a plain script: IPython not even imported
    assert "IPython" not in sys.modules  # ... and the check did not import it
    assert choose_frontend(stream=io.StringIO(), environ={}) == "line"


def test_a_kernel_without_ipywidgets_draws_the_line_with_a_note(kernel, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    stream = io.StringIO()
    with pytest.warns(UserWarning, match=r"needs tqdm and ipywidgets.*pip install 'tunelab\[notebook\]'"):
        display = make_progress(2, None, stream=stream, environ={})
    assert type(display) is ProgressLine
    display.update("1 (trial 0)")
    display.close()
    assert stream.getvalue().startswith("trials 1/2 | best 1 (trial 0)")


# --- TUNELAB_PROGRESS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "frontend"), [("line", "line"), ("rich", "rich"), ("notebook", "notebook"),
                                                 (" Line ", "line"), ("", "line")])
def test_the_variable_forces_a_front_end(value, frontend):
    # a pipe, no kernel: auto (here "") would print lines; the variable overrides that
    assert choose_frontend(stream=io.StringIO(), environ={"TUNELAB_PROGRESS": value}) == frontend


def test_the_variable_overrides_a_kernel(kernel):
    assert choose_frontend(stream=io.StringIO(), environ={"TUNELAB_PROGRESS": "line"}) == "line"
    assert type(make_progress(1, None, stream=io.StringIO(), environ={"TUNELAB_PROGRESS": "line"})) is ProgressLine


@pytest.mark.parametrize("value", ["fancy", "1", "tqdm", "true"])
def test_a_bad_value_names_the_variable_the_value_and_what_is_allowed(value):
    with pytest.raises(InvalidArgumentError,
                       match=rf"TUNELAB_PROGRESS='{value}' is invalid: must be one of 'auto', 'line', 'rich', "
                             r"'notebook' \(unset means 'auto'\)"):
        progress_mode({"TUNELAB_PROGRESS": value})


def test_a_bad_value_stops_optimize_before_any_trial(monkeypatch):
    monkeypatch.setenv("TUNELAB_PROGRESS", "fancy")
    study = tunelab.create_study()
    with pytest.raises(InvalidArgumentError, match="TUNELAB_PROGRESS='fancy'"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, show_progress_bar=True)
    assert study.trials == []
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # without the bar, not read
    assert len(study.trials) == 2


# --- what the bars show -----------------------------------------------------------------------------------


def _console():
    return rich_console.Console(file=io.StringIO(), force_terminal=True, width=120)


def test_richs_bar_shows_the_trials_and_the_best_value():
    console = _console()
    display = RichProgress(5, None, console=console)
    try:
        display.update("0.5 (trial 0)")
        display.update("0.25 (trial 1)")
    finally:
        display.close()
    display.close()  # a second close does nothing
    out = console.file.getvalue()
    last = out.rsplit("\r", 1)[-1]  # the final frame, kept on screen (transient=False)
    assert "trials 2/5" in last and "best 0.25 (trial 1)" in last and "elapsed" in last
    assert "remaining 0:00:0" in last
    assert "━" in last  # the bar itself
    task = display._progress.tasks[0]
    assert (task.completed, task.total) == (2, 5)


def test_richs_bar_over_a_timeout_moves_with_the_clock():
    console = _console()
    display = RichProgress(None, 60.0, console=console)
    try:
        time.sleep(0.05)
        progress = display._progress
        bar = progress.columns[1].render(progress.tasks[0])  # no trial finished yet
        assert bar.total == 60.0 and 0.05 <= bar.completed < 60.0
        display.update("3 (trial 0)")
    finally:
        display.close()
    last = console.file.getvalue().rsplit("\r", 1)[-1]
    assert "trials 1 " in last and "best 3 (trial 0)" in last and "remaining 0:00:5" in last


def test_the_notebook_bar_counts_trials(capsys):
    display = NotebookProgress(4, None, display=False)
    left, bar, right = display.bar.container.children
    assert (display.bar.n, display.bar.total) == (0, 4)
    assert "best\u2007-" in right.value
    display.update("0.3 (trial 2)")
    display.update("0.1 (trial 3)")
    assert (display.bar.n, display.bar.total, bar.value, bar.max) == (2, 4, 2, 4)
    assert left.value.replace("\u2007", " ") == "trials 2/4"
    assert right.value.replace("\u2007", " ").startswith("best 0.1 (trial 3) | elapsed 0:00:00 | remaining ")
    display.close()
    assert display.bar.disable  # tqdm closed it
    assert bar.bar_style == "danger"  # stopped before 4 trials: tqdm marks it
    assert capsys.readouterr().out == ""  # display=False: nothing shown


def test_the_notebook_bar_over_a_timeout(capsys):
    display = NotebookProgress(None, 10.0, display=False)
    time.sleep(0.02)
    display.update("7 (trial 0)")
    assert display.bar.total == 10.0 and 0.02 <= display.bar.n < 10.0
    left, _, right = display.bar.container.children
    assert left.value.replace("\u2007", " ") == "trials 1"
    assert "remaining\u20070:00:09" in right.value
    display.close()


# --- optimize: shown, and closed on every way out ---------------------------------------------------------


class Recorder:
    instances: list[Recorder] = []

    def __init__(self, total, timeout):
        self.args, self.updates, self.closed = (total, timeout), [], 0
        Recorder.instances.append(self)

    def update(self, best):
        self.updates.append(best)

    def close(self):
        self.closed += 1


@pytest.fixture
def recorder(monkeypatch):
    Recorder.instances = []
    monkeypatch.setattr(_optimize, "make_progress", Recorder)
    return Recorder.instances


def _interrupts(trial):
    if trial.number == 1:
        raise KeyboardInterrupt
    return trial.suggest_float("x", 0, 1)


def test_optimize_updates_per_trial_and_closes(recorder):
    study = tunelab.create_study()
    study.optimize(lambda t: 3.0 - t.number, n_trials=3, timeout=60, show_progress_bar=True)
    [display] = recorder
    assert display.args == (3, 60)
    assert display.updates == ["3 (trial 0)", "2 (trial 1)", "1 (trial 2)"]
    assert display.closed == 1


def test_no_display_without_the_flag(recorder):
    tunelab.create_study().optimize(lambda t: 1.0, n_trials=2)
    assert recorder == []


@pytest.mark.parametrize("n_jobs, executor", [(1, None), (2, "thread"), (2, "process")])
def test_closed_when_the_objective_raises(recorder, n_jobs, executor):
    raises = lambda t: {}["boom"] if t.number == 1 else 1.0  # noqa: E731 - a lambda goes to worker processes by value
    with pytest.raises(KeyError, match="boom"):
        tunelab.create_study().optimize(raises, n_trials=4, n_jobs=n_jobs, executor=executor,
                                        show_progress_bar=True)
    assert [d.closed for d in recorder] == [1]


@pytest.mark.parametrize("n_jobs, executor", [(1, None), (2, "thread")])
def test_closed_on_ctrl_c(recorder, n_jobs, executor):
    with pytest.raises(KeyboardInterrupt):
        tunelab.create_study().optimize(_interrupts, n_trials=4, n_jobs=n_jobs, executor=executor,
                                        show_progress_bar=True)
    assert [d.closed for d in recorder] == [1]


def test_optimize_in_a_terminal_draws_richs_bar(monkeypatch):
    terminal = TtyStream()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("TUNELAB_PROGRESS", raising=False)
    monkeypatch.setattr(_progress, "in_jupyter_kernel", lambda: False)
    study = tunelab.create_study()
    study.optimize(lambda t: 10.0 - t.number, n_trials=3, show_progress_bar=True)
    last = terminal.getvalue().rsplit("\r", 1)[-1]
    assert "trials 3/3" in last and "best 8 (trial 2)" in last
    assert sys.stderr is terminal  # rich gave stderr back


def test_optimize_with_a_pipe_prints_a_line_per_trial(monkeypatch, capsys):
    monkeypatch.setenv("TUNELAB_PROGRESS", "line")
    tunelab.create_study().optimize(lambda t: 1.0, n_trials=2, show_progress_bar=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("trials ")]
    assert [line.split(" | ")[0] for line in lines] == ["trials 1/2", "trials 2/2"]
