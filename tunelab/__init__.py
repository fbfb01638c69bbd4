"""tunelab: hyperparameter tuning for machine-learning training.

The define-by-run API follows the conventions users already know (``create_study``, ``ask`` /
``tell``, ``suggest_*``, ``report`` / ``should_prune``); learning-rate schedules are first-class
values (:mod:`tunelab.schedules`) that a trial can search with ``trial.suggest_schedule``.

Subpackages are imported on first use so that ``import tunelab`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from tunelab._errors import (
    DuplicatedStudyError,
    InvalidArgumentError,
    InvalidTypeError,
    MissingExtraError,
    StorageError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
    TrialPruned,
    TunelabError,
)

__version__ = "0.1.0"

_LAZY_ATTRS = {
    "create_study": "tunelab.study",
    "load_study": "tunelab.study",
    "delete_study": "tunelab.study",
    "get_all_study_summaries": "tunelab.study",
    "get_all_study_names": "tunelab.study",
    "copy_study": "tunelab.study",
    "Study": "tunelab.study",
    "StudyDirection": "tunelab.study",
    "StudySummary": "tunelab.study",
    "Trial": "tunelab.study",
    "FrozenTrial": "tunelab.study",
    "TrialState": "tunelab.study",
    "FixedTrial": "tunelab.study._fixed",
    "BaseTrial": "tunelab.study._fixed",
    "create_trial": "tunelab.study._fixed",
    "report": "tunelab.runner",
    "should_prune": "tunelab.runner",
}
_LAZY_MODULES = (
    "cli",
    "integrations",
    "pruners",
    "samplers",
    "schedules",
    "space",
    "storage",
    "study",
    "execution",
    "config",
    "runner",
    "reporting",
    "importance",
    "visualization",
    # Optuna's module paths, each re-exporting tunelab's own objects (docs/compat.md)
    "distributions",
    "exceptions",
    "integration",
    "logging",
    "search_space",
    "storages",
    "trial",
)

__all__ = [
    "DuplicatedStudyError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "MissingExtraError",
    "StorageError",
    "StudyNotFoundError",
    "TrialFinishedError",
    "TrialNotFoundError",
    "TrialPruned",
    "TunelabError",
    *_LAZY_ATTRS,
    *_LAZY_MODULES,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRS:
        value = getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"tunelab.{name}")
    else:
        raise AttributeError(f"module 'tunelab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
