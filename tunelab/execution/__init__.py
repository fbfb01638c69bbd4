"""Where objective calls run when ``study.optimize(..., n_jobs=N)`` runs several trials at once.

``executor=`` chooses the engine. The study process asks (so the sampler sees every running
trial and numbers are assigned in one place), dispatches each asked trial to a worker and tells
the outcome the worker hands back (so ``Sampler.after_trial`` runs on the study's own sampler and
an SQLite file has one writer per finished trial). The worker holds a copy of the study bound to
the same storage: parameters the sampler did not propose jointly at ask time are drawn there by
its reseeded copy of the sampler, and ``report`` / ``should_prune`` / ``set_user_attr`` go
through the storage as the objective runs:

* ``None`` (default): worker **processes** when ``n_jobs > 1`` and the storage can be opened by
  other processes (an SQLite file, PostgreSQL); with an in-memory storage, threads, with a
  warning on the ``tunelab`` logger (processes cannot see this process's memory).
* ``"process"``: ``n_jobs`` worker processes (``forkserver`` start method on POSIX), each fed
  through its own pipe with its next trial queued. The objective, sampler and pruner are pickled
  once per call and unpickled once per worker: define the objective at module top level (a
  lambda or a nested function is refused with an error saying so). Each worker reseeds its copy
  of the sampler (``Sampler.reseed_rng``). Workers end when the study process dies. A worker
  process imports the main script again: a script that would run ``optimize`` again there (no
  ``if __name__ == "__main__":`` guard) gets :class:`WorkerStartError` before any trial is asked.
* ``"thread"``: ``n_jobs`` threads sharing the study (for objectives that release the GIL).
* a ``concurrent.futures.Executor``; a Dask ``distributed.Client`` or a scheduler address
  (``"tcp://host:8786"``, extra ``dask``); ``"ray"`` (extra ``ray``, ``ray.init()`` if needed).

Every trial started ends in exactly one state, whichever way the run ends:

* A worker process that dies mid-trial (killed, out of memory) loses only the trial it was
  running: it is marked FAIL at once ("its worker died"), re-queued under the storage's retry
  policy (see :class:`tunelab.storage.SQLStorage`), and a new process takes the worker's place
  and the trial queued behind it. The other workers' trials finish and are told as usual. (A
  ``concurrent.futures`` pool passed as ``executor`` breaks as a whole when one of its workers
  dies: its trials in flight are lost, and ``optimize`` raises once they are recorded.)
* Ctrl-C (SIGINT to the study process, or to the whole process group from a terminal) interrupts
  the running objectives (worker processes get SIGINT too; threads stop at their next
  ``suggest`` or ``report``); results that come back within a few seconds are told, and every
  other trial in flight ends FAIL ("interrupted ...") and is queued again with the parameters it
  drew, whatever the retry policy; then KeyboardInterrupt is raised. The next ``optimize`` (or
  ``ask``) runs the queued copies first.
* A trial that someone else failed meanwhile (its heartbeats paused past the grace period) keeps
  that record; its objective is stopped at its next report, nothing more is written for it, and
  the run goes on.
* Trials left RUNNING by a dead study process are failed by heartbeats.

``n_trials`` counts trials started, except that a lost trial whose retry was queued is counted
once, by its retry.
"""

from tunelab.execution._startup import WorkerStartError

__all__ = ["WorkerStartError"]
