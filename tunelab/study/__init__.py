"""Studies: the define-by-run API (create_study, ask / tell, optimize, the results).

The public names are those of Optuna's ``optuna.study`` module, bound to tunelab's own objects:
the trial classes (``Trial``, ``FrozenTrial``, ``TrialState``, ``FixedTrial``, ``create_trial``)
are offered at the top of the package (``tunelab.Trial``) and under Optuna's ``tunelab.trial``.
"""

# FrozenTrial, Trial and TrialState stay importable from here for tunelab's own modules.
from tunelab._records import FrozenTrial, StudyDirection, StudySummary, TrialState  # noqa: F401
from tunelab.study._api import create_study, delete_study, get_all_study_names, get_all_study_summaries, load_study
from tunelab.study._callbacks import MaxTrialsCallback
from tunelab.study._copy import copy_study
from tunelab.study._study import Study
from tunelab.study._trial import Trial  # noqa: F401

__all__ = [
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "StudySummary",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
