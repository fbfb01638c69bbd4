"""Pickling a study whose trials live in this process's memory (``storage=None``).

Such a study pickles as a snapshot, as Optuna's does (its FAQ saves studies with ``pickle`` /
``joblib``): what unpickles is an independent in-memory copy holding the trials as they were
(with their times; a RUNNING trial becomes FAIL, as :func:`tunelab.copy_study` copies it). A study
in a file or server storage pickles as a handle on that storage, so every copy sees every trial.

A snapshot sent to a Dask worker (``client.submit(study.optimize, ...)``, the pattern of Optuna's
Dask example) would run its trials in a copy that the client never sees: there, asking for a
trial raises a :class:`~tunelab.TunelabError` that says what to do instead.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from tunelab._errors import TunelabError

if TYPE_CHECKING:
    from tunelab.storage import InMemoryStorage
    from tunelab.study._study import Study


def snapshot(study: Study) -> Any:
    """The in-memory ``study`` as a picklable record of its attributes and trials."""
    from tunelab.study._copy import from_tunelab

    return from_tunelab(study.storage, study._study_id, study.study_name)


def restore(record: Any, name: str) -> tuple[InMemoryStorage, int]:
    """A new in-memory storage holding the study of ``record`` as ``name``, and its id."""
    from tunelab.storage import InMemoryStorage
    from tunelab.study._copy import write_study

    storage = InMemoryStorage()
    return storage, write_study(storage, record, name)


def refuse_in_a_worker(study: Study) -> None:
    """Raise if this unpickled snapshot is about to run trials inside a Dask worker."""
    worker = _dask_worker()
    if worker is not None:
        raise TunelabError(
            f"study {study.study_name!r} is a copy of an in-memory study (storage=None), unpickled in the Dask "
            f"worker {worker}: the trials it would run here are lost with the copy, never seen by the client. "
            "Create the study with a storage every worker reaches (storage='sqlite:///study.db' on a shared disk, "
            "'postgresql://...') and submit work that loads it by name (tunelab.load_study), or keep the study in "
            "the client and pass the cluster to optimize: study.optimize(objective, n_trials=..., "
            "executor=client)")


def _dask_worker() -> str | None:
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        return str(distributed.get_worker().address)
    except (ValueError, AttributeError):  # not in a worker
        return None
