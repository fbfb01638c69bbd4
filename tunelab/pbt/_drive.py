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
    from tunelab.execution._executors import resolve_pool
    from tunelab.execution._startup import refuse_reimported_main
    from tunelab.study._logs import TrialLog
    from tunelab.study._optimize import dispatch

    refuse_reimported_main()
    dispatch(study, objective, catch, resolve_pool(executor, n_jobs, study.storage), n_jobs, budget,
             TrialLog(study))
