"""Where objective calls run when ``study.optimize(..., n_jobs=N)`` runs several trials at once.

``executor=`` chooses the engine; the study process asks (so the sampler sees every running
trial and numbers are assigned in one place) and dispatches each asked trial to a worker, which
evaluates the objective, reports through the storage and tells the result itself:

* ``None`` (default): worker **processes** when ``n_jobs > 1`` and the storage can be opened by
  other processes (an SQLite file, PostgreSQL); with an in-memory storage, threads, with a
  warning on the ``tunelab`` logger (processes cannot see this process's memory).
* ``"process"``: a local process pool of ``n_jobs`` workers (``forkserver`` start method on
  POSIX). The objective, sampler and pruner are pickled once per worker: define the objective at
  module top level. Each worker reseeds its copy of the sampler (``Sampler.reseed_rng``).
* ``"thread"``: ``n_jobs`` threads sharing the study (for objectives that release the GIL).
* a ``concurrent.futures.Executor``; a Dask ``distributed.Client`` or a scheduler address
  (``"tcp://host:8786"``, extra ``dask``); ``"ray"`` (extra ``ray``, ``ray.init()`` if needed).

A worker that dies mid-trial (killed, out of memory) loses only its trial: it is marked FAIL
("its worker died"), re-queued under the storage's retry policy (see
:class:`tunelab.storage.SQLStorage`), and a broken local pool is replaced. ``n_trials`` counts
trials started, except that a lost trial whose retry was queued is counted once, by its retry.
"""

__all__: list[str] = []
