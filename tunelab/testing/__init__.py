"""Conformance suites for plug-ins: run tunelab's own checks on your sampler or pruner.

Every built-in sampler and pruner passes these checks in tunelab's test suite; a third-party
plug-in that passes them behaves as the core expects (values inside their distributions,
conditional spaces, failed and pruned trials in the history, worker processes and threads,
reproducible decisions, ...). Two ways to run them:

- **Anywhere** (a script, a notebook, unittest): :func:`check_sampler` / :func:`check_pruner`
  run every check and raise :class:`ConformanceError` listing each one that failed.
- **One test per check** under pytest: :func:`sampler_checks` / :func:`pruner_checks` give the
  checks as :class:`Check` objects to parametrize over; call ``check(make, **options)`` in the
  test.

>>> from tunelab.samplers import RandomSampler
>>> from tunelab.testing import check_sampler, sampler_checks
>>> check_sampler(lambda seed: RandomSampler(seed=seed), skip={"worker_processes": "skipped in this example"})
>>> [str(c) for c in sampler_checks()][:3]
['values_in_distributions', 'same_seed_same_values', 'conditional_parameters']

With pytest::

    import pytest
    from tunelab.testing import pruner_checks, sampler_checks

    @pytest.mark.parametrize("check", sampler_checks(), ids=str)
    def test_my_sampler(check):
        check(lambda seed: MySampler(seed=seed))

    @pytest.mark.parametrize("check", pruner_checks(), ids=str)
    def test_my_pruner(check):
        check(lambda: MyPruner(warmup=2), earliest_step=2, make_storage=None)

Nothing here needs pytest: a failed check raises ``AssertionError`` (kept under ``python -O``),
which pytest reports like a failed ``assert``. Where a check does not apply to a plug-in by
design, name it in ``skip`` with the reason (a name that is not a check is refused, so a typo
does not skip silently); under pytest, ``pytest.skip(reason)`` in the test does the same.

Layout: ``_checks`` holds what the suites share (:class:`Check`, :class:`ConformanceError`, the
runner); each suite is one private module (``_sampler``, ``_pruner``) exporting its checks tuple.
``_storage`` is the storage suite: :func:`check_storage` / :func:`storage_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tunelab._errors import wrong_type
from tunelab.testing._checks import Check, ConformanceError, NotApplicable, run_checks

__all__ = [
    "Check", "ConformanceError", "NotApplicable", "check_pruner", "check_sampler", "check_storage", "pruner_checks",
    "sampler_checks", "storage_checks",
]


def sampler_checks() -> tuple[Check, ...]:
    """Every sampler check; each is called as ``check(make_sampler)``.

    ``make_sampler(seed)`` returns a new :class:`~tunelab.samplers.Sampler` seeded with the int
    ``seed``; two made with the same seed must propose the same values. One check runs
    ``optimize(n_jobs=2)`` on an SQLite file in a temporary folder, i.e. in worker processes, so
    the sampler must pickle. The checks' objectives ask for these parameters; a sampler that
    draws from a fixed set of points (a grid) must offer values for them within these bounds:

    - ``x``: float in [-1, 1], [-2, 2], [0, 1] or [-3, 3] (0.0, 0.25, 0.5 and 1.0 fit all);
    - ``lr``: float in [1e-5, 1e-1], log scale; ``s``: float in [0, 1] with step 0.25;
    - ``n``: int in [1, 9] with step 2, in [0, 5] or in [0, 3] (1 and 3 fit all);
    - ``k``: int in [1, 512], log scale;
    - ``c``: one of ``"a"``, ``"b"``, ``None``, ``3``, or of ``"a"``, ``"b"``, ``"c"`` (``"a"`` and ``"b"`` fit both);
    - ``kind``: ``"svm"`` or ``"tree"``, then ``C`` (float in [1e-3, 1e3], log) or ``depth`` (int in [1, 12]);
    - ``m``: ``"a"`` or ``"bb"``;
    - single values: ``a`` (float 0.5), ``b`` (int 3), ``l`` (float 1e-3, log), ``one`` (``"only"``).
    """
    from tunelab.testing._sampler import SAMPLER_CHECKS

    return SAMPLER_CHECKS


def check_sampler(make_sampler: Callable[[int], Any], *, skip: Mapping[str, str] | None = None) -> None:
    """Run every sampler check on ``make_sampler`` (see :func:`sampler_checks`).

    ``skip`` maps names of checks that do not apply to the reason why. Raises
    :class:`ConformanceError` naming every failed check and what went wrong.
    """
    from tunelab.testing._sampler import new_sampler

    if not callable(make_sampler):
        raise wrong_type("make_sampler", make_sampler, "a function of a seed returning a new Sampler")
    label = type(new_sampler(make_sampler)).__name__
    run_checks("sampler", label, sampler_checks(), make_sampler, skip, {})


def pruner_checks() -> tuple[Check, ...]:
    """Every pruner check; each is called as ``check(make_pruner, earliest_step=..., make_storage=...)``.

    ``make_pruner()`` returns a new :class:`~tunelab.pruners.Pruner`. ``earliest_step`` is the
    first step (of 0 to 8) at which it may stop a trial far worse than four complete ones, or
    None if it never does. ``make_storage()`` returns a new, empty storage (or a URL) for each
    study the checks create; None runs them in memory.
    """
    from tunelab.testing._pruner import PRUNER_CHECKS

    return PRUNER_CHECKS


def check_pruner(make_pruner: Callable[[], Any], *, earliest_step: int | None,
                 make_storage: Callable[[], Any] | None = None, skip: Mapping[str, str] | None = None) -> None:
    """Run every pruner check on ``make_pruner`` (see :func:`pruner_checks` for the arguments).

    ``skip`` maps names of checks that do not apply to the reason why. Raises
    :class:`ConformanceError` naming every failed check and what went wrong.

    >>> from tunelab.pruners import MedianPruner
    >>> check_pruner(lambda: MedianPruner(n_startup_trials=3, n_warmup_steps=2), earliest_step=2)
    """
    from tunelab.testing._pruner import new_pruner

    if not callable(make_pruner):
        raise wrong_type("make_pruner", make_pruner, "a function returning a new Pruner")
    if earliest_step is not None and (isinstance(earliest_step, bool) or not isinstance(earliest_step, int)):
        raise wrong_type("earliest_step", earliest_step, "None or an int step")
    if make_storage is not None and not callable(make_storage):
        raise wrong_type("make_storage", make_storage, "None or a function returning a new storage")
    label = type(new_pruner(make_pruner)).__name__
    run_checks("pruner", label, pruner_checks(), make_pruner, skip,
               {"earliest_step": earliest_step, "make_storage": make_storage})


def storage_checks() -> tuple[Check, ...]:
    """Every storage check; each is called as ``check(make_storage)``.

    ``make_storage(**options)`` returns a storage object on one fresh, empty database; every call
    returns another object on the same data (as another process would open it; a backend that
    lives in one process's memory may return the same object). ``options`` are the heartbeat
    policy's ``heartbeat_interval``, ``grace_period`` and ``retries``, passed by the liveness
    checks; a storage without heartbeats (``storage.liveness`` None) skips them
    (:class:`NotApplicable`). Give each check its own fresh database.
    """
    from tunelab.testing._storage import STORAGE_CHECKS

    return STORAGE_CHECKS


def check_storage(new_database: Callable[[], Callable[..., Any]], *, skip: Mapping[str, str] | None = None) -> None:
    """Run every storage check, each on a fresh database: ``new_database()`` returns the
    ``make_storage`` factory of a new, empty one (see :func:`storage_checks`).

    ``skip`` maps names of checks that do not apply to the reason why. Raises
    :class:`ConformanceError` naming every failed check and what went wrong.

    >>> from tunelab.storage import InMemoryStorage
    >>> def new_database():
    ...     shared = InMemoryStorage()
    ...     return lambda **options: shared
    >>> check_storage(new_database)
    """
    if not callable(new_database):
        raise wrong_type("new_database", new_database, "a function returning a make_storage factory")
    fresh = [Check(c.name, lambda new, f=c.function: f(new())) for c in storage_checks()]
    run_checks("storage", "storage", fresh, new_database, skip, {})
