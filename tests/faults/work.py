"""What the processes of the fault matrix run: the objective, the training script, the Python API
driver, and the injected "disk full" of a PostgreSQL server.

Imported by child processes (the repository root is on their ``PYTHONPATH``), so it stays light:
tunelab is imported where it is used.
"""

from __future__ import annotations

import os
import re
import time

#: Heartbeats of every study of the matrix: short, so a dead process's trial is found quickly.
HEARTBEAT_S = 0.2
GRACE_S = 1.0
RETRIES = 1
#: A trial "trains" STEPS steps of STEP_S seconds, reporting after each (where a finished trial stops).
STEPS = 4
STEP_S = 0.1
#: Where a process's environment sets this, its trials train that many steps instead of STEPS: the
#: kill -9 worker case slows its victim so that the test sees a trial mid-training whatever the load
#: (with 1 job the worker runs one trial, whose 0.3 s of reports a loaded machine's polls could miss).
STEPS_ENV = "TUNELAB_FAULTS_STEPS"
#: While this file exists, every write to PostgreSQL fails as a full disk would (see :func:`refuse_writes`).
DISK_FULL_ENV = "TUNELAB_FAULTS_DISK_FULL_FLAG"


def paced(trial):
    """The Python API objective: records the process running it (user attribute ``pid``), then
    trains :data:`STEPS` steps (or as many as :data:`STEPS_ENV` says), reporting after each."""
    x = trial.suggest_float("x", -1.0, 1.0)
    trial.set_user_attr("pid", os.getpid())
    for step in range(int(os.environ.get(STEPS_ENV, STEPS))):
        time.sleep(STEP_S)
        trial.report(x + step, step)
    return x * x


#: The training script of ``tunelab run``: it leaves a file ``pids/<trial>-<pid>-<guard pid>`` (the
#: guard is its parent), then trains like :func:`paced`.
TRAIN_SCRIPT = f"""\
import os, sys, time
if os.environ.get({DISK_FULL_ENV!r}):
    from tests.faults.work import refuse_writes_from_env
    refuse_writes_from_env()
import tunelab
x = float(next(a for a in sys.argv if a.startswith("--x=")).split("=", 1)[1])
os.makedirs("pids", exist_ok=True)
open(f"pids/{{os.environ['TUNELAB_TRIAL']}}-{{os.getpid()}}-{{os.getppid()}}", "w").close()
for step in range({STEPS}):
    time.sleep({STEP_S})
    tunelab.report(x + step, step=step)
tunelab.report(x * x)
"""


#: The Python API driver, run as ``python -c API_DRIVER URL STUDY SHARE JOBS BUDGET``: SHARE trials
#: of the study (``rest``: what the budget still owes, as a rerun would compute it).
API_DRIVER = """\
import sys
from tests.faults.work import api_main
if __name__ == "__main__":
    api_main(sys.argv[1:])
"""

#: ``tunelab`` itself, with the injected full disk of :func:`refuse_writes_from_env` when asked for.
CLI_DRIVER = """\
import sys
from tests.faults.work import refuse_writes_from_env
refuse_writes_from_env()
from tunelab.cli import main
sys.exit(main())
"""


def api_main(argv: list[str]) -> None:
    """Open the study with heartbeats and run its share of trials (see :data:`API_DRIVER`)."""
    import tunelab
    from tunelab.runner import counted
    from tunelab.storage import SQLStorage

    url, name, share, jobs, budget = argv
    refuse_writes_from_env()
    storage = SQLStorage(url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S, retries=RETRIES)
    study = tunelab.create_study(storage=storage, study_name=name, load_if_exists=True)
    n_trials = max(int(budget) - counted(study.trials), 0) if share == "rest" else int(share)
    study.optimize(paced, n_trials=n_trials, n_jobs=int(jobs))
    print(f"ran {n_trials} trials", flush=True)


def refuse_writes_from_env() -> None:
    """Make PostgreSQL writes of this process fail with ``DiskFull`` while the file named by
    :data:`DISK_FULL_ENV` exists (nothing happens when the variable is not set)."""
    flag = os.environ.get(DISK_FULL_ENV)
    if flag:
        refuse_writes(flag)


def refuse_writes(flag: str) -> None:
    """While the file ``flag`` exists, every INSERT, UPDATE or DELETE that psycopg is asked to run
    raises ``psycopg.errors.DiskFull`` (SQLSTATE 53100), as a server whose disk is full answers;
    reads go on. The server's own disk cannot be filled safely, so the fault is injected here,
    below SQLAlchemy and tunelab's transaction runner."""
    import psycopg
    from psycopg import errors

    def guarded(method):
        def run(self, query, *args, **kwargs):
            if os.path.exists(flag) and _writes(query):
                raise errors.DiskFull("could not extend file: No space left on device (injected)")
            return method(self, query, *args, **kwargs)

        return run

    for name in ("execute", "executemany"):
        setattr(psycopg.Cursor, name, guarded(getattr(psycopg.Cursor, name)))


#: A statement that changes rows, alone or inside a ``WITH`` (tunelab's hot writes are common table expressions).
_DML = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)


def _writes(query) -> bool:
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    elif not isinstance(query, str):  # a psycopg.sql.Composable
        query = repr(query)
    return _DML.search(query) is not None
