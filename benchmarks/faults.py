"""The fault matrix's table: run every case of ``tests/faults`` and count lost, stuck and duplicated trials.

    python benchmarks/faults.py                    # the whole matrix; writes benchmarks/faults_RESULTS.md
    python benchmarks/faults.py --only disk-full   # cases whose id contains a word (no file written)
    python benchmarks/faults.py --repeat 3         # each case three times (flakiness under load)

The cases, their scenarios and their checks are the test suite's own (``tests/faults/matrix.py``
holds the definitions); PostgreSQL cases use a throw-away database on ``TUNELAB_TEST_PG``
(default ``postgresql://postgres@127.0.0.1:5432``) and are left out when no server answers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.lab import MountRefusedError  # noqa: E402
from tests.faults.matrix import (  # noqa: E402
    CASES,
    case_table,
    known_failures_text,
    not_applicable,
    run_case,
    summary_table,
    verdict,
)
from tests.storage.postgres import PG_HOST  # noqa: E402

RESULTS = ROOT / "benchmarks" / "faults_RESULTS.md"


@contextlib.contextmanager
def throwaway_database() -> Iterator[str | None]:
    """The URL of a new PostgreSQL database, dropped afterwards; None when no server answers."""
    try:
        import psycopg

        admin = psycopg.connect(f"{PG_HOST}/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - no driver or no server: the PostgreSQL cases are left out
        print(f"PostgreSQL cases left out: {type(exc).__name__}: {exc}", file=sys.stderr)
        yield None
        return
    name = f"tunelab_faults_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_HOST}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run the cases whose id contains this word")
    parser.add_argument("--repeat", type=int, default=1, help="run each case this many times")
    parser.add_argument("--keep", metavar="FOLDER", help="keep each case's folder (logs, database) under FOLDER")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.only or any(word in c.id for word in args.only)]
    outcomes, skipped = [], {}
    started, load = time.monotonic(), os.getloadavg()[0]
    with throwaway_database() as pg_url, tempfile.TemporaryDirectory(prefix="tunelab-faults-") as scratch:
        tmp = args.keep or scratch
        for case in cases:
            why = not_applicable(case)
            if why is None and case.backend == "postgresql" and pg_url is None:
                why = "no PostgreSQL server"
            if why is not None:
                skipped[case.id] = why
                continue
            for attempt in range(args.repeat):
                root = Path(tmp) / f"{case.id}-{attempt}"
                try:
                    outcome = run_case(case, root, pg_url)
                except MountRefusedError as exc:
                    skipped[case.id] = str(exc)
                    break
                outcomes.append(outcome)
                state = verdict(outcome)
                seconds = "-" if outcome.seconds is None else f"{outcome.seconds:.1f} s"
                print(f"{case.id}: {state} ({outcome.audit.trials} trials, recovered in {seconds})", file=sys.stderr)
                for problem in outcome.audit.problems:
                    print(f"    {problem}", file=sys.stderr)
    elapsed = time.monotonic() - started
    failed = [o for o in outcomes if verdict(o) == "FAILED"]
    report = "\n".join([
        "# Fault matrix",
        "",
        f"`python benchmarks/faults.py`, {platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {load:.1f} at the start: {len(outcomes)} case runs in "
        f"{elapsed:.0f} s. "
        "Definitions of the faults and of lost / stuck / duplicated: `tests/faults/matrix.py`; seconds to "
        "recover run from the fault to the end of the recovery run (a dead process's trials wait out "
        "the 1 s grace period).",
        "",
        summary_table(outcomes),
        "",
        "## Known product bugs (cases marked xfail, strict, in tests/faults)",
        "",
        known_failures_text(outcomes) or "none",
        "",
        "## Cases",
        "",
        "A case's id is fault-storage-surface-jobs; \"s in all\" is the whole case, recovery run included.",
        "",
        case_table(outcomes, skipped),
        "",
    ])
    print(report)
    if not args.only and args.repeat == 1:
        RESULTS.write_text(report)
        print(f"written: {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
