"""Worker processes that would run the study's script again: refused before they run a trial.

A worker process started with forkserver or spawn imports the ``__main__`` script again; a script
whose ``optimize`` call is not under ``if __name__ == "__main__":`` would run it again in every
worker (creating trials, starting workers of its own). The study process refuses to start such
workers (:func:`check_main_guard`); where it cannot tell, the worker refuses at its own start
(:func:`refuse_reimported_main`) and the study process reports it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tunelab._errors import TunelabError

#: Worker processes are named ``tunelab-worker-<n>``.
WORKER_NAME = "tunelab-worker"
#: Exit status of a worker whose import of the study's script ran ``optimize`` (no main guard).
REIMPORT_EXIT = 86


def in_worker_process() -> bool:
    """Whether this process is a worker of ``optimize(n_jobs=...)`` (named ``tunelab-worker-<n>``)."""
    import multiprocessing

    return multiprocessing.current_process().name.startswith(WORKER_NAME)


class WorkerStartError(TunelabError, RuntimeError):
    """Worker processes of ``executor='process'`` could not start; no trial was asked."""


def refuse_reimported_main() -> None:
    """Stop a worker process whose start re-runs the study's script up to ``optimize``.

    A worker started with forkserver or spawn imports the ``__main__`` script again; a script
    without an ``if __name__ == "__main__":`` guard then calls ``optimize`` inside the worker.
    Our workers exit at once with :data:`REIMPORT_EXIT` (the study process raises one clear
    error); any other process starting up raises that error itself.
    """
    process_module = sys.modules.get("multiprocessing.process")
    if process_module is None:
        return
    process = process_module.current_process()
    if not getattr(process, "_inheriting", False):  # set by multiprocessing while a child imports __main__
        return
    if process.name.startswith(WORKER_NAME):
        os._exit(REIMPORT_EXIT)
    raise WorkerStartError(guard_message(f"the process {process.name!r}"))


def check_main_guard() -> None:
    """Refuse to start workers that would run the study's script again.

    Raises :class:`WorkerStartError` when this call comes from top-level code of the ``__main__``
    script that is not inside an ``if __name__ == "__main__":`` block: each worker imports that
    script again and would run that line too. Silent where it cannot tell (no script file, an
    interactive session); the workers then catch it themselves (:func:`refuse_reimported_main`).
    """
    found = unguarded_call()
    if found is not None:
        path, line = found
        raise WorkerStartError(
            f"{path!r} starts worker processes at line {line}, outside an `if __name__ == \"__main__\":` block: "
            "each worker process imports the main script again (start methods forkserver and spawn) and would "
            "run that line too. Put the code that creates and optimizes the study under "
            "`if __name__ == \"__main__\":`, or pass executor='thread'")


def unguarded_call() -> tuple[str, int] | None:
    """``(script, line)`` when this call comes from top-level code of the ``__main__`` script outside
    an ``if __name__ == "__main__":`` block (worker processes would run that line again); else None,
    also where it cannot tell."""
    import ast
    from pathlib import Path

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None:
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "<module>" and frame.f_globals is vars(main)):
        frame = frame.f_back
    if frame is None:
        return None
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    line = frame.f_lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.lineno <= line <= (node.end_lineno or line):
            return None
    return str(path), line


def _is_main_test(test: Any) -> bool:
    import ast

    names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    texts = {n.value for n in ast.walk(test) if isinstance(n, ast.Constant)}
    return "__name__" in names and "__main__" in texts


def guard_message(who: str) -> str:
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None) or "the main script"
    return (f"{who} imported {script!r} again while starting, and that ran optimize() again: a new process "
            "imports the main script (start methods forkserver and spawn), so put the code that creates "
            "and optimizes the study under `if __name__ == \"__main__\":`, or pass executor='thread'")
