"""Where objective calls run when ``study.optimize(..., n_jobs=N)`` runs several trials at once.

``executor=`` chooses the engine. The study process asks (so the sampler sees every running
trial and numbers are assigned in one place), dispatches each asked trial to a worker and tells
the outcome the worker hands back (so ``Sampler.after_trial`` runs on the study's own sampler and
an SQLite file has one writer per finished trial). The worker holds a copy of the study bound to
the same storage: parameters the sampler did not propose jointly at ask time are drawn there by
its reseeded copy of the sampler, and ``report`` / ``should_prune`` / ``set_user_attr`` go
through the storage as the objective runs:

* ``None`` (default): ``"process"`` when ``n_jobs > 1``.
* ``"process"``: ``n_jobs`` worker processes (``forkserver`` start method on POSIX), each fed
  through its own pipe with its next trial queued. The objective, sampler and pruner are pickled
  once per call and unpickled once per worker; what ``pickle`` cannot send (a lambda, a closure,
  a nested function, a function of an interactive session) goes by cloudpickle, so
  ``study.optimize(lambda t: objective(t, data), n_jobs=4)`` works. What neither can send (an
  object holding a lock, an open file or a connection) is refused with an error naming it. Each
  worker runs its own copy of the objective: what it changes in the study process's variables (a
  list it appends to, a counter in a closure) stays in the worker; record results with
  ``trial.set_user_attr``, gather them in ``callbacks`` (which run in the study process), or pass
  ``executor='thread'``. Each worker reseeds its copy of the sampler (``Sampler.reseed_rng``). A storage that other
  processes can open (an SQLite file, PostgreSQL) is opened by each worker; one they cannot (in
  memory) stays in the study process, which serves it to its workers through a relay (one thread
  per worker, on a local socket only holders of its random key can use): the trials stay there,
  and each storage call of a worker (``suggest``, ``report``, ``should_prune``, attributes) is a
  round trip to the study process. Workers end when the study process dies or its relay is gone.
  A worker process imports the main script again: a script that would run ``optimize`` again
  there (no ``if __name__ == "__main__":`` guard) gets :class:`WorkerStartError` before any trial
  is asked.
* ``"thread"``: ``n_jobs`` threads sharing the study (for objectives that release the GIL).
* a ``concurrent.futures.Executor``; a Dask ``distributed.Client`` or a scheduler address
  (``"tcp://host:8786"``, extra ``dask``); ``"ray"`` (extra ``ray``, ``ray.init()`` if needed).
  These need a storage their workers can open themselves (not an in-memory one).

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
