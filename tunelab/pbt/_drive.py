"""Running the population's intervals on the study's executors, with one pool for the whole run.

``Study.optimize`` runs a fixed number of trials; a population needs the next generation planned
the moment the last member of the current one is told, while the worker pool stays up (starting a
pool of worker processes costs seconds, once per run here rather than once per generation). So
this module drives the same machinery ``optimize`` uses (the serial loop, the thread runner, or
``run_pooled`` over a process, Dask or Ray pool) with a *budget* that PBT owns:
:meth:`Tickets.take` answers whether another trial may be asked, and enqueues the trials it grants
(the next generation, or a failed interval's rerun) just before ``ask`` takes them. Everything
else (heartbeats, killed workers failed at once, Ctrl-C, one final state per trial) is
``optimize``'s own behaviour.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


def drive(study: Any, objective: Any, budget: Any, *, n_jobs: int, executor: Any,
          catch: tuple[type[Exception], ...] = ()) -> None:
    """Run trials while ``budget.take()`` grants them, ``n_jobs`` at once on ``executor``; an error of
    a class in ``catch`` fails its trial only (as in ``Study.optimize``)."""
    from tunelab.execution._dispatch import run_pooled
    from tunelab.execution._ending import was_retried
    from tunelab.execution._executors import THREADS, resolve_pool
    from tunelab.execution._interrupt import InterruptGate
    from tunelab.execution._startup import refuse_reimported_main
    from tunelab.study._logs import TrialLog
    from tunelab.study._optimize import _run_threads
    from tunelab.study._run import run_trial

    refuse_reimported_main()
    pool = resolve_pool(executor, n_jobs, study.storage)
    log = TrialLog(study)

    def lost(record: Any) -> None:
        if was_retried(study, record):
            budget.give_back()

    with InterruptGate() as gate:
        if pool is None:
            while budget.take():
                frozen = run_trial(study, objective, catch, gate=gate, on_lost=lost)
                with gate.opened():
                    log(frozen)
        elif pool == THREADS:
            _run_threads(study, objective, catch, n_jobs, budget, log, gate=gate, lost=lost)
        else:
            run_pooled(study, objective, catch, pool, budget=budget, finished=log, gate=gate)
