"""Many workers on one PostgreSQL study: where throughput stops growing, and why (tunelab and Optuna, one run).

    .venv/bin/python benchmarks/parallel/scale.py [--workers 8 32 64 128] [--sleep 2] [--per-worker 4]

Trials sleep (``--sleep`` seconds), so the machine's cores are not the limit and the ideal rate is
``workers / sleep`` trials per second. Three ways to run W workers on one PostgreSQL database:

* ``independent``: W processes, each ``tunelab.load_study(...).optimize(n_trials=per_worker)``, as on
  W machines;
* ``driver``: one process, ``study.optimize(n_trials=W * per_worker, n_jobs=W)`` (the study process
  asks and tells, W worker processes evaluate);
* ``optuna``: W processes, each ``optuna.load_study(...).optimize`` on ``RDBStorage``.

Per row: trials per second over the middle 80 % of completions (start-up ramps left out), that
rate over the ideal, wall seconds including process start-up, database connections held at the
peak (``pg_stat_activity``, sampled every 0.25 s from another database), committed transactions per
trial (``pg_stat_database``: one round trip or more each), and failed workers with their first error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

PG = os.environ.get("TUNELAB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

WORKER = """
import os, sys, time
sys.path.insert(0, {here!r})
import workloads
kind, url, name, n, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
if kind == "optuna":
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler())
else:
    import tunelab
    if kind == "independent-nullpool":  # a connection per transaction, none held between them
        from sqlalchemy.pool import NullPool
        url = tunelab.storage.SQLStorage(url, engine_kwargs={{"poolclass": NullPool}})
    study = tunelab.load_study(study_name=name, storage=url, sampler=tunelab.samplers.RandomSampler())
print("ready", flush=True)
while not os.path.exists(go):  # every worker starts at once: the rate is not a start-up ramp
    time.sleep(0.02)
if kind == "driver":
    study.optimize(workloads.sleeping, n_trials=n, n_jobs=int(sys.argv[6]))
else:
    study.optimize(workloads.sleeping, n_trials=n)
"""


class Sampler(threading.Thread):
    """Samples the connections held on ``database`` every 0.25 s from the ``postgres`` database."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        import psycopg

        self.conn = psycopg.connect(f"{PG}/postgres", autocommit=True)
        self.database = database
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            n = self.conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.database,)).fetchone()[0]
            self.peak = max(self.peak, n)

    def transactions(self) -> int:
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        row = self.conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                                (self.database,)).fetchone()
        return int(row[0])


def _rate(ends: list[float]) -> float:
    ends = sorted(ends)
    lo, hi = int(len(ends) * 0.1), int(len(ends) * 0.9) - 1
    return (hi - lo) / (ends[hi] - ends[lo]) if hi > lo and ends[hi] > ends[lo] else float("nan")


def run(kind: str, workers: int, per_worker: int, sleep: float, admin) -> dict:
    database = f"tunelab_scale_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{database}"')
    url = f"{PG}/{database}"
    name = "scale"
    if kind == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        optuna.create_study(study_name=name, storage=url)
    else:
        import tunelab

        tunelab.create_study(study_name=name, storage=url).storage.close()
    env = {**os.environ, "TUNELAB_BENCH_SLEEP": str(sleep), "PYTHONPATH": ROOT}
    code = WORKER.format(here=HERE)
    sampler = Sampler(database)
    before = sampler.transactions()
    sampler.start()
    go = os.path.join(tempfile.mkdtemp(prefix="scale-"), "go")
    if kind == "driver":
        args = [[sys.executable, "-c", code, kind, url, name, str(workers * per_worker), go, str(workers)]]
    else:
        args = [[sys.executable, "-c", code, kind, url, name, str(per_worker), go] for _ in range(workers)]
    started = time.perf_counter()
    procs = [subprocess.Popen(a, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=HERE)
             for a in args]
    for p in procs:
        p.stdout.readline()  # "ready", or nothing from a process that failed
    open(go, "w").close()
    start = time.perf_counter()
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - start
    startup = start - started
    sampler.stop.set()
    sampler.join()
    time.sleep(1.5)  # backends flush their statistics within a second of going idle
    transactions = sampler.transactions() - before
    failed = [(p.returncode, err.strip().splitlines()[-1] if err.strip() else "") for p, (_, err) in zip(procs, outs)
              if p.returncode]
    if kind == "optuna":
        import optuna

        trials = optuna.load_study(study_name=name, storage=url).trials
        ends = [t.datetime_complete.timestamp() for t in trials if t.state.name == "COMPLETE"]
        stuck = sum(1 for t in trials if t.state.name == "RUNNING")
    else:
        import tunelab

        study = tunelab.load_study(study_name=name, storage=url)
        trials = study.trials
        ends = [t.datetime_complete.timestamp() for t in trials if t.state.name == "COMPLETE"]
        stuck = sum(1 for t in trials if t.state.name == "RUNNING")
        study.storage.close()
    sampler.conn.close()
    admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    rate = _rate(ends)
    return {"kind": kind, "workers": workers, "complete": len(ends), "stuck": stuck, "rate": rate,
            "ideal": workers / sleep, "wall": wall, "startup": startup, "connections": sampler.peak,
            "tx_per_trial": transactions / max(len(ends), 1), "failed": len(failed),
            "error": failed[0][1][:160] if failed else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[8, 32, 64, 128])
    parser.add_argument("--kinds", nargs="+", default=["independent", "independent-nullpool", "driver", "optuna"])
    parser.add_argument("--sleep", type=float, default=2.0)
    parser.add_argument("--per-worker", type=int, default=4)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    import psycopg

    admin = psycopg.connect(f"{PG}/postgres", autocommit=True)
    limit = admin.execute("SHOW max_connections").fetchone()[0]
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}  PostgreSQL max_connections: {limit}  "
          f"sleep {args.sleep:g} s, {args.per_worker} trials per worker")
    print(f"{'kind':<21}{'workers':>8}{'trials/s':>10}{'of ideal':>9}{'start s':>8}{'run s':>7}{'conns':>7}{'tx/trial':>9}"
          f"{'done':>6}{'stuck':>6}{'failed':>7}  first error")
    rows = []
    for workers in args.workers:
        for kind in args.kinds:
            row = run(kind, workers, args.per_worker, args.sleep, admin)
            rows.append(row)
            print(f"{kind:<21}{workers:>8}{row['rate']:>10.1f}{row['rate'] / row['ideal']:>9.0%}{row['startup']:>8.1f}"
                  f"{row['wall']:>7.1f}"
                  f"{row['connections']:>7}{row['tx_per_trial']:>9.1f}{row['complete']:>6}{row['stuck']:>6}"
                  f"{row['failed']:>7}  {row['error']}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
