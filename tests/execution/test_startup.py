"""A script whose workers would run it again (no ``if __name__ == "__main__":`` guard) runs its
trials in threads, as Optuna's do, saying so once; asked for worker processes, or where only the
workers can tell, it gets one clear error before any trial is asked; guarded scripts run."""

from __future__ import annotations

import textwrap
import time

import pytest

import tunelab
from tests.execution.checks import assert_clean, completed
from tests.execution.drivers import script

OBJECTIVE = """
    import tunelab

    def objective(trial):
        return trial.suggest_float("x", 0, 1) ** 2

"""
RUN = 'study = tunelab.create_study(storage="sqlite:///study.db", study_name="s"{load})\n' \
      'study.optimize(objective, n_trials=6, n_jobs=2{executor})\n'


def _script(tmp_path, guard: str | None, *, load_if_exists: bool = True, executor: str = "") -> str:
    run = RUN.format(load=", load_if_exists=True" if load_if_exists else "", executor=executor)
    body = textwrap.dedent(OBJECTIVE) + (run if guard is None else f"{guard}\n" + textwrap.indent(run, "    "))
    path = tmp_path / "tune.py"
    path.write_text(body)
    return str(path)


def _trials(tmp_path):
    return tunelab.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}").trials


@pytest.mark.parametrize(("guard", "load_if_exists", "executor", "where"), [
    # seen before the workers start
    (None, True, ", executor='process'", "outside an `if __name__ == \"__main__\":` block"),
    (None, False, ", executor='process'", "outside an `if __name__ == \"__main__\":` block"),
    # seen by the workers
    ('if __name__ in ("__main__", "__mp_main__"):', True, "", "again while starting, and that ran optimize"),
])
def test_a_script_that_workers_would_run_again_gets_one_clear_error(tmp_path, guard, load_if_exists, executor, where):
    start = time.monotonic()
    done = script(_script(tmp_path, guard, load_if_exists=load_if_exists, executor=executor))
    assert time.monotonic() - start < 60
    assert done.returncode == 1
    assert done.stderr.count("Traceback") == 1, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tunelab.execution._startup.WorkerStartError: ") and where in last
    assert last.endswith("the code that creates and optimizes the study under `if __name__ == \"__main__\":`, "
                         "or pass executor='thread'")
    assert _trials(tmp_path) == []  # nothing asked: nothing RUNNING, nothing lost


@pytest.mark.parametrize(("guard", "executor"), [('if __name__ == "__main__":', ""), (None, ", executor='thread'")])
def test_a_guarded_script_or_threads_run(tmp_path, guard, executor):
    done = script(_script(tmp_path, guard, executor=executor))
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(completed(assert_clean(_trials(tmp_path)))) == 6


def test_a_script_without_the_guard_runs_in_threads_as_optunas_and_says_so_once(tmp_path):
    done = script(_script(tmp_path, None))
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(completed(assert_clean(_trials(tmp_path)))) == 6
    said = [line for line in done.stderr.splitlines() if "UserWarning" in line]
    assert len(said) == 1 and "n_jobs=2 runs in threads here, as Optuna's does" in said[0]
    assert "calls optimize at line 8, outside an `if __name__ == \"__main__\":` block" in said[0]
