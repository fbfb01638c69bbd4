"""The fault matrix: every case run the same way by the test suite (``tests/faults/test_matrix.py``)
and the table (``benchmarks/faults.py``), and the table itself.

Definitions (each case checks its promises after the scenario and the recovery run):

* **worker**: with the Python API, an independent process running ``optimize`` on the same study
  (``tunelab.create_study(..., load_if_exists=True)``), as another machine would; with ``tunelab
  run``, the training script. *kill -9 worker*: SIGKILL it mid-trial (the API worker's pool goes
  with it); its trial ends FAIL and is repeated once, the other processes go on unaffected, the
  budget is reached.
* **driver**: the process running ``optimize`` / ``tunelab run``. *kill -9 driver*: SIGKILL it alone
  (not its group); its pool workers or scripts die with it; a rerun after the grace period fails
  and repeats the trials it left RUNNING and completes the budget. Python API drivers use
  ``SQLStorage(url, heartbeat_interval=0.2, grace_period=1, retries=1)``; ``tunelab run`` heartbeats
  by default and the config's ``[storage]`` table sets the same short policy.
* **kill a pool worker** (4 jobs): SIGKILL one process of the driver's pool mid-trial: the Python
  API's worker processes; ``tunelab run`` runs trials in threads, each trial's script under a guard
  process (its per-trial child), which is the one killed. Only that trial is lost (FAIL, repeated
  once), the others finish. With 1 job there is no pool: not applicable (skipped, with the reason).
* **Ctrl-C**: SIGINT to the driver's whole process group, as a terminal sends it: running trials end
  FAIL "interrupted ..." with exactly one WAITING copy each; a rerun runs the copies first and
  completes the budget.
* **heartbeat pause**: SIGSTOP a worker past the grace period while another process of the study
  sweeps (asks), then SIGCONT. Python API: an optimize process and its pool; ``tunelab run``: a run
  and its scripts (a frozen machine), the other process being a second ``tunelab run`` of the same
  config. The freeze lands between two database transactions (one frozen inside a transaction
  holds SQLite's write lock or PostgreSQL's row locks and stalls every writer, by the databases'
  design). The stale trials stay FAIL, their retries run, the paused process goes on without
  crashing and its late results are not written.
* **database disconnect**: PostgreSQL: ``pg_terminate_backend`` on every connection to the study's
  database, four times 0.4 s apart, mid-run; SQLite: another process holds ``BEGIN EXCLUSIVE`` for
  2.5 s mid-run. Nothing is lost and the run completes.
* **disk full**: SQLite on a 16 MB tmpfs filled up mid-run by a file, freed before the rerun;
  PostgreSQL, whose server's disk cannot be filled safely: meanwhile every write of the drivers and
  scripts raises ``psycopg.errors.DiskFull`` (:func:`tests.faults.work.refuse_writes`). The run
  stops with an error saying the disk is full (from ``tunelab run`` one line, no traceback); the
  rerun fails and repeats the trials left RUNNING; nothing is lost.

After every scenario and its recovery run (:mod:`tests.faults.audit`): every trial number 0..n-1
appears once; nothing is RUNNING or WAITING; each lost or interrupted trial is repeated by exactly
one retry (the storages allow one); COMPLETE trials == the budget; no finished trial changed, no
failed trial holds a result; no process of the case is left alive. Objectives are tiny (four
reports 0.1 s apart) and budgets small (6 trials with 1 job, 12 with 4), so the matrix runs in a
few minutes.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

from tests.faults.audit import Audit, audit
from tests.faults.lab import FAULTS, Case, Lab, all_cases
from tests.faults.procs import wait_for
from tests.faults.scenarios import SCENARIOS

CASES = all_cases()


def not_applicable(case: Case) -> str | None:
    """Why ``case`` cannot happen, or None."""
    if case.fault == "kill a pool worker" and case.jobs == 1:
        if case.surface == "api":
            return "with n_jobs=1 the objective runs in the driver process itself: there is no pool worker to kill"
        return ("with n_jobs=1 tunelab run has no pool: its trial's guard process is the one killed with 4 jobs, "
                "covered there")
    return None


#: Cases that fail because of a product bug: the exception their problems raise, and the diagnosis.
#: (None now: the three bugs of ``tunelab run`` the matrix found, a script or guard killed from outside
#: not queued again and two runs of one config spending its budget twice, are fixed in tunelab/runner.)
KNOWN_FAILURES: dict[str, tuple[type[AssertionError], str]] = {}


@dataclasses.dataclass
class Outcome:
    case: Case
    audit: Audit
    seconds: float | None  # from the fault to the end of the recovery run
    wall: float = 0.0  # the whole case


def run_case(case: Case, root: Path, pg_url: str | None = None) -> Outcome:
    """Run ``case``'s scenario and recovery in the folder ``root``; its ledger and recovery time."""
    started = time.monotonic()
    lab = Lab(case, root, pg_url)
    try:
        try:
            SCENARIOS[case.fault](lab)
        except AssertionError as exc:  # the scenario could not go on (a timeout): count what is there
            lab.result.add("misbehaved", str(exc))
        audit(lab.fresh_trials(), budget=lab.budget, before=lab.before, result=lab.result)
        try:
            wait_for(lambda: not lab.leftovers(), 10, "the case's processes to end")
        except AssertionError:
            lab.result.add("left alive", f"processes still running: {lab.leftovers()}")
    finally:
        lab.close()
    seconds = None
    if lab.fault_at is not None and lab.recovered_at is not None:
        seconds = lab.recovered_at - lab.fault_at
    return Outcome(case, lab.result, seconds, time.monotonic() - started)


def verdict(outcome: Outcome) -> str:
    """"ok", "known bug" (the case's problems are those of its known product bug) or "FAILED"."""
    error = outcome.audit.error()
    if error is None:
        return "ok"
    known = KNOWN_FAILURES.get(outcome.case.id)
    return "known bug" if known is not None and isinstance(error, known[0]) else "FAILED"


# -- the table ------------------------------------------------------------------------------------------------
def summary_table(outcomes: list[Outcome]) -> str:
    """One row per fault: cases run, trials, lost, stuck, duplicated, seconds to recover."""
    lines = ["| fault | cases | cases ok | trials | lost | stuck | duplicated | seconds to recover (median / max) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for fault in FAULTS:
        rows = [o for o in outcomes if o.case.fault == fault]
        if not rows:
            continue
        seconds = [o.seconds for o in rows if o.seconds is not None]
        shown = f"{statistics.median(seconds):.1f} / {max(seconds):.1f}" if seconds else "-"
        lines.append(f"| {fault} | {len(rows)} | {sum(not o.audit.problems for o in rows)} | "
                     f"{sum(o.audit.trials for o in rows)} | "
                     f"{sum(o.audit.lost for o in rows)} | {sum(o.audit.stuck for o in rows)} | "
                     f"{sum(o.audit.duplicated for o in rows)} | {shown} |")
    total = [o.seconds for o in outcomes if o.seconds is not None]
    lines.append(f"| **all** | {len(outcomes)} | {sum(not o.audit.problems for o in outcomes)} | "
                 f"{sum(o.audit.trials for o in outcomes)} | "
                 f"{sum(o.audit.lost for o in outcomes)} | {sum(o.audit.stuck for o in outcomes)} | "
                 f"{sum(o.audit.duplicated for o in outcomes)} | "
                 f"{(f'{statistics.median(total):.1f} / {max(total):.1f}') if total else '-'} |")
    return "\n".join(lines)


def case_table(outcomes: list[Outcome], skipped: dict[str, str] | None = None) -> str:
    """One row per case, with what went wrong."""
    lines = ["| case | trials | lost | stuck | duplicated | s to recover | s in all | result |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for o in outcomes:
        c, a = o.case, o.audit
        kinds = ", ".join(sorted({p.kind for p in a.problems}))
        result = {"ok": "ok", "known bug": f"known bug (xfail): {kinds}"}.get(verdict(o), f"FAILED: {kinds}")
        seconds = "-" if o.seconds is None else f"{o.seconds:.1f}"
        lines.append(f"| {c.id} | {a.trials} | {a.lost} | {a.stuck} | {a.duplicated} | {seconds} | {o.wall:.1f} | "
                     f"{result} |")
    for case_id, why in (skipped or {}).items():
        lines.append(f"| {case_id} | | | | | | | skipped: {why} |")
    return "\n".join(lines)


def known_failures_text(outcomes: list[Outcome]) -> str:
    """The diagnosis of each product bug that a case of ``outcomes`` ran into, with its cases."""
    by_reason: dict[str, list[str]] = {}
    for o in outcomes:
        if verdict(o) == "known bug":
            by_reason.setdefault(KNOWN_FAILURES[o.case.id][1], []).append(o.case.id)
    return "\n".join(f"- {', '.join(dict.fromkeys(ids))}: {reason}" for reason, ids in by_reason.items())
