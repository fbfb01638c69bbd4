"""Parallel trial throughput of tunelab and Optuna 5 (RDB storage) on SQLite and PostgreSQL, one run.

    .venv/bin/python benchmarks/parallel/run.py [--trials 600] [--optuna-trials 120] [--quick]

Table 1: trials per second of a trivial objective (random sampler on both sides, so the storage
and the dispatch are measured, not a model) with 1, 2, 4 and 8 processes. Throughput is
counted over the trials' own stored completion times, from the 10th to the last, so process
start-up is left out for both libraries alike; the wall time including start-up is printed too.
tunelab runs ``study.optimize(n_jobs=P)`` (the study process asks and tells, P worker processes
evaluate); Optuna runs P processes, each ``study.optimize`` on the shared RDB storage, its documented
way to parallelise across processes. Table 2: speed-up of 2 workers over 1 on ~100 ms CPU-bound
trials. The machine's load average is printed: timings on shared cores are noisy, compare the
ratios within one run. ``n_jobs=1`` runs in the study process; Table 2's speed-up is counted
over the trials' timestamps like Table 1 (worker start-up, paid once per optimize call, is in the
wall-time ratio).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402

PG = os.environ.get("TUNELAB_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def _rate(ends) -> float:
    """Trials per second between the 10th and the last completion: start-up left out on both sides."""
    ends = sorted(ends)
    skip = min(10, len(ends) // 4)
    return (len(ends) - 1 - skip) / (ends[-1] - ends[skip])


def tunelab_run(url: str, processes: int, n_trials: int, objective=workloads.trivial, attrs=None) -> tuple[float, float]:
    import tunelab

    name = f"b-{uuid.uuid4().hex[:8]}"
    study = tunelab.create_study(storage=url, study_name=name, sampler=tunelab.samplers.RandomSampler())
    for key, value in (attrs or {}).items():
        study.set_user_attr(key, value)
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials, n_jobs=processes)
    wall = time.perf_counter() - start
    trials = study.trials
    assert len(trials) == n_trials and len({t.number for t in trials}) == n_trials
    return _rate([t.datetime_complete.timestamp() for t in trials]), wall


def _optuna_worker(url: str, name: str, n_trials: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = optuna.storages.RDBStorage(url, engine_kwargs=_optuna_engine_kwargs(url))
    study = optuna.load_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler())
    study.optimize(workloads.trivial, n_trials=n_trials)


def _optuna_engine_kwargs(url: str) -> dict:
    return {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}


def optuna_run(url: str, processes: int, n_trials: int) -> tuple[float, float] | str:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    name = f"b-{uuid.uuid4().hex[:8]}"
    storage = optuna.storages.RDBStorage(url, engine_kwargs=_optuna_engine_kwargs(url))
    optuna.create_study(study_name=name, storage=storage)
    per = n_trials // processes
    context = multiprocessing.get_context("forkserver")
    start = time.perf_counter()
    if processes == 1:
        _optuna_worker(url, name, per)
    else:
        procs = [context.Process(target=_optuna_worker, args=(url, name, per)) for _ in range(processes)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        if any(p.exitcode for p in procs):
            return f"{sum(1 for p in procs if p.exitcode)} of {processes} processes failed"
    wall = time.perf_counter() - start
    trials = optuna.load_study(study_name=name, storage=storage).trials
    done = [t for t in trials if t.datetime_complete is not None]
    return _rate([t.datetime_complete.timestamp() for t in done]), wall


def _pg_database():
    import psycopg

    try:
        admin = psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL skipped: no server at {PG} ({exc})")
        return None, None
    name = f"tunelab_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return admin, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=600, help="tunelab trials per configuration")
    parser.add_argument("--optuna-trials", type=int, default=120, help="Optuna trials per configuration")
    parser.add_argument("--cpu-trials", type=int, default=100, help="100 ms trials per speed-up run")
    parser.add_argument("--quick", action="store_true", help="few trials, to check the script runs")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.optuna_trials, args.cpu_trials = 80, 40, 4
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}")
    tmp = tempfile.mkdtemp(prefix="parallel-throughput-")
    admin, pg_name = _pg_database()
    backends = [("SQLite", lambda tag: f"sqlite:///{tmp}/{tag}.db")]
    if admin is not None:
        backends.append(("PostgreSQL", lambda tag: f"{PG}/{pg_name}"))
    try:
        print("\nTable 1: trivial trials per second (steady state; wall seconds incl. start-up in brackets)")
        print(f"{'backend':<11}{'procs':>6}{'tunelab':>22}{'optuna':>22}{'ratio':>8}")
        for label, url_for in backends:
            for processes in (1, 2, 4, 8):
                ours, our_wall = tunelab_run(url_for(f"t{processes}"), processes, args.trials)
                theirs = optuna_run(url_for(f"o{processes}"), processes, args.optuna_trials)
                if isinstance(theirs, str):
                    print(f"{label:<11}{processes:>6}{ours:>12.0f} ({our_wall:5.1f} s){theirs:>30}")
                    continue
                print(f"{label:<11}{processes:>6}{ours:>12.0f} ({our_wall:5.1f} s){theirs[0]:>12.0f} ({theirs[1]:5.1f} s)"
                      f"{ours / theirs[0]:>7.1f}x")
        spin = workloads.calibrate()
        print(f"\nTable 2: {args.cpu_trials} CPU-bound trials of ~100 ms ({spin} loop steps), SQLite, tunelab")
        url = f"sqlite:///{tmp}/cpu.db"
        one = tunelab_run(url, 1, args.cpu_trials, workloads.cpu_100ms, {"spin": spin})
        two = tunelab_run(url, 2, args.cpu_trials, workloads.cpu_100ms, {"spin": spin})
        print(f"trials/s  1 worker: {one[0]:.2f}   2 workers: {two[0]:.2f}   speed-up: {two[0] / one[0]:.2f} "
              f"(wall incl. start-up: {one[1]:.2f} s vs {two[1]:.2f} s, ratio {one[1] / two[1]:.2f})")
    finally:
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            admin.close()
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
