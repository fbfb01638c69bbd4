"""The seven faults of the matrix, each a scenario on a :class:`~tests.faults.lab.Lab`: start the
study's processes, inject the fault mid-trial, see the processes react, then run the recovery run.
What each scenario expects beyond the common ledger (:mod:`tests.faults.audit`) is added to the
lab's result as a problem when it does not happen.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time

from tests.faults import work
from tests.faults.audit import first_line, snapshot
from tests.faults.lab import Lab, Proc, Runner, tail
from tests.faults.procs import alive, children_of, signal_group, wait_for
from tunelab._records import TrialState

#: What a trial failed by the heartbeat sweep says, and what an interrupted one says.
NO_HEARTBEAT = "no heartbeat"
INTERRUPTED = "interrupted"


def kill_worker(lab: Lab) -> None:
    """SIGKILL a worker mid-trial: API, a second optimize process on the study (its pool goes with
    it) while the driver goes on; CLI, one training script. Its trial ends FAIL and is repeated."""
    if lab.case.surface == "api":
        worker = lab.start("worker", share=lab.budget // 4, steps=600)  # killed mid-trial: a minute-long trial
        victim = lab.wait_running(owner=worker)[0]
        driver = lab.start("driver", share=lab.budget - lab.budget // 4)
        lab.fault()
        os.kill(worker.pid, signal.SIGKILL)
        lab.expect_gone(worker)
    else:
        driver = lab.start("driver")
        victim = lab.wait_running(proc=driver)[0]
        lab.fault()
        os.kill(victim.pid, signal.SIGKILL)
    lab.expect_clean_exit(driver)
    _rerun(lab, after_grace=True)
    _expect_repeated(lab, [victim.trial.number])


def kill_driver(lab: Lab) -> None:
    """SIGKILL the driver alone: its pool workers or scripts die with it; a rerun fails its silent
    trials after the grace period and repeats them."""
    driver = lab.start("driver")
    lab.wait_complete(1, proc=driver)
    victims = lab.wait_running(min(lab.case.jobs, 2), proc=driver)
    lab.fault()
    os.kill(driver.pid, signal.SIGKILL)
    lab.expect_gone(driver)
    _scripts_gone(lab, victims)
    running = [t.number for t in lab.fresh_trials() if t.state == TrialState.RUNNING]
    _rerun(lab, after_grace=True)
    _expect_repeated(lab, running, reason=NO_HEARTBEAT)


def kill_pool_worker(lab: Lab) -> None:
    """SIGKILL one process of the driver's pool mid-trial (CLI: the guard process a trial's script
    runs under): only that trial is lost (FAIL, repeated); the others finish."""
    driver = lab.start("driver")
    victim = lab.wait_running(pooled=True, proc=driver)[0]
    lab.fault()
    os.kill(victim.guard or victim.pid, signal.SIGKILL)
    lab.expect_clean_exit(driver)
    _scripts_gone(lab, [victim])
    _rerun(lab)
    _expect_repeated(lab, [victim.trial.number])
    failed = [t.number for t in lab.fresh_trials() if t.state == TrialState.FAIL]
    if failed != [victim.trial.number]:
        lab.result.add("misbehaved", f"killing the worker of trial {victim.trial.number} failed trials {failed}")


def ctrl_c(lab: Lab) -> None:
    """SIGINT to the driver's process group, as a terminal's Ctrl-C: every running trial ends FAIL
    "interrupted" with one WAITING copy; the rerun runs the copies first and completes the budget."""
    driver = lab.start("driver")
    lab.wait_running(lab.case.jobs, proc=driver)
    lab.fault()
    signal_group(driver.pid, signal.SIGINT)
    code = driver.wait(60)
    err = driver.stderr()
    if lab.case.surface == "api":
        if not err.rstrip().endswith("KeyboardInterrupt"):
            lab.result.add("misbehaved", f"the driver did not end with KeyboardInterrupt: {tail(err)}")
    elif code != 130 or "Traceback" in err or "interrupted trials are queued" not in err:
        lab.result.add("misbehaved", f"tunelab run ended with status {code} and: {tail(err)}")
    lab.expect_gone(driver)
    trials = lab.fresh_trials()
    stopped = [t for t in trials if t.state == TrialState.FAIL and (t.fail_reason or "").startswith(INTERRUPTED)]
    copies = [t for t in trials if t.state == TrialState.WAITING]
    if not stopped:
        lab.result.add("misbehaved", "no trial ended interrupted")
    if sorted(t.retry_of for t in copies) != [t.number for t in stopped]:
        lab.result.add("misbehaved", f"interrupted trials {[t.number for t in stopped]} have the WAITING copies "
                                     f"{[(t.number, t.retry_of) for t in copies]}")
    running = [t.number for t in trials if t.state == TrialState.RUNNING]
    if running:
        lab.result.add("stuck", f"trials RUNNING after Ctrl-C: {running}")
    first_new = max((t.number for t in trials), default=-1) + 1
    _rerun(lab)
    after = lab.fresh_trials()
    started = {t.number: t.datetime_start for t in after}
    fresh = [started[t.number] for t in after if t.number >= first_new and t.retry_of is None and started[t.number]]
    late = [t.number for t in copies if started.get(t.number) is None or (fresh and started[t.number] > min(fresh))]
    if late:
        lab.result.add("misbehaved", f"the rerun started new trials before the interrupted trials' copies {late}")


def heartbeat_pause(lab: Lab) -> None:
    """SIGSTOP a worker (API: an optimize process; CLI: a ``tunelab run`` and its scripts) past the
    grace period while another process sweeps; SIGCONT: the stale trials stay FAIL, their retries run
    elsewhere, the paused process goes on without crashing and its late results are not written."""
    if lab.case.surface == "api":
        share = 1 if lab.case.jobs == 1 else 2  # the other process asks on long enough to sweep
        paused = lab.start("paused", share=share)
        lab.wait_running(owner=paused)
        stopped = _stop(lab, paused)
        other = lab.start("other", share=lab.budget - share)
    else:
        paused = lab.start("paused")
        lab.wait_running(owner=paused)
        stopped = _stop(lab, paused)
        other = lab.start("other", seed=1)
    stale = [t.number for t in lab.fresh_trials() if t.state == TrialState.RUNNING]
    try:
        wait_for(lambda: _all_failed(lab, stale), 30, f"trials {stale} to be failed by the sweep of another process",
                 proc=other.popen)
    except AssertionError as exc:
        lab.result.add("stuck", str(exc))
    finally:
        for pgid in stopped:
            signal_group(pgid, signal.SIGCONT)
    lab.expect_clean_exit(other)
    lab.expect_clean_exit(paused)
    _rerun(lab)
    _expect_repeated(lab, stale, reason=NO_HEARTBEAT)


def database_disconnect(lab: Lab) -> None:
    """PostgreSQL: terminate every connection to the database a few times mid-run; SQLite: another
    process holds an exclusive lock for a few seconds. The run goes on and completes."""
    driver = lab.start("driver")
    lab.wait_complete(1, proc=driver)
    lab.wait_running(proc=driver)
    lab.fault()
    if lab.case.backend == "postgresql":
        dropped = _drop_connections(lab.url, times=4, every=0.4)
        if not dropped:
            lab.result.add("misbehaved", "no connection was dropped: the fault did not happen")
    else:
        _hold_exclusive_lock(lab, seconds=2.5)
    lab.expect_clean_exit(driver)
    _rerun(lab)


def disk_full(lab: Lab) -> None:
    """The database's disk fills up mid-run (SQLite: a tiny tmpfs filled by a file; PostgreSQL: every
    write refused with DiskFull, injected in the drivers): the run stops with a clear error; once
    space is freed, a rerun fails and repeats the trials left RUNNING and completes the budget."""
    driver = lab.start("driver")
    lab.wait_complete(1, proc=driver)
    lab.wait_running(proc=driver)
    lab.fault()
    filler = None
    if lab.case.backend == "postgresql":
        lab.flag.touch()
    else:
        filler = _fill(lab.mount)
    try:
        code = driver.wait(60)
    finally:
        if filler is not None:
            filler.unlink()
        lab.flag.unlink(missing_ok=True)
    err = driver.stderr()
    if code == 0:
        lab.result.add("misbehaved", "the run went on as if the disk were not full")
    elif "disk is full" not in err:
        lab.result.add("misbehaved", f"the error does not say the disk is full: {tail(err)}")
    elif lab.case.surface == "cli" and ("Traceback" in err or "tunelab: error:" not in err):
        lab.result.add("misbehaved", f"tunelab run did not end with one clear error line: {tail(err)}")
    lab.expect_gone(driver)
    _rerun(lab, after_grace=True)


SCENARIOS = {
    "kill -9 worker": kill_worker,
    "kill -9 driver": kill_driver,
    "kill a pool worker": kill_pool_worker,
    "Ctrl-C": ctrl_c,
    "heartbeat pause": heartbeat_pause,
    "database disconnect": database_disconnect,
    "disk full": disk_full,
}


# -- pieces ---------------------------------------------------------------------------------------------------
def _rerun(lab: Lab, *, after_grace: bool = False) -> None:
    """The recovery run, once everything finished so far is recorded. A Python API rerun after a
    dead driver waits out the grace period first (its asks then fail and repeat the silent trials);
    ``tunelab run`` waits for them by itself."""
    lab.before = snapshot(lab.fresh_trials())
    if after_grace and lab.case.surface == "api":
        time.sleep(max(lab.fault_at + work.GRACE_S + 2 * work.HEARTBEAT_S - time.monotonic(), 0))
    lab.rerun()


def _expect_repeated(lab: Lab, numbers: list[int], *, reason: str | None = None) -> None:
    """Each of trials ``numbers`` ended FAIL (with ``reason`` in its fail reason) and its one retry completed."""
    trials = lab.fresh_trials()
    by_number = {t.number: t for t in trials}
    for number in numbers:
        t = by_number.get(number)
        retries = [r for r in trials if r.retry_of == number]
        if t is None or t.state != TrialState.FAIL or (reason and reason not in (t.fail_reason or "")):
            shown = "missing" if t is None else f"{t.state.name} ({first_line(t.fail_reason)})"
            lab.result.add("misbehaved", f"trial {number}, hit by the fault, is {shown}")
        elif not retries:
            lab.result.add("not repeated", f"trial {number}, hit by the fault, was never repeated: "
                                           f"{first_line(t.fail_reason)}")
        elif [r.state for r in retries] != [TrialState.COMPLETE]:
            lab.result.add("lost", f"trial {number} has the retries {[(r.number, r.state.name) for r in retries]}")


def _scripts_gone(lab: Lab, victims: list[Runner]) -> None:
    """``tunelab run``: the scripts (and guards) of ``victims`` end within a few seconds."""
    pids = [p for v in victims for p in (v.pid, v.guard) if p is not None]
    try:
        wait_for(lambda: not any(alive(p) for p in pids), 10, f"the processes {pids} of the lost trials to end")
    except AssertionError as exc:
        lab.result.add("left alive", str(exc))


def _stop(lab: Lab, proc: Proc) -> list[int]:
    """SIGSTOP ``proc``'s group and the groups of its children (``tunelab run``: each script's guard
    leads one): a frozen machine. The freeze lands between two transactions: a process frozen inside
    one holds the SQLite file's write lock (or PostgreSQL row locks) and stalls every writer until it
    resumes, which is the databases' design, not what this case is about."""
    for _ in range(100):
        lab.fault()
        signal_group(proc.pid, signal.SIGSTOP)
        groups = [proc.pid, *children_of(proc.pid)]
        for pgid in groups[1:]:
            signal_group(pgid, signal.SIGSTOP)
        if not _in_transaction(lab):
            return groups
        for pgid in groups:
            signal_group(pgid, signal.SIGCONT)
        time.sleep(0.01 + 0.03 * random.random())
    lab.result.add("misbehaved", f"{proc.name} could not be frozen outside a transaction in 100 tries")
    return groups


def _in_transaction(lab: Lab) -> bool:
    """Whether some connection to the study's database is inside a transaction (or a statement) now."""
    if lab.case.backend == "postgresql":
        import psycopg

        with psycopg.connect(lab.url, autocommit=True) as conn:
            busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid() AND state <> 'idle'").fetchone()[0]
        return busy > 0
    import sqlite3

    conn = sqlite3.connect(lab.url[len("sqlite:///"):], timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:  # the write lock is held
        return True
    finally:
        conn.close()


def _all_failed(lab: Lab, numbers: list[int]) -> bool:
    states = {t.number: t.state for t in lab.trials()}
    return all(states.get(n) == TrialState.FAIL for n in numbers)


def _drop_connections(url: str, *, times: int, every: float) -> int:
    """``pg_terminate_backend`` every other connection to the database ``times`` times; how many it cut."""
    import psycopg

    dropped = 0
    with psycopg.connect(url, autocommit=True) as admin:
        for _ in range(times):
            rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
            dropped += sum(1 for (ok,) in rows if ok)
            time.sleep(every)
    return dropped


LOCKER = """\
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _hold_exclusive_lock(lab: Lab, *, seconds: float) -> None:
    """Another process takes the SQLite file's write lock (BEGIN EXCLUSIVE) and holds it ``seconds``."""
    path = lab.url[len("sqlite:///"):]
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, path, str(seconds)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    out, err = locker.communicate(timeout=seconds + 60)
    if locker.returncode or "locked" not in out:
        lab.result.add("misbehaved", f"the lock could not be taken: {tail(err)}")


def _fill(folder) -> os.PathLike:
    """Fill the filesystem of ``folder`` with one file until no byte is left; the file."""
    path = folder / "filler"
    chunk = b"\0" * (64 * 1024)
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
        try:  # the last partial page
            while True:
                f.write(b"\0" * 512)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return path
