"""tunelab: hyperparameter tuning for machine-learning training.

The define-by-run API follows the conventions users already know (``create_study``, ``ask`` /
``tell``, ``suggest_*``, ``report`` / ``should_prune``); learning-rate schedules are first-class
values (:mod:`tunelab.schedules`) that a trial can search with ``trial.suggest_schedule``.

Subpackages are imported on first use so that ``import tunelab`` stays light.
"""

from __future__ import annotations

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
from tunelab._lazy import lazy

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
    "fidelity",
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


__getattr__, __dir__ = lazy("tunelab", globals(), attrs=_LAZY_ATTRS, modules=_LAZY_MODULES)
