"""The fault matrix: {kill -9 worker, kill -9 driver, kill a pool worker, Ctrl-C, heartbeat pause,
database disconnect, disk full} x {SQLite, PostgreSQL} x {Python API, ``tunelab run``} x {1, 4 jobs}.

Each case runs its scenario and a recovery run, then asserts that no trial was lost, left stuck or
done twice, and that no process of the case is left (see :mod:`tests.faults.matrix` for the
definitions). ``benchmarks/faults.py`` runs the same cases and prints the table.
"""

from __future__ import annotations

import sys

import pytest

from tests.faults.lab import MountRefusedError
from tests.faults.matrix import CASES, KNOWN_FAILURES, not_applicable, run_case


def _param(case):
    marks = []
    if case.backend == "postgresql":
        marks.append(pytest.mark.postgres)
    why = not_applicable(case)
    if why is not None:
        marks.append(pytest.mark.skip(reason=f"not applicable: {why}"))
    if case.id in KNOWN_FAILURES:
        raises, reason = KNOWN_FAILURES[case.id]
        marks.append(pytest.mark.xfail(strict=True, raises=raises, reason=reason))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_no_trial_is_lost_stuck_or_duplicated(case, tmp_path, request):
    pg_url = request.getfixturevalue("pg_url") if case.backend == "postgresql" else None
    try:
        outcome = run_case(case, tmp_path, pg_url)
    except MountRefusedError as exc:
        pytest.skip(f"SQLite disk-full case needs a tmpfs: {exc}")
    error = outcome.audit.error()
    if error is not None:
        raise error


def test_a_script_killed_by_sigkill_is_recorded_as_killed_by_signal_9(tmp_path):
    """The guard ends the way its script ended: a script killed by SIGKILL (the OOM killer, ``kill -9``)
    is recorded as killed by signal 9, with its own output as the last output."""
    import tunelab
    from tunelab.runner import ScriptFailedError, ScriptObjective

    script = tmp_path / "train.py"
    script.write_text("import os, signal\nprint('training', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = tunelab.create_study(storage=url, study_name="killed")
    objective = ScriptObjective((sys.executable, str(script)), (), storage_url=url, metrics=("loss",), cwd=tmp_path,
                                log_dir=tmp_path / "logs")
    study.optimize(objective, n_trials=1, catch=(ScriptFailedError,))
    (trial,) = study.trials
    assert "the script was killed by signal 9" in trial.fail_reason
    assert "Traceback" not in trial.fail_reason and "training" in trial.fail_reason
