"""The constraints that several tables of the study API share (see :mod:`tunelab._constraints`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from tunelab._constraints import AnyOf, InstanceOf, ListOf, Options, String
from tunelab._records import StudyDirection
from tunelab.pruners import Pruner
from tunelab.samplers import Sampler
from tunelab.storage import Storage
from tunelab.storage._base import MAX_NAME_LENGTH

#: Study, parameter and attribute names: what every storage backend keeps as given.
NAME = String(non_empty=True, max_len=MAX_NAME_LENGTH, no_nul=True)

STORAGE = AnyOf(None, InstanceOf((str, os.PathLike, Storage)), what="None, a database URL or a tunelab Storage")
SAMPLER = AnyOf(None, InstanceOf(Sampler), what="None or a tunelab.samplers.Sampler")
PRUNER = AnyOf(None, InstanceOf(Pruner), what="None or a tunelab.pruners.Pruner")

_DIRECTION = (InstanceOf(StudyDirection), Options("minimize", "maximize", ignore_case=True))
DIRECTION = AnyOf(None, *_DIRECTION, what="None, 'minimize' or 'maximize'")
DIRECTIONS = AnyOf(None, ListOf(AnyOf(*_DIRECTION, what="'minimize' or 'maximize'"), min_len=1, ordered=True),
                   what="None or a non-empty list of 'minimize' / 'maximize'")

ATTRS = AnyOf(None, InstanceOf(Mapping, "a mapping of attribute name to value"),
              what="None or a mapping of attribute name to value")


@runtime_checkable
class ScheduleSpaceLike(Protocol):
    """What ``trial.suggest_schedule`` asks of a space (``tunelab.schedules.space(...)`` builds one)."""

    def suggest(self, trial: Any, name: str, *, total_steps: int | None = None) -> Any: ...
