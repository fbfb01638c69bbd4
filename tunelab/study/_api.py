"""Module-level entry points: create_study, load_study, delete_study, get_all_study_summaries / _names."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from tunelab._constraints import Bool, String, constrained
from tunelab._errors import DuplicatedStudyError, InvalidArgumentError
from tunelab._records import StudyDirection, StudySummary
from tunelab.pruners import MedianPruner, Pruner
from tunelab.samplers import AutoSampler, Sampler
from tunelab.storage import get_storage
from tunelab.study._arguments import DIRECTION, DIRECTIONS, NAME, PRUNER, SAMPLER, STORAGE
from tunelab.study._study import Study


def _study(study_name: str, backend: Any, sampler: Sampler | None, pruner: Pruner | None) -> Study:
    """The study with the sampler and pruner given, else the defaults; those are named in one INFO
    line at the study's first ask (a study loaded only to read it says nothing)."""
    from tunelab.logging import _configure

    _configure()
    study = Study(study_name, backend, sampler=sampler or AutoSampler(), pruner=pruner or MedianPruner())
    study._defaults = (None if sampler else study.sampler, None if pruner else study.pruner)
    study._default_pruner = None if pruner else study.pruner
    return study


def _directions(direction: Any, directions: Any) -> tuple[StudyDirection, ...]:
    if direction is not None and directions is not None:
        raise InvalidArgumentError("give direction or directions, not both")
    if directions is None:
        return (StudyDirection.parse(direction or "minimize"),)
    return tuple(StudyDirection.parse(d, "directions") for d in directions)


@constrained({"storage": STORAGE, "sampler": SAMPLER, "pruner": PRUNER, "study_name": (None, NAME),
              "direction": DIRECTION, "directions": DIRECTIONS, "load_if_exists": Bool()})
def create_study(
    *,
    storage: Any = None,
    sampler: Sampler | None = None,
    pruner: Pruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Create a study (or load it with ``load_if_exists=True``).

    ``storage`` is None (in memory), a URL such as ``"sqlite:///tunelab.db"`` or
    ``"postgresql://..."``, or a Storage. Without ``sampler`` the study uses
    :class:`~tunelab.samplers.AutoSampler`; without ``pruner``, ``MedianPruner()`` (Optuna's
    default: ``should_prune()`` in a reporting loop stops poor trials); either default is
    logged at INFO on the ``"tunelab"`` logger, so the choice the user did not make is visible.

    >>> study = create_study(direction="maximize")
    >>> study.direction
    StudyDirection.MAXIMIZE
    """
    dirs = _directions(direction, directions)
    backend = get_storage(storage)
    if study_name is None:
        study_name = f"study-{uuid.uuid4().hex[:12]}"
    try:
        backend.create_study(study_name, dirs)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"a study named {study_name!r} already exists in {backend!r}; "
                "pass load_if_exists=True to continue it") from None
        stored = backend.get_study_directions(backend.get_study_id(study_name))
        if stored != dirs:
            raise InvalidArgumentError(
                f"study {study_name!r} exists with directions {[d.name.lower() for d in stored]}; "
                f"asked for {[d.name.lower() for d in dirs]}") from None
    return _study(study_name, backend, sampler, pruner)


@constrained({"study_name": (None, String()), "storage": STORAGE, "sampler": SAMPLER, "pruner": PRUNER})
def load_study(*, study_name: str | None = None, storage: Any, sampler: Sampler | None = None,
               pruner: Pruner | None = None) -> Study:
    """Load an existing study; with ``study_name=None`` the storage must hold exactly one.
    ``sampler`` and ``pruner`` default as in :func:`create_study` (they are not stored).

    A name is looked up, never stored: one that no study can have (``""``) is simply not found."""
    backend = get_storage(storage)
    if study_name is None:
        names = [s.study_name for s in backend.get_all_studies()]
        if len(names) != 1:
            raise InvalidArgumentError(
                f"study_name=None is invalid: the storage holds {len(names)} studies {names[:10]}; name one")
        study_name = names[0]
    backend.get_study_id(study_name)  # raises StudyNotFoundError with the name
    return _study(study_name, backend, sampler, pruner)


@constrained({"study_name": String(), "storage": STORAGE})
def delete_study(*, study_name: str, storage: Any) -> None:
    """Delete a study and all its trials."""
    backend = get_storage(storage)
    backend.delete_study(backend.get_study_id(study_name))


@constrained({"storage": STORAGE, "include_best_trial": Bool()})
def get_all_study_summaries(storage: Any, include_best_trial: bool = True) -> list[StudySummary]:
    """A summary of every study in the storage, with its best values.

    ``include_best_trial`` is Optuna's argument; a tunelab summary carries the best values
    (``best_values``) either way, and never the whole best trial."""
    return get_storage(storage).get_all_studies()


@constrained({"storage": STORAGE})
def get_all_study_names(storage: Any) -> list[str]:
    """The name of every study in the storage, in creation order."""
    return [summary.study_name for summary in get_storage(storage).get_all_studies()]
