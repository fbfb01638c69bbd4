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
* ``"process"``: a local process pool of ``n_jobs`` workers (``forkserver`` start method on
  POSIX), each with its next trial queued. The objective, sampler and pruner are pickled once per
  call and unpickled once per worker: define the objective at module top level (a lambda or a
  nested function is refused with an error saying so). Each worker reseeds its copy of the
  sampler (``Sampler.reseed_rng``). Workers end when the study process dies.
* ``"thread"``: ``n_jobs`` threads sharing the study (for objectives that release the GIL).
* a ``concurrent.futures.Executor``; a Dask ``distributed.Client`` or a scheduler address
  (``"tcp://host:8786"``, extra ``dask``); ``"ray"`` (extra ``ray``, ``ray.init()`` if needed).

A worker that dies mid-trial (killed, out of memory) loses the trials in flight in its pool (a
local process pool breaks as a whole): each is marked FAIL at once ("its worker died"), re-queued
under the storage's retry policy (see :class:`tunelab.storage.SQLStorage`), and the pool is
replaced. Trials left RUNNING by a dead study process are failed by heartbeats. ``n_trials`` counts
trials started, except that a lost trial whose retry was queued is counted once, by its retry.
"""

__all__: list[str] = []
